package io.ltm.agent;

import io.ltm.stream.domain.Rendition;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FfmpegCommandTest {

  static final Path OUT = Path.of("/work/hls");

  static Pipeline pipeline(Pipeline.Input input, List<Rendition> ladder) {
    return new Pipeline("mch_1", "str_1", "tok", 2, input, ladder, new Pipeline.Hls(2, 6), "veryfast", "localhost");
  }

  static final List<Rendition> LADDER = List.of(
    new Rendition("720p", 1280, 720, 3000, 30, 128),
    new Rendition("360p", 640, 360, 800, 30, 96));

  static List<String> testPattern() {
    return FfmpegCommand.build(pipeline(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), LADDER), OUT, 0);
  }

  /** The value that follows {@code option} on the command line. */
  static String valueOf(List<String> args, String option) {
    int i = args.indexOf(option);
    assertThat(i).as("option %s present", option).isNotNegative();
    return args.get(i + 1);
  }

  @Test
  void testPatternReadsSyntheticVideoAtTopResolutionAndATone() {
    List<String> args = testPattern();
    assertThat(args.get(0)).isEqualTo("ffmpeg");
    assertThat(String.join(" ", args))
      .contains("-re -f lavfi -i testsrc2=size=1280x720:rate=30")
      .contains("-re -f lavfi -i sine=frequency=1000:sample_rate=48000");
    assertThat(args).doesNotContain("-listen");
  }

  @Test
  void rtmpInputListensOnTheGivenPortAndStreamKey() {
    List<String> args = FfmpegCommand.build(pipeline(new Pipeline.Input(Pipeline.Input.RTMP, "sk_abc"), LADDER),
      OUT, 19350);
    // Loopback only: the agent's ingest front owns the public port and checks address and key first.
    assertThat(String.join(" ", args)).contains("-listen 1 -i rtmp://127.0.0.1:19350/live/sk_abc")
      .doesNotContain("0.0.0.0");
    assertThat(args).doesNotContain("lavfi");
    assertThat(args).containsSubsequence("-map", "[v1out]", "-map", "0:a");
  }

  @Test
  void oneDecodeIsSplitIntoOneScalePerRendition() {
    List<String> args = testPattern();
    assertThat(valueOf(args, "-filter_complex"))
      .isEqualTo("[0:v]split=2[v0][v1];[v0]scale=1280:720[v0out];[v1]scale=640:360[v1out]");
    assertThat(args).containsSubsequence("-map", "[v0out]", "-map", "1:a", "-map", "[v1out]", "-map", "1:a");
  }

  @Test
  void eachRenditionGetsItsOwnX264EncodeWithBitrateCapAndGopOfOneSegment() {
    List<String> args = testPattern();
    assertThat(valueOf(args, "-c:v:0")).isEqualTo("libx264");
    assertThat(valueOf(args, "-c:v:1")).isEqualTo("libx264");
    assertThat(valueOf(args, "-b:v:0")).isEqualTo("3000k");
    assertThat(valueOf(args, "-maxrate:v:0")).isEqualTo("3000k");
    assertThat(valueOf(args, "-bufsize:v:0")).isEqualTo("6000k");
    assertThat(valueOf(args, "-b:v:1")).isEqualTo("800k");
    assertThat(valueOf(args, "-r:v:1")).isEqualTo("30");
    assertThat(valueOf(args, "-g:v:1")).isEqualTo("60");
    assertThat(valueOf(args, "-keyint_min:v:1")).isEqualTo("60");
    assertThat(valueOf(args, "-c:a:1")).isEqualTo("aac");
    assertThat(valueOf(args, "-b:a:1")).isEqualTo("96k");
    assertThat(valueOf(args, "-preset")).isEqualTo("veryfast");
    assertThat(valueOf(args, "-pix_fmt")).isEqualTo("yuv420p");
  }

  @Test
  void keyframesAreForcedAtEverySegmentBoundarySoRenditionsAlign() {
    List<String> args = testPattern();
    assertThat(valueOf(args, "-sc_threshold")).isEqualTo("0");
    assertThat(valueOf(args, "-force_key_frames")).isEqualTo("expr:gte(t,n_forced*2)");
  }

  @Test
  void hlsOutputHasMasterPlaylistAndOneFolderPerRenditionName() {
    List<String> args = testPattern();
    assertThat(args).containsSubsequence("-f", "hls");
    assertThat(valueOf(args, "-var_stream_map")).isEqualTo("v:0,a:0,name:720p v:1,a:1,name:360p");
    assertThat(valueOf(args, "-master_pl_name")).isEqualTo("master.m3u8");
    assertThat(valueOf(args, "-hls_time")).isEqualTo("2");
    assertThat(valueOf(args, "-hls_list_size")).isEqualTo("6");
    assertThat(valueOf(args, "-hls_flags")).isEqualTo("delete_segments+independent_segments");
    assertThat(valueOf(args, "-hls_segment_filename")).isEqualTo("/work/hls/%v/seg_%05d.ts");
    assertThat(args.get(args.size() - 1)).isEqualTo("/work/hls/%v/index.m3u8");
  }

  @Test
  void progressGoesToStdoutAndOnlyErrorsToStderr() {
    List<String> args = testPattern();
    assertThat(valueOf(args, "-progress")).isEqualTo("pipe:1");
    assertThat(valueOf(args, "-loglevel")).isEqualTo("error");
    assertThat(args).contains("-nostats", "-nostdin");
  }

  @Test
  void renditionNameThatCouldEscapeItsFolderIsRejected() {
    List<Rendition> bad = List.of(new Rendition("../x", 320, 180, 300, 15, 64));
    assertThatThrownBy(() -> FfmpegCommand.build(
      pipeline(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), bad), OUT, 0))
      .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void emptyLadderIsRejected() {
    assertThatThrownBy(() -> FfmpegCommand.build(
      pipeline(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), List.of()), OUT, 0))
      .isInstanceOf(IllegalArgumentException.class);
  }
}
