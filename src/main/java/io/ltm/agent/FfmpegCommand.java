package io.ltm.agent;

import io.ltm.stream.domain.Rendition;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Builds the one ffmpeg command line a transcoder runs: one decode, {@code split} into one scale and one
 * x264 encode per rendition, packaged as HLS with a master playlist. Pure, so its shape is unit tested and
 * the agent only has to start it.
 */
public final class FfmpegCommand {

  public static final String MASTER_PLAYLIST = "master.m3u8";
  public static final String RENDITION_PLAYLIST = "index.m3u8";

  private FfmpegCommand() {
  }

  /** The path an RTMP publisher pushes to; the server shows it to the customer as the ingest URL. */
  public static String ingestPath(String streamKey) {
    return "/live/" + streamKey;
  }

  /**
   * @param outputDir folder that receives {@code master.m3u8} and one sub-folder per rendition
   * @param rtmpPort  port ffmpeg listens on for {@code rtmp} input; ignored for the test pattern
   */
  public static List<String> build(Pipeline pipeline, Path outputDir, int rtmpPort) {
    List<Rendition> renditions = pipeline.renditions();
    if (renditions == null || renditions.isEmpty()) {
      throw new IllegalArgumentException("a pipeline needs at least one rendition");
    }
    for (Rendition r : renditions) {
      // The name becomes a folder and a token of -var_stream_map: a space, comma or slash would break both.
      if (r.name() == null || !r.name().matches("[A-Za-z0-9_-]+")) {
        throw new IllegalArgumentException("rendition name must be letters, digits, '-' or '_': " + r.name());
      }
    }
    int segmentSeconds = pipeline.hls().segmentSeconds();
    List<String> args = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-nostdin", "-y"));

    String videoIn;
    String audioIn;
    if (Pipeline.Input.RTMP.equals(pipeline.input().kind())) {
      // -listen 1 makes ffmpeg the RTMP server: no separate ingest server to run or secure on the machine.
      args.addAll(List.of("-listen", "1", "-i",
        "rtmp://0.0.0.0:" + rtmpPort + ingestPath(pipeline.input().streamKey())));
      videoIn = "0:v";
      audioIn = "0:a";
    } else {
      Rendition top = renditions.get(0);
      // -re paces the synthetic sources at real time; otherwise they run as fast as the CPU allows.
      args.addAll(List.of("-re", "-f", "lavfi", "-i",
        "testsrc2=size=" + top.width() + "x" + top.height() + ":rate=" + top.fps()));
      args.addAll(List.of("-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"));
      videoIn = "0:v";
      audioIn = "1:a";
    }

    args.addAll(List.of("-filter_complex", filterGraph(videoIn, renditions)));
    for (int i = 0; i < renditions.size(); i++) {
      args.addAll(List.of("-map", "[v" + i + "out]", "-map", audioIn));
    }
    for (int i = 0; i < renditions.size(); i++) {
      Rendition r = renditions.get(i);
      int gop = r.fps() * segmentSeconds;
      String v = ":v:" + i;
      args.addAll(List.of(
        "-c" + v, "libx264",
        "-b" + v, r.videoBitrateKbps() + "k",
        "-maxrate" + v, r.videoBitrateKbps() + "k",
        // Two seconds' worth of buffer: CBR-ish output a CDN and a player can predict.
        "-bufsize" + v, (2 * r.videoBitrateKbps()) + "k",
        "-r" + v, String.valueOf(r.fps()),
        "-g" + v, String.valueOf(gop),
        "-keyint_min" + v, String.valueOf(gop),
        "-c:a:" + i, "aac",
        "-b:a:" + i, r.audioBitrateKbps() + "k"));
    }
    args.addAll(List.of(
      // Same keyframe instants in every rendition, so a player can switch at any segment boundary.
      "-sc_threshold", "0",
      "-force_key_frames", "expr:gte(t,n_forced*" + segmentSeconds + ")",
      "-preset", pipeline.x264Preset(),
      "-pix_fmt", "yuv420p",
      "-ar", "48000",
      "-ac", "2"));

    args.addAll(List.of(
      "-f", "hls",
      "-hls_time", String.valueOf(segmentSeconds),
      "-hls_list_size", String.valueOf(pipeline.hls().listSize()),
      "-hls_flags", "delete_segments+independent_segments",
      "-master_pl_name", MASTER_PLAYLIST,
      "-var_stream_map", varStreamMap(renditions),
      "-hls_segment_filename", outputDir.resolve("%v").resolve("seg_%05d.ts").toString(),
      // Progress as key=value blocks on stdout for the heartbeat; only errors on stderr for FAILED reasons.
      "-progress", "pipe:1", "-nostats", "-loglevel", "error",
      outputDir.resolve("%v").resolve(RENDITION_PLAYLIST).toString()));
    return List.copyOf(args);
  }

  static String filterGraph(String videoIn, List<Rendition> renditions) {
    StringBuilder graph = new StringBuilder("[").append(videoIn).append("]split=").append(renditions.size());
    for (int i = 0; i < renditions.size(); i++) {
      graph.append("[v").append(i).append(']');
    }
    for (int i = 0; i < renditions.size(); i++) {
      Rendition r = renditions.get(i);
      graph.append(";[v").append(i).append("]scale=").append(r.width()).append(':').append(r.height())
        .append("[v").append(i).append("out]");
    }
    return graph.toString();
  }

  static String varStreamMap(List<Rendition> renditions) {
    StringJoiner map = new StringJoiner(" ");
    for (int i = 0; i < renditions.size(); i++) {
      map.add("v:" + i + ",a:" + i + ",name:" + renditions.get(i).name());
    }
    return map.toString();
  }
}
