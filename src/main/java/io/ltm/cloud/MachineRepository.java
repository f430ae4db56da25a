package io.ltm.cloud;

import io.ltm.cloud.domain.MachineLifecycle;
import io.ltm.cloud.domain.MachineState;
import io.ltm.db.InList;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** SQL for machines; every state change is checked by {@link MachineLifecycle} and recorded as an event. */
public class MachineRepository {
  /** A machine launched for one start: a cold start. */
  private static final String INSERT = "INSERT INTO machines (id, stream_id, account_id, generation, provider, state, "
    + "start_kind) VALUES (?, ?, ?, ?, ?, 'REQUESTED', 'cold')";
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
    + "(state IN ('RUNNING', 'REGISTERED', 'ASSIGNED', 'DRAINING') AND stopped_at IS NULL "
    + "AND COALESCE(last_heartbeat_at, updated_at) < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND) "
    + "OR (state IN ('REQUESTED', 'PENDING') AND updated_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)";

  private static final String REGISTER = "UPDATE machines SET agent_token_hash = ?, "
    + "last_heartbeat_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  /**
   * Heartbeats of several machines in one statement: each row gets its own progress. The lists are padded
   * ({@code InList}); a padded entry repeats the last machine with its own progress.
   */
  private static final String HEARTBEATS = "UPDATE machines SET last_heartbeat_at = CURRENT_TIMESTAMP(3), "
    + "progress = CASE id %s END WHERE id IN (%s)";
  /**
   * The machines among these whose health slot is due, locked: at most one {@code stream.health} event per machine
   * every healthEventSeconds, so the per-account event log grows with time, not with the heartbeat rate. A second
   * batch racing for the same slot waits here and then finds it taken.
   */
  private static final String LOCK_HEALTH_DUE = "SELECT id FROM machines WHERE id IN (%s) "
    + "AND (last_health_at IS NULL OR last_health_at <= CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND) FOR UPDATE";
  /** The machines among these no other transaction holds, now locked by this one; the others are skipped. */
  private static final String LOCK_FREE = "SELECT id FROM machines WHERE id IN (%s) FOR UPDATE SKIP LOCKED";
  private static final String MARK_HEALTH = "UPDATE machines SET last_health_at = CURRENT_TIMESTAMP(3) WHERE id IN (%s)";
  /**
   * Everything a heartbeat needs in one plain read (no lock): the machine, whether its health slot is due, its
   * stream's state and owner, and the stream keys valid now — for every machine of a batch at once.
   */
  private static final String HEARTBEAT_VIEWS = "SELECT " + Machine.columns("m.") + ", "
    + "(m.last_health_at IS NULL OR m.last_health_at <= CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND) AS health_due, "
    + "s.state AS stream_state, s.machine_id AS stream_machine_id, s.stream_key, "
    + "IF(i.previous_key_until > CURRENT_TIMESTAMP(3), i.previous_key, NULL) AS previous_key, "
    + "IF(i.previous_key_until > CURRENT_TIMESTAMP(3), i.previous_key_until, NULL) AS previous_key_until "
    + "FROM machines m LEFT JOIN streams s ON s.id = m.stream_id LEFT JOIN stream_ingest i ON i.stream_id = m.stream_id "
    + "WHERE m.id IN (%s)";

