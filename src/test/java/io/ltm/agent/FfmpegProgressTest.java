package io.ltm.agent;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FfmpegProgressTest {

  static List<FfmpegProgress> feed(String text) {
    FfmpegProgress.Parser parser = new FfmpegProgress.Parser();
    List<FfmpegProgress> blocks = new ArrayList<>();
    text.lines().forEach(line -> parser.accept(line).ifPresent(blocks::add));
    return blocks;
  }

  @Test
  void blockIsReadWhenItsProgressLineArrives() {
    List<FfmpegProgress> blocks = feed("""
      frame=45
      fps=14.98
      stream_0_0_q=23.0
      bitrate= 141.8kbits/s
      total_size=49632
      out_time_us=2800000
      dup_frames=2
      drop_frames=1
      speed=1.01x
      progress=continue
      """);
    assertThat(blocks).containsExactly(new FfmpegProgress(45, 14.98, 141.8, 1.01, 1, 2, false));
  }

  @Test
  void valuesNotYetKnownReadAsZero() {
    List<FfmpegProgress> blocks = feed("""
      frame=1
      fps=0.00
      bitrate=N/A
      total_size=N/A
      dup_frames=0
      drop_frames=0
      speed=   0x
      progress=continue
      """);
    assertThat(blocks).containsExactly(new FfmpegProgress(1, 0, 0, 0, 0, 0, false));
  }

  @Test
  void lastBlockIsMarkedEnded() {
    List<FfmpegProgress> blocks = feed("frame=10\nprogress=continue\nframe=20\nspeed=1.22e+04x\nprogress=end\n");
    assertThat(blocks).hasSize(2);
    assertThat(blocks.get(0).ended()).isFalse();
    assertThat(blocks.get(1)).isEqualTo(new FfmpegProgress(20, 0, 0, 12200, 0, 0, true));
  }

  @Test
  void blocksDoNotLeakValuesIntoTheNextOne() {
    List<FfmpegProgress> blocks = feed("frame=10\ndrop_frames=3\nprogress=continue\nframe=11\nprogress=continue\n");
    assertThat(blocks.get(1).dropFrames()).isZero();
  }

  @Test
  void bitrateInMegabitsOrBitsIsConvertedToKbps() {
    assertThat(FfmpegProgress.kbpsOf("2.5Mbits/s")).isEqualTo(2500.0);
    assertThat(FfmpegProgress.kbpsOf("800bits/s")).isEqualTo(0.8);
  }

  @Test
  void garbageLinesAreIgnored() {
    assertThat(feed("not a progress line\n=x\nframe=abc\nprogress=continue\n"))
      .containsExactly(new FfmpegProgress(0, 0, 0, 0, 0, 0, false));
  }
}
