package io.ltm.pool;

import io.ltm.agent.Pipeline;
import io.ltm.cloud.AgentCalls;
import io.ltm.cloud.Machine;
import io.ltm.cloud.MachineRepository;
import io.ltm.cloud.domain.MachineState;
import io.ltm.config.LtmConfig;
import io.ltm.jobs.Job;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;

/**
 * A start takes a warm machine, inside the start's own transaction (account row, then stream, then the machine with
 * SKIP LOCKED, so two concurrent starts never get the same one and neither waits for the other). The machine gets
 * the stream, account and generation for good: it serves this start only and is terminated when the stream stops.
 * The stream goes to STARTING at once, its event saying {@code warm} or {@code warm-stopped}.
 */
public class WarmClaims {
  private final LtmConfig config;
  private final MachineRepository machines;
  private final StreamRepository streams;
  private final StreamTransitions transitions;

  /**
   * What a start took: the machine, how it was served, and the pipeline built in the same transaction (no agent
   * token: the machine has it), so the machine's held wait can answer at once.
   */
  public record Claimed(String machineId, String startKind, Pipeline pipeline) {
  }

  private final AgentCalls calls;

  public WarmClaims(LtmConfig config, MachineRepository machines, StreamRepository streams,
                    StreamTransitions transitions, AgentCalls calls) {
    this.calls = calls;
    this.config = config;
    this.machines = machines;
    this.streams = streams;
    this.transitions = transitions;
  }

  /**
   * Claims an idle machine of the stream's class for its new generation, or answers null (the pool is empty: the
   * caller launches cold). The stream is locked by the caller and already PROVISIONING.
   */
  public Future<Claimed> claim(SqlConnection conn, String streamId) {
    String provider = config.cloud().provider();
    return streams.lock(conn, streamId).compose(s -> {
      String poolClass = PoolSettings.classFor(provider, s.offerId(), config.machines());
      // A running machine must have waited within three of its waits to count as alive.
      int fresh = 3 * Math.max(1, config.cloud().heartbeatSeconds());
      return machines.claimRunning(conn, provider, poolClass, fresh)
        .compose(m -> m != null ? Future.succeededFuture(m) : machines.claimStopped(conn, provider, poolClass))
        .compose(m -> m == null ? Future.succeededFuture(null) : take(conn, s, m));
    });
  }

  /** After the claim committed: the machine's wait held on this node answers with the pipeline. */
  public void handOver(Claimed claimed) {
    calls.claimed(claimed.machineId(), claimed.pipeline());
  }

  private Future<Claimed> take(SqlConnection conn, Stream s, Machine idle) {
    String kind = idle.parked() ? AgentCalls.START_WARM_STOPPED : AgentCalls.START_WARM;
    // A stopped machine has until the launch timeout to be resumed and call in.
    int resume = Math.max(0, config.cloud().launchTimeoutSeconds() - config.cloud().heartbeatTimeoutSeconds());
    return machines.assign(conn, idle.id(), s.id(), s.accountId(), s.generation(), kind, resume)
      .compose(v -> machines.lock(conn, idle.id()))
      .compose(m -> machines.move(conn, m, MachineState.ASSIGNED, null).map(m))
      .compose(m -> idle.parked()
        ? Job.of(Job.MACHINE_RESUME, s.accountId(), m.id(), s.generation()).enqueue(conn)
        : Future.<Void>succeededFuture())
      .compose(v -> streams.setMachine(conn, s.id(), idle.id()))
      .compose(v -> transitions.move(conn, s, StreamState.STARTING, null,
        new JsonObject().put("machineId", idle.id()).put("start", kind)))
      .compose(v -> streams.lock(conn, s.id()))
      .compose(starting -> machines.lock(conn, idle.id()).compose(m -> calls.pipeline(conn, m, starting, null)))
      .map(p -> new Claimed(idle.id(), kind, p));
  }
}
