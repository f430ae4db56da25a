package io.ltm.agent;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HlsPlaylistTest {
  static final String LIVE = """
    #EXTM3U
    #EXT-X-VERSION:3
    #EXT-X-TARGETDURATION:2
    #EXT-X-MEDIA-SEQUENCE:1700000010
    #EXTINF:2.000000,
    seg_1700000010.ts
    #EXTINF:2.000000,
    seg_1700000011.ts
    #EXTINF:1.960000,
    seg_1700000012.ts
    """;

  @Test
  void segmentsCarryTheirSequenceNumberAndDuration() {
    HlsPlaylist p = HlsPlaylist.parse(LIVE);
    assertThat(p.segments()).hasSize(3);
    assertThat(p.segments().get(2)).isEqualTo(new HlsPlaylist.Segment(1700000012L, 1.96, "seg_1700000012.ts"));
    assertThat(p.ended()).isFalse();
  }

  @Test
  void droppingTheFirstSegmentsKeepsEveryOtherSegmentsNumber() {
    HlsPlaylist p = HlsPlaylist.parse(HlsPlaylist.dropFirst(LIVE, 2));
    assertThat(p.segments()).containsExactly(new HlsPlaylist.Segment(1700000012L, 1.96, "seg_1700000012.ts"));
    assertThat(HlsPlaylist.dropFirst(LIVE, 2)).contains("#EXT-X-TARGETDURATION:2").doesNotContain("seg_1700000011");
  }

  @Test
  void theFmp4InitSectionIsFound() {
    HlsPlaylist p = HlsPlaylist.parse("#EXTM3U\n#EXT-X-MAP:URI=\"init_0.mp4\"\n#EXTINF:2.0,\nseg_1.m4s\n");
    assertThat(p.initUri()).isEqualTo("init_0.mp4");
  }
}
