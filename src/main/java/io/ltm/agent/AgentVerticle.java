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
  private Standby standby;
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
      .compose(v -> options.resume() ? resumed() : helloWithRetry(System.nanoTime()))
      .compose(this::pipelineOf)
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

  /**
   * The pipeline hello answered, or, for a warm machine, the one a start hands it later: the agent waits on
   * standby, ready, until then (ffmpeg is not started before it knows its stream).
   */
  private Future<Pipeline> pipelineOf(HomeClient.Hello hello) {
    if (hello.pipeline() != null) {
      return Future.succeededFuture(hello.pipeline());
    }
    LOG.info("agent {} on standby in its pool", options.machineId());
    // What runs once a stream comes is loaded now, while nothing waits for it.
    vertx.executeBlocking(() -> {
      for (Class<?> c : new Class<?>[] {FfmpegSupervisor.class, FfmpegCommand.class, HlsServer.class,
        AgentIngest.class, DeliveryManager.class, HealthSampler.class, HomeReporter.class, Thumbnails.class}) {
        Class.forName(c.getName(), true, c.getClassLoader());
      }
      return null;
    }, false);
    standby = new Standby(vertx, home, hello.standby());
    return keepStandby(hello.standby()).transform(ar -> standby.pipeline())
      .compose(p -> vertx.fileSystem().delete(options.workDir().resolve(AgentOptions.STANDBY_FILE).toString())
        .transform(ar -> Future.succeededFuture(p)))
      .onSuccess(p -> LOG.info("agent {} claimed for stream {}", options.machineId(), p.streamId()));
  }

  /**
   * A warm machine of a stopped tier, started again: it said hello before it was stopped, so it waits for its
   * pipeline at once, with the terms it kept.
   */
  private Future<HomeClient.Hello> resumed() {
    return vertx.fileSystem().readFile(options.workDir().resolve(AgentOptions.STANDBY_FILE).toString())
      .map(buffer -> {
        java.util.Properties kept = new java.util.Properties();
        try {
          kept.load(new java.io.StringReader(buffer.toString()));
        } catch (java.io.IOException e) {
          throw new IllegalStateException("unreadable " + AgentOptions.STANDBY_FILE, e);
        }
        return new HomeClient.Hello(null, new Standby.Terms(options.bootstrapToken(),
          Integer.parseInt(kept.getProperty("LTM_WAIT_SECONDS", "2")),
          Integer.parseInt(kept.getProperty("LTM_HEARTBEAT_SECONDS", "2")),
          Integer.parseInt(kept.getProperty("LTM_FENCE_MIN_SECONDS", "30"))));
      })
      .onSuccess(h -> LOG.info("agent {} resumed: waiting for its stream", options.machineId()));
  }

  /**
   * What a warm agent needs to wait again if its machine is stopped and started (EC2's stopped tier): the start
   * script reads it (it is not the bootstrap token, which is spent); readable by the agent's user only, and gone
   * once a stream has claimed the machine.
   */
  private Future<Void> keepStandby(Standby.Terms terms) {
    String file = options.workDir().resolve(AgentOptions.STANDBY_FILE).toString();
    String text = "LTM_MACHINE_ID=" + options.machineId() + "\nLTM_SERVER_URL=" + options.serverUrl()
      + "\nLTM_AGENT_TOKEN=" + terms.agentToken() + "\nLTM_WAIT_SECONDS=" + terms.waitSeconds()
      + "\nLTM_HEARTBEAT_SECONDS=" + terms.heartbeatSeconds() + "\nLTM_FENCE_MIN_SECONDS=" + terms.fenceMinSeconds()
      + "\n";
    return vertx.fileSystem().createFile(file + ".new", "rw-------")
      .recover(err -> Future.succeededFuture())
      .compose(v -> vertx.fileSystem().writeFile(file + ".new", io.vertx.core.buffer.Buffer.buffer(text)))
      .compose(v -> vertx.fileSystem().move(file + ".new", file,
        new io.vertx.core.file.CopyOptions().setReplaceExisting(true)))
      .onFailure(err -> LOG.warn("standby terms not kept ({}): a stop would end this machine", err.toString()));
  }

  /** Only connection trouble is worth retrying: a refused token stays refused. */
  private Future<HomeClient.Hello> helloWithRetry(long sinceNanos) {
    return home.hello(options.bootstrapToken()).recover(err -> {
      boolean hopeless = err instanceof HomeClient.RefusedException || err instanceof IllegalStateException;
      if (hopeless || System.nanoTime() - sinceNanos > TimeUnit.MILLISECONDS.toNanos(HELLO_GIVE_UP_MS)) {
        return Future.failedFuture(err);
      }
      LOG.warn("hello to {} failed ({}); retrying", options.serverUrl(), err.toString());
      Promise<HomeClient.Hello> retry = Promise.promise();
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
    if (standby != null) {
      standby.stop();
    }
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
