package io.ltm.agent;

import io.ltm.stream.domain.Codecs;
import io.ltm.stream.domain.Rendition;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Builds the one ffmpeg command line a transcoder runs: one decode, {@code split} into one scale and one
 * encode per rendition (H.264, HEVC, VP9 or AV1), packaged as HLS (MPEG-TS or fMP4) with a master playlist, and
 * through the {@code tee} muxer also as DASH and an RTMP re-stream of one rendition. Pure, so its shape is unit tested and
 * the agent only has to start it.
 */
public final class FfmpegCommand {

  public static final String MASTER_PLAYLIST = "master.m3u8";
  public static final String RENDITION_PLAYLIST = "index.m3u8";
  /** Sub-folder of the output folder that receives the DASH manifest and its segments. */
  public static final String DASH_DIR = "dash";
  public static final String DASH_MANIFEST = "manifest.mpd";
  private static final String FMP4 = "fmp4";

  private FfmpegCommand() {
  }

  /** The path an RTMP publisher pushes to; the server shows it to the customer as the ingest URL. */
  public static String ingestPath(String streamKey) {
    return "/live/" + streamKey;
  }

  /** Without a thumbnail output; see {@link #build(Pipeline, Path, int, Path, long)}. */
  public static List<String> build(Pipeline pipeline, Path outputDir, int inputPort) {
    return build(pipeline, outputDir, inputPort, null);
  }

  /** As run 0; see {@link #build(Pipeline, Path, int, Path, long)}. */
  public static List<String> build(Pipeline pipeline, Path outputDir, int inputPort, Path thumbnail) {
    return build(pipeline, outputDir, inputPort, thumbnail, 0);
  }

  /**
   * @param outputDir        folder that receives {@code master.m3u8} and one sub-folder per rendition
   * @param inputPort        loopback port ffmpeg listens on for {@code rtmp}/{@code srt} input (the agent's ingest
   *                         front owns the public port); ignored for other inputs
   * @param thumbnail        JPEG file rewritten once a second; null for none (and none for an audio-only ladder)
   * @param run              this ffmpeg run (the epoch second it starts at): DASH segment names delivered to a CDN
   *                         carry it, since the DASH muxer numbers every run from 1
   */
  public static List<String> build(Pipeline pipeline, Path outputDir, int inputPort, Path thumbnail, long run) {
    List<Rendition> renditions = pipeline.renditions() == null ? List.of()
      : pipeline.renditions().stream().map(Rendition::withDefaults).toList();
    if (renditions.isEmpty()) {
      throw new IllegalArgumentException("a pipeline needs at least one rendition");
    }
    for (Rendition r : renditions) {
      // The name becomes a folder and a token of -var_stream_map: a space, comma or slash would break both.
      if (r.name() == null || !r.name().matches("[A-Za-z0-9_-]+") || r.name().equals(DASH_DIR)) {
        throw new IllegalArgumentException("rendition name must be letters, digits, '-' or '_': " + r.name());
      }
    }
    boolean video = renditions.get(0).carriesVideo();
    List<String> args = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-nostdin", "-y"));

    String[] inputs = inputArgs(pipeline, renditions.get(0), inputPort, args);
    String videoIn = inputs[0];
    String audioIn = inputs[1];

    if (video) {
      args.addAll(List.of("-filter_complex", filterGraph(videoIn, renditions)));
    }
    for (int i = 0; i < renditions.size(); i++) {
      if (video) {
        args.addAll(List.of("-map", "[v" + i + "out]"));
      }
      args.addAll(List.of("-map", audioIn));
    }
    int gopSeconds = renditions.get(0).gopSeconds();
    if (video) {
      args.addAll(List.of(
        // Same keyframe instants in every rendition, so a player can switch at any segment boundary.
        "-sc_threshold", "0",
        "-force_key_frames", "expr:gte(t,n_forced*" + gopSeconds + ")",
        // Before the per-rendition options: a codec that reads presets differently (SVT-AV1) overrides it below.
        "-preset", pipeline.x264Preset(),
        "-pix_fmt", "yuv420p"));
    }
    args.addAll(List.of("-ar", "48000", "-ac", "2"));
    for (int i = 0; i < renditions.size(); i++) {
      Rendition r = renditions.get(i);
      if (video) {
        args.addAll(videoEncode(r, i));
      }
      args.addAll(List.of(
        "-c:a:" + i, Codecs.AUDIO.getOrDefault(r.audioCodec(), r.audioCodec()),
        "-b:a:" + i, r.audioBitrateKbps() + "k"));
    }

    Map<String, String> hls = hlsOptions(pipeline, renditions, outputDir);
    // Progress as key=value blocks on stdout for the heartbeat; only errors on stderr for FAILED reasons.
    List<String> reporting = List.of("-progress", "pipe:1", "-nostats", "-loglevel", "error");
    String playlists = outputDir.resolve("%v").resolve(RENDITION_PLAYLIST).toString();
    if (!pipeline.dash() && pipeline.restream() == null) {
      args.addAll(List.of("-f", "hls"));
      hls.forEach((k, v) -> args.addAll(List.of("-" + k, v)));
      args.addAll(reporting);
      args.add(playlists);
      addThumbnailOutput(args, video, videoIn, thumbnail);
      return List.copyOf(args);
    }
    // More than one output of the same encodes: the tee muxer hands each packet to every output, so a
    // rendition is encoded once however many ways it is packaged.
    StringJoiner slaves = new StringJoiner("|");
    slaves.add(slave("hls", hls, playlists));
    if (pipeline.dash()) {
      slaves.add(slave("dash", dashOptions(pipeline, video, run), outputDir.resolve(DASH_DIR).resolve(DASH_MANIFEST).toString()));
    }
    if (pipeline.restream() != null) {
      int index = indexOf(renditions, pipeline.restream().rendition());
      Map<String, String> flv = new LinkedHashMap<>();
      flv.put("f", "flv");
      flv.put("select", video ? "v:" + index + ",a:" + index : "a:" + index);
      // A platform that hangs up must not take the HLS preview down with it.
      flv.put("onfail", "ignore");
      slaves.add(slave(null, flv, pipeline.restream().url()));
    }
    if (pipeline.restream() != null) {
      // FLV wants the H.264 parameter sets up front; MPEG-TS still gets them on every keyframe.
      args.addAll(List.of("-flags:v", "+global_header"));
    }
    args.addAll(List.of("-f", "tee"));
    args.addAll(reporting);
    args.add(slaves.toString());
    addThumbnailOutput(args, video, videoIn, thumbnail);
    return List.copyOf(args);
  }

