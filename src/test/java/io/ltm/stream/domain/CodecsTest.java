package io.ltm.stream.domain;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CodecsTest {

  @Test
  void encoderNamesAreReadFromFfmpegsListing() {
    String listing = """
      Encoders:
       V..... = Video
       A..... = Audio
       ------
       V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
       V..... libsvtav1            SVT-AV1(Scalable Video Technology for AV1) encoder (codec av1)
       A..X.. opus                 Opus
       A....D libopus              libopus Opus (codec opus)
      """;
    assertThat(Codecs.parseEncoders(listing)).containsExactlyInAnyOrder("libx264", "libsvtav1", "opus", "libopus");
  }
}
