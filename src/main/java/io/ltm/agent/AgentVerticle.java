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
  /** Live input whose frames stop advancing this long is lost, even if its connection is still open. */
  static final long STALL_MS = 5_000;
  private static final String OUT_TIME = "out_time_us=";
  /** ffmpeg that exits this soon, this many times in a row, with no input and no refusal to explain it, is broken. */
  static final long QUICK_EXIT_MS = 2_000;
  static final int QUICK_EXITS_TO_FAIL = 5;
  static final long LISTEN_AGAIN_MS = 200;
  static final long PULL_RETRY_MS = 2_000;

  private final AgentOptions options;
  private final Promise<Integer> terminated = Promise.promise();
  private final FfmpegProgress.Parser progressParser = new FfmpegProgress.Parser();

  private WebClient web;
  private HomeClient home;
  private Path hlsDir;
  private Pipeline pipeline;
  private HttpServer hlsServer;
  private AgentIngest ingest;
  private Thumbnails thumbnails;
  private FfmpegProcess ffmpeg;
  private long ffmpegStartedAtMs;
  private long refusalsAtStart;
  private long bytesAtStart;
  private int quickExits;
  private FfmpegProgress progress = FfmpegProgress.NONE;
  private long lastFrameChangeNanos;
  private String lastOutTime;
  private long lastBeatBytes;
  private long lastBeatNanos;
  private String lastError;
  private boolean live;
  private boolean checkingLive;
  private boolean stopping;
  private boolean finishing;
  private long reconnectTimer = -1;
  private long lastContactNanos;
  private final List<Long> timers = new ArrayList<>();
  private Future<Void> statusChain = Future.succeededFuture();

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
        lastContactNanos = System.nanoTime();
        return HlsServer.start(vertx, hlsDir, thumbnails::current);
      })
      .compose(server -> {
        hlsServer = server;
        return AgentIngest.start(vertx, pipeline.input());
      })
      .compose(started -> {
        ingest = started;
        return startFfmpeg();
      })
      .onSuccess(v -> {
        timers.add(vertx.setPeriodic(heartbeatMs(), id -> heartbeat()));
        timers.add(vertx.setPeriodic(LIVE_CHECK_MS, id -> checkLive()));
        timers.add(vertx.setPeriodic(Math.max(1, pipeline.watch().thumbnailSeconds()) * 1000L, id -> pollThumbnail()));
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

  private Future<Void> startFfmpeg() {
    List<String> command = FfmpegCommand.build(pipeline, hlsDir, ingest.inputPort(), thumbnails.file());
    LOG.info("starting {}", redact(String.join(" ", command)));
    long startedAt = System.currentTimeMillis();
    ingest.reset();
    return FfmpegProcess.start(vertx, context, command, this::onProgressLine, this::onErrorLine).map(process -> {
      ffmpeg = process;
      if (stopping) {
        // stop() arrived while the fork was under way: this ffmpeg must not outlive the agent.
        process.stop();
        return null;
      }
      ffmpegStartedAtMs = startedAt;
      refusalsAtStart = ingest.refusals();
      bytesAtStart = ingest.bytesIn();
      live = false;
      lastError = null;
      process.exit().onSuccess(code -> onFfmpegExit(process, code));
      return null;
    });
  }

  private static String redact(String command) {
    return command.replaceAll("passphrase=[^&\\s]*", "passphrase=***");
  }

  private void onProgressLine(String line) {
    // Output time, not frames, measures whether input flows: an audio-only ladder counts no frames at all.
    if (line.startsWith(OUT_TIME) && !line.equals(lastOutTime)) {
      lastOutTime = line;
      lastFrameChangeNanos = System.nanoTime();
    }
    progressParser.accept(line).ifPresent(p -> progress = p);
  }

  private void onErrorLine(String line) {
    if (!line.isBlank()) {
      lastError = line.trim();
      LOG.warn("ffmpeg: {}", lastError);
    }
  }

  /**
   * A test pattern that ends is a failure. For a real input, ffmpeg ending means the input ended: the stream
   * goes back to READY (INPUT_LOST), ffmpeg waits for (or pulls) the input again, and the reconnect window
   * starts; only a window that runs out, or an ffmpeg that cannot even start listening, FAILS the stream.
   */
  private void onFfmpegExit(FfmpegProcess process, int code) {
    if (stopping || process != ffmpeg) {
      return;
    }
    Pipeline.Input input = pipeline.input();
    if (Pipeline.Input.TEST_PATTERN.equals(input.kind())) {
      fail("ffmpeg exited with code " + code + (lastError == null ? "" : ": " + lastError));
      return;
    }
    long ranMs = System.currentTimeMillis() - ffmpegStartedAtMs;
    boolean explained = ingest.refusals() > refusalsAtStart || ingest.bytesIn() > bytesAtStart;
    quickExits = code != 0 && ranMs < QUICK_EXIT_MS && !explained && !live ? quickExits + 1 : 0;
    if (input.listens() && quickExits >= QUICK_EXITS_TO_FAIL) {
      fail("ffmpeg exited with code " + code + (lastError == null ? "" : ": " + lastError));
      return;
    }
    String why = lastError;
    // No ffmpeg runs until the restart: a live check in between must not read the old one's playlists as new.
    ffmpeg = null;
    if (live) {
      LOG.info("input lost (ffmpeg exited with {}); waiting for it to come back", code);
      live = false;
      report("INPUT_LOST", null);
      startReconnectWindow("the input was lost and did not come back", why);
    } else if (Pipeline.Input.PULL.equals(input.kind())) {
      startReconnectWindow("the pull source could not be read", why);
    }
    long delay = input.listens() ? LISTEN_AGAIN_MS : PULL_RETRY_MS;
    timers.add(vertx.setTimer(delay, id -> {
      timers.remove(Long.valueOf(id));
      if (!stopping) {
        startFfmpeg().onFailure(err -> fail("ffmpeg could not be restarted: " + err.getMessage()));
      }
    }));
  }

  private void startReconnectWindow(String what, String lastErrorLine) {
    if (reconnectTimer >= 0) {
      return;
    }
    int seconds = pipeline.watch().reconnectWindowSeconds();
    reconnectTimer = vertx.setTimer(Math.max(1, seconds) * 1000L, id -> {
      timers.remove(Long.valueOf(id));
      reconnectTimer = -1;
      if (!live && !stopping) {
        String detail = lastError != null ? lastError : lastErrorLine;
        fail(what + " within the reconnect window of " + seconds + " s" + (detail == null ? "" : " (" + detail + ")"));
      }
    });
    timers.add(reconnectTimer);
  }

  private void fail(String reason) {
    LOG.error("stream failed: {}", reason);
    report("FAILED", reason).onComplete(ar -> finish(1));
  }

  /** LIVE once the master playlist exists and every rendition playlist written by this ffmpeg has a segment. */
  private void checkLive() {
    if (live && !stopping && ffmpeg != null && !Pipeline.Input.TEST_PATTERN.equals(pipeline.input().kind())
      && System.nanoTime() - lastFrameChangeNanos > TimeUnit.MILLISECONDS.toNanos(STALL_MS)) {
      // The connection may still be open, but no picture arrives: that is a lost input too.
      LOG.warn("input stalled for {} ms; restarting ffmpeg", STALL_MS);
      lastError = "no input for " + STALL_MS / 1000 + " s";
      ffmpeg.stop();
      return;
    }
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
      if (ready && !live && !stopping && ffmpeg != null && since == ffmpegStartedAtMs) {
        live = true;
        lastFrameChangeNanos = System.nanoTime();
        if (reconnectTimer >= 0) {
          vertx.cancelTimer(reconnectTimer);
          timers.remove(Long.valueOf(reconnectTimer));
          reconnectTimer = -1;
        }
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
    long now = System.nanoTime();
    double inputKbps = 0;
    if (ingest.listens()) {
      long bytes = ingest.bytesIn();
      if (lastBeatNanos > 0 && now > lastBeatNanos) {
        inputKbps = (bytes - lastBeatBytes) * 8.0 / 1000 / ((now - lastBeatNanos) / 1e9);
      }
      lastBeatBytes = bytes;
    }
    lastBeatNanos = now;
    home.heartbeat(pipeline.agentToken(), progress, live, Math.round(inputKbps * 10) / 10.0).onComplete(ar -> {
      if (ar.succeeded() || ar.cause() instanceof HomeClient.RefusedException) {
        lastContactNanos = System.nanoTime();
        if (ar.succeeded() && ar.result().reply() == HomeClient.Reply.GONE) {
          LOG.info("server no longer wants machine {}; stopping", options.machineId());
          finish(0);
        } else if (ar.failed()) {
          LOG.warn("heartbeat refused: {}", ar.cause().getMessage());
        } else {
          ingest.adoptKeys(ar.result().body());
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

  /** A new thumbnail is announced to the server, which records a {@code stream.thumbnail} event. */
  private void pollThumbnail() {
    if (stopping) {
      return;
    }
    thumbnails.poll().onSuccess(changed -> {
      if (changed && !stopping) {
        home.thumbnail(pipeline.agentToken(), new JsonObject().put("thumbnailUrl", thumbnailUrl())
            .put("version", thumbnails.version()))
          .onFailure(err -> LOG.warn("thumbnail not announced: {}", err.getMessage()));
      }
    });
  }

  /** Status reports go out one at a time so the server sees READY before LIVE, whatever the network does. */
  private Future<Void> report(String state, String reason) {
    JsonObject body = new JsonObject().put("state", state).put("previewUrl", previewUrl());
    if (ingest.listens()) {
      body.put("ingestUrl", ingest.ingestUrl(pipeline.advertisedHost()));
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
    Future<?> ffmpegGone = ffmpeg == null ? Future.succeededFuture() : ffmpeg.stop();
    return ingest == null ? ffmpegGone : ffmpegGone.eventually(() -> ingest.close());
  }

  private Future<Void> closeWebClient() {
    web.close();
    return Future.succeededFuture();
  }

  private long heartbeatMs() {
    return Math.max(1, pipeline.heartbeatSeconds()) * 1000L;
  }

  private long fenceAfterMs() {
    return Math.max(pipeline.watch().fenceMinSeconds() * 1000L, 10 * heartbeatMs());
  }

  String previewUrl() {
    return "http://" + pipeline.advertisedHost() + ":" + hlsServer.actualPort() + "/hls/"
      + FfmpegCommand.MASTER_PLAYLIST;
  }

  String thumbnailUrl() {
    return "http://" + pipeline.advertisedHost() + ":" + hlsServer.actualPort() + "/" + HlsServer.THUMBNAIL;
  }
}
