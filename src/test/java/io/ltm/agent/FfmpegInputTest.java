package io.ltm.agent;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The input side of the ffmpeg command and its thumbnail output. */
class FfmpegInputTest {

  static final Path OUT = Path.of("/work/hls");
  static final Path THUMB = Path.of("/work/thumb.jpg");

  static List<String> build(Pipeline.Input input) {
    return FfmpegCommand.build(FfmpegCommandTest.pipeline(input, FfmpegCommandTest.LADDER), OUT, 40000, THUMB);
  }

  @Test
  void srtListensOnTheLoopbackWithThePassphraseOnStdinNotOnTheCommandLine() {
    Pipeline.Input input = new Pipeline.Input(Pipeline.Input.SRT, null, null, "0123456789abc", List.of(), List.of());
    List<String> args = build(input);
    String line = String.join(" ", args);
    assertThat(args).containsSubsequence("-protocol_whitelist", "pipe,srt,udp", "-f", "concat", "-safe", "0", "-i",
      "pipe:0");
    assertThat(line).doesNotContain("0123456789abc").doesNotContain("passphrase").doesNotContain("0.0.0.0")
      .doesNotContain("-listen");
    assertThat(FfmpegCommand.stdin(FfmpegCommandTest.pipeline(input, FfmpegCommandTest.LADDER), 40000)).isEqualTo("""
      ffconcat version 1.0
      file 'srt://127.0.0.1:40000?mode=listener&pbkeylen=16'
      option passphrase '0123456789abc'
      """);
  }

  @Test
  void srtPassphraseQuotesAreEscapedAndLineBreaksRefused() {
    String script = FfmpegCommand.stdin(FfmpegCommandTest.pipeline(new Pipeline.Input(Pipeline.Input.SRT, null, null,
      "it's&#a?pass", List.of(), List.of()), FfmpegCommandTest.LADDER), 1);
    assertThat(script).endsWith("option passphrase 'it'\\''s&#a?pass'\n");
    assertThatThrownBy(() -> FfmpegCommand.stdin(FfmpegCommandTest.pipeline(new Pipeline.Input(Pipeline.Input.SRT,
      null, null, "0123456789\nfile 'x'", List.of(), List.of()), FfmpegCommandTest.LADDER), 1))
      .isInstanceOf(IllegalArgumentException.class);
    assertThat(FfmpegCommand.stdin(FfmpegCommandTest.pipeline(new Pipeline.Input(Pipeline.Input.RTMP, "sk"),
      FfmpegCommandTest.LADDER), 1)).isNull();
  }

  @Test
  void pullReadsTheUrlAtItsOwnPaceWithATimeout() {
    List<String> args = build(new Pipeline.Input(Pipeline.Input.PULL, null, "https://cdn.example/live.m3u8", null,
      List.of(), List.of()));
    assertThat(args).containsSubsequence("-re", "-rw_timeout", "10000000", "-i", "https://cdn.example/live.m3u8");
    assertThat(args).containsSubsequence("-map", "[v0out]", "-map", "0:a");
    assertThat(String.join(" ", args)).doesNotContain("lavfi");
  }

  @Test
  void theThumbnailIsASecondOutputOfTheSameDecodeAfterTheHlsOne() {
    List<String> args = build(new Pipeline.Input(Pipeline.Input.RTMP, "sk"));
    int hls = args.indexOf(OUT.resolve("%v").resolve(FfmpegCommand.RENDITION_PLAYLIST).toString());
    int thumb = args.indexOf(THUMB.toString());
    assertThat(hls).isPositive();
    assertThat(thumb).isEqualTo(args.size() - 1).isGreaterThan(hls);
    assertThat(args.subList(hls, thumb)).containsSubsequence("-filter_complex", "[0:v]fps=1,scale=-2:180[thumb]",
      "-map", "[thumb]", "-f", "image2", "-update", "1");
    // One input only: the thumbnail reads the decode the ladder reads.
    assertThat(args.stream().filter("-i"::equals).count()).isEqualTo(1);
  }

  @Test
  void withoutAThumbnailFileTheHlsOutputIsLast() {
    List<String> args = FfmpegCommand.build(FfmpegCommandTest.pipeline(new Pipeline.Input(Pipeline.Input.RTMP, "sk"),
      FfmpegCommandTest.LADDER), OUT, 40000);
    assertThat(args.get(args.size() - 1)).endsWith(FfmpegCommand.RENDITION_PLAYLIST);
    assertThat(args).doesNotContain("[thumb]");
  }
}
