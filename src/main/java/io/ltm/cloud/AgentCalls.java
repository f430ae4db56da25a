package io.ltm.cloud;

import io.ltm.agent.Pipeline;
import io.ltm.cdn.CdnProfileService;
import io.ltm.cloud.domain.MachineState;
import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.ltm.config.LtmConfig;
import io.ltm.db.Transactions;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.ingest.IngestRepository;
import io.ltm.jobs.Job;
import io.ltm.metrics.Meters;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamConfigRepository;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.domain.StreamConfig;
import io.ltm.stream.domain.StreamState;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.util.List;

/**
 * The server's side of docs/agent-protocol.md: an agent calls home with its one-time bootstrap token, gets its
 * pipeline, then reports its stream's progress. A report from a machine its stream no longer counts on fails
 * with 410, which tells the agent to shut down.
 *
 * <p>Reports that change a stream's state lock it (inside the account's transaction, account row first, like
 * every change that records an event). A heartbeat, a fleet's most frequent call, takes no lock in the common
 * case: one read and one UPDATE of its own machine row; only the one heartbeat in {@code healthEventSeconds}
 * that becomes a {@code stream.health} event enters the account's transaction.
 */
public class AgentCalls {
  private static final Counter HEARTBEATS = Meters.counter("ltm_agent_heartbeats", "agent heartbeats answered");
  private static final Counter CDN_SWITCHES = Meters.counter("ltm_cdn_switches",
    "active CDN changes (failovers and switches back) agents reported");

  private final Vertx vertx;
  private final Pool pool;
  private final LtmConfig config;
  private final MachineRepository machines;
  private final StreamRepository streams;
  private final StreamTransitions transitions;
  private final StreamConfigRepository configs;
  private final IngestRepository ingest = new IngestRepository();
  private final Pipelines pipelines;
  private final CdnProfileService cdn;
  private final Waiters waiters;
  private final Heartbeats heartbeats;

  /** How a stream's start was served, in its STARTING event ({@code detail.start}). */
  public static final String START_COLD = "cold";
  public static final String START_WARM = "warm";
  public static final String START_WARM_STOPPED = "warm-stopped";

  /** @param heartbeatPool the heartbeats' own connections ({@code mysql.heartbeatPoolSize}) */
  public AgentCalls(Vertx vertx, Pool pool, Pool heartbeatPool, LtmConfig config, MachineRepository machines,
                    StreamRepository streams, StreamTransitions transitions, StreamConfigRepository configs,
                    CdnProfileService cdn) {
    this.cdn = cdn;
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.machines = machines;
    this.streams = streams;
    this.transitions = transitions;
    this.configs = configs;
    this.pipelines = new Pipelines(config);
    this.waiters = new Waiters(vertx);
    this.heartbeats = new Heartbeats(vertx, heartbeatPool, pool, machines, config.agent().healthEventSeconds(),
      this::wakeRelay);
  }

  /**
   * {@code hello}: the bootstrap token is spent, the machine ASSIGNED, the stream STARTING; answers the pipeline. A
   * warm machine (booted for a pool, no stream yet) is REGISTERED instead and answered its standby terms: it then
   * {@link #await waits} for a start to claim it.
   */
  public Future<JsonObject> hello(String machineId, String bootstrapToken) {
    String agentToken = Ids.random(40);
    // A machine never changes account: read unlocked, it names the account row to lock first.
    return machines.find(pool, machineId).compose(found -> {
        if (found == null) {
          return Future.failedFuture(ApiException.unauthorized("unknown machine or bootstrap token already used"));
        }
        if (found.idle()) {
          return Transactions.run(pool, conn -> machines.lock(conn, machineId)
            .compose(m -> checkBootstrap(conn, m, bootstrapToken))
            .compose(m -> standby(conn, m, agentToken)));
        }
        return Transactions.inAccount(pool, found.accountId(), conn -> machines.lock(conn, machineId)
          .compose(m -> checkBootstrap(conn, m, bootstrapToken))
          .compose(m -> streams.lock(conn, m.streamId()).compose(s -> {
            boolean wanted = s != null && s.generation() == m.generation()
              && (s.state() == StreamState.PROVISIONING || s.state() == StreamState.STARTING);
            if (!wanted) {
              return Job.of(Job.MACHINE_TERMINATE, m.accountId(), m.id(), m.generation()).enqueue(conn)
                .compose(v -> Future.failedFuture(gone()));
            }
            return register(conn, m, agentToken, MachineState.ASSIGNED)
              .compose(v -> s.state() == StreamState.PROVISIONING
                ? streams.setMachine(conn, s.id(), m.id()).compose(x -> transitions.move(conn, s, StreamState.STARTING,
                  null, new JsonObject().put("machineId", m.id()).put("start", START_COLD))).mapEmpty()
                : Future.succeededFuture())
              .compose(v -> pipeline(conn, m, s, agentToken))
              .map(JsonObject::mapFrom);
          })));
      })
      .onSuccess(v -> wakeRelay());
  }

