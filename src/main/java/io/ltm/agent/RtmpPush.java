package io.ltm.agent;

import io.ltm.cdn.domain.CdnTarget;
import io.ltm.stream.domain.Rendition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Pushes one rendition (the profile's, else the top one) to an RTMP ingest with an ffmpeg of its own that copies
 * the rendition's HLS as written on this machine: no second encode, and an ingest that stalls or hangs up stalls
 * only this process, never the encoder. Restarted with back-off when it ends. Touched only on the agent's context.
 */
final class RtmpPush {
  private static final Logger LOG = LoggerFactory.getLogger(RtmpPush.class);
  static final long RESTART_MIN_MS = 1_000;
  static final long RESTART_MAX_MS = 8_000;

  private final Vertx vertx;
  private final Context context;
  private final CdnTarget target;
  private final Path playlist;
  private final String url;
  private final Consumer<Boolean> onResult;
  private FfmpegProcess process;
  private boolean wanted;
  private boolean starting;
  private long restarts;
  private long runningSinceMs = -1;
  private long downSinceMs = -1;
  private long restartTimer = -1;
  private String lastError;

  RtmpPush(Vertx vertx, Context context, CdnTarget target, Path hlsDir, Pipeline pipeline, Consumer<Boolean> onResult) {
    this.vertx = vertx;
    this.context = context;
    this.target = target;
    String rendition = target.setting("rendition");
    List<Rendition> ladder = pipeline.renditions();
    String chosen = rendition != null && ladder.stream().anyMatch(r -> r.name().equals(rendition)) ? rendition
      : ladder.get(0).name();
    this.playlist = hlsDir.resolve(chosen).resolve(FfmpegCommand.RENDITION_PLAYLIST);
    String base = target.setting("url");
    String key = target.secret("streamKey");
    this.url = (base.endsWith("/") ? base : base + "/") + (key == null || key.isBlank() ? pipeline.streamId() : key);
    this.onResult = onResult;
  }

  /** Starts the push if it is not running (the rendition has segments by now). */
  void ensureRunning() {
    wanted = true;
    if (process != null || starting || restartTimer >= 0) {
      return;
    }
    starting = true;
    List<String> command = List.of("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
      "-re", "-live_start_index", "-1", "-i", playlist.toString(), "-c", "copy", "-f", "flv", url);
    FfmpegProcess.start(vertx, context, command, line -> { }, line -> {
      if (!line.isBlank()) {
        lastError = line.trim().replace(url, "rtmp://…");
      }
    }).onComplete(ar -> context.runOnContext(v -> started(ar)));
  }

  private void started(io.vertx.core.AsyncResult<FfmpegProcess> ar) {
    starting = false;
    if (ar.failed()) {
      ended(-1);
      return;
    }
    process = ar.result();
    runningSinceMs = System.currentTimeMillis();
    downSinceMs = -1;
    onResult.accept(true);
    LOG.info("pushing {} to CDN {}", playlist.getParent().getFileName(), target.name());
    FfmpegProcess mine = process;
    mine.exit().onSuccess(code -> {
      if (process == mine) {
        process = null;
        ended(code);
      }
    });
    if (!wanted) {
      mine.stop();
    }
  }

  private void ended(int code) {
    runningSinceMs = -1;
    if (!wanted) {
      return;
    }
    downSinceMs = downSinceMs < 0 ? System.currentTimeMillis() : downSinceMs;
    restarts++;
    LOG.warn("RTMP push to CDN {} ended ({}): {}", target.name(), code, lastError);
    onResult.accept(false);
    long delay = Math.min(RESTART_MAX_MS, RESTART_MIN_MS << Math.min(restarts - 1, 3));
    restartTimer = vertx.setTimer(delay, id -> {
      restartTimer = -1;
      if (wanted) {
        ensureRunning();
      }
    });
  }

  JsonObject health(long nowMs) {
    return new JsonObject().put("pushing", runningSinceMs >= 0).put("failures", restarts)
      .put("secondsBehind", runningSinceMs >= 0 || downSinceMs < 0 ? 0.0 : (nowMs - downSinceMs) / 1000.0)
      .put("lastError", lastError);
  }

  Future<?> stop() {
    wanted = false;
    if (restartTimer >= 0) {
      vertx.cancelTimer(restartTimer);
      restartTimer = -1;
    }
    return process == null ? Future.succeededFuture() : process.stop();
  }
}
