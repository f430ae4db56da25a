package io.ltm.stream;

import io.ltm.common.Utc;
import io.ltm.stream.domain.StreamLifecycle;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.time.LocalDateTime;

/** A stream as stored; {@link #toJson()} is its API shape. */
public record Stream(String id, String accountId, String orderId, String offerId, String name, StreamState state,
                     String stateReason, int generation, String inputKind, String streamKey, JsonArray renditions,
                     String machineId, String previewUrl, String ingestUrl, LocalDateTime createdAt,
                     LocalDateTime updatedAt, int configVersion, String playbackUrl, String activeCdn,
                     String dashPlaybackUrl) {

  static final String COLUMNS = "id, account_id, order_id, offer_id, name, state, state_reason, generation, "
    + "input_kind, stream_key, renditions, machine_id, preview_url, ingest_url, created_at, updated_at, config_version, "
    + "playback_url, active_cdn, dash_playback_url";

  /** A stream not yet delivered anywhere. */
  public Stream(String id, String accountId, String orderId, String offerId, String name, StreamState state,
                String stateReason, int generation, String inputKind, String streamKey, JsonArray renditions,
                String machineId, String previewUrl, String ingestUrl, LocalDateTime createdAt,
                LocalDateTime updatedAt, int configVersion) {
    this(id, accountId, orderId, offerId, name, state, stateReason, generation, inputKind, streamKey, renditions,
      machineId, previewUrl, ingestUrl, createdAt, updatedAt, configVersion, null, null, null);
  }

  static Stream fromRow(Row row) {
    return new Stream(row.getString("id"), row.getString("account_id"), row.getString("order_id"),
      row.getString("offer_id"), row.getString("name"), StreamState.valueOf(row.getString("state")),
      row.getString("state_reason"), row.getInteger("generation"), row.getString("input_kind"),
      row.getString("stream_key"), new JsonArray(row.getString("renditions")), row.getString("machine_id"),
      row.getString("preview_url"), row.getString("ingest_url"), row.getLocalDateTime("created_at"),
      row.getLocalDateTime("updated_at"), row.getInteger("config_version"), row.getString("playback_url"),
      row.getString("active_cdn"), row.getString("dash_playback_url"));
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("id", id)
      .put("orderId", orderId)
      .put("offerId", offerId)
      .put("name", name)
      .put("state", state.name())
      .put("stateReason", stateReason)
      .put("allowedActions", new JsonArray(StreamLifecycle.allowedActions(state).stream().toList()))
      .put("input", new JsonObject().put("kind", inputKind).put("streamKey", streamKey))
      .put("renditions", renditions)
      .put("configVersion", configVersion)
      .put("previewUrl", previewUrl)
      // What viewers use: the stream on the CDN delivering it now (the preview itself for the built-in origin).
      .put("playbackUrl", playbackUrl)
      // The same on the CDN as a DASH manifest, when the stream's configuration has DASH and the CDN carries it.
      .put("dashPlaybackUrl", dashPlaybackUrl)
      .put("activeCdn", activeCdn)
      .put("renditionPreviews", renditionPreviews())
      .put("ingestUrl", ingestUrl)
      .put("createdAt", Utc.format(createdAt))
      .put("updatedAt", Utc.format(updatedAt));
  }

  /**
   * Each rendition's own HLS playlist beside the master, so a customer can check one rung of the ladder
   * without the player's adaptive switching (the agent writes {@code <name>/index.m3u8} per rendition).
   */
  private JsonArray renditionPreviews() {
    JsonArray previews = new JsonArray();
    if (previewUrl == null || !previewUrl.endsWith("/master.m3u8")) {
      return previews;
    }
    String base = previewUrl.substring(0, previewUrl.length() - "master.m3u8".length());
    for (Object r : renditions) {
      if (r instanceof JsonObject rendition && rendition.getString("name") != null) {
        previews.add(new JsonObject().put("name", rendition.getString("name"))
          .put("url", base + rendition.getString("name") + "/index.m3u8"));
      }
    }
    return previews;
  }
}
