package io.ltm.stream.domain;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether a stream configuration can run on this offer and this host's ffmpeg. The first mistake found is
 * thrown as an {@link InvalidConfigException} whose field is a path into the request, such as
 * {@code renditions[1].height}.
 */
public final class ConfigRules {
  public static final int MAX_RENDITIONS = 6;
  public static final int MIN_VIDEO_KBPS = 50;
  public static final int MAX_VIDEO_KBPS = 20_000;
  public static final int MIN_AUDIO_KBPS = 16;
  public static final int MAX_AUDIO_KBPS = 320;
  private static final String NAME = "[A-Za-z0-9_-]{1,32}";

  /** What an offer allows: no rendition larger or faster than the offer's own largest. */
  public record Limits(int maxWidth, int maxHeight, int maxFps, int maxRenditions) {
    public static Limits of(List<Rendition> offerLadder) {
      int w = 0;
      int h = 0;
      int fps = 0;
      for (Rendition r : offerLadder) {
        w = Math.max(w, r.width());
        h = Math.max(h, r.height());
        fps = Math.max(fps, r.fps());
      }
      return new Limits(w, h, fps, MAX_RENDITIONS);
    }
  }

  private ConfigRules() {
  }

  /**
   * @param config           with defaults already filled in ({@link StreamConfig#withDefaults()})
   * @param availableEncoders the ffmpeg encoders this host has ({@link Codecs#parseEncoders})
   */
  public static void check(StreamConfig config, Limits limits, Set<String> availableEncoders) {
    List<Rendition> ladder = config.renditions();
    if (ladder.isEmpty()) {
      throw invalid("empty_ladder", "renditions", "a ladder needs at least one rendition");
    }
    if (ladder.size() > limits.maxRenditions()) {
      throw invalid("too_many_renditions", "renditions",
        "at most " + limits.maxRenditions() + " renditions; got " + ladder.size());
    }
    Set<String> names = new HashSet<>();
    boolean video = ladder.get(0).carriesVideo();
    for (int i = 0; i < ladder.size(); i++) {
      Rendition r = ladder.get(i);
      String at = "renditions[" + i + "].";
      if (r.name() == null || !r.name().matches(NAME)) {
        throw invalid("invalid_name", at + "name", "a rendition name is 1 to 32 letters, digits, '-' or '_'");
      }
      if (!names.add(r.name())) {
        throw invalid("duplicate_name", at + "name", "rendition name '" + r.name() + "' is used twice");
      }
      checkCodec(r.videoCodec(), Codecs.VIDEO, availableEncoders, at + "videoCodec", Rendition.NO_VIDEO);
      checkCodec(r.audioCodec(), Codecs.AUDIO, availableEncoders, at + "audioCodec", null);
      if (r.carriesVideo() != video) {
        throw invalid("mixed_ladder", at + "videoCodec",
          "a ladder is either all video or all audio-only (videoCodec none); rendition 0 is "
            + (video ? "video" : "audio-only"));
      }
      if (video) {
        checkVideo(r, at, limits, ladder.get(0).gopSeconds());
      }
      range(r.audioBitrateKbps(), MIN_AUDIO_KBPS, MAX_AUDIO_KBPS, at + "audioBitrateKbps", "kbps");
    }
    checkOutputs(config, ladder);
    checkCdn(config.cdn());
  }

  /** The shape of a CDN choice; whether its profiles exist and belong to the account is the service's to check. */
  static void checkCdn(StreamConfig.Cdn cdn) {
    if (cdn.primary() == null || cdn.primary().isBlank()) {
      throw invalid("missing_field", "cdn.primary", "a stream needs a primary CDN: a profile id, or origin");
    }
    if (!StreamConfig.Cdn.FAILOVER.equals(cdn.mode()) && !StreamConfig.Cdn.BOTH.equals(cdn.mode())) {
      throw invalid("invalid_field", "cdn.mode", "mode is failover (push to the primary, switch on failure) or both "
        + "(push to both at once)");
    }
    if (cdn.primary().equals(cdn.backup())) {
      throw invalid("invalid_field", "cdn.backup", "the backup CDN must differ from the primary");
    }
  }