  /**
   * The presented bootstrap token must match one of the machine's stored hashes (one per launch attempt; none once it
   * has called home or ended). The machine row is locked, so two hellos cannot both spend the same token.
   */
  private Future<Machine> checkBootstrap(SqlConnection conn, Machine m, String bootstrapToken) {
    if (m == null || bootstrapToken == null) {
      return Future.failedFuture(ApiException.unauthorized("unknown machine or bootstrap token already used"));
    }
    return machines.bootstrapTokenHashes(conn, m.id()).compose(hashes -> anyMatches(hashes, Ids.sha256(bootstrapToken))
      ? Future.succeededFuture(m)
      : Future.failedFuture(ApiException.unauthorized("unknown machine or bootstrap token already used")));
  }

  /** Compares the presented token's hash with every stored one, each in constant time, and all of them. */
  private static boolean anyMatches(List<String> hashes, String presented) {
    boolean match = false;
    for (String hash : hashes) {
      match |= Ids.sameHash(hash, presented);
    }
    return match;
  }

  /** A warm machine called home: REGISTERED and idle from now, told how to wait for its stream. */
  private Future<JsonObject> standby(SqlConnection conn, Machine m, String agentToken) {
    return register(conn, m, agentToken, MachineState.REGISTERED)
      .compose(v -> machines.idleSince(conn, m.id()))
      .map(v -> new JsonObject().put("standby", true).put("machineId", m.id()).put("agentToken", agentToken)
        .put("waitSeconds", waitSeconds()).put("heartbeatSeconds", config.cloud().heartbeatSeconds())
        .put("fenceMinSeconds", config.agent().fenceMinSeconds()));
  }

  /** How long the server holds a warm agent's wait: a wait is its heartbeat, so no longer than one. */
  private int waitSeconds() {
    return Math.max(1, config.cloud().heartbeatSeconds());
  }

  /**
   * {@code wait}: a warm agent asks for its stream. A claimed machine is answered its pipeline at once; an idle one
   * is held until a start claims it ({@link #claimed}, on this node) or {@link #waitSeconds} pass (then null: 204,
   * call again). Each wait is the machine's heartbeat. The waiter is registered before the machine is read, so a
   * claim committed in between is never missed.
   */
  public Future<Pipeline> await(String machineId, String agentToken) {
    Future<Waiters.Wake> woken = waiters.register(machineId, waitSeconds() * 1000L);
    return authorisedAny(machineId, agentToken).compose(m -> {
      if (m.state() == MachineState.ASSIGNED && m.streamId() != null) {
        waiters.cancel(machineId);
        return deliver(m, agentToken);
      }
      if (m.state() != MachineState.REGISTERED || !m.idle()) {
        waiters.cancel(machineId);
        return Future.failedFuture(gone());
      }
      return machines.touch(pool, machineId).compose(v -> woken).compose(w -> {
        if (!w.woken()) {
          return Future.succeededFuture(null);
        }
        if (w.pipeline() != null) {
          // Built in the claiming transaction: handed over with no further round trip to MySQL.
          machines.pipelineSent(pool, machineId);
          return Future.succeededFuture(w.pipeline().withAgentToken(agentToken));
        }
        return machines.find(pool, machineId).compose(again -> again != null && again.state() == MachineState.ASSIGNED
          && again.streamId() != null ? deliver(again, agentToken) : Future.succeededFuture(null));
      });
    }).onFailure(err -> waiters.cancel(machineId));
  }

  /**
   * A start on this node claimed the machine: its held wait answers now, with the pipeline the claim built (its
   * agent token is the one the wait presents); null: the wait reads it from MySQL.
   */
  public void claimed(String machineId, Pipeline pipeline) {
    waiters.wake(machineId, pipeline);
  }

