package io.ltm.cloud;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.agent.Pipeline;
import io.ltm.cloud.domain.MachineState;
import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.ltm.config.LtmConfig;
import io.ltm.db.Transactions;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.ingest.IngestRepository;
import io.ltm.http.Endpoint;
import io.ltm.jobs.Job;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamConfigJson;
import io.ltm.stream.StreamConfigRepository;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.domain.Rendition;
import io.ltm.stream.domain.StreamConfig;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.ZoneOffset;
import java.util.List;

/**
 * The server's side of docs/agent-protocol.md: an agent calls home with its one-time bootstrap token, gets its
 * pipeline, then reports its stream's progress. A report from a machine its stream no longer counts on gets
 * 410, which tells the agent to shut down.
 */
public class AgentCallsEndpoint {
  private static final String HEARTBEAT = "UPDATE machines SET last_heartbeat_at = CURRENT_TIMESTAMP(3), progress = ? "
    + "WHERE id = ?";
  /**
   * Claims the right to store a {@code stream.health} event: at most one per machine every healthEventSeconds,
   * so the per-account event log grows with time, not with the heartbeat rate.
   */
  private static final String CLAIM_HEALTH = "UPDATE machines SET last_health_at = CURRENT_TIMESTAMP(3) WHERE id = ? "
    + "AND (last_health_at IS NULL OR last_health_at <= CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)";

  private final Vertx vertx;
  private final Pool pool;
  private final LtmConfig config;
  private final MachineRepository machines;
  private final StreamRepository streams;
  private final StreamTransitions transitions;
  private final IngestRepository ingest = new IngestRepository();
  private final StreamConfigRepository configs;

  public AgentCallsEndpoint(Vertx vertx, Pool pool, LtmConfig config, MachineRepository machines,
                            StreamRepository streams, StreamTransitions transitions, StreamConfigRepository configs) {
    this.configs = configs;
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.machines = machines;
    this.streams = streams;
    this.transitions = transitions;
  }

  public void addRoutes(Router router) {
    String base = "/internal/agents/:machineId/";
    router.post(base + "*").handler(BodyHandler.create().setBodyLimit(16 * 1024));
    router.post(base + "hello").handler(this::hello);
    router.post(base + "status").handler(this::status);
    router.post(base + "heartbeat").handler(this::heartbeat);
    router.post(base + "thumbnail").handler(this::thumbnail);
  }

  private void hello(RoutingContext ctx) {
    String token = ApiKeyAuthHandler.bearer(ctx.request().getHeader("Authorization"));
    String machineId = ctx.pathParam("machineId");
    String agentToken = Ids.random(40);
    // A machine never changes account: read unlocked, it names the account row to lock first.
    Future<String> account = machines.find(pool, machineId).compose(found -> found == null
      ? Future.failedFuture(ApiException.unauthorized("unknown machine or bootstrap token already used"))
      : Future.succeededFuture(found.accountId()));
    Endpoint.respond(ctx, 200, account.compose(accountId -> Transactions.inAccount(pool, accountId, conn -> machines.lock(conn, machineId).compose(m -> {
      if (m == null || m.bootstrapToken() == null || token == null || !Ids.sameHash(m.bootstrapToken(), token)) {
        return Future.failedFuture(ApiException.unauthorized("unknown machine or bootstrap token already used"));
      }
      return streams.lock(conn, m.streamId()).compose(s -> {
        boolean wanted = s != null && s.generation() == m.generation()
          && (s.state() == StreamState.PROVISIONING || s.state() == StreamState.STARTING);
        if (!wanted) {
          return Job.of(Job.MACHINE_TERMINATE, m.accountId(), m.id(), m.generation()).enqueue(conn)
            .compose(v -> Future.failedFuture(gone()));
        }
        return register(conn, m, agentToken)
          .compose(v -> s.state() == StreamState.PROVISIONING
            ? streams.setMachine(conn, s.id(), m.id()).compose(x -> transitions.move(conn, s, StreamState.STARTING, null,
              new JsonObject().put("machineId", m.id()))).mapEmpty()
            : Future.succeededFuture())
          // The last run's thumbnail lived on a machine that is gone.
          .compose(v -> ingest.setThumbnail(conn, s.id(), null))
          .compose(v -> configs.find(conn, s.id(), s.configVersion()))
          .compose(version -> ingest.find(conn, s.id())
            .map(in -> pipeline(m, s, in, agentToken, version == null ? null : version.config())));
      });
    }))).onSuccess(v -> wakeRelay()).map(JsonObject::mapFrom));
  }

