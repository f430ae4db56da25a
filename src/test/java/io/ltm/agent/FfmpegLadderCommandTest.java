package io.ltm.agent;

import io.ltm.stream.domain.Rendition;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static io.ltm.agent.FfmpegCommandTest.OUT;
import static io.ltm.agent.FfmpegCommandTest.valueOf;
import static org.assertj.core.api.Assertions.assertThat;

/** The output side of the command line for configured ladders: codecs, fMP4, DASH and RTMP re-stream via tee. */
class FfmpegLadderCommandTest {

  static final Pipeline.Input PATTERN = new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null);

  static Rendition rendition(String name, int width, int height, String videoCodec, String audioCodec) {
    return new Rendition(name, width, height, 300, 450, 900, 15, 2, videoCodec, audioCodec, 64);
  }

  static Pipeline pipeline(List<Rendition> ladder, String segmentType, boolean dash, Pipeline.Restream restream) {
    return new Pipeline("mch_1", "str_1", "tok", 2, PATTERN, ladder, new Pipeline.Hls(4, 5, segmentType),
      "ultrafast", "localhost", dash, restream);
  }

  static final List<Rendition> MIXED = List.of(
    rendition("top", 320, 180, "h264", "aac"),
    rendition("hevc", 256, 144, "hevc", "aac"),
    rendition("vp9", 0, 120, "vp9", "opus"),
    rendition("av1", 160, 90, "av1", "mp3"));

  @Test
  void eachCodecMapsToItsEncoderWithItsLiveSpeedSettings() {
    List<String> args = FfmpegCommand.build(pipeline(MIXED, "fmp4", false, null), OUT, 0);
    assertThat(valueOf(args, "-c:v:0")).isEqualTo("libx264");
    assertThat(valueOf(args, "-c:v:1")).isEqualTo("libx265");
    assertThat(valueOf(args, "-x265-params:v:1")).isEqualTo("log-level=error");
    assertThat(valueOf(args, "-c:v:2")).isEqualTo("libvpx-vp9");
    assertThat(valueOf(args, "-deadline:v:2")).isEqualTo("realtime");
    assertThat(valueOf(args, "-cpu-used:v:2")).isEqualTo("8");
    assertThat(valueOf(args, "-c:v:3")).isEqualTo("libsvtav1");
    assertThat(valueOf(args, "-preset:v:3")).isEqualTo("12");
    assertThat(args).as("SVT-AV1 refuses a max rate in VBR mode").doesNotContain("-maxrate:v:3");
    assertThat(args.indexOf("-preset")).as("the shared preset comes before the AV1 override")
      .isLessThan(args.indexOf("-preset:v:3"));
    assertThat(valueOf(args, "-c:a:0")).isEqualTo("aac");
    assertThat(valueOf(args, "-c:a:2")).isEqualTo("libopus");
    assertThat(valueOf(args, "-c:a:3")).isEqualTo("libmp3lame");
  }

  @Test
  void rateControlGopAndKeyframesComeFromTheRendition() {
    List<String> args = FfmpegCommand.build(pipeline(MIXED, "fmp4", false, null), OUT, 0);
    assertThat(valueOf(args, "-b:v:1")).isEqualTo("300k");
    assertThat(valueOf(args, "-maxrate:v:1")).isEqualTo("450k");
    assertThat(valueOf(args, "-bufsize:v:1")).isEqualTo("900k");
    assertThat(valueOf(args, "-r:v:1")).isEqualTo("15");
    assertThat(valueOf(args, "-g:v:1")).isEqualTo("30");
    assertThat(valueOf(args, "-keyint_min:v:1")).isEqualTo("30");
    assertThat(valueOf(args, "-force_key_frames")).isEqualTo("expr:gte(t,n_forced*2)");
    assertThat(valueOf(args, "-b:a:3")).isEqualTo("64k");
  }

  @Test
  void heightOnlyRenditionKeepsTheSourceAspect() {
    List<String> args = FfmpegCommand.build(pipeline(MIXED, "fmp4", false, null), OUT, 0);
    assertThat(valueOf(args, "-filter_complex")).contains("[v2]scale=-2:120[v2out]");
    List<String> heightOnlyTop = FfmpegCommand.build(pipeline(List.of(rendition("a", 0, 360, "h264", "aac")),
      "ts", false, null), OUT, 0);
    assertThat(String.join(" ", heightOnlyTop)).contains("testsrc2=size=640x360:rate=15");
  }

  @Test
  void fmp4SegmentsAreRequestedWithM4sNames() {
    List<String> args = FfmpegCommand.build(pipeline(MIXED, "fmp4", false, null), OUT, 0);
    assertThat(valueOf(args, "-hls_segment_type")).isEqualTo("fmp4");
    assertThat(valueOf(args, "-hls_segment_filename")).isEqualTo("/work/hls/%v/seg_%05d.m4s");
    assertThat(valueOf(args, "-hls_time")).isEqualTo("4");
    assertThat(valueOf(args, "-hls_list_size")).isEqualTo("5");
  }

  @Test
  void tsSegmentsKeepTheOriginalShape() {
    List<String> args = FfmpegCommand.build(pipeline(List.of(rendition("a", 320, 180, "h264", "aac")), "ts", false,
      null), OUT, 0);
    assertThat(args).doesNotContain("-hls_segment_type", "tee");
    assertThat(valueOf(args, "-hls_segment_filename")).endsWith("seg_%05d.ts");
  }

  @Test
  void dashIsASecondTeeOutputOfTheSameEncodes() {
    List<Rendition> ladder = List.of(rendition("a", 320, 180, "h264", "aac"), rendition("b", 160, 90, "h264", "aac"));
    List<String> args = FfmpegCommand.build(pipeline(ladder, "fmp4", true, null), OUT, 0);
    assertThat(args.get(args.lastIndexOf("-f") + 1)).isEqualTo("tee");
    assertThat(args.stream().filter("-c:v:0"::equals)).as("one encode per rendition").hasSize(1);
    String tee = args.get(args.size() - 1);
    assertThat(tee).isEqualTo("[f=hls:hls_time=4:hls_list_size=5:hls_flags=delete_segments+independent_segments"
      + ":hls_segment_type=fmp4:master_pl_name=master.m3u8"
      + ":var_stream_map=\\'v\\:0,a\\:0,name\\:a v\\:1,a\\:1,name\\:b\\'"
      + ":hls_segment_filename=/work/hls/%v/seg_%05d.m4s]/work/hls/%v/index.m3u8"
      + "|[f=dash:seg_duration=4:window_size=5:streaming=1"
      + ":adaptation_sets=\\'id=0,streams=v id=1,streams=a\\']/work/hls/dash/manifest.mpd");
    assertThat(args).doesNotContain("-flags:v");
  }

  @Test
  void dashDeliveredToACdnNamesItsSegmentsAfterTheRunSoNoNameComesBack() {
    List<Rendition> ladder = List.of(rendition("a", 320, 180, "h264", "aac"));
    Pipeline p = pipeline(ladder, "ts", true, null);
    Pipeline toCdn = new Pipeline(p.machineId(), p.streamId(), p.agentToken(), p.heartbeatSeconds(), p.input(),
      p.renditions(), p.hls(), p.x264Preset(), p.advertisedHost(), true, null, p.watch(),
      new Pipeline.Delivery("failover", true, 10, 30, List.of(new io.ltm.cdn.domain.CdnTarget("cdn_1", "dav",
        "http-put", java.util.Map.of("url", "http://cdn/x"), java.util.Map.of()))));
    String tee = FfmpegCommand.build(toCdn, OUT, 0, null, 1_790_000_000L).get(
      FfmpegCommand.build(toCdn, OUT, 0, null, 1_790_000_000L).size() - 1);
    assertThat(tee).contains(":init_seg_name=\\'init-1790000000-stream$RepresentationID$.$ext$\\'"
      + ":media_seg_name=\\'chunk-1790000000-stream$RepresentationID$-$Number%05d$.$ext$\\']/work/hls/dash/manifest.mpd");
    // The advertised host of a cloud machine changes the URLs, never where the stream goes.
    assertThat(toCdn.withAdvertisedHost("203.0.113.7").delivery()).isEqualTo(toCdn.delivery());
  }

  @Test
  void restreamSendsOnlyTheChosenRenditionAndMayFailAlone() {
    List<Rendition> ladder = List.of(rendition("a", 320, 180, "h264", "aac"), rendition("b", 160, 90, "h264", "aac"));
    List<String> args = FfmpegCommand.build(pipeline(ladder, "ts", false,
      new Pipeline.Restream("b", "rtmp://live.example.com/app/key")), OUT, 0);
    String tee = args.get(args.size() - 1);
    assertThat(tee).endsWith("|[f=flv:select=\\'v\\:1,a\\:1\\':onfail=ignore]rtmp://live.example.com/app/key");
    assertThat(valueOf(args, "-flags:v")).isEqualTo("+global_header");
  }

  @Test
  void audioOnlyLadderHasNoVideoGraphOrEncodes() {
    List<Rendition> radio = List.of(new Rendition("hi", 0, 0, 0, 0, 0, 0, 0, "none", "aac", 128),
      new Rendition("lo", 0, 0, 0, 0, 0, 0, 0, "none", "aac", 48));
    List<String> args = FfmpegCommand.build(pipeline(radio, "ts", false, null), Path.of("/o"), 0);
    assertThat(args).doesNotContain("-filter_complex", "-c:v:0", "-pix_fmt");
    assertThat(args).containsSubsequence("-map", "1:a", "-map", "1:a");
    assertThat(valueOf(args, "-var_stream_map")).isEqualTo("a:0,name:hi a:1,name:lo");
    assertThat(valueOf(args, "-b:a:1")).isEqualTo("48k");
  }
}