  /** The claimed machine's pipeline: its stream must still count on it (STARTING, this machine). */
  private Future<Pipeline> deliver(Machine claimed, String agentToken) {
    return Transactions.inAccount(pool, claimed.accountId(), conn -> machines.lock(conn, claimed.id())
        .compose(m -> streams.lock(conn, m.streamId()).compose(s -> {
          if (s == null || !m.id().equals(s.machineId()) || s.state() != StreamState.STARTING
            || m.state() != MachineState.ASSIGNED) {
            return Future.failedFuture(gone());
          }
          return pipeline(conn, m, s, agentToken);
        })))
      .compose(p -> machines.pipelineSent(pool, claimed.id()).map(p));
  }

  /**
   * What the machine runs: the stream's current configuration, ingest and CDNs (secrets decrypted, for it only).
   * {@code agentToken} may be null when the machine already holds it (a claimed warm machine).
   */
  public Future<Pipeline> pipeline(SqlConnection conn, Machine m, Stream s, String agentToken) {
    // The last run's thumbnail lived on a machine that is gone.
    return ingest.setThumbnail(conn, s.id(), null)
      .compose(v -> configs.find(conn, s.id(), s.configVersion()))
      .compose(version -> {
        StreamConfig current = version == null ? null : version.config();
        StreamConfig.Cdn choice = current == null ? StreamConfig.Cdn.DEFAULT : current.cdn();
        // The CDNs with their secrets decrypted: they travel to the agent only, never to a browser.
        return cdn.targets(conn, s.accountId(), choice).compose(targets -> ingest.find(conn, s.id())
          .map(in -> pipelines.build(m, s, in, agentToken, current, new Pipeline.Delivery(choice.mode(),
            choice.failback(), config.cdn().failoverSeconds(), config.cdn().failbackSeconds(), targets))));
      });
  }

  /** Walks the machine forward to {@code last} whatever launch step it was recorded at, and swaps the tokens. */
  private Future<Void> register(SqlConnection conn, Machine m, String agentToken, MachineState last) {
    Future<Void> chain = machines.register(conn, m.id(), Ids.sha256(agentToken));
    List<MachineState> steps = List.of(MachineState.PENDING, MachineState.RUNNING, MachineState.REGISTERED,
      MachineState.ASSIGNED);
    for (MachineState next : steps.subList(0, steps.indexOf(last) + 1)) {
      chain = chain.compose(v -> machines.lock(conn, m.id())).compose(cur -> machines.move(conn, cur, next, null))
        .mapEmpty();
    }
    return chain;
  }

  /** {@code status}: READY, LIVE, INPUT_LOST or FAILED moves the stream (FAILED also ends the machine). */
  public Future<Void> status(String machineId, String agentToken, String state, String previewUrl, String ingestUrl,
                             String reason, String playbackUrl, String activeCdn, String dashPlaybackUrl) {
    return authorised(machineId, agentToken).compose(m -> Transactions.inAccount(pool, m.accountId(), conn ->
      streams.lock(conn, m.streamId()).compose(s -> {
        if (s == null || !m.id().equals(s.machineId())) {
          return Future.failedFuture(gone());
        }
        JsonObject detail = new JsonObject().put("previewUrl", previewUrl != null ? previewUrl : s.previewUrl())
          .put("ingestUrl", ingestUrl != null ? ingestUrl : s.ingestUrl());
        Future<Void> urls = streams.setUrls(conn, s.id(), previewUrl, ingestUrl);
        if (playbackUrl != null) {
          // What viewers use: the stream on the CDN the agent delivers to now.
          detail.put("playbackUrl", playbackUrl).put("dashPlaybackUrl", dashPlaybackUrl).put("activeCdn", activeCdn);
          urls = urls.compose(v -> streams.setPlayback(conn, s.id(), activeCdn, playbackUrl, dashPlaybackUrl));
        }
        return switch (state == null ? "" : state) {
          case "READY" -> urls.compose(v -> transitions.move(conn, s, StreamState.READY, null, detail)).mapEmpty();
          case "LIVE" -> urls.compose(v -> transitions.move(conn, s, StreamState.LIVE, null, detail)).mapEmpty();
          case "INPUT_LOST" -> transitions.move(conn, s, StreamState.READY,
            "the input stopped; waiting for the encoder to reconnect", detail).mapEmpty();
          case "FAILED" -> transitions.move(conn, s, StreamState.FAILED, failure(reason), null)
            .compose(v -> Job.of(Job.MACHINE_TERMINATE, m.accountId(), m.id(), m.generation()).enqueue(conn));
          default -> Future.failedFuture(ApiException.badRequest("invalid_state",
            "state must be READY, LIVE, INPUT_LOST or FAILED", "state"));
        };
      })))
      .onSuccess(v -> wakeRelay());
  }