  /**
   * Adds the input to {@code args}; returns the video and audio stream specifiers. RTMP and SRT listen on the
   * loopback only: the agent's ingest front, on the public port, checks the source address and the key first.
   */
  static String[] inputArgs(Pipeline pipeline, Rendition top, int inputPort, List<String> args) {
    Pipeline.Input input = pipeline.input();
    switch (input.kind()) {
      case Pipeline.Input.RTMP -> {
        // ffmpeg in -listen mode only warns about a wrong key: the front enforces it; any name is accepted here.
        args.addAll(List.of("-listen", "1", "-i", "rtmp://127.0.0.1:" + inputPort + ingestPath(input.streamKey())));
        return new String[] {"0:v", "0:a"};
      }
      case Pipeline.Input.SRT -> {
        // The passphrase must not be on the command line, which every local user reads in /proc/<pid>/cmdline: the
        // listener is described by a one-entry concat script that ffmpeg reads from its stdin (see srtScript).
        args.addAll(List.of("-protocol_whitelist", "pipe,srt,udp", "-f", "concat", "-safe", "0", "-i", "pipe:0"));
        return new String[] {"0:v", "0:a"};
      }
      case Pipeline.Input.PULL -> {
        // -re: a recorded source (an HLS VOD, a file over HTTP) plays at its own pace, like a live one.
        args.addAll(List.of("-re", "-rw_timeout", "10000000", "-i", input.url()));
        return new String[] {"0:v", "0:a"};
      }
      default -> {
        // -re paces the synthetic sources at real time; otherwise they run as fast as the CPU allows.
        args.addAll(List.of("-re", "-f", "lavfi", "-i",
          "testsrc2=size=" + sourceWidth(top) + "x" + sourceHeight(top) + ":rate=" + Math.max(top.fps(), 1)));
        args.addAll(List.of("-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"));
        return new String[] {"0:v", "1:a"};
      }
    }
  }

