package io.ltm.stream.domain;

/**
 * One output of a ladder: a picture size with its bitrates and codecs. Plain data, shared by server and agent.
 *
 * @param width            0 keeps the source's aspect ratio at {@code height}
 * @param maxRateKbps      peak rate the encoder's VBV allows; 0 means {@code videoBitrateKbps}
 * @param bufferKbps       VBV buffer; 0 means twice the max rate
 * @param gopSeconds       keyframe interval; equal across renditions so players can switch at any segment
 * @param videoCodec       {@code h264}, {@code hevc}, {@code vp9}, {@code av1}, or {@code none} (audio only)
 * @param audioCodec       {@code aac}, {@code opus} or {@code mp3}
 */
public record Rendition(String name, int width, int height, int videoBitrateKbps, int maxRateKbps, int bufferKbps,
                        int fps, int gopSeconds, String videoCodec, String audioCodec, int audioBitrateKbps) {

  public static final String NO_VIDEO = "none";

  /** The original six-field shape (offers, older agents): H.264 and AAC, 2 s GOP, capped at the bitrate. */
  public Rendition(String name, int width, int height, int videoBitrateKbps, int fps, int audioBitrateKbps) {
    this(name, width, height, videoBitrateKbps, 0, 0, fps, 0, null, null, audioBitrateKbps);
  }

  /** Every field a shorter form left out gets its default; the agent and the validator see complete renditions. */
  public Rendition withDefaults() {
    String video = videoCodec == null || videoCodec.isBlank() ? "h264" : videoCodec;
    int maxRate = maxRateKbps > 0 ? maxRateKbps : videoBitrateKbps;
    return new Rendition(name, width, height, videoBitrateKbps, maxRate, bufferKbps > 0 ? bufferKbps : 2 * maxRate,
      fps, gopSeconds > 0 ? gopSeconds : 2, video, audioCodec == null || audioCodec.isBlank() ? "aac" : audioCodec,
      audioBitrateKbps > 0 ? audioBitrateKbps : 128);
  }

  /** False for an audio-only rendition (a radio ladder). */
  public boolean carriesVideo() {
    return !NO_VIDEO.equals(videoCodec);
  }
}
