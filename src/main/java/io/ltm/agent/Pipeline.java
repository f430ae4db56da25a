package io.ltm.agent;

import io.ltm.cdn.domain.CdnTarget;
import io.ltm.stream.domain.Rendition;

import java.util.List;
import java.util.Set;

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
 * @param watch        thumbnails, input-loss window and fencing
 */
public record Pipeline(String machineId, String streamId, String agentToken, int heartbeatSeconds, Input input,
                       List<Rendition> renditions, Hls hls, String x264Preset, String advertisedHost,
                       boolean dash, Restream restream, Watch watch, Delivery delivery) {

  public Pipeline {
    delivery = delivery == null ? Delivery.ORIGIN : delivery;
  }

  /** Served by the built-in origin only. */
  public Pipeline(String machineId, String streamId, String agentToken, int heartbeatSeconds, Input input,
                  List<Rendition> renditions, Hls hls, String x264Preset, String advertisedHost,
                  boolean dash, Restream restream, Watch watch) {
    this(machineId, streamId, agentToken, heartbeatSeconds, input, renditions, hls, x264Preset, advertisedHost,
      dash, restream, watch, Delivery.ORIGIN);
  }

  /** Default watch, as before thumbnails and the reconnect window were configurable. */
  public Pipeline(String machineId, String streamId, String agentToken, int heartbeatSeconds, Input input,
                  List<Rendition> renditions, Hls hls, String x264Preset, String advertisedHost,
                  boolean dash, Restream restream) {
    this(machineId, streamId, agentToken, heartbeatSeconds, input, renditions, hls, x264Preset, advertisedHost,
      dash, restream, Watch.DEFAULT);
  }

  /** HLS only, as before outputs were configurable. */
  public Pipeline(String machineId, String streamId, String agentToken, int heartbeatSeconds, Input input,
                  List<Rendition> renditions, Hls hls, String x264Preset, String advertisedHost) {
    this(machineId, streamId, agentToken, heartbeatSeconds, input, renditions, hls, x264Preset, advertisedHost,
      false, null, Watch.DEFAULT);
  }

  /** The same pipeline, with preview and ingest URLs naming this host. */
  public Pipeline withAdvertisedHost(String host) {
    // Delivery too: a cloud machine with its own public name still delivers to its stream's CDNs.
    return new Pipeline(machineId, streamId, agentToken, heartbeatSeconds, input, renditions, hls, x264Preset, host,
      dash, restream, watch, delivery);
  }

  /** The same pipeline, with the agent token the machine already holds (a warm machine keeps its standby token). */
  public Pipeline withAgentToken(String token) {
    return new Pipeline(machineId, streamId, token, heartbeatSeconds, input, renditions, hls, x264Preset,
      advertisedHost, dash, restream, watch, delivery);
  }

  /**
   * {@code kind} is {@code test-pattern} (lavfi test source with a tone), {@code rtmp} (push, keyed),
   * {@code srt} (listener, {@code passphrase}) or {@code pull} (from {@code url}). {@code allowCidrs} limits
   * the source addresses; {@code streamKeys} are the keys a publisher may use now (more than one during a
   * rotation's grace period). {@code streamKey} is the current one, shown in the ingest URL.
   */
  public record Input(String kind, String streamKey, String url, String passphrase, List<String> allowCidrs,
                      List<StreamKey> streamKeys) {
    public static final String TEST_PATTERN = "test-pattern";
    public static final String RTMP = "rtmp";
    public static final String SRT = "srt";
    public static final String PULL = "pull";
    /** Inputs that wait for an encoder to connect to the machine. */
    public static final Set<String> LISTENERS = Set.of(RTMP, SRT);

    public Input(String kind, String streamKey) {
      this(kind, streamKey, null, null, List.of(), streamKey == null ? List.of() : List.of(new StreamKey(streamKey, 0)));
    }

    public boolean listens() {
      return LISTENERS.contains(kind);
    }
  }

  /** A stream key and the instant (epoch ms) it stops working; 0 for the current key, which has no end. */
  public record StreamKey(String key, long validUntilEpochMs) {
    public boolean validAt(long nowEpochMs) {
      return validUntilEpochMs == 0 || nowEpochMs < validUntilEpochMs;
    }
  }

  /**
   * @param thumbnailSeconds       one JPEG this often
   * @param reconnectWindowSeconds a lost input may stay away this long before the stream FAILS
   * @param fenceMinSeconds        floor of the unreachable-server fence
   */
  public record Watch(int thumbnailSeconds, int reconnectWindowSeconds, int fenceMinSeconds) {
    public static final Watch DEFAULT = new Watch(10, 60, 30);
  }

  /** @param segmentType {@code ts} (MPEG-TS) or {@code fmp4} (CMAF fragments with an init segment) */
  public record Hls(int segmentSeconds, int listSize, String segmentType) {
    public Hls(int segmentSeconds, int listSize) {
      this(segmentSeconds, listSize, "ts");
    }
  }

  /**
   * The CDNs the stream goes out through: {@code targets[0]} the primary, {@code targets[1]} the backup if any.
   *
   * @param mode            {@code failover} (deliver to the active CDN only) or {@code both}
   * @param failback        switch back to the primary once it has been healthy for {@code failbackSeconds}
   * @param failoverSeconds a primary failing this long hands over to the backup
   */
  public record Delivery(String mode, boolean failback, int failoverSeconds, int failbackSeconds,
                         List<CdnTarget> targets) {
    public static final Delivery ORIGIN = new Delivery("failover", true, 10, 30, List.of(CdnTarget.ORIGIN));

    public Delivery {
      targets = targets == null || targets.isEmpty() ? List.of(CdnTarget.ORIGIN) : List.copyOf(targets);
    }

    public boolean onlyOrigin() {
      return targets.stream().allMatch(t -> CdnTarget.ORIGIN_ID.equals(t.id()));
    }

    public boolean both() {
      return "both".equals(mode);
    }
  }

  /** @param rendition name of the rendition pushed to {@code url} */
  public record Restream(String rendition, String url) {
  }
}
