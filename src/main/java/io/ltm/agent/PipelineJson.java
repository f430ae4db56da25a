package io.ltm.agent;

import io.ltm.stream.domain.Rendition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code hello} answer into a {@link Pipeline} field by field. Mapped by hand rather than through
 * Jackson databind so the agent depends only on the field names of the contract, and fields the server adds
 * later are simply ignored.
 */
final class PipelineJson {

  private PipelineJson() {
  }

  static Pipeline fromJson(JsonObject json) {
    JsonObject input = required(json.getJsonObject("input"), "input");
    JsonObject hls = required(json.getJsonObject("hls"), "hls");
    JsonArray ladder = required(json.getJsonArray("renditions"), "renditions");
    List<Rendition> renditions = new ArrayList<>();
    for (int i = 0; i < ladder.size(); i++) {
      JsonObject r = ladder.getJsonObject(i);
      renditions.add(new Rendition(r.getString("name"), r.getInteger("width", 0), r.getInteger("height", 0),
        r.getInteger("videoBitrateKbps", 0), r.getInteger("maxRateKbps", 0), r.getInteger("bufferKbps", 0),
        r.getInteger("fps", 0), r.getInteger("gopSeconds", 0), r.getString("videoCodec"), r.getString("audioCodec"),
        r.getInteger("audioBitrateKbps", 0)));
    }
    JsonObject restream = json.getJsonObject("restream");
    return new Pipeline(json.getString("machineId"), json.getString("streamId"),
      required(json.getString("agentToken"), "agentToken"), json.getInteger("heartbeatSeconds", 2),
      input(input),
      List.copyOf(renditions),
      new Pipeline.Hls(hls.getInteger("segmentSeconds"), hls.getInteger("listSize"), hls.getString("segmentType", "ts")),
      json.getString("x264Preset", "veryfast"), json.getString("advertisedHost", "localhost"),
      json.getBoolean("dash", false),
      restream == null ? null : new Pipeline.Restream(restream.getString("rendition"), restream.getString("url")),
      watch(json), delivery(json.getJsonObject("delivery")));
  }

  private static Pipeline.Delivery delivery(JsonObject d) {
    if (d == null) {
      return Pipeline.Delivery.ORIGIN;
    }
    List<io.ltm.cdn.domain.CdnTarget> targets = new ArrayList<>();
    JsonArray list = d.getJsonArray("targets", new JsonArray());
    for (int i = 0; i < list.size(); i++) {
      JsonObject t = list.getJsonObject(i);
      targets.add(new io.ltm.cdn.domain.CdnTarget(t.getString("id"), t.getString("name"), t.getString("kind"),
        strings(t.getJsonObject("settings")), strings(t.getJsonObject("secrets"))));
    }
    return new Pipeline.Delivery(d.getString("mode", "failover"), d.getBoolean("failback", true),
      d.getInteger("failoverSeconds", 10), d.getInteger("failbackSeconds", 30), targets);
  }

  private static java.util.Map<String, String> strings(JsonObject o) {
    java.util.Map<String, String> m = new java.util.HashMap<>();
    if (o != null) {
      o.forEach(e -> {
        if (e.getValue() != null) {
          m.put(e.getKey(), String.valueOf(e.getValue()));
        }
      });
    }
    return m;
  }

  private static Pipeline.Input input(JsonObject input) {
    String key = input.getString("streamKey");
    JsonArray keys = input.getJsonArray("streamKeys");
    List<Pipeline.StreamKey> streamKeys = new ArrayList<>();
    if (keys == null) {
      if (key != null) {
        streamKeys.add(new Pipeline.StreamKey(key, 0));
      }
    } else {
      keys.forEach(k -> streamKeys.add(streamKey((JsonObject) k)));
    }
    JsonArray cidrs = input.getJsonArray("allowCidrs");
    return new Pipeline.Input(required(input.getString("kind"), "input.kind"), key, input.getString("url"),
      input.getString("passphrase"), cidrs == null ? List.of() : cidrs.stream().map(String::valueOf).toList(),
      List.copyOf(streamKeys));
  }

  static Pipeline.StreamKey streamKey(JsonObject k) {
    return new Pipeline.StreamKey(required(k.getString("key"), "streamKeys.key"), k.getLong("validUntilEpochMs", 0L));
  }

  private static Pipeline.Watch watch(JsonObject json) {
    JsonObject w = json.getJsonObject("watch");
    Pipeline.Watch d = Pipeline.Watch.DEFAULT;
    return w == null ? d : new Pipeline.Watch(w.getInteger("thumbnailSeconds", d.thumbnailSeconds()),
      w.getInteger("reconnectWindowSeconds", d.reconnectWindowSeconds()),
      w.getInteger("fenceMinSeconds", d.fenceMinSeconds()));
  }

  private static <T> T required(T value, String field) {
    if (value == null) {
      throw new IllegalArgumentException("pipeline has no " + field);
    }
    return value;
  }
}