  /**
   * What ffmpeg reads on its stdin, or null: for SRT, an ffconcat script naming the loopback listener, with the
   * passphrase as the listener's open option ({@code option}, ffmpeg 5.0+) so no URL escaping is involved. In a
   * single-quoted token only the quote itself needs escaping; a line break (refused by the API) would end the
   * directive, so it is refused here too rather than written.
   */
  static String stdin(Pipeline pipeline, int inputPort) {
    Pipeline.Input input = pipeline.input();
    if (!Pipeline.Input.SRT.equals(input.kind())) {
      return null;
    }
    String passphrase = input.passphrase() == null ? "" : input.passphrase();
    if (passphrase.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException("the SRT passphrase contains a control character");
    }
    return "ffconcat version 1.0\n"
      + "file 'srt://127.0.0.1:" + inputPort + "?mode=listener&pbkeylen=16'\n"
      + "option passphrase '" + passphrase.replace("'", "'\\''") + "'\n";
  }

  /**
   * A second output of the same decode: a small JPEG rewritten in place once a second; the agent reads and
   * announces it every thumbnail interval. Not sparser: ffmpeg 5.1 holds the HLS output back until this
   * output's second frame, so {@code fps=1/10} would delay the first segment — and LIVE — by 10 s
   * (measured: first segment of every rendition after 12.8 s with fps=1/10, 3.7 s with fps=1, 3.1 s without).
   */
  static void addThumbnailOutput(List<String> args, boolean video, String videoIn, Path thumbnail) {
    if (!video || thumbnail == null) {
      return;
    }
    args.addAll(List.of(
      "-filter_complex", "[" + videoIn + "]fps=1,scale=-2:180[thumb]",
      "-map", "[thumb]", "-c:v", "mjpeg", "-q:v", "5", "-f", "image2", "-update", "1",
      thumbnail.toString()));
  }

  /** One encode: the codec's encoder, a capped VBR with a VBV buffer, fixed frame rate and a fixed GOP. */
  static List<String> videoEncode(Rendition r, int i) {
    int gop = r.fps() * r.gopSeconds();
    String v = ":v:" + i;
    List<String> args = new ArrayList<>(List.of(
      "-c" + v, Codecs.VIDEO.getOrDefault(r.videoCodec(), r.videoCodec()),
      "-b" + v, r.videoBitrateKbps() + "k",
      "-maxrate" + v, r.maxRateKbps() + "k",
      "-bufsize" + v, r.bufferKbps() + "k",
      "-r" + v, String.valueOf(r.fps()),
      "-g" + v, String.valueOf(gop),
      "-keyint_min" + v, String.valueOf(gop)));
    switch (r.videoCodec()) {
      // Live: libvpx's realtime mode at its fastest speed, tiles encoded in parallel rows.
      case "vp9" -> args.addAll(List.of("-deadline" + v, "realtime", "-cpu-used" + v, "8", "-row-mt" + v, "1"));
      case "av1" -> {
        // SVT-AV1 presets are numbers (0 slowest, 13 fastest); x264's names mean nothing to it. Its VBR mode
        // refuses a max rate (SVT-AV1 1.4 caps the rate only in CRF mode), so AV1 is plain VBR at the bitrate.
        args.addAll(List.of("-preset" + v, "12"));
        int maxrate = args.indexOf("-maxrate" + v);
        args.subList(maxrate, maxrate + 2).clear();
      }
      case "hevc" -> args.addAll(List.of("-x265-params" + v, "log-level=error"));
      default -> {
      }
    }
    return args;
  }