  /**
   * {@code heartbeat}: records the progress, stores a throttled {@code stream.health} event, and answers with
   * the stream keys valid now, so a rotation reaches a running machine within a heartbeat. Written together with
   * the other heartbeats arriving meanwhile ({@link Heartbeats}).
   */
  public Future<JsonObject> heartbeat(String machineId, String agentToken, JsonObject progress) {
    return heartbeats.beat(machineId, agentToken, progress).map(view -> {
      HEARTBEATS.increment();
      return new JsonObject().put("streamKeys", new JsonArray(Pipelines.streamKeys(view.streamKey(),
        view.previousKey(), view.previousKeyUntil()).stream().map(JsonObject::mapFrom).toList()));
    });
  }

  /** {@code thumbnail}: its stable URL is kept on the stream and announced as a {@code stream.thumbnail} event. */
  public Future<Void> thumbnail(String machineId, String agentToken, String url, int version) {
    return authorised(machineId, agentToken).compose(m -> Transactions.inAccount(pool, m.accountId(), conn ->
      streams.lock(conn, m.streamId()).compose(s -> {
        if (s == null || !m.id().equals(s.machineId()) || !s.state().isActive()) {
          return Future.failedFuture(gone());
        }
        return ingest.setThumbnail(conn, s.id(), url)
          .compose(v -> EventLog.append(conn, m.accountId(), EventTypes.STREAM_THUMBNAIL, s.id(),
            new JsonObject().put("thumbnailUrl", url).put("version", version)
              // The URL is stable; a browser appends the version to fetch the new picture past its cache.
              .put("detail", new JsonObject().put("imageUrl", url + "?v=" + version))))
          .<Void>mapEmpty();
      })))
      .onSuccess(v -> wakeRelay());
  }

  /**
   * {@code cdn}: the agent switched CDNs (a failover, or back). The stream's active CDN and playback URL follow, and
   * a {@code stream.cdn} event {@code {active, previous, reason}} tells the account's browsers.
   */
  public Future<Void> cdnSwitch(String machineId, String agentToken, String active, String activeName, String previous,
                                String reason, String playbackUrl, String dashPlaybackUrl) {
    return authorised(machineId, agentToken).compose(m -> Transactions.inAccount(pool, m.accountId(), conn ->
      streams.lock(conn, m.streamId()).compose(s -> {
        if (s == null || !m.id().equals(s.machineId()) || !s.state().isActive()) {
          return Future.failedFuture(gone());
        }
        return streams.setPlayback(conn, s.id(), active, playbackUrl, dashPlaybackUrl)
          .compose(v -> EventLog.append(conn, m.accountId(), EventTypes.STREAM_CDN, s.id(), new JsonObject()
            .put("active", active).put("previous", previous).put("reason", reason)
            .put("detail", new JsonObject().put("playbackUrl", playbackUrl).put("dashPlaybackUrl", dashPlaybackUrl)
              .put("activeName", activeName)
              .put("reason", reason))))
          .<Void>mapEmpty();
      })))
      .onSuccess(v -> {
        CDN_SWITCHES.increment();
        wakeRelay();
      });
  }

  /** The machine whose agent token the call carries, whatever its state. */
  private Future<Machine> authorisedAny(String machineId, String agentToken) {
    return machines.find(pool, machineId).map(m -> {
      if (m == null || agentToken == null || m.agentTokenHash() == null
        || !Ids.sameHash(m.agentTokenHash(), Ids.sha256(agentToken))) {
        throw ApiException.unauthorized("unknown machine or agent token");
      }
      return m;
    });
  }

  /** The machine whose agent token the call carries, if it is still one the system counts on. */
  private Future<Machine> authorised(String machineId, String agentToken) {
    return machines.find(pool, machineId).map(m -> checkToken(m, agentToken));
  }

  /** The machine, if this token is its agent's and it is still ASSIGNED to its stream; else 401 or 410. */
  static Machine checkToken(Machine m, String agentToken) {
    if (m == null || agentToken == null || !Ids.sameHash(m.agentTokenHash(), Ids.sha256(agentToken))) {
      throw ApiException.unauthorized("unknown machine or agent token");
    }
    if (m.state() != MachineState.ASSIGNED) {
      throw gone();
    }
    return m;
  }

  private static String failure(String reason) {
    return reason == null || reason.isBlank() ? "the transcoder failed" : reason;
  }

  static ApiException gone() {
    return new ApiException(410, "machine_not_wanted", "this machine is no longer wanted; shut down", null, null);
  }

  private void wakeRelay() {
    vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null);
  }
}
