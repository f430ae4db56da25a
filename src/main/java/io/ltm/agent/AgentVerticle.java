package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.file.FileSystem;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One transcoder machine's agent, as docs/agent-protocol.md describes it: calls home, serves HLS, runs one
 * ffmpeg and reports on it. It ends itself (see {@link #terminated()}) when ffmpeg fails, when the server
 * answers 410, or when the server has been unreachable so long that the machine must assume it is no longer
 * wanted. All state is touched only on this verticle's context.
 */
public final class AgentVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AgentVerticle.class);

  static final long HELLO_RETRY_MS = 2_000;
  static final long HELLO_GIVE_UP_MS = 30_000;
  static final long LIVE_CHECK_MS = 1_000;
  static final long MIN_FENCE_MS = 30_000;

  private final AgentOptions options;
  private final long minFenceMs;
  private final Promise<Integer> terminated = Promise.promise();
  private final FfmpegProgress.Parser progressParser = new FfmpegProgress.Parser();

  private WebClient web;
  private HomeClient home;
  private Path hlsDir;
  private Pipeline pipeline;
  private HttpServer hlsServer;
  private int rtmpPort;
  private FfmpegProcess ffmpeg;
  private long ffmpegStartedAtMs;
  private FfmpegProgress progress = FfmpegProgress.NONE;
  private String lastError;
  private boolean live;
  private boolean checkingLive;
  private boolean stopping;
  private boolean finishing;
  private long lastContactNanos;
  private final List<Long> timers = new ArrayList<>();
  private Future<Void> statusChain = Future.succeededFuture();

  public AgentVerticle(AgentOptions options) {
    this(options, MIN_FENCE_MS);
  }

  /** Tests shorten the fencing floor; production keeps the documented 30 s. */
  AgentVerticle(AgentOptions options, long minFenceMs) {
    this.options = options;
    this.minFenceMs = minFenceMs;
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
    // The DASH muxer, unlike HLS, does not create its folder; an unused empty one costs nothing.
    return vertx.fileSystem().mkdirs(hlsDir.resolve(FfmpegCommand.DASH_DIR).toString())
      .compose(v -> helloWithRetry(System.nanoTime()))
      .compose(received -> {
        pipeline = received;
        lastContactNanos = System.nanoTime();
        return HlsServer.start(vertx, hlsDir);
      })
      .compose(server -> {
        hlsServer = server;
        return pickRtmpPort();
      })
      .compose(port -> {
        rtmpPort = port;
        return startFfmpeg();
      })
      .onSuccess(v -> {
        timers.add(vertx.setPeriodic(heartbeatMs(), id -> heartbeat()));
        timers.add(vertx.setPeriodic(LIVE_CHECK_MS, id -> checkLive()));
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

  private Future<Integer> pickRtmpPort() {
    if (!isRtmp()) {
      return Future.succeededFuture(0);
    }
    // Binding is quick but still a syscall on a socket: keep it off the event loop with the rest of the I/O.
    return vertx.executeBlocking(() -> {
      try (ServerSocket socket = new ServerSocket(0)) {
        return socket.getLocalPort();
      }
    });
  }

  private Future<Void> startFfmpeg() {
    List<String> command = FfmpegCommand.build(pipeline, hlsDir, rtmpPort);
    LOG.info("starting {}", String.join(" ", command));
    long startedAt = System.currentTimeMillis();
    return FfmpegProcess.start(vertx, context, command, this::onProgressLine, this::onErrorLine).map(process -> {
      ffmpeg = process;
      if (stopping) {
        // stop() arrived while the fork was under way: this ffmpeg must not outlive the agent.
        process.stop();
        return null;
      }
      ffmpegStartedAtMs = startedAt;
      live = false;
      lastError = null;
      process.exit().onSuccess(code -> onFfmpegExit(process, code));
      return null;
    });
  }

  private void onProgressLine(String line) {
    progressParser.accept(line).ifPresent(p -> progress = p);
  }

  private void onErrorLine(String line) {
    if (!line.isBlank()) {
      lastError = line.trim();
      LOG.warn("ffmpeg: {}", lastError);
    }
  }

  private void onFfmpegExit(FfmpegProcess process, int code) {
    if (stopping || process != ffmpeg) {
      return;
    }
    if (isRtmp() && code == 0) {
      // The publisher hung up cleanly (ffmpeg ends with 0 then): not a failure, wait for it to come back.
      LOG.info("publisher left; listening again on port {}", rtmpPort);
      live = false;
      report("INPUT_LOST", null);
      startFfmpeg().onFailure(err -> fail("ffmpeg could not be restarted: " + err.getMessage()));
      return;
    }
    fail("ffmpeg exited with code " + code + (lastError == null ? "" : ": " + lastError));
  }

  private void fail(String reason) {
    LOG.error("stream failed: {}", reason);
    report("FAILED", reason).onComplete(ar -> finish(1));
  }

  /** LIVE once the master playlist exists and every rendition playlist written by this ffmpeg has a segment. */
  private void checkLive() {
    if (live || checkingLive || stopping || ffmpeg == null) {
      return;
    }
    checkingLive = true;
    long since = ffmpegStartedAtMs;
    FileSystem fs = vertx.fileSystem();
    List<Future<Boolean>> checks = new ArrayList<>();
    checks.add(fs.exists(hlsDir.resolve(FfmpegCommand.MASTER_PLAYLIST).toString()));
    pipeline.renditions().forEach(r -> checks.add(
      hasFreshSegment(fs, hlsDir.resolve(r.name()).resolve(FfmpegCommand.RENDITION_PLAYLIST), since)));
    Future.all(checks).onComplete(ar -> {
      checkingLive = false;
      boolean ready = ar.succeeded() && checks.stream().allMatch(Future::result);
      if (ready && !live && !stopping && since == ffmpegStartedAtMs) {
        live = true;
        report("LIVE", null);
      }
    });
  }

  /** A playlist left over from before a restart does not count: it must be newer than the running ffmpeg. */
  private static Future<Boolean> hasFreshSegment(FileSystem fs, Path playlist, long sinceMs) {
    return fs.props(playlist.toString())
      .compose(props -> props.lastModifiedTime() < sinceMs
        ? Future.succeededFuture(false)
        : fs.readFile(playlist.toString()).map(content -> content.toString().contains("#EXTINF")))
      .otherwise(false);
  }

  private void heartbeat() {
    home.heartbeat(pipeline.agentToken(), progress).onComplete(ar -> {
      if (ar.succeeded() || ar.cause() instanceof HomeClient.RefusedException) {
        lastContactNanos = System.nanoTime();
        if (ar.succeeded() && ar.result() == HomeClient.Reply.GONE) {
          LOG.info("server no longer wants machine {}; stopping", options.machineId());
          finish(0);
        } else if (ar.failed()) {
          LOG.warn("heartbeat refused: {}", ar.cause().getMessage());
        }
        return;
      }
      long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContactNanos);
      LOG.warn("heartbeat failed ({}), server silent for {} ms", ar.cause().toString(), silentMs);
      if (silentMs >= fenceAfterMs()) {
        // A machine that cannot reach home may already be replaced: stop rather than run a second copy.
        LOG.error("server unreachable for {} ms; stopping ffmpeg and exiting", silentMs);
        finish(1);
      }
    });
  }

  /** Status reports go out one at a time so the server sees READY before LIVE, whatever the network does. */
  private Future<Void> report(String state, String reason) {
    JsonObject body = new JsonObject().put("state", state).put("previewUrl", previewUrl());
    if (isRtmp()) {
      body.put("ingestUrl", ingestUrl());
    }
    if (reason != null) {
      body.put("reason", reason);
    }
    statusChain = statusChain.transform(previous -> sendStatus(body));
    return statusChain;
  }

  private Future<Void> sendStatus(JsonObject body) {
    return home.status(pipeline.agentToken(), body).transform(ar -> {
      if (ar.succeeded()) {
        lastContactNanos = System.nanoTime();
        if (ar.result() == HomeClient.Reply.GONE) {
          finish(0);
        }
        return Future.succeededFuture();
      }
      if (stopping || ar.cause() instanceof HomeClient.RefusedException) {
        LOG.warn("status {} not delivered: {}", body.getString("state"), ar.cause().getMessage());
        return Future.succeededFuture();
      }
      // Unreachable: keep trying; fencing (heartbeat) ends the agent if this lasts.
      Promise<Void> retry = Promise.promise();
      vertx.setTimer(heartbeatMs(), id -> sendStatus(body).onComplete(retry));
      return retry.future();
    });
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
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    return ffmpeg == null ? Future.succeededFuture() : ffmpeg.stop();
  }

  private Future<Void> closeWebClient() {
    web.close();
    return Future.succeededFuture();
  }

  private boolean isRtmp() {
    return Pipeline.Input.RTMP.equals(pipeline.input().kind());
  }

  private long heartbeatMs() {
    return Math.max(1, pipeline.heartbeatSeconds()) * 1000L;
  }

  private long fenceAfterMs() {
    return Math.max(minFenceMs, 10 * heartbeatMs());
  }

  String previewUrl() {
    return "http://" + pipeline.advertisedHost() + ":" + hlsServer.actualPort() + "/hls/"
      + FfmpegCommand.MASTER_PLAYLIST;
  }

  String ingestUrl() {
    return "rtmp://" + pipeline.advertisedHost() + ":" + rtmpPort + FfmpegCommand.ingestPath(pipeline.input().streamKey());
  }
}
