package io.ltm.stream.domain;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ConfigRulesTest {
  static final Set<String> ALL = Set.of("libx264", "libx265", "libvpx-vp9", "libsvtav1", "aac", "libopus", "libmp3lame");
  static final ConfigRules.Limits MOBILE = new ConfigRules.Limits(426, 240, 25, 6);

  static Rendition r(String name, int width, int height) {
    return new Rendition(name, width, height, 300, 15, 64).withDefaults();
  }

  static StreamConfig config(List<Rendition> ladder) {
    return new StreamConfig(null, ladder, StreamConfig.Outputs.DEFAULT).withDefaults();
  }

  static final List<Rendition> TINY = List.of(r("a", 320, 180), r("b", 256, 144), r("c", 160, 90));

  static InvalidConfigException rejected(StreamConfig config, Set<String> encoders) {
    InvalidConfigException e = catchThrowableOfType(InvalidConfigException.class,
      () -> ConfigRules.check(config, MOBILE, encoders));
    assertThat(e).as("rejected").isNotNull();
    return e;
  }

  static InvalidConfigException rejected(StreamConfig config) {
    return rejected(config, ALL);
  }

  static List<Rendition> with(int index, Rendition replacement) {
    List<Rendition> ladder = new ArrayList<>(TINY);
    ladder.set(index, replacement);
    return ladder;
  }

  @Test
  void tinyThreeRungLadderWithinTheOfferIsAccepted() {
    assertThatCode(() -> ConfigRules.check(config(TINY), MOBILE, ALL)).doesNotThrowAnyException();
  }

  @Test
  void renditionLargerThanTheOfferAllowsNamesItsField() {
    InvalidConfigException e = rejected(config(with(1, r("b", 640, 360))));
    assertThat(e.field()).isEqualTo("renditions[1].height");
    assertThat(e.code()).isEqualTo("rendition_too_large");
    assertThat(rejected(config(with(2, r("c", 640, 240)))).field()).isEqualTo("renditions[2].width");
  }

  @Test
  void oddDimensionsAreRejected() {
    assertThat(rejected(config(with(1, r("b", 256, 143)))).field()).isEqualTo("renditions[1].height");
    assertThat(rejected(config(with(0, r("a", 321, 180)))).code()).isEqualTo("odd_dimension");
  }

  @Test
  void heightOnlyRenditionIsAccepted() {
    assertThatCode(() -> ConfigRules.check(config(with(0, r("a", 0, 180))), MOBILE, ALL)).doesNotThrowAnyException();
  }

  @Test
  void bitrateOutOfRangeIsRejected() {
    Rendition low = new Rendition("b", 256, 144, 10, 15, 64).withDefaults();
    InvalidConfigException e = rejected(config(with(1, low)));
    assertThat(e.field()).isEqualTo("renditions[1].videoBitrateKbps");
    assertThat(e.code()).isEqualTo("out_of_range");
    Rendition loud = new Rendition("b", 256, 144, 300, 15, 900).withDefaults();
    assertThat(rejected(config(with(1, loud))).field()).isEqualTo("renditions[1].audioBitrateKbps");
    Rendition capBelowTarget = new Rendition("b", 256, 144, 300, 200, 0, 15, 2, "h264", "aac", 64).withDefaults();
    assertThat(rejected(config(with(1, capBelowTarget))).field()).isEqualTo("renditions[1].maxRateKbps");
  }

  @Test
  void unknownAndUnavailableCodecsAreRejected() {
    Rendition mpeg2 = new Rendition("b", 256, 144, 300, 0, 0, 15, 2, "mpeg2", "aac", 64);
    InvalidConfigException unknown = rejected(config(with(1, mpeg2)));
    assertThat(unknown.field()).isEqualTo("renditions[1].videoCodec");
    assertThat(unknown.code()).isEqualTo("unknown_codec");
    Rendition av1 = new Rendition("b", 256, 144, 300, 0, 0, 15, 2, "av1", "aac", 64);
    StreamConfig fmp4 = new StreamConfig(null, with(1, av1),
      new StreamConfig.Outputs(new StreamConfig.Hls("fmp4", 2, 6), false, null)).withDefaults();
    InvalidConfigException unavailable = rejected(fmp4, Set.of("libx264", "aac"));
    assertThat(unavailable.code()).isEqualTo("codec_unavailable");
    assertThat(unavailable.field()).isEqualTo("renditions[1].videoCodec");
    assertThatCode(() -> ConfigRules.check(fmp4, MOBILE, ALL)).doesNotThrowAnyException();
    Rendition flac = new Rendition("b", 256, 144, 300, 0, 0, 15, 2, "h264", "flac", 64);
    assertThat(rejected(config(with(1, flac))).field()).isEqualTo("renditions[1].audioCodec");
  }

  @Test
  void duplicateNamesAreRejected() {
    InvalidConfigException e = rejected(config(with(2, r("a", 160, 90))));
    assertThat(e.field()).isEqualTo("renditions[2].name");
    assertThat(e.code()).isEqualTo("duplicate_name");
  }

  @Test
  void tooManyRenditionsAreRejected() {
    List<Rendition> seven = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      seven.add(r("r" + i, 160, 90));
    }
    InvalidConfigException e = rejected(config(seven));
    assertThat(e.field()).isEqualTo("renditions");
    assertThat(e.code()).isEqualTo("too_many_renditions");
    assertThat(rejected(config(List.of())).code()).isEqualTo("empty_ladder");
  }

  @Test
  void codecsThatMpegTsCannotCarryAskForFmp4() {
    Rendition vp9 = new Rendition("b", 256, 144, 300, 0, 0, 15, 2, "vp9", "aac", 64);
    InvalidConfigException e = rejected(config(with(1, vp9)));
    assertThat(e.field()).isEqualTo("renditions[1].videoCodec");
    assertThat(e.code()).isEqualTo("unsupported_combination");
    assertThat(e.getMessage()).contains("fmp4");
    Rendition opus = new Rendition("b", 256, 144, 300, 0, 0, 15, 2, "h264", "opus", 64);
    assertThat(rejected(config(with(1, opus))).field()).isEqualTo("renditions[1].audioCodec");
  }

  @Test
  void keyframesMustAlignAcrossRenditionsAndSegments() {
    Rendition gop4 = new Rendition("b", 256, 144, 300, 0, 0, 15, 4, "h264", "aac", 64);
    assertThat(rejected(config(with(1, gop4))).field()).isEqualTo("renditions[1].gopSeconds");
    StreamConfig odd = new StreamConfig(null, TINY,
      new StreamConfig.Outputs(new StreamConfig.Hls("ts", 3, 6), false, null)).withDefaults();
    assertThat(rejected(odd).field()).isEqualTo("outputs.hls.segmentSeconds");
  }

  @Test
  void fpsAboveTheOffersIsRejected() {
    Rendition fast = new Rendition("b", 256, 144, 300, 60, 64).withDefaults();
    assertThat(rejected(config(with(1, fast))).field()).isEqualTo("renditions[1].fps");
  }

  @Test
  void restreamNeedsAnExistingFlvCompatibleRenditionAndAnRtmpUrl() {
    StreamConfig.Hls fmp4 = new StreamConfig.Hls("fmp4", 2, 6);
    StreamConfig unknown = new StreamConfig(null, TINY, new StreamConfig.Outputs(fmp4, false,
      new StreamConfig.Restream("nope", "rtmp://example.com/live/k"))).withDefaults();
    assertThat(rejected(unknown).field()).isEqualTo("outputs.rtmp.rendition");
    StreamConfig http = new StreamConfig(null, TINY, new StreamConfig.Outputs(fmp4, false,
      new StreamConfig.Restream("b", "http://example.com/live/k"))).withDefaults();
    assertThat(rejected(http).field()).isEqualTo("outputs.rtmp.url");
    Rendition vp9 = new Rendition("b", 256, 144, 300, 0, 0, 15, 2, "vp9", "aac", 64);
    StreamConfig vp9Push = new StreamConfig(null, with(1, vp9), new StreamConfig.Outputs(fmp4, false,
      new StreamConfig.Restream("b", "rtmp://example.com/live/k"))).withDefaults();
    assertThat(rejected(vp9Push).field()).isEqualTo("outputs.rtmp.rendition");
    StreamConfig good = new StreamConfig(null, TINY, new StreamConfig.Outputs(fmp4, true,
      new StreamConfig.Restream("b", "rtmp://example.com:1935/live/k"))).withDefaults();
    assertThatCode(() -> ConfigRules.check(good, MOBILE, ALL)).doesNotThrowAnyException();
  }

  @Test
  void audioOnlyLadderIsAcceptedButNotMixedWithVideo() {
    Rendition radio = new Rendition("hi", 0, 0, 0, 0, 0, 0, 0, "none", "aac", 128).withDefaults();
    Rendition radioLo = new Rendition("lo", 0, 0, 0, 0, 0, 0, 0, "none", "aac", 48).withDefaults();
    assertThatCode(() -> ConfigRules.check(config(List.of(radio, radioLo)), MOBILE, ALL)).doesNotThrowAnyException();
    InvalidConfigException mixed = rejected(config(List.of(r("a", 320, 180), radio)));
    assertThat(mixed.field()).isEqualTo("renditions[1].videoCodec");
  }

  @Test
  void limitsComeFromTheOffersLargestRendition() {
    ConfigRules.Limits limits = ConfigRules.Limits.of(List.of(new Rendition("240p", 426, 240, 400, 25, 64),
      new Rendition("144p", 256, 144, 180, 15, 48)));
    assertThat(limits).isEqualTo(new ConfigRules.Limits(426, 240, 25, ConfigRules.MAX_RENDITIONS));
  }
}
