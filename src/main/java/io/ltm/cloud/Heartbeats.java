package io.ltm.cloud;

import io.ltm.cloud.MachineRepository.HeartbeatView;
import io.ltm.common.ApiException;
import io.ltm.db.Batcher;
import io.ltm.db.Transactions;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.metrics.Meters;
import io.ltm.stream.domain.StreamState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fleet's heartbeats, written together. One read and one UPDATE per heartbeat, and a transaction for each
 * {@code stream.health} event, kept every pooled MySQL connection busy at a fleet's rate: with 2,000 machines
 * (1,000 heartbeats a second) heartbeats waited seconds for a connection (bench/fleet). Now the heartbeats that
 * arrive while the previous ones are being written go together ({@link Batcher}): one read for all of them, one
 * multi-row UPDATE, and — for those whose health slot is due — one transaction that stores all their events,
 * which no heartbeat's answer waits for.
 *
 * <p>What a heartbeat does is unchanged: it takes no lock on {@code streams}; a plain one touches only its
 * machine's row; at most one {@code stream.health} per machine every {@code healthEventSeconds} is stored, in its
 * account's numbered log. Each heartbeat gets its own answer: a bad token is a 401 and a machine nobody wants a
 * 410, whatever the others in its batch are.
 */
final class Heartbeats {
  private static final Logger LOG = LoggerFactory.getLogger(Heartbeats.class);
  /** Heartbeats per batch at most: the statements' placeholders grow with it. */
  private static final int MAX_BATCH = 256;
  /** How long a heartbeat whose machine row another transaction holds is tried again before it is answered 503. */
  private static final long BUSY_MS = 2000;
  private static final long BUSY_RETRY_MS = 50;
  private static final Counter BUSY = Meters.counter("ltm_heartbeats_busy",
    "heartbeats left for a later batch because another transaction held their machine's row");
  private static final DistributionSummary BATCH_SIZES = Meters.summary("ltm_heartbeat_batch_size",
    "heartbeats written by one statement (more when MySQL falls behind the fleet)");

  private final Vertx vertx;
  /** Heartbeats' own connections: the read and the plain UPDATE. */
  private final Pool beats;
  /** The health events' transactions, which lock account rows like every event: on the main pool. */
  private final Pool pool;
  private final MachineRepository machines;
  private final int healthEventSeconds;
  private final Runnable wakeRelay;
  private final Batcher<Beat> plain = new Batcher<>(MAX_BATCH, this::writePlain, Beat::fail);
  /** The health events' answers are not awaited by anyone: a failed batch is logged by {@link #writeHealth}. */
  private final Batcher<Beat> health = new Batcher<>(MAX_BATCH, this::writeHealth, (beat, err) -> { });
  /** Machines with a health event queued or being written. */
  private final Set<String> healthPending = ConcurrentHashMap.newKeySet();

  Heartbeats(Vertx vertx, Pool beats, Pool pool, MachineRepository machines, int healthEventSeconds,
             Runnable wakeRelay) {
    this.vertx = vertx;
    this.beats = beats;
    this.pool = pool;
    this.machines = machines;
    this.healthEventSeconds = healthEventSeconds;
    this.wakeRelay = wakeRelay;
  }

  /** Records one heartbeat; answers what the machine's stream looks like now (its keys), or fails 401/410. */
  Future<HeartbeatView> beat(String machineId, String agentToken, JsonObject progress) {
    Context context = Vertx.currentContext() != null ? Vertx.currentContext() : vertx.getOrCreateContext();
    Beat beat = new Beat(machineId, agentToken, progress, context);
    plain.add(context, beat);
    return beat.answer.future();
  }

  /** One heartbeat on its way; {@code view} is set once it has been read. */
  private static final class Beat {
    final String machineId;
    final String token;
    final JsonObject progress;
    final Context context;
    final Promise<HeartbeatView> answer = Promise.promise();
    final long since = System.nanoTime();
    HeartbeatView view;

    Beat(String machineId, String token, JsonObject progress, Context context) {
      this.machineId = machineId;
      this.token = token;
      this.progress = progress;
      this.context = context;
    }

    String progressJson() {
      return progress == null ? null : progress.encode();
    }

    void fail(Throwable err) {
      answer.tryFail(err);
    }

    void done() {
      answer.tryComplete(view);
    }
  }

