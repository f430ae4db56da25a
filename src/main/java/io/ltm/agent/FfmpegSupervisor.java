package io.ltm.agent;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Keeps one ffmpeg running for the agent: starts it, restarts it when a real input ends, watches for stalled
 * input, runs the reconnect window, and decides when the stream is LIVE. It says what happened through two
 * callbacks (a state to report, a failure that ends the agent) and knows nothing about the server. Touched only on
 * the agent's context.
 */
final class FfmpegSupervisor {

  private static final Logger LOG = LoggerFactory.getLogger(FfmpegSupervisor.class);

  static final long LIVE_CHECK_MS = 1_000;
  /** Until it is LIVE, the output is looked at this often: the customer waits for that moment, a second is long. */
  static final long FIRST_SEGMENT_CHECK_MS = 100;
  /** Live input whose frames stop advancing this long is lost, even if its connection is still open. */
  static final long STALL_MS = 5_000;
  private static final String OUT_TIME = "out_time_us=";
  /** ffmpeg that exits this soon, this many times in a row, with no input and no refusal to explain it, is broken. */
  static final long QUICK_EXIT_MS = 2_000;
  static final int QUICK_EXITS_TO_FAIL = 5;
  static final long LISTEN_AGAIN_MS = 200;
  static final long PULL_RETRY_MS = 2_000;

  private final Vertx vertx;
  private final Context context;
  private final Pipeline pipeline;
  private final Path hlsDir;
  private final AgentIngest ingest;
  private final Path thumbnail;
  /** READY / LIVE / INPUT_LOST, reported by the caller. */
  private final BiConsumer<String, String> onState;
  /** A failure that ends the stream; the caller reports FAILED and ends the agent. */
  private final Consumer<String> onFailure;
  private final FfmpegProgress.Parser progressParser = new FfmpegProgress.Parser();
  private final List<Long> timers = new ArrayList<>();

  private FfmpegProcess ffmpeg;
  private long ffmpegStartedAtMs;
  private long refusalsAtStart;
  private long bytesAtStart;
  private int quickExits;
  private FfmpegProgress progress = FfmpegProgress.NONE;
  private long lastFrameChangeNanos;
  private String lastOutTime;
  private String lastError;
  private boolean live;
  private boolean checkingLive;
  private boolean stopping;
  private long reconnectTimer = -1;

  FfmpegSupervisor(Vertx vertx, Context context, Pipeline pipeline, Path hlsDir, AgentIngest ingest, Path thumbnail,
                   BiConsumer<String, String> onState, Consumer<String> onFailure) {
    this.vertx = vertx;
    this.context = context;
    this.pipeline = pipeline;
    this.hlsDir = hlsDir;
    this.ingest = ingest;
    this.thumbnail = thumbnail;
    this.onState = onState;
    this.onFailure = onFailure;
  }

  /** Starts ffmpeg and the live check; completes once the first ffmpeg runs. */
  Future<Void> start() {
    return startFfmpeg().onSuccess(v -> {
      timers.add(vertx.setPeriodic(LIVE_CHECK_MS, id -> checkLive()));
      timers.add(vertx.setPeriodic(FIRST_SEGMENT_CHECK_MS, id -> {
        if (!live) {
          checkLive();
        }
      }));
    });
  }

  boolean live() {
    return live;
  }

  FfmpegProgress progress() {
    return progress;
  }

  /** The running ffmpeg's process id, or -1 between runs. */
  long pid() {
    return ffmpeg == null ? -1 : ffmpeg.pid();
  }

  /** Stops ffmpeg for good; completes once it is gone. */
  Future<?> stop() {
    stopping = true;
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    return ffmpeg == null ? Future.succeededFuture() : ffmpeg.stop();
  }

  private Future<Void> startFfmpeg() {
    List<String> command = FfmpegCommand.build(pipeline, hlsDir, ingest.inputPort(), thumbnail,
      System.currentTimeMillis() / 1000);
    LOG.info("starting {}", redact(String.join(" ", command)));
    long startedAt = System.currentTimeMillis();
    ingest.reset();
    String stdin = FfmpegCommand.stdin(pipeline, ingest.inputPort());
    return FfmpegProcess.start(vertx, context, command, stdin, this::onProgressLine, this::onErrorLine).map(process -> {
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

  static String redact(String command) {
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
      onFailure.accept("ffmpeg exited with code " + code + (lastError == null ? "" : ": " + lastError));
      return;
    }
    long ranMs = System.currentTimeMillis() - ffmpegStartedAtMs;
    boolean explained = ingest.refusals() > refusalsAtStart || ingest.bytesIn() > bytesAtStart;
    quickExits = code != 0 && ranMs < QUICK_EXIT_MS && !explained && !live ? quickExits + 1 : 0;
    if (input.listens() && quickExits >= QUICK_EXITS_TO_FAIL) {
      onFailure.accept("ffmpeg exited with code " + code + (lastError == null ? "" : ": " + lastError));
      return;
    }
    String why = lastError;
    // No ffmpeg runs until the restart: a live check in between must not read the old one's playlists as new.
    ffmpeg = null;
    if (live) {
      LOG.info("input lost (ffmpeg exited with {}); waiting for it to come back", code);
      live = false;
      onState.accept("INPUT_LOST", null);
      startReconnectWindow("the input was lost and did not come back", why);
    } else if (Pipeline.Input.PULL.equals(input.kind())) {
      startReconnectWindow("the pull source could not be read", why);
    }
    long delay = input.listens() ? LISTEN_AGAIN_MS : PULL_RETRY_MS;
    timers.add(vertx.setTimer(delay, id -> {
      timers.remove(Long.valueOf(id));
      if (!stopping) {
        startFfmpeg().onFailure(err -> onFailure.accept("ffmpeg could not be restarted: " + err.getMessage()));
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
        onFailure.accept(what + " within the reconnect window of " + seconds + " s" + (detail == null ? "" : " (" + detail + ")"));
      }
    });
    timers.add(reconnectTimer);
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
        onState.accept("LIVE", null);
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
}
