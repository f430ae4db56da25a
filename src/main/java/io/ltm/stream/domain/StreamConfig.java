package io.ltm.stream.domain;

import java.util.List;

/**
 * What a stream produces: its ladder and its outputs. Stored as numbered versions; the agent receives the one
 * current when the stream starts.
 *
 * @param preset the preset the ladder came from, or null for a custom ladder
 */
public record StreamConfig(String preset, List<Rendition> renditions, Outputs outputs, Cdn cdn) {

  public StreamConfig {
    renditions = renditions == null ? List.of() : List.copyOf(renditions);
    outputs = outputs == null ? Outputs.DEFAULT : outputs;
    cdn = cdn == null ? Cdn.DEFAULT : cdn;
  }

  /** Delivered through the built-in origin. */
  public StreamConfig(String preset, List<Rendition> renditions, Outputs outputs) {
    this(preset, renditions, outputs, Cdn.DEFAULT);
  }

  /** The same configuration with every rendition's defaults filled in. */
  public StreamConfig withDefaults() {
    return new StreamConfig(preset, renditions.stream().map(Rendition::withDefaults).toList(), outputs.withDefaults(),
      cdn);
  }

  /**
   * Where the stream is delivered: a primary CDN (a profile id, or {@code origin}: the transcoder serves HLS itself)
   * and an optional backup. {@code failover}: push to the primary and switch to the backup when it fails;
   * {@code both}: push to both at once. {@code failback}: after a failover, switch back once the primary is healthy
   * again (else stay on the backup).
   */
  public record Cdn(String primary, String backup, String mode, boolean failback) {
    public static final String ORIGIN = "origin";
    public static final String FAILOVER = "failover";
    public static final String BOTH = "both";
    public static final Cdn DEFAULT = new Cdn(ORIGIN, null, FAILOVER, true);
  }

  /**
   * @param hls     always on: the preview plays it
   * @param dash    a DASH (CMAF) manifest beside the HLS playlists, from the same encodes
   * @param restream null, or one rendition pushed to an RTMP URL (a social platform, another CDN)
   */
  public record Outputs(Hls hls, boolean dash, Restream restream) {
    public static final Outputs DEFAULT = new Outputs(Hls.DEFAULT, false, null);

    public Outputs withDefaults() {
      return new Outputs(hls == null ? Hls.DEFAULT : hls.withDefaults(), dash, restream);
    }
  }

  /** @param segmentType {@code ts} (MPEG-TS) or {@code fmp4} (CMAF) */
  public record Hls(String segmentType, int segmentSeconds, int windowSegments) {
    public static final String TS = "ts";
    public static final String FMP4 = "fmp4";
    public static final Hls DEFAULT = new Hls(TS, 2, 6);

    public Hls withDefaults() {
      return new Hls(segmentType == null ? TS : segmentType, segmentSeconds > 0 ? segmentSeconds : 2,
        windowSegments > 0 ? windowSegments : 6);
    }
  }

  /** @param rendition the name of the rendition to push */
  public record Restream(String rendition, String url) {
  }
}