  private static final String INSERT_WARM = "INSERT INTO machines (id, stream_id, account_id, generation, provider, "
    + "state, pool_class, warm_tier) VALUES (?, NULL, NULL, 0, ?, 'REQUESTED', ?, ?)";
  /**
   * One idle machine of a pool, locked; machines another start is claiming are skipped, not waited for. No ORDER BY:
   * the index range (provider, class, REGISTERED, tier) holds only idle warm machines, so InnoDB locks the first that
   * matches and stops, and two concurrent claims each get their own. A running one must have called in lately.
   */
  private static final String CLAIM_RUNNING = "SELECT " + Machine.COLUMNS + " FROM machines WHERE provider = ? "
    + "AND pool_class = ? AND state = 'REGISTERED' AND warm_tier = 'running' AND stream_id IS NULL "
    + "AND stopped_at IS NULL AND last_heartbeat_at > CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND "
    + "LIMIT 1 FOR UPDATE SKIP LOCKED";
  private static final String CLAIM_STOPPED = "SELECT " + Machine.COLUMNS + " FROM machines WHERE provider = ? "
    + "AND pool_class = ? AND state = 'REGISTERED' AND warm_tier = 'stopped' AND stream_id IS NULL "
    + "AND stopped_at IS NOT NULL LIMIT 1 FOR UPDATE SKIP LOCKED";
  /**
   * The claimed machine now serves this start only. A stopped one gets the launch timeout to be resumed and call in
   * (its last heartbeat is from before it was stopped).
   */
  private static final String ASSIGN = "UPDATE machines SET stream_id = ?, account_id = ?, generation = ?, "
    + "start_kind = ?, assigned_at = CURRENT_TIMESTAMP(3), last_heartbeat_at = IF(stopped_at IS NULL, "
    + "last_heartbeat_at, CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND) WHERE id = ? AND stream_id IS NULL";
  private static final String MEMBERS = "SELECT " + Machine.COLUMNS + ", hourly_price_usd, "
    + "TIMESTAMPDIFF(SECOND, COALESCE(idle_since, created_at), CURRENT_TIMESTAMP(3)) AS idle_age, "
    + "TIMESTAMPDIFF(SECOND, created_at, CURRENT_TIMESTAMP(3)) AS age "
    + "FROM machines WHERE provider = ? AND pool_class = ? AND state NOT IN ('TERMINATED', 'TERMINATING', 'LOST')";
  private static final String IDLE_SINCE = "UPDATE machines SET idle_since = COALESCE(idle_since, CURRENT_TIMESTAMP(3)) "
    + "WHERE id = ?";
  private static final String PIPELINE_SENT = "UPDATE machines SET pipeline_at = COALESCE(pipeline_at, "
    + "CURRENT_TIMESTAMP(3)), last_heartbeat_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  private static final String TOUCH = "UPDATE machines SET last_heartbeat_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  private static final String PARK = "UPDATE machines SET stopped_at = IF(?, CURRENT_TIMESTAMP(3), NULL) "
    + "WHERE id = ?";

  /** A machine of a pool as the pool keeper sees it. */
  public record Member(Machine machine, java.math.BigDecimal hourlyPriceUsd, long idleAgeSeconds, long ageSeconds) {
  }

  /**
   * A warm machine to be: no stream, no account, launched for a pool. Its bootstrap token is added as a hash by
   * {@link #addBootstrapToken}, once per launch attempt, like a cold machine's.
   */
  public Future<Void> insertWarm(SqlConnection conn, String id, String provider, String poolClass, String tier) {
    return conn.preparedQuery(INSERT_WARM).execute(Tuple.of(id, provider, poolClass, tier)).mapEmpty();
  }

  /** An idle running machine of the pool, locked for this transaction, or null; see {@link #CLAIM_RUNNING}. */
  public Future<Machine> claimRunning(SqlConnection conn, String provider, String poolClass, int freshSeconds) {
    return conn.preparedQuery(CLAIM_RUNNING).execute(Tuple.of(provider, poolClass, freshSeconds))
      .map(MachineRepository::first);
  }

  /** A stopped machine of the pool, locked for this transaction, or null. */
  public Future<Machine> claimStopped(SqlConnection conn, String provider, String poolClass) {
    return conn.preparedQuery(CLAIM_STOPPED).execute(Tuple.of(provider, poolClass)).map(MachineRepository::first);
  }

  /** Gives a claimed machine its stream; true when it was still unclaimed. */
  public Future<Boolean> assign(SqlConnection conn, String id, String streamId, String accountId, int generation,
                                String startKind, int resumeSeconds) {
    return conn.preparedQuery(ASSIGN).execute(Tuple.of(streamId, accountId, generation, startKind, resumeSeconds, id))
      .map(r -> r.rowCount() == 1);
  }

  /** Every live machine of a pool: booting, idle (running or stopped) and claimed. */
  public Future<List<Member>> members(SqlClient client, String provider, String poolClass) {
    return client.preparedQuery(MEMBERS).execute(Tuple.of(provider, poolClass)).map(rows -> {
      List<Member> list = new ArrayList<>();
      rows.forEach(r -> list.add(new Member(Machine.fromRow(r), r.getBigDecimal("hourly_price_usd"),
        r.getLong("idle_age"), r.getLong("age"))));
      return list;
    });
  }

  public Future<Void> idleSince(SqlConnection conn, String id) {
    return conn.preparedQuery(IDLE_SINCE).execute(Tuple.of(id)).mapEmpty();
  }

  /** The agent has its pipeline now (the first time counts: it is what start-to-pipeline is measured by). */
  public Future<Void> pipelineSent(SqlClient client, String id) {
    return client.preparedQuery(PIPELINE_SENT).execute(Tuple.of(id)).mapEmpty();
  }

  /** A warm agent's wait counts as its heartbeat. */
  public Future<Void> touch(SqlClient client, String id) {
    return client.preparedQuery(TOUCH).execute(Tuple.of(id)).mapEmpty();
  }

  /** Records a machine as stopped (now) or running again (null). */
  public Future<Void> park(SqlClient client, String id, boolean stopped) {
    return client.preparedQuery(PARK).execute(Tuple.of(stopped, id))
      .mapEmpty();
  }

