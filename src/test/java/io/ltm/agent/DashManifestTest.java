package io.ltm.agent;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DashManifestTest {

  /** As ffmpeg 5.1's dash muxer wrote it for a two-rendition ladder (streaming, window 3), with run-named segments. */
  static final String LIVE = """
    <?xml version="1.0" encoding="utf-8"?>
    <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic"
    \tminimumUpdatePeriod="PT2S" availabilityStartTime="2026-11-26T18:30:38.480Z" timeShiftBufferDepth="PT6.0S">
    \t<Period id="0" start="PT0.0S">
    \t\t<AdaptationSet id="0" contentType="video" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true">
    \t\t\t<Representation id="0" mimeType="video/mp4" codecs="avc1" bandwidth="800000" width="640" height="360" sar="1:1">
    \t\t\t\t<SegmentTemplate timescale="12800" availabilityTimeComplete="false" initialization="init-17-stream$RepresentationID$.m4s" media="chunk-17-stream$RepresentationID$-$Number%05d$.m4s" startNumber="3">
    \t\t\t\t\t<SegmentTimeline>
    \t\t\t\t\t\t<S t="51200" d="25600" r="2" />
    \t\t\t\t\t</SegmentTimeline>
    \t\t\t\t</SegmentTemplate>
    \t\t\t</Representation>
    \t\t</AdaptationSet>
    \t\t<AdaptationSet id="1" contentType="audio" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true">
    \t\t\t<Representation id="1" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="96000" audioSamplingRate="48000">
    \t\t\t\t<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2" />
    \t\t\t\t<SegmentTemplate timescale="48000" availabilityTimeComplete="false" initialization="init-17-stream$RepresentationID$.m4s" media="chunk-17-stream$RepresentationID$-$Number%05d$.m4s" startNumber="3">
    \t\t\t\t\t<SegmentTimeline>
    \t\t\t\t\t\t<S t="188416" d="96256" r="1" />
    \t\t\t\t\t\t<S d="95232" />
    \t\t\t\t\t</SegmentTimeline>
    \t\t\t\t</SegmentTemplate>
    \t\t\t</Representation>
    \t\t</AdaptationSet>
    \t</Period>
    </MPD>
    """;

  @Test
  void theTimelineNamesEverySegmentOfEachRepresentationWithItsNumberAndTime() {
    DashManifest m = DashManifest.parse(LIVE);
    assertThat(m.representations()).extracting(DashManifest.Representation::id).containsExactly("0", "1");
    DashManifest.Representation video = m.representations().get(0);
    assertThat(video.initUri()).isEqualTo("init-17-stream0.m4s");
    assertThat(video.segments()).extracting(DashManifest.Segment::uri)
      .containsExactly("chunk-17-stream0-00003.m4s", "chunk-17-stream0-00004.m4s", "chunk-17-stream0-00005.m4s");
    assertThat(video.segments()).extracting(DashManifest.Segment::time).containsExactly(51200L, 76800L, 102400L);
    DashManifest.Representation audio = m.representations().get(1);
    assertThat(audio.segments()).extracting(DashManifest.Segment::number).containsExactly(3L, 4L, 5L);
    assertThat(audio.segments()).extracting(DashManifest.Segment::time).containsExactly(188416L, 284672L, 380928L);
    assertThat(audio.segments()).extracting(DashManifest.Segment::duration).containsExactly(96256L, 96256L, 95232L);
  }

  @Test
  void droppingTheFirstSegmentsKeepsEveryOtherSegmentsNumberAndTime() {
    String trimmed = DashManifest.dropFirst(LIVE, Map.of("0", 2, "1", 1));
    DashManifest m = DashManifest.parse(trimmed);
    assertThat(m.representations().get(0).segments())
      .containsExactly(DashManifest.parse(LIVE).representations().get(0).segments().get(2));
    assertThat(m.representations().get(1).segments())
      .containsExactlyElementsOf(DashManifest.parse(LIVE).representations().get(1).segments().subList(1, 3));
    assertThat(trimmed).contains("<S t=\"102400\" d=\"25600\" />").contains("<S t=\"284672\" d=\"96256\" />")
      .contains("startNumber=\"5\"").contains("startNumber=\"4\"");
    // Everything else is as ffmpeg wrote it.
    assertThat(trimmed.lines().count()).isEqualTo(LIVE.lines().count());
    assertThat(DashManifest.dropFirst(LIVE, Map.of())).isEqualTo(LIVE);
  }

  @Test
  void aCdnPublishesOnlyWhatItHasFromAfterTheNewestSegmentItLacks() {
    DashManifest parsed = DashManifest.parse(LIVE);
    assertThat(DashManifest.publishable(LIVE, parsed, (r, n) -> true)).isEqualTo(LIVE);
    // Video segment 4 never reached the CDN (dropped): video starts at 5; audio has everything.
    String trimmed = DashManifest.publishable(LIVE, parsed, (r, n) -> !(r.id().equals("0") && n == 4));
    assertThat(DashManifest.parse(trimmed).representations().get(0).segments()).extracting(DashManifest.Segment::number)
      .containsExactly(5L);
    assertThat(DashManifest.parse(trimmed).representations().get(1).segments()).hasSize(3);
    // Nothing a player could use: no init segment, or not even the newest segment of one representation.
    assertThat(DashManifest.publishable(LIVE, parsed, (r, n) -> n != Long.MIN_VALUE)).isNull();
    assertThat(DashManifest.publishable(LIVE, parsed, (r, n) -> !(r.id().equals("1") && n == 5))).isNull();
  }

  @Test
  void theDefaultTemplatesAndAPlainNumberAreFilledIn() {
    String manifest = LIVE.replace("init-17-stream", "init-stream").replace("chunk-17-stream$RepresentationID$-$Number%05d$",
      "chunk-stream$RepresentationID$-$Number$");
    List<DashManifest.Segment> video = DashManifest.parse(manifest).representations().get(0).segments();
    assertThat(video.get(0).uri()).isEqualTo("chunk-stream0-3.m4s");
    assertThat(DashManifest.parse(manifest).representations().get(1).initUri()).isEqualTo("init-stream1.m4s");
    assertThat(DashManifest.parse("<MPD></MPD>").representations()).isEmpty();
  }
}
