package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileSystem;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Measures what the heartbeat reports, each figure from what really flows: the input's bitrate from the bytes
 * the ingest front relayed (RTMP, SRT) or ffmpeg read (pull, from {@code /proc/<pid>/io}); the output's bitrate
 * from the sizes and durations of the newest segments of every rendition. ffmpeg's own {@code bitrate=} is
 * N/A for HLS and the test pattern has no input to measure: those are not reported as 0 but left out (null).
 */
final class HealthSampler {

  /** Segments per rendition the output bitrate is averaged over. */
  static final int SEGMENTS_MEASURED = 3;

  private final Vertx vertx;
  private final Pipeline pipeline;
  private final Path hlsDir;
  private final AgentIngest ingest;
  private final FfmpegSupervisor ffmpeg;
  private final Supplier<JsonObject> extra;
  private Double inputKbps;
  private Double outputKbps;
  private long lastBytes = -1;
  private long lastPid = -1;
  private long lastNanos;

  /** @param extra more figures to merge into every sample (the CDN deliveries' health), or null */
  HealthSampler(Vertx vertx, Pipeline pipeline, Path hlsDir, AgentIngest ingest, FfmpegSupervisor ffmpeg,
                Supplier<JsonObject> extra) {
    this.vertx = vertx;
    this.pipeline = pipeline;
    this.hlsDir = hlsDir;
    this.ingest = ingest;
    this.ffmpeg = ffmpeg;
    this.extra = extra;
  }

  /** The heartbeat's {@code progress}: the latest measurements. */
  JsonObject current() {
    FfmpegProgress p = ffmpeg.progress();
    JsonObject json = new JsonObject()
      .put("frame", p.frame()).put("fps", p.fps()).put("speed", p.speed())
      .put("bitrateKbps", outputKbps)
      .put("dropFrames", p.dropFrames()).put("dupFrames", p.dupFrames())
      .put("inputPresent", ffmpeg.live())
      .put("inputKind", pipeline.input().kind())
      .put("inputBitrateKbps", inputKbps);
    JsonObject more = extra == null ? null : extra.get();
    return more == null ? json : json.mergeIn(more);
  }

  /** Takes new measurements; call once per heartbeat interval, before the beat. */
  Future<Void> sample() {
    return Future.all(sampleInput(), sampleOutput()).mapEmpty();
  }

  private Future<Void> sampleInput() {
    Pipeline.Input input = pipeline.input();
    if (Pipeline.Input.TEST_PATTERN.equals(input.kind())) {
      inputKbps = null;
      return Future.succeededFuture();
    }
    if (input.listens()) {
      rate(ingest.bytesIn(), 0);
      return Future.succeededFuture();
    }
    long pid = ffmpeg.pid();
    if (pid < 0) {
      inputKbps = 0.0;
      return Future.succeededFuture();
    }
    // Everything a pulling ffmpeg reads is its input: rchar counts socket reads too.
    return vertx.fileSystem().readFile("/proc/" + pid + "/io").map(b -> {
      for (String line : b.toString().split("\n")) {
        if (line.startsWith("rchar:")) {
          rate(Long.parseLong(line.substring(6).trim()), pid);
        }
      }
      return (Void) null;
    }).otherwise(err -> {
      inputKbps = null;
      return null;
    });
  }

  private void rate(long bytes, long pid) {
    long now = System.nanoTime();
    if (lastBytes >= 0 && pid == lastPid && now > lastNanos && bytes >= lastBytes) {
      inputKbps = Math.round((bytes - lastBytes) * 8.0 / 1000 / ((now - lastNanos) / 1e9) * 10) / 10.0;
    } else if (pid != lastPid) {
      inputKbps = 0.0;
    }
    lastBytes = bytes;
    lastPid = pid;
    lastNanos = now;
  }

  private Future<Void> sampleOutput() {
    FileSystem fs = vertx.fileSystem();
    List<Future<double[]>> perRendition = new ArrayList<>();
    for (var r : pipeline.renditions()) {
      Path dir = hlsDir.resolve(r.name());
      perRendition.add(fs.readFile(dir.resolve(FfmpegCommand.RENDITION_PLAYLIST).toString())
        .compose(text -> newest(fs, dir, HlsPlaylist.parse(text.toString())))
        .otherwise(new double[] {0, 0}));
    }
    return Future.all(perRendition).map(all -> {
      double kbps = 0;
      boolean any = false;
      for (Future<double[]> f : perRendition) {
        double[] bytesAndSeconds = f.result();
        if (bytesAndSeconds[1] > 0) {
          kbps += bytesAndSeconds[0] * 8 / 1000 / bytesAndSeconds[1];
          any = true;
        }
      }
      outputKbps = any ? Math.round(kbps * 10) / 10.0 : null;
      return null;
    });
  }

  /** Bytes and seconds of the newest segments still on disk. */
  private static Future<double[]> newest(FileSystem fs, Path dir, HlsPlaylist playlist) {
    List<HlsPlaylist.Segment> segments = playlist.segments();
    List<HlsPlaylist.Segment> last = segments.subList(Math.max(0, segments.size() - SEGMENTS_MEASURED), segments.size());
    List<Future<double[]>> sizes = new ArrayList<>();
    for (HlsPlaylist.Segment s : last) {
      sizes.add(fs.props(dir.resolve(s.uri()).toString()).map(p -> new double[] {p.size(), s.durationSeconds()})
        .otherwise(new double[] {0, 0}));
    }
    return Future.all(sizes).map(all -> {
      double bytes = 0;
      double seconds = 0;
      for (Future<double[]> f : sizes) {
        bytes += f.result()[0];
        seconds += f.result()[1];
      }
      return new double[] {bytes, seconds};
    });
  }
}
