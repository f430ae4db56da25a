package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One transcoder machine's agent, as docs/agent-protocol.md describes it: calls home, serves HLS, and wires the
 * parts that do the work — the {@link FfmpegSupervisor} (ffmpeg and the input), the {@link HomeReporter}
 * (status, heartbeats, fencing) and the {@link HealthSampler}. It ends itself (see {@link #terminated()}) when
 * ffmpeg fails, when the server answers 410, or when the server has been unreachable so long that the machine
 * must assume it is no longer wanted. All state is touched only on this verticle's context.
 */
public final class AgentVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AgentVerticle.class);

  static final long HELLO_RETRY_MS = 2_000;
  static final long HELLO_GIVE_UP_MS = 30_000;

  private final AgentOptions options;
  private final Promise<Integer> terminated = Promise.promise();

  private WebClient web;
  private HomeClient home;
  private Path hlsDir;
  private Pipeline pipeline;
  private HttpServer hlsServer;
  private AgentIngest ingest;
  private Thumbnails thumbnails;
  private FfmpegSupervisor ffmpeg;
  private HomeReporter reporter;
  private HealthSampler health;
  private DeliveryManager delivery;
  private long thumbnailTimer = -1;
  private long sampleTimer = -1;
  private boolean stopping;
  private boolean finishing;

  public AgentVerticle(AgentOptions options) {
    this.options = options;
  }

  /** Completes with the process exit code once the agent has decided to end and ffmpeg is gone. */
  public Future<Integer> terminated() {
    return terminated.future();
  }

  @Override
  public Future<?> start() {
    web = WebClient.create(vertx, new WebClientOptions().setUserAgent("ltm-agent"));
    home = new HomeClient(web, options.serverUrl(), options.machineId());
    hlsDir = options.workDir().toAbsolutePath().resolve("hls");
    thumbnails = new Thumbnails(vertx, options.workDir().toAbsolutePath().resolve("thumb.jpg"));
    // The DASH muxer, unlike HLS, does not create its folder; an unused empty one costs nothing.
    return vertx.fileSystem().mkdirs(hlsDir.resolve(FfmpegCommand.DASH_DIR).toString())
      .compose(v -> helloWithRetry(System.nanoTime()))
      .compose(received -> {
        // A cloud machine knows its own public address (the image's start script asks the instance metadata);
        // the server's advertisedHost only fits machines on its own host.
        pipeline = options.advertisedHost() == null ? received : received.withAdvertisedHost(options.advertisedHost());
        return HlsServer.start(vertx, hlsDir, thumbnails::current);
      })
      .compose(server -> {
        hlsServer = server;
        return AgentIngest.start(vertx, pipeline.input());
      })
      .compose(started -> {
        ingest = started;
        ffmpeg = new FfmpegSupervisor(vertx, context, pipeline, hlsDir, ingest, thumbnails.file(),
          (state, reason) -> report(state, reason), this::fail);
        delivery = new DeliveryManager(vertx, context, pipeline, hlsDir, previewUrl(), this::cdnSwitched);
        health = new HealthSampler(vertx, pipeline, hlsDir, ingest, ffmpeg, delivery::health);
        reporter = new HomeReporter(vertx, home, pipeline, health::current,
          answer -> ingest.adoptKeys(answer), this::finish);
        // A CDN that refuses our credentials fails the start with its reason, before any encoding.
        return delivery.start().recover(err -> {
          fail(err.getMessage());
          return Future.failedFuture(err);
        });
      })
      .compose(v -> ffmpeg.start())
      .onSuccess(v -> {
        reporter.startHeartbeats();
        sampleTimer = vertx.setPeriodic(reporter.heartbeatMs(), id -> health.sample());
        thumbnailTimer = vertx.setPeriodic(Math.max(1, pipeline.watch().thumbnailSeconds()) * 1000L,
          id -> pollThumbnail());
        report("READY", null);
        LOG.info("agent {} ready, preview {}", options.machineId(), previewUrl());
      });
  }

  @Override
  public Future<?> stop() {
    return shutdown().eventually(() -> web == null ? Future.succeededFuture() : closeWebClient());
  }

  /** Only connection trouble is worth retrying: a refused token stays refused. */
  private Future<Pipeline> helloWithRetry(long sinceNanos) {
    return home.hello(options.bootstrapToken()).recover(err -> {
      boolean hopeless = err instanceof HomeClient.RefusedException || err instanceof IllegalStateException;
      if (hopeless || System.nanoTime() - sinceNanos > TimeUnit.MILLISECONDS.toNanos(HELLO_GIVE_UP_MS)) {
        return Future.failedFuture(err);
      }
      LOG.warn("hello to {} failed ({}); retrying", options.serverUrl(), err.toString());
      Promise<Pipeline> retry = Promise.promise();
      vertx.setTimer(HELLO_RETRY_MS, id -> helloWithRetry(sinceNanos).onComplete(retry));
      return retry.future();
    });
  }

  private void fail(String reason) {
    LOG.error("stream failed: {}", reason);
    report("FAILED", reason).onComplete(ar -> finish(1));
  }

  /** A new thumbnail is announced to the server, which records a {@code stream.thumbnail} event. */
  private void pollThumbnail() {
    if (stopping) {
      return;
    }
    thumbnails.poll().onSuccess(changed -> {
      if (changed && !stopping) {
        reporter.announceThumbnail(new JsonObject().put("thumbnailUrl", thumbnailUrl())
          .put("version", thumbnails.version()));
      }
    });
  }

  /** The active CDN changed: the server records it, switches playbackUrl and tells the browsers. */
  private void cdnSwitched(DeliveryManager.Switch s) {
    reporter.announceCdn(new JsonObject().put("active", s.active()).put("activeName", s.activeName())
      .put("previous", s.previous()).put("reason", s.reason()).put("playbackUrl", s.playbackUrl())
      .put("dashPlaybackUrl", s.dashPlaybackUrl()));
  }

  private Future<Void> report(String state, String reason) {
    JsonObject body = new JsonObject().put("state", state).put("previewUrl", previewUrl());
    if (delivery != null && !"FAILED".equals(state)) {
      body.put("playbackUrl", delivery.playbackUrl()).put("dashPlaybackUrl", delivery.dashPlaybackUrl())
        .put("activeCdn", delivery.activeId());
    }
    if (ingest.listens()) {
      body.put("ingestUrl", ingest.ingestUrl(pipeline.advertisedHost()));
    }
    if (reason != null) {
      body.put("reason", reason);
    }
    return reporter.report(body);
  }

  private void finish(int exitCode) {
    if (finishing) {
      return;
    }
    finishing = true;
    shutdown().onComplete(ar -> terminated.tryComplete(exitCode));
  }

  private Future<?> shutdown() {
    stopping = true;
    for (long timer : new long[] {thumbnailTimer, sampleTimer}) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
    if (reporter != null) {
      reporter.stop();
    }
    // Deliveries first: an RTMP push that sees its ffmpeg end now knows it was asked to.
    Future<?> deliveryGone = delivery == null ? Future.succeededFuture() : delivery.stop();
    Future<?> encoderGone = ffmpeg == null ? Future.succeededFuture() : ffmpeg.stop();
    Future<?> ffmpegGone = Future.all(deliveryGone, encoderGone);
    return ingest == null ? ffmpegGone : ffmpegGone.eventually(() -> ingest.close());
  }

  private Future<Void> closeWebClient() {
    web.close();
    return Future.succeededFuture();
  }

  String previewUrl() {
    return "http://" + pipeline.advertisedHost() + ":" + hlsServer.actualPort() + "/hls/"
      + FfmpegCommand.MASTER_PLAYLIST;
  }

  String thumbnailUrl() {
    return "http://" + pipeline.advertisedHost() + ":" + hlsServer.actualPort() + "/" + HlsServer.THUMBNAIL;
  }
}
