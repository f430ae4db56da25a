package io.ltm.cloud;

import io.ltm.cloud.domain.MachineLifecycle;
import io.ltm.cloud.domain.MachineState;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

/** SQL for machines; every state change is checked by {@link MachineLifecycle} and recorded as an event. */
public class MachineRepository {
  private static final String INSERT = "INSERT INTO machines (id, stream_id, account_id, generation, provider, state) "
    + "VALUES (?, ?, ?, ?, ?, 'REQUESTED')";
  private static final String ADD_BOOTSTRAP = "INSERT INTO machine_bootstrap_tokens (machine_id, token_hash) VALUES (?, ?)";
  private static final String BOOTSTRAP_HASHES = "SELECT token_hash FROM machine_bootstrap_tokens WHERE machine_id = ?";
  private static final String SPEND_BOOTSTRAP = "DELETE FROM machine_bootstrap_tokens WHERE machine_id = ?";
  private static final String BY_START = "SELECT " + Machine.COLUMNS + " FROM machines WHERE stream_id = ? AND generation = ?";
  private static final String LOCK = "SELECT " + Machine.COLUMNS + " FROM machines WHERE id = ? FOR UPDATE";
  private static final String BY_ID = "SELECT " + Machine.COLUMNS + " FROM machines WHERE id = ?";
  private static final String LIVE_FOR_STREAM = "SELECT " + Machine.COLUMNS + " FROM machines WHERE stream_id = ? "
    + "AND state <> 'TERMINATED'";
  private static final String UPDATE_STATE = "UPDATE machines SET state = ?, state_reason = COALESCE(?, state_reason), "
    + "updated_at = CURRENT_TIMESTAMP(3), "
    + "ended_at = IF(state = 'TERMINATED', COALESCE(ended_at, CURRENT_TIMESTAMP(3)), ended_at) WHERE id = ?";
  private static final String RECORD_LAUNCH = "UPDATE machines SET provider_ref = ?, instance_type = ?, hourly_price_usd = ?, "
    + "launched_at = COALESCE(launched_at, CURRENT_TIMESTAMP(3)) WHERE id = ?";
  private static final String ADOPT = "UPDATE machines SET provider_ref = ?, instance_type = COALESCE(instance_type, ?), "
    + "hourly_price_usd = COALESCE(hourly_price_usd, ?), launched_at = COALESCE(launched_at, CURRENT_TIMESTAMP(3)) "
    + "WHERE id = ? AND provider_ref IS NULL AND state <> 'TERMINATED'";
  private static final String ACTIVE = "SELECT " + Machine.COLUMNS
    + ", TIMESTAMPDIFF(SECOND, COALESCE(launched_at, updated_at), CURRENT_TIMESTAMP(3)) AS age FROM machines "
    + "WHERE provider = ? AND state <> 'TERMINATED'";
  private static final String SILENT = "SELECT " + Machine.COLUMNS + " FROM machines WHERE "
    + "(state IN ('RUNNING', 'REGISTERED', 'ASSIGNED', 'DRAINING') "
    + "AND COALESCE(last_heartbeat_at, updated_at) < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND) "
    + "OR (state IN ('REQUESTED', 'PENDING') AND updated_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)";

  private static final String REGISTER = "UPDATE machines SET agent_token_hash = ?, "
    + "last_heartbeat_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  private static final String HEARTBEAT = "UPDATE machines SET last_heartbeat_at = CURRENT_TIMESTAMP(3), progress = ? "
    + "WHERE id = ?";
  /**
   * A heartbeat that also claims the right to store a {@code stream.health} event: at most one per machine every
   * healthEventSeconds, so the per-account event log grows with time, not with the heartbeat rate.
   */
  private static final String HEARTBEAT_CLAIMING_HEALTH = "UPDATE machines SET last_heartbeat_at = CURRENT_TIMESTAMP(3), "
    + "progress = ?, last_health_at = CURRENT_TIMESTAMP(3) WHERE id = ? "
    + "AND (last_health_at IS NULL OR last_health_at <= CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)";
  /**
   * Everything a heartbeat needs in one plain read (no lock): the machine, whether its health slot is due, its
   * stream's state and owner, and the stream keys valid now.
   */
  private static final String HEARTBEAT_VIEW = "SELECT m.id, m.stream_id, m.account_id, m.generation, m.provider, "
    + "m.provider_ref, m.state, m.agent_token_hash, "
    + "(m.last_health_at IS NULL OR m.last_health_at <= CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND) AS health_due, "
    + "s.state AS stream_state, s.machine_id AS stream_machine_id, s.stream_key, "
    + "IF(i.previous_key_until > CURRENT_TIMESTAMP(3), i.previous_key, NULL) AS previous_key, "
    + "IF(i.previous_key_until > CURRENT_TIMESTAMP(3), i.previous_key_until, NULL) AS previous_key_until "
    + "FROM machines m LEFT JOIN streams s ON s.id = m.stream_id LEFT JOIN stream_ingest i ON i.stream_id = m.stream_id "
    + "WHERE m.id = ?";

