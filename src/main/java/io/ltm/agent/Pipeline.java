package io.ltm.agent;

import io.ltm.stream.domain.Rendition;

import java.util.List;

/**
 * What a transcoder machine must run, handed to the agent when it calls home
 * ({@code POST /internal/agents/{machineId}/hello}). Serialised as JSON with these field names.
 *
 * @param agentToken   bearer token for the agent's later calls (status, heartbeat); the bootstrap token is
 *                     single-use
 * @param input        where the picture comes from
 * @param renditions   the ladder, top rendition first; one decode is split into one encode per rendition
 * @param hls          HLS packaging
 * @param x264Preset   encoder speed/quality trade-off
 * @param advertisedHost host name put into preview and ingest URLs the customer sees
 * @param dash         also write a DASH (CMAF) manifest, {@code dash/manifest.mpd} beside the HLS master playlist
 * @param restream     null, or one rendition pushed to an RTMP URL
 */
public record Pipeline(String machineId, String streamId, String agentToken, int heartbeatSeconds, Input input,
                       List<Rendition> renditions, Hls hls, String x264Preset, String advertisedHost,
                       boolean dash, Restream restream) {

  /** HLS only, as before outputs were configurable. */
  public Pipeline(String machineId, String streamId, String agentToken, int heartbeatSeconds, Input input,
                  List<Rendition> renditions, Hls hls, String x264Preset, String advertisedHost) {
    this(machineId, streamId, agentToken, heartbeatSeconds, input, renditions, hls, x264Preset, advertisedHost,
      false, null);
  }

  /** {@code kind} is {@code test-pattern} (lavfi test source with a tone) or {@code rtmp} (push, keyed). */
  public record Input(String kind, String streamKey) {
    public static final String TEST_PATTERN = "test-pattern";
    public static final String RTMP = "rtmp";
  }

  /** @param segmentType {@code ts} (MPEG-TS) or {@code fmp4} (CMAF fragments with an init segment) */
  public record Hls(int segmentSeconds, int listSize, String segmentType) {
    public Hls(int segmentSeconds, int listSize) {
      this(segmentSeconds, listSize, "ts");
    }
  }

  /** @param rendition name of the rendition pushed to {@code url} */
  public record Restream(String rendition, String url) {
  }
}