  private static void checkVideo(Rendition r, String at, Limits limits, int gopSeconds) {
    if (r.height() < 2 || r.height() > limits.maxHeight()) {
      throw invalid("rendition_too_large", at + "height", r.height() < 2 ? "height must be at least 2"
        : "height " + r.height() + " is larger than this offer allows (" + limits.maxHeight() + ")");
    }
    if (r.width() < 0 || r.width() == 1 || r.width() > limits.maxWidth()) {
      throw invalid("rendition_too_large", at + "width", r.width() > limits.maxWidth()
        ? "width " + r.width() + " is larger than this offer allows (" + limits.maxWidth() + ")"
        : "width must be 0 (keep the source's aspect ratio) or at least 2");
    }
    if (r.height() % 2 != 0) {
      throw invalid("odd_dimension", at + "height", "height must be even (4:2:0 chroma); got " + r.height());
    }
    if (r.width() % 2 != 0) {
      throw invalid("odd_dimension", at + "width", "width must be even (4:2:0 chroma); got " + r.width());
    }
    range(r.videoBitrateKbps(), MIN_VIDEO_KBPS, MAX_VIDEO_KBPS, at + "videoBitrateKbps", "kbps");
    range(r.maxRateKbps(), r.videoBitrateKbps(), 4 * r.videoBitrateKbps(), at + "maxRateKbps", "kbps");
    range(r.bufferKbps(), r.maxRateKbps() / 4, 10 * r.maxRateKbps(), at + "bufferKbps", "kbps");
    if (r.fps() < 1 || r.fps() > limits.maxFps()) {
      throw invalid("out_of_range", at + "fps", "fps must be 1 to " + limits.maxFps() + " on this offer; got " + r.fps());
    }
    range(r.gopSeconds(), 1, 10, at + "gopSeconds", "seconds");
    if (r.gopSeconds() != gopSeconds) {
      throw invalid("unaligned_gop", at + "gopSeconds", "every rendition needs the same gopSeconds ("
        + gopSeconds + ") so keyframes align and players can switch at any segment");
    }
  }

  private static void checkOutputs(StreamConfig config, List<Rendition> ladder) {
    StreamConfig.Hls hls = config.outputs().hls();
    boolean ts = StreamConfig.Hls.TS.equals(hls.segmentType());
    if (!ts && !StreamConfig.Hls.FMP4.equals(hls.segmentType())) {
      throw invalid("invalid_field", "outputs.hls.segmentType", "segmentType is ts or fmp4");
    }
    range(hls.segmentSeconds(), 1, 10, "outputs.hls.segmentSeconds", "seconds");
    range(hls.windowSegments(), 2, 30, "outputs.hls.windowSegments", "segments");
    int gop = ladder.get(0).gopSeconds();
    if (ladder.get(0).carriesVideo() && hls.segmentSeconds() % gop != 0) {
      throw invalid("unaligned_segments", "outputs.hls.segmentSeconds", "segmentSeconds must be a multiple of "
        + "gopSeconds (" + gop + ") so every segment starts with a keyframe");
    }
    for (int i = 0; i < ladder.size() && ts; i++) {
      Rendition r = ladder.get(i);
      // Players (Apple's, hls.js) take HEVC, VP9 and AV1 only in fMP4; VP9/AV1 have no MPEG-TS mapping at all.
      if (r.carriesVideo() && !"h264".equals(r.videoCodec())) {
        throw invalid("unsupported_combination", "renditions[" + i + "].videoCodec",
          r.videoCodec() + " cannot be carried in MPEG-TS HLS segments; set outputs.hls.segmentType to fmp4");
      }
      if ("opus".equals(r.audioCodec())) {
        throw invalid("unsupported_combination", "renditions[" + i + "].audioCodec",
          "opus cannot be carried in MPEG-TS HLS segments; use aac or set outputs.hls.segmentType to fmp4");
      }
    }
    StreamConfig.Restream restream = config.outputs().restream();
    if (restream != null) {
      Rendition pushed = ladder.stream().filter(r -> r.name().equals(restream.rendition())).findFirst()
        .orElseThrow(() -> invalid("unknown_rendition", "outputs.rtmp.rendition",
          "there is no rendition '" + restream.rendition() + "' in the ladder"));
      if (restream.url() == null || !restream.url().matches("rtmps?://[^\\s/]+(/\\S*)?")) {
        throw invalid("invalid_url", "outputs.rtmp.url", "an RTMP re-stream URL starts with rtmp:// or rtmps://");
      }
      // RTMP carries FLV: H.264 with AAC or MP3 only.
      if (pushed.carriesVideo() && !"h264".equals(pushed.videoCodec()) || "opus".equals(pushed.audioCodec())) {
        throw invalid("unsupported_combination", "outputs.rtmp.rendition",
          "RTMP carries only h264 video with aac or mp3 audio; rendition '" + pushed.name() + "' is "
            + pushed.videoCodec() + "/" + pushed.audioCodec());
      }
    }
  }

  private static void checkCodec(String codec, java.util.Map<String, String> known, Set<String> available,
                                 String field, String alsoAllowed) {
    if (codec != null && codec.equals(alsoAllowed)) {
      return;
    }
    if (codec == null || !known.containsKey(codec)) {
      throw invalid("unknown_codec", field, "unknown codec '" + codec + "'; known: " + String.join(", ", known.keySet()));
    }
    if (!available.contains(known.get(codec))) {
      throw invalid("codec_unavailable", field, codec + " is not available on this service's transcoders "
        + "(GET /api/v1/capabilities lists what is)");
    }
  }

  private static void range(int value, int min, int max, String field, String unit) {
    if (value < min || value > max) {
      throw invalid("out_of_range", field, field.substring(field.lastIndexOf('.') + 1) + " must be " + min + " to "
        + max + " " + unit + "; got " + value);
    }
  }

  private static InvalidConfigException invalid(String code, String field, String message) {
    return new InvalidConfigException(code, field, message);
  }
}