  /**
   * One read for the batch; each heartbeat is checked on its own; every wanted one's progress is written by one
   * UPDATE, and it is answered. Those whose health slot is due are then handed to {@link #writeHealth}, which the
   * answer does not wait for: a health event held up (its stream row locked by a stop, say) delays no heartbeat.
   *
   * <p>The machine rows are locked with {@code SKIP LOCKED} before the UPDATE: a row another transaction holds (a
   * status report, a termination) is left out rather than waited for, so one busy machine never holds up the
   * heartbeats batched with it. Its heartbeat goes again with a later batch, and after {@link #BUSY_MS} is answered
   * 503 (the agent sends it again).
   */
  private Future<Void> writePlain(List<Beat> batch) {
    BATCH_SIZES.record(batch.size());
    Set<String> ids = new LinkedHashSet<>();
    batch.forEach(b -> ids.add(b.machineId));
    List<Beat> wanted = new ArrayList<>();
    // The read and the lock go at once (the connection pipelines them): one round trip, not two. Rows of heartbeats
    // then refused (401, 410) are locked too, for the instant the transaction lasts.
    return Transactions.lockFree(beats, conn -> {
      Future<Map<String, HeartbeatView>> read = machines.heartbeatViews(conn, ids, healthEventSeconds);
      Future<Set<String>> locked = machines.lockFree(conn, ids);
      return Future.all(read, locked).compose(both -> write(conn, batch, wanted, read.result(), locked.result()));
    }).map(free -> {
      // Committed: the written heartbeats are answered; a busy machine's waits for a later batch.
      for (Beat b : wanted) {
        if (free.contains(b.machineId)) {
          b.done();
          // One health event per machine on its way at a time: heartbeats of a machine whose event is held up do
          // not pile up behind it.
          if (b.progress != null && b.view.healthDue() && healthPending.add(b.machineId)) {
            health.add(b.context, b);
          }
        } else {
          busy(b);
        }
      }
      return null;
    });
  }

  /**
   * Checks each heartbeat of the batch on its own (a refused one is answered at once) and writes the progress of
   * the wanted ones whose row this transaction holds; answers those machines.
   */
  private Future<Set<String>> write(SqlConnection conn, List<Beat> batch, List<Beat> wanted,
                                    Map<String, HeartbeatView> views, Set<String> free) {
    Map<String, String> progressById = new LinkedHashMap<>();
    for (Beat b : batch) {
      try {
        b.view = wanted(views.get(b.machineId), b.token);
      } catch (ApiException e) {
        b.fail(e);
        continue;
      }
      wanted.add(b);
      if (free.contains(b.machineId)) {
        progressById.put(b.machineId, b.progressJson());
      }
    }
    return progressById.isEmpty() ? Future.succeededFuture(free)
      : machines.heartbeats(conn, progressById).map(free);
  }

  /** A heartbeat whose machine row was held elsewhere: tried again shortly, until {@link #BUSY_MS} have passed. */
  private void busy(Beat b) {
    BUSY.increment();
    if (System.nanoTime() - b.since > BUSY_MS * 1_000_000L) {
      b.fail(new ApiException(503, "machine_busy", "this machine's record is being changed; send the heartbeat "
        + "again", null, null));
      return;
    }
    vertx.setTimer(BUSY_RETRY_MS, id -> plain.add(b.context, b));
  }

  /**
   * The heartbeats whose health slot looked due: in one transaction their accounts are locked (in id order), their
   * slots claimed (a slot another node took meanwhile stays with it) and one {@code stream.health} event stored per
   * claimed slot, numbered in its account's log. Should it fail, the slots stay due and the next heartbeats try
   * again.
   */
  private Future<Void> writeHealth(List<Beat> batch) {
    Map<String, Beat> byMachine = new LinkedHashMap<>();
    batch.forEach(b -> byMachine.put(b.machineId, b));
    Set<String> accounts = new TreeSet<>();
    byMachine.values().forEach(b -> accounts.add(b.view.machine().accountId()));
    return Transactions.inAccounts(pool, accounts, conn -> machines.lockHealthDue(conn, byMachine.keySet(),
      healthEventSeconds).compose(claimed -> {
        Map<String, List<EventLog.Draft>> drafts = new TreeMap<>();
        for (Beat b : byMachine.values()) {
          if (claimed.contains(b.machineId)) {
            Machine m = b.view.machine();
            drafts.computeIfAbsent(m.accountId(), a -> new ArrayList<>()).add(new EventLog.Draft(
              EventTypes.STREAM_HEALTH, m.streamId(), health(b.progress, b.view.streamState())));
          }
        }
        return Future.all(machines.markHealth(conn, claimed), EventLog.appendAcross(conn, drafts)).map(claimed.size());
      }))
      .<Void>map(stored -> {
        if (stored > 0) {
          wakeRelay.run();
        }
        return null;
      })
      .onFailure(err -> LOG.warn("stream.health events of {} machines not stored, their next heartbeats try again: {}",
        byMachine.size(), err.toString()))
      .eventually(() -> {
        byMachine.keySet().forEach(healthPending::remove);
        return Future.succeededFuture();
      });
  }

  /** The machine, if this token is its agent's and its stream still counts on it; else 401 or 410. */
  private static HeartbeatView wanted(HeartbeatView view, String agentToken) {
    Machine m = AgentCalls.checkToken(view == null ? null : view.machine(), agentToken);
    StreamState state = view.streamState();
    if (state == null || !m.id().equals(view.streamMachineId()) || !state.isActive()
      || state == StreamState.STOPPING) {
      throw AgentCalls.gone();
    }
    return view;
  }

  private static JsonObject health(JsonObject progress, StreamState state) {
    JsonObject h = new JsonObject();
    for (String field : List.of("inputPresent", "inputKind", "inputBitrateKbps", "fps", "speed", "bitrateKbps",
      "frame", "dropFrames", "dupFrames", "activeCdn", "cdn")) {
      h.put(field, progress.getValue(field));
    }
    return new JsonObject().put("state", state.name()).put("health", h);
  }
}