  /** What {@link #heartbeatView} reads; stream fields are null when the stream is gone. */
  public record HeartbeatView(Machine machine, boolean healthDue, StreamState streamState, String streamMachineId,
                              String streamKey, String previousKey, LocalDateTime previousKeyUntil) {
  }

  public Future<Machine> insert(SqlConnection conn, Machine m) {
    return conn.preparedQuery(INSERT)
      .execute(Tuple.of(m.id(), m.streamId(), m.accountId(), m.generation(), m.provider()))
      .map(m);
  }

  public Future<Machine> findByStart(SqlClient client, String streamId, int generation) {
    return client.preparedQuery(BY_START).execute(Tuple.of(streamId, generation)).map(MachineRepository::first);
  }

  public Future<Machine> find(SqlClient client, String id) {
    return client.preparedQuery(BY_ID).execute(Tuple.of(id)).map(MachineRepository::first);
  }

  public Future<Machine> lock(SqlConnection conn, String id) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(id)).map(MachineRepository::first);
  }

  public Future<List<Machine>> notTerminated(SqlClient client, String streamId) {
    return client.preparedQuery(LIVE_FOR_STREAM).execute(Tuple.of(streamId)).map(MachineRepository::all);
  }

  /** Machines that stopped calling in: no heartbeat within the timeout, or never called home after launch. */
  public Future<List<Machine>> silent(SqlClient client, int heartbeatTimeoutSeconds, int launchTimeoutSeconds) {
    return client.preparedQuery(SILENT).execute(Tuple.of(heartbeatTimeoutSeconds, launchTimeoutSeconds))
      .map(MachineRepository::all);
  }

  /** The provider's handle of a launched machine, what it was launched as and its price, and since when it costs. */
  public Future<Void> recordLaunch(SqlConnection conn, String id, String providerRef, String instanceType,
                                   java.math.BigDecimal hourlyPriceUsd) {
    return conn.preparedQuery(RECORD_LAUNCH).execute(Tuple.of(providerRef, instanceType, hourlyPriceUsd, id)).mapEmpty();
  }

  /** Records a launch that was never recorded, unless one was meanwhile; true when this call recorded it. */
  public Future<Boolean> adopt(SqlClient client, String id, String providerRef, String instanceType,
                               java.math.BigDecimal hourlyPriceUsd) {
    return client.preparedQuery(ADOPT).execute(Tuple.of(providerRef, instanceType, hourlyPriceUsd, id))
      .map(r -> r.rowCount() == 1);
  }

  /** A machine row the reconciler compares with the provider's view, and how many seconds ago it was launched. */
  public record Tracked(Machine machine, long ageSeconds) {
  }

  /** Every machine of this provider not yet TERMINATED. */
  public Future<List<Tracked>> active(SqlClient client, String provider) {
    return client.preparedQuery(ACTIVE).execute(Tuple.of(provider)).map(rows -> {
      List<Tracked> list = new ArrayList<>();
      rows.forEach(r -> list.add(new Tracked(Machine.fromRow(r), r.getLong("age"))));
      return list;
    });
  }

  /** The bootstrap tokens are spent; from now on the agent proves itself with the agent token (kept hashed). */
  public Future<Void> register(SqlConnection conn, String id, String agentTokenHash) {
    return conn.preparedQuery(REGISTER).execute(Tuple.of(agentTokenHash, id))
      .compose(v -> conn.preparedQuery(SPEND_BOOTSTRAP).execute(Tuple.of(id))).mapEmpty();
  }

  /**
   * Records the hash of a bootstrap token about to be handed to a launch. Earlier ones stay valid: the instance an
   * earlier attempt launched (and this one may adopt) carries its own token.
   */
  public Future<Void> addBootstrapToken(SqlConnection conn, String id, String tokenHash) {
    return conn.preparedQuery(ADD_BOOTSTRAP).execute(Tuple.of(id, tokenHash)).mapEmpty();
  }

  /** The hashes of the bootstrap tokens a machine may still present at hello (none once it has called home). */
  public Future<List<String>> bootstrapTokenHashes(SqlClient client, String id) {
    return client.preparedQuery(BOOTSTRAP_HASHES).execute(Tuple.of(id)).map(rows -> {
      List<String> hashes = new ArrayList<>();
      rows.forEach(r -> hashes.add(r.getString("token_hash")));
      return hashes;
    });
  }

  public Future<HeartbeatView> heartbeatView(SqlClient client, String id, int healthEventSeconds) {
    return client.preparedQuery(HEARTBEAT_VIEW).execute(Tuple.of(healthEventSeconds, id)).map(rows -> {
      var it = rows.iterator();
      if (!it.hasNext()) {
        return null;
      }
      Row row = it.next();
      String streamState = row.getString("stream_state");
      Object due = row.getValue("health_due");
      return new HeartbeatView(Machine.fromRow(row), due != null && ((Number) due).intValue() == 1,
        streamState == null ? null : StreamState.valueOf(streamState), row.getString("stream_machine_id"),
        row.getString("stream_key"), row.getString("previous_key"), row.getLocalDateTime("previous_key_until"));
    });
  }

  /** A plain heartbeat: one UPDATE of the machine's own row, nothing else locked. */
  public Future<Void> heartbeat(SqlClient client, String id, String progressJson) {
    return client.preparedQuery(HEARTBEAT).execute(Tuple.of(progressJson, id)).mapEmpty();
  }

  /** A heartbeat that claims the health slot; true when it did (the caller then stores the event). */
  public Future<Boolean> heartbeatClaimingHealth(SqlConnection conn, String id, String progressJson,
                                                 int healthEventSeconds) {
    return conn.preparedQuery(HEARTBEAT_CLAIMING_HEALTH).execute(Tuple.of(progressJson, id, healthEventSeconds))
      .map(rows -> rows.rowCount() == 1);
  }

  public Future<Void> set(SqlConnection conn, String id, String column, Object value) {
    return conn.preparedQuery("UPDATE machines SET " + column + " = ? WHERE id = ?").execute(Tuple.of(value, id)).mapEmpty();
  }

  /** Moves a locked machine if the state machine allows it; false (and no change) otherwise. */
  public Future<Boolean> move(SqlConnection conn, Machine locked, MachineState to, String reason) {
    if (!MachineLifecycle.canMove(locked.state(), to)) {
      return Future.succeededFuture(false);
    }
    return conn.preparedQuery(UPDATE_STATE).execute(Tuple.of(to.name(), reason, locked.id()))
      // A machine that ends never calls home: its bootstrap tokens are worth nothing, so nothing of them is kept.
      .compose(v -> to == MachineState.TERMINATED
        ? conn.preparedQuery(SPEND_BOOTSTRAP).execute(Tuple.of(locked.id())).mapEmpty() : Future.succeededFuture())
      .compose(v -> EventLog.append(conn, locked.accountId(), EventTypes.MACHINE_STATE, locked.streamId(),
        new JsonObject().put("machineId", locked.id()).put("state", to.name()).put("previous", locked.state().name())
          .put("detail", reason == null ? new JsonObject() : new JsonObject().put("reason", reason))))
      .map(true);
  }

  private static Machine first(Iterable<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Machine.fromRow(it.next()) : null;
  }

  private static List<Machine> all(Iterable<Row> rows) {
    List<Machine> list = new ArrayList<>();
    rows.forEach(r -> list.add(Machine.fromRow(r)));
    return list;
  }
}