  /** Walks the machine forward to ASSIGNED whatever launch step it was recorded at, and swaps the tokens. */
  private Future<Void> register(SqlConnection conn, Machine m, String agentToken) {
    Future<Void> chain = conn.preparedQuery("UPDATE machines SET bootstrap_token = NULL, agent_token_hash = ?, "
      + "last_heartbeat_at = CURRENT_TIMESTAMP(3) WHERE id = ?").execute(Tuple.of(Ids.sha256(agentToken), m.id())).mapEmpty();
    for (MachineState next : List.of(MachineState.PENDING, MachineState.RUNNING, MachineState.REGISTERED, MachineState.ASSIGNED)) {
      chain = chain.compose(v -> machines.lock(conn, m.id())).compose(cur -> machines.move(conn, cur, next, null)).mapEmpty();
    }
    return chain;
  }

  /** The stream's current configuration version, exactly (its ladder and its outputs), and its ingest. */
  private Pipeline pipeline(Machine m, Stream s, IngestRepository.Ingest in, String agentToken, StreamConfig current) {
    StreamConfig streamConfig = current != null ? current
      : new StreamConfig(null, StreamConfigJson.ladder(s.renditions()), StreamConfig.Outputs.DEFAULT).withDefaults();
    List<Rendition> ladder = streamConfig.renditions();
    StreamConfig.Outputs outputs = streamConfig.outputs();
    StreamConfig.Restream restream = outputs.restream();
    return new Pipeline(m.id(), s.id(), agentToken, config.cloud().heartbeatSeconds(),
      new Pipeline.Input(s.inputKind(), s.streamKey(), in.pullUrl(), in.srtPassphrase(), in.allowCidrs(),
        streamKeys(in)), ladder,
      new Pipeline.Hls(outputs.hls().segmentSeconds(), outputs.hls().windowSegments(), outputs.hls().segmentType()),
      config.cloud().x264Preset(), config.cloud().advertisedHost(), outputs.dash(),
      restream == null ? null : new Pipeline.Restream(restream.rendition(), restream.url()),
      new Pipeline.Watch(config.agent().thumbnailSeconds(), in.reconnectWindowSeconds() != null
        ? in.reconnectWindowSeconds() : config.agent().reconnectWindowSeconds(),
        config.agent().fenceMinSeconds()));
  }

  /** The keys a publisher may use now: the current one, and a rotated-out one until its grace period ends. */
  private static List<Pipeline.StreamKey> streamKeys(IngestRepository.Ingest in) {
    if (in.previousKey() == null) {
      return List.of(new Pipeline.StreamKey(in.streamKey(), 0));
    }
    return List.of(new Pipeline.StreamKey(in.streamKey(), 0), new Pipeline.StreamKey(in.previousKey(),
      in.previousKeyUntil().toInstant(ZoneOffset.UTC).toEpochMilli()));
  }

  private void status(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String state = body == null ? null : body.getString("state");
    Endpoint.respond(ctx, 200, authorised(ctx).compose(m -> Transactions.inAccount(pool, m.accountId(), conn -> streams.lock(conn, m.streamId()).compose(s -> {
      if (s == null || !m.id().equals(s.machineId())) {
        return Future.failedFuture(gone());
      }
      String preview = body.getString("previewUrl");
      String ingest = body.getString("ingestUrl");
      JsonObject detail = new JsonObject().put("previewUrl", preview != null ? preview : s.previewUrl())
        .put("ingestUrl", ingest != null ? ingest : s.ingestUrl());
      Future<Void> urls = streams.setUrls(conn, s.id(), preview, ingest);
      return switch (state == null ? "" : state) {
        case "READY" -> urls.compose(v -> transitions.move(conn, s, StreamState.READY, null, detail)).mapEmpty();
        case "LIVE" -> urls.compose(v -> transitions.move(conn, s, StreamState.LIVE, null, detail)).mapEmpty();
        case "INPUT_LOST" -> transitions.move(conn, s, StreamState.READY,
          "the input stopped; waiting for the encoder to reconnect", detail).mapEmpty();
        case "FAILED" -> transitions.move(conn, s, StreamState.FAILED, failure(body.getString("reason")), null)
          .compose(v -> Job.of(Job.MACHINE_TERMINATE, m.accountId(), m.id(), m.generation()).enqueue(conn));
        default -> Future.failedFuture(ApiException.badRequest("invalid_state",
          "state must be READY, LIVE, INPUT_LOST or FAILED", "state"));
      };
    }))).onSuccess(v -> wakeRelay()).map(v -> (JsonObject) null));
  }

