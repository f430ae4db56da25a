package io.ltm.stream;

import io.ltm.common.ApiException;
import io.ltm.common.JsonInput;
import io.ltm.stream.domain.Rendition;
import io.ltm.stream.domain.StreamConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A stream configuration as JSON, the one shape used by the API, the stored versions and the preset files:
 * {@code {"preset", "renditions": [...], "outputs": {"hls": {...}, "dash": bool, "rtmp": {"rendition", "url"}}}}.
 */
public final class StreamConfigJson {

  private StreamConfigJson() {
  }

  public static JsonObject toJson(StreamConfig config) {
    JsonArray ladder = new JsonArray();
    config.renditions().forEach(r -> ladder.add(toJson(r)));
    StreamConfig.Outputs o = config.outputs();
    StreamConfig.Restream restream = o.restream();
    return new JsonObject()
      .put("preset", config.preset())
      .put("renditions", ladder)
      .put("outputs", new JsonObject()
        .put("hls", new JsonObject().put("segmentType", o.hls().segmentType())
          .put("segmentSeconds", o.hls().segmentSeconds()).put("windowSegments", o.hls().windowSegments()))
        .put("dash", o.dash())
        .put("rtmp", restream == null ? null
          : new JsonObject().put("rendition", restream.rendition()).put("url", restream.url())))
      .put("cdn", toJson(config.cdn()));
  }

  public static JsonObject toJson(StreamConfig.Cdn cdn) {
    return new JsonObject().put("primary", cdn.primary()).put("backup", cdn.backup()).put("mode", cdn.mode())
      .put("failback", cdn.failback());
  }

  /** Fields named in {@code json} replace those of {@code current}; {@code "backup": null} removes the backup. */
  public static StreamConfig.Cdn cdn(JsonObject json, StreamConfig.Cdn current) {
    if (json == null) {
      return current;
    }
    Object primary = json.getValue("primary", current.primary());
    Object mode = json.getValue("mode", current.mode());
    Object failback = json.getValue("failback", current.failback());
    Object backup = json.containsKey("backup") ? json.getValue("backup") : current.backup();
    return new StreamConfig.Cdn(primary == null ? null : String.valueOf(primary),
      backup == null || "".equals(backup) ? null : String.valueOf(backup),
      mode == null ? null : String.valueOf(mode), !(failback instanceof Boolean b) || b);
  }

  public static JsonObject toJson(Rendition r) {
    return new JsonObject().put("name", r.name()).put("width", r.width()).put("height", r.height())
      .put("videoBitrateKbps", r.videoBitrateKbps()).put("maxRateKbps", r.maxRateKbps())
      .put("bufferKbps", r.bufferKbps()).put("fps", r.fps()).put("gopSeconds", r.gopSeconds())
      .put("videoCodec", r.videoCodec()).put("audioCodec", r.audioCodec())
      .put("audioBitrateKbps", r.audioBitrateKbps());
  }

  /** Reads a stored or preset configuration; missing values get their defaults. */
  public static StreamConfig fromJson(JsonObject json) {
    JsonObject outputs = json.getJsonObject("outputs");
    return new StreamConfig(json.getString("preset"), ladder(json.getJsonArray("renditions", new JsonArray())),
      outputs == null ? StreamConfig.Outputs.DEFAULT : outputs(outputs, StreamConfig.Outputs.DEFAULT),
      cdn(json.getJsonObject("cdn"), StreamConfig.Cdn.DEFAULT)).withDefaults();
  }

  public static List<Rendition> ladder(JsonArray array) {
    List<Rendition> ladder = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject r)) {
        throw ApiException.badRequest("invalid_field", "renditions[" + i + "] must be an object", "renditions[" + i + "]");
      }
      ladder.add(rendition(r, "renditions[" + i + "].").withDefaults());
    }
    return ladder;
  }

  /**
   * One rendition, every number read exactly (never narrowed) and never negative. 0 or absent is documented as
   * "the default" for width (keep the aspect ratio), maxRateKbps, bufferKbps, gopSeconds and audioBitrateKbps, and
   * means "no video" on an audio-only rendition; {@link io.ltm.stream.domain.ConfigRules} checks the ranges.
   */
  static Rendition rendition(JsonObject r, String at) {
    return new Rendition(JsonInput.optionalString(r, "name", at + "name"), natural(r, "width", at),
      natural(r, "height", at), natural(r, "videoBitrateKbps", at), natural(r, "maxRateKbps", at),
      natural(r, "bufferKbps", at), natural(r, "fps", at), natural(r, "gopSeconds", at),
      JsonInput.optionalString(r, "videoCodec", at + "videoCodec"),
      JsonInput.optionalString(r, "audioCodec", at + "audioCodec"), natural(r, "audioBitrateKbps", at));
  }

  private static int natural(JsonObject json, String key, String at) {
    return JsonInput.intOr(json, key, at + key, 0, 0, Integer.MAX_VALUE);
  }

  /**
   * Outputs named in {@code json} replace those of {@code current}; those it leaves out stay. {@code "rtmp": null}
   * ends the re-stream.
   */
  static StreamConfig.Outputs outputs(JsonObject json, StreamConfig.Outputs current) {
    StreamConfig.Hls hls = current.hls();
    JsonObject h = json.getJsonObject("hls");
    if (h != null) {
      String type = JsonInput.optionalString(h, "segmentType", "outputs.hls.segmentType");
      // Absent keeps the current value; 0 or less is refused (ConfigRules names the ranges).
      hls = new StreamConfig.Hls(type == null ? hls.segmentType() : type,
        JsonInput.intOr(h, "segmentSeconds", "outputs.hls.segmentSeconds", hls.segmentSeconds(), 1, Integer.MAX_VALUE),
        JsonInput.intOr(h, "windowSegments", "outputs.hls.windowSegments", hls.windowSegments(), 1, Integer.MAX_VALUE));
    }
    StreamConfig.Restream restream = current.restream();
    if (json.containsKey("rtmp")) {
      JsonObject r = json.getJsonObject("rtmp");
      restream = r == null ? null : new StreamConfig.Restream(r.getString("rendition"), r.getString("url"));
    }
    return new StreamConfig.Outputs(hls, json.getBoolean("dash", current.dash()), restream);
  }
}
