package io.ltm.cloud;

import io.ltm.agent.Pipeline;
import io.ltm.common.Utc;
import io.ltm.config.LtmConfig;
import io.ltm.ingest.IngestRepository;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamConfigJson;
import io.ltm.stream.domain.Rendition;
import io.ltm.stream.domain.StreamConfig;

import java.time.LocalDateTime;
import java.util.List;

/** What a machine is told to run: its stream's current configuration, its ingest, and how to watch it. */
final class Pipelines {
  private final LtmConfig config;

  Pipelines(LtmConfig config) {
    this.config = config;
  }

  /** The stream's current configuration version, exactly (its ladder, outputs and CDNs), and its ingest. */
  Pipeline build(Machine m, Stream s, IngestRepository.Ingest in, String agentToken, StreamConfig current,
                 Pipeline.Delivery delivery) {
    StreamConfig streamConfig = current != null ? current
      : new StreamConfig(null, StreamConfigJson.ladder(s.renditions()), StreamConfig.Outputs.DEFAULT).withDefaults();
    List<Rendition> ladder = streamConfig.renditions();
    StreamConfig.Outputs outputs = streamConfig.outputs();
    StreamConfig.Restream restream = outputs.restream();
    return new Pipeline(m.id(), s.id(), agentToken, config.cloud().heartbeatSeconds(),
      new Pipeline.Input(s.inputKind(), s.streamKey(), in.pullUrl(), in.srtPassphrase(), in.allowCidrs(),
        streamKeys(in.streamKey(), in.previousKey(), in.previousKeyUntil())), ladder,
      new Pipeline.Hls(outputs.hls().segmentSeconds(), outputs.hls().windowSegments(), outputs.hls().segmentType()),
      config.cloud().x264Preset(), config.cloud().advertisedHost(), outputs.dash(),
      restream == null ? null : new Pipeline.Restream(restream.rendition(), restream.url()),
      new Pipeline.Watch(config.agent().thumbnailSeconds(), in.reconnectWindowSeconds() != null
        ? in.reconnectWindowSeconds() : config.agent().reconnectWindowSeconds(),
        config.agent().fenceMinSeconds()), delivery);
  }

  /**
   * The keys a publisher may use now: the current one, and a rotated-out one until its grace period ends
   * ({@code previousKey} is null once it has).
   */
  static List<Pipeline.StreamKey> streamKeys(String current, String previousKey, LocalDateTime previousUntil) {
    if (previousKey == null || previousUntil == null) {
      return List.of(new Pipeline.StreamKey(current, 0));
    }
    return List.of(new Pipeline.StreamKey(current, 0), new Pipeline.StreamKey(previousKey,
      Utc.toInstant(previousUntil).toEpochMilli()));
  }
}