  /**
   * Records the progress, stores a throttled {@code stream.health} event, and answers with the stream keys
   * valid now, so a rotation reaches a running machine within a heartbeat.
   */
  private void heartbeat(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    JsonObject progress = body == null ? null : body.getJsonObject("progress");
    Endpoint.respond(ctx, 200, authorised(ctx).compose(m -> Transactions.inAccount(pool, m.accountId(), conn -> streams.lock(conn, m.streamId()).compose(s -> {
      if (s == null || !m.id().equals(s.machineId()) || !s.state().isActive() || s.state() == StreamState.STOPPING) {
        return Future.failedFuture(gone());
      }
      return conn.preparedQuery(HEARTBEAT).execute(Tuple.of(progress == null ? null : progress.encode(), m.id()))
        .compose(v -> progress == null ? Future.succeededFuture(false) : conn.preparedQuery(CLAIM_HEALTH)
          .execute(Tuple.of(m.id(), config.agent().healthEventSeconds())).map(r -> r.rowCount() == 1))
        .compose(claimed -> claimed
          ? EventLog.append(conn, m.accountId(), EventTypes.STREAM_HEALTH, s.id(), health(progress, s)).mapEmpty()
          : Future.<Void>succeededFuture())
        .compose(v -> ingest.find(conn, s.id()))
        .map(in -> new JsonObject().put("streamKeys", new JsonArray(streamKeys(in).stream()
          .map(JsonObject::mapFrom).toList())));
    }))).onSuccess(v -> wakeRelay()));
  }

  private static JsonObject health(JsonObject progress, Stream s) {
    JsonObject h = new JsonObject();
    for (String field : List.of("inputPresent", "inputBitrateKbps", "fps", "speed", "bitrateKbps", "frame",
      "dropFrames", "dupFrames")) {
      h.put(field, progress.getValue(field));
    }
    return new JsonObject().put("state", s.state().name()).put("health", h);
  }

  /** A new thumbnail: its stable URL is kept on the stream and announced as a {@code stream.thumbnail} event. */
  private void thumbnail(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String url = body == null ? null : body.getString("thumbnailUrl");
    if (url == null || !(url.startsWith("http://") || url.startsWith("https://")) || url.length() > 1000) {
      ctx.fail(ApiException.badRequest("invalid_field", "thumbnailUrl must be an http(s) URL", "thumbnailUrl"));
      return;
    }
    int version = body.getInteger("version", 0);
    Endpoint.respond(ctx, 200, authorised(ctx).compose(m -> Transactions.inAccount(pool, m.accountId(), conn -> streams.lock(conn, m.streamId()).compose(s -> {
      if (s == null || !m.id().equals(s.machineId()) || !s.state().isActive()) {
        return Future.failedFuture(gone());
      }
      return ingest.setThumbnail(conn, s.id(), url)
        .compose(v -> EventLog.append(conn, m.accountId(), EventTypes.STREAM_THUMBNAIL, s.id(),
          new JsonObject().put("thumbnailUrl", url).put("version", version)
            // The URL is stable; a browser appends the version to fetch the new picture past its cache.
            .put("detail", new JsonObject().put("imageUrl", url + "?v=" + version))))
        .mapEmpty();
    }))).onSuccess(v -> wakeRelay()).map(v -> (JsonObject) null));
  }

  /** The machine whose agent token the call carries, if it is still one the system counts on. */
  private Future<Machine> authorised(RoutingContext ctx) {
    String token = ApiKeyAuthHandler.bearer(ctx.request().getHeader("Authorization"));
    return machines.find(pool, ctx.pathParam("machineId")).compose(m -> {
      if (m == null || token == null || !Ids.sameHash(m.agentTokenHash(), Ids.sha256(token))) {
        return Future.failedFuture(ApiException.unauthorized("unknown machine or agent token"));
      }
      if (m.state() != MachineState.ASSIGNED) {
        return Future.failedFuture(gone());
      }
      return Future.succeededFuture(m);
    });
  }

  private static String failure(String reason) {
    return reason == null || reason.isBlank() ? "the transcoder failed" : reason;
  }

  private static ApiException gone() {
    return new ApiException(410, "machine_not_wanted", "this machine is no longer wanted; shut down", null, null);
  }

  private void wakeRelay() {
    vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null);
  }
}