  /** What {@link #heartbeatViews} reads; stream fields are null when the stream is gone. */
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

  /** What a heartbeat needs of each of these machines, by id; a machine not there is missing from the map. */
  public Future<Map<String, HeartbeatView>> heartbeatViews(SqlClient client, Collection<String> ids,
                                                           int healthEventSeconds) {
    List<String> padded = InList.padded(ids);
    List<Object> params = new ArrayList<>(padded.size() + 1);
    params.add(healthEventSeconds);
    params.addAll(padded);
    return client.preparedQuery(HEARTBEAT_VIEWS.formatted(InList.marks(padded.size()))).execute(Tuple.from(params))
      .map(rows -> {
        Map<String, HeartbeatView> views = new HashMap<>();
        for (Row row : rows) {
          String streamState = row.getString("stream_state");
          Object due = row.getValue("health_due");
          Machine m = Machine.fromRow(row);
          views.put(m.id(), new HeartbeatView(m, due != null && ((Number) due).intValue() == 1,
            streamState == null ? null : StreamState.valueOf(streamState), row.getString("stream_machine_id"),
            row.getString("stream_key"), row.getString("previous_key"), row.getLocalDateTime("previous_key_until")));
        }
        return views;
      });
  }

  /**
   * Plain heartbeats: one UPDATE of these machines' own rows, each with its progress (null clears it); nothing
   * else is locked.
   */
  public Future<Void> heartbeats(SqlClient client, Map<String, String> progressById) {
    if (progressById.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> ids = InList.padded(progressById.keySet());
    List<Object> params = new ArrayList<>(ids.size() * 3);
    for (String id : ids) {
      params.add(id);
      params.add(progressById.get(id));
    }
    params.addAll(ids);
    String cases = String.join(" ", Collections.nCopies(ids.size(), "WHEN ? THEN ?"));
    return client.preparedQuery(HEARTBEATS.formatted(cases, InList.marks(ids.size()))).execute(Tuple.from(params))
      .mapEmpty();
  }

  /** Locks the machines among {@code ids} that no other transaction holds, and answers them. */
  public Future<Set<String>> lockFree(SqlConnection conn, Collection<String> ids) {
    List<String> padded = InList.padded(ids);
    return conn.preparedQuery(LOCK_FREE.formatted(InList.marks(padded.size()))).execute(Tuple.from(padded))
      .map(MachineRepository::ids);
  }

  /** Locks the machines among {@code ids} whose health slot is due and answers them (see LOCK_HEALTH_DUE). */
  public Future<Set<String>> lockHealthDue(SqlConnection conn, Collection<String> ids, int healthEventSeconds) {
    List<String> padded = InList.padded(ids);
    List<Object> params = new ArrayList<>(padded);
    params.add(healthEventSeconds);
    return conn.preparedQuery(LOCK_HEALTH_DUE.formatted(InList.marks(padded.size()))).execute(Tuple.from(params))
      .map(MachineRepository::ids);
  }

  private static Set<String> ids(RowSet<Row> rows) {
    Set<String> ids = new HashSet<>();
    rows.forEach(r -> ids.add(r.getString(0)));
    return ids;
  }

  /** These machines' health slots are taken now (their events are stored in the same transaction). */
  public Future<Void> markHealth(SqlConnection conn, Collection<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> padded = InList.padded(ids);
    return conn.preparedQuery(MARK_HEALTH.formatted(InList.marks(padded.size()))).execute(Tuple.from(padded))
      .mapEmpty();
  }

  public Future<Void> set(SqlConnection conn, String id, String column, Object value) {
    return conn.preparedQuery("UPDATE machines SET " + column + " = ? WHERE id = ?").execute(Tuple.of(value, id)).mapEmpty();
  }

  /** Moves a locked machine if the state machine allows it; false (and no change) otherwise. */
  public Future<Boolean> move(SqlConnection conn, Machine locked, MachineState to, String reason) {
    if (!MachineLifecycle.canMove(locked.state(), to)) {
      return Future.succeededFuture(false);
    }
    Future<?> updated = conn.preparedQuery(UPDATE_STATE).execute(Tuple.of(to.name(), reason, locked.id()))
      // A machine that ends never calls home: its bootstrap tokens are worth nothing, so nothing of them is kept.
      .compose(v -> to == MachineState.TERMINATED
        ? conn.preparedQuery(SPEND_BOOTSTRAP).execute(Tuple.of(locked.id())).mapEmpty() : Future.succeededFuture());
    if (locked.accountId() == null) {
      // A warm machine belongs to no account yet: its moves are the operator's business, not an account's event.
      return updated.map(true);
    }
    return updated
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
