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

  /** Without a thumbnail output; see {@link #build(Pipeline, Path, int, Path, int)}. */
  public static List<String> build(Pipeline pipeline, Path outputDir, int inputPort) {
    return build(pipeline, outputDir, inputPort, null, 0);
  }

  /**
   * @param outputDir        folder that receives {@code master.m3u8} and one sub-folder per rendition
   * @param inputPort        loopback port ffmpeg listens on for {@code rtmp}/{@code srt} input (the agent's ingest
   *                         front owns the public port); ignored for other inputs
   * @param thumbnail        JPEG file rewritten every {@code thumbnailSeconds}; null for none
   */
  public static List<String> build(Pipeline pipeline, Path outputDir, int inputPort, Path thumbnail,
                                   int thumbnailSeconds) {
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
    String[] inputs = inputArgs(pipeline, inputPort, args);
    String videoIn = inputs[0];
    String audioIn = inputs[1];

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
    if (thumbnail != null) {
      addThumbnailOutput(args, videoIn, thumbnail, thumbnailSeconds);
    }
    return List.copyOf(args);
  }

  /**
   * Adds the input to {@code args}; returns the video and audio stream specifiers. RTMP and SRT listen on the
   * loopback only: the agent's ingest front, on the public port, checks the source address and the key first.
   */
  static String[] inputArgs(Pipeline pipeline, int inputPort, List<String> args) {
    Pipeline.Input input = pipeline.input();
    switch (input.kind()) {
      case Pipeline.Input.RTMP -> {
        // ffmpeg in -listen mode only warns about a wrong key: the front enforces it; any name is accepted here.
        args.addAll(List.of("-listen", "1", "-i", "rtmp://127.0.0.1:" + inputPort + ingestPath(input.streamKey())));
        return new String[] {"0:v", "0:a"};
      }
      case Pipeline.Input.SRT -> {
        args.addAll(List.of("-i", "srt://127.0.0.1:" + inputPort + "?mode=listener&passphrase="
          + input.passphrase() + "&pbkeylen=16"));
        return new String[] {"0:v", "0:a"};
      }
      case Pipeline.Input.PULL -> {
        // -re: a recorded source (an HLS VOD, a file over HTTP) plays at its own pace, like a live one.
        args.addAll(List.of("-re", "-rw_timeout", "10000000", "-i", input.url()));
        return new String[] {"0:v", "0:a"};
      }
      default -> {
        Rendition top = pipeline.renditions().get(0);
        // -re paces the synthetic sources at real time; otherwise they run as fast as the CPU allows.
        args.addAll(List.of("-re", "-f", "lavfi", "-i",
          "testsrc2=size=" + top.width() + "x" + top.height() + ":rate=" + top.fps()));
        args.addAll(List.of("-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"));
        return new String[] {"0:v", "1:a"};
      }
    }
  }

  /** A second output of the same decode: one small JPEG every {@code seconds}, rewritten in place. */
  static void addThumbnailOutput(List<String> args, String videoIn, Path thumbnail, int seconds) {
    args.addAll(List.of(
      "-filter_complex", "[" + videoIn + "]fps=1/" + Math.max(1, seconds) + ",scale=-2:180[thumb]",
      "-map", "[thumb]", "-c:v", "mjpeg", "-q:v", "5", "-f", "image2", "-update", "1",
      thumbnail.toString()));
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