  static Map<String, String> hlsOptions(Pipeline pipeline, List<Rendition> renditions, Path outputDir) {
    boolean fmp4 = FMP4.equals(pipeline.hls().segmentType());
    Map<String, String> hls = new LinkedHashMap<>();
    hls.put("hls_time", String.valueOf(pipeline.hls().segmentSeconds()));
    hls.put("hls_list_size", String.valueOf(pipeline.hls().listSize()));
    hls.put("hls_flags", "delete_segments+independent_segments");
    if (!pipeline.delivery().onlyOrigin()) {
      // Delivered to a CDN: segment numbers keep growing across ffmpeg restarts (a CDN caches a segment for a day,
      // so a name must never be reused), and ffmpeg keeps a window's worth of old files for a CDN that lags.
      hls.put("hls_start_number_source", "epoch");
      hls.put("hls_delete_threshold", String.valueOf(pipeline.hls().listSize()));
    }
    if (fmp4) {
      hls.put("hls_segment_type", FMP4);
    }
    hls.put("master_pl_name", MASTER_PLAYLIST);
    hls.put("var_stream_map", varStreamMap(renditions));
    hls.put("hls_segment_filename", outputDir.resolve("%v").resolve(fmp4 ? "seg_%05d.m4s" : "seg_%05d.ts").toString());
    return hls;
  }

  static Map<String, String> dashOptions(Pipeline pipeline, boolean video, long run) {
    Map<String, String> dash = new LinkedHashMap<>();
    dash.put("seg_duration", String.valueOf(pipeline.hls().segmentSeconds()));
    dash.put("window_size", String.valueOf(pipeline.hls().listSize()));
    dash.put("streaming", "1");
    dash.put("adaptation_sets", video ? "id=0,streams=v id=1,streams=a" : "id=0,streams=a");
    if (!pipeline.delivery().onlyOrigin()) {
      // Delivered to a CDN, which caches a segment for a day: a name must never come back. The DASH muxer has no
      // start number (HLS starts from the epoch second), so each run's names carry the run; the init segment too,
      // as a restarted encoder may write a different one.
      dash.put("init_seg_name", "init-" + run + "-stream$RepresentationID$.$ext$");
      dash.put("media_seg_name", "chunk-" + run + "-stream$RepresentationID$-$Number%05d$.$ext$");
    }
    return dash;
  }

  /**
   * One tee output, {@code [f=muxer:key=value:…]url}. The tee muxer unescapes twice (once splitting outputs, once
   * splitting options), so a value with separators in it is quoted and its colons escaped for both passes.
   */
  static String slave(String format, Map<String, String> options, String url) {
    StringJoiner opts = new StringJoiner(":", "[", "]");
    if (format != null) {
      opts.add("f=" + format);
    }
    options.forEach((k, v) -> opts.add(k + "=" + (v.matches("[A-Za-z0-9_./%+=-]*") ? v
      : "\\'" + v.replace(":", "\\:") + "\\'")));
    return opts + url;
  }

  private static int indexOf(List<Rendition> renditions, String name) {
    for (int i = 0; i < renditions.size(); i++) {
      if (renditions.get(i).name().equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("re-stream names no rendition of the ladder: " + name);
  }

  /** The test pattern is drawn at the top rendition's size; height-only renditions are taken as 16:9. */
  private static int sourceWidth(Rendition top) {
    if (!top.carriesVideo()) {
      return 320;
    }
    return top.width() > 0 ? top.width() : (top.height() * 16 / 9 + 1) / 2 * 2;
  }

  private static int sourceHeight(Rendition top) {
    return top.carriesVideo() ? top.height() : 180;
  }

  static String filterGraph(String videoIn, List<Rendition> renditions) {
    StringBuilder graph = new StringBuilder("[").append(videoIn).append("]split=").append(renditions.size());
    for (int i = 0; i < renditions.size(); i++) {
      graph.append("[v").append(i).append(']');
    }
    for (int i = 0; i < renditions.size(); i++) {
      Rendition r = renditions.get(i);
      graph.append(";[v").append(i).append("]scale=").append(r.width() > 0 ? r.width() : -2).append(':').append(r.height())
        .append("[v").append(i).append("out]");
    }
    return graph.toString();
  }

  static String varStreamMap(List<Rendition> renditions) {
    StringJoiner map = new StringJoiner(" ");
    for (int i = 0; i < renditions.size(); i++) {
      map.add((renditions.get(i).carriesVideo() ? "v:" + i + "," : "") + "a:" + i + ",name:" + renditions.get(i).name());
    }
    return map.toString();
  }
}
