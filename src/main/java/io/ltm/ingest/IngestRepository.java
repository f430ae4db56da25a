package io.ltm.ingest;

import io.ltm.ingest.domain.IngestSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDateTime;
import java.util.List;

/** SQL for a stream's ingest settings ({@code stream_ingest}) and the stream key they go with. */
public class IngestRepository {
  private static final String UPSERT = "INSERT INTO stream_ingest (stream_id, pull_url, srt_passphrase, allow_cidrs, "
    + "reconnect_window_seconds) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE pull_url = VALUES(pull_url), "
    + "srt_passphrase = VALUES(srt_passphrase), allow_cidrs = VALUES(allow_cidrs), "
    + "reconnect_window_seconds = VALUES(reconnect_window_seconds), updated_at = CURRENT_TIMESTAMP(3)";
  private static final String SET_KIND = "UPDATE streams SET input_kind = ?, updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  private static final String FIND = "SELECT s.input_kind, s.stream_key, s.ingest_url, i.pull_url, i.srt_passphrase, "
    + "i.allow_cidrs, i.reconnect_window_seconds, i.previous_key, i.previous_key_until, i.thumbnail_url, "
    + "i.previous_key_until > CURRENT_TIMESTAMP(3) AS previous_valid "
    + "FROM streams s LEFT JOIN stream_ingest i ON i.stream_id = s.id WHERE s.id = ?";
  // The stream key lives on the stream row (it predates this table); a rotation moves both in one transaction.
  private static final String NEW_KEY = "UPDATE streams SET stream_key = ?, updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  private static final String KEEP_PREVIOUS = "INSERT INTO stream_ingest (stream_id, previous_key, previous_key_until) "
    + "VALUES (?, ?, CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND) ON DUPLICATE KEY UPDATE "
    + "previous_key = VALUES(previous_key), previous_key_until = VALUES(previous_key_until), "
    + "updated_at = CURRENT_TIMESTAMP(3)";
  private static final String SET_THUMBNAIL = "INSERT INTO stream_ingest (stream_id, thumbnail_url) VALUES (?, ?) "
    + "ON DUPLICATE KEY UPDATE thumbnail_url = VALUES(thumbnail_url)";

  /** A stream's ingest as stored. {@code previousKey} is null once its grace period is over. */
  public record Ingest(String kind, String streamKey, String ingestUrl, String pullUrl, String srtPassphrase,
                       List<String> allowCidrs, Integer reconnectWindowSeconds, String previousKey, LocalDateTime previousKeyUntil,
                       String thumbnailUrl) {
  }

  /** New streams' ingest settings (their rows already carry the kind) in one multi-row INSERT. */
  public Future<Void> insertAll(SqlClient client, List<String> streamIds, IngestSettings settings) {
    List<Object> values = new java.util.ArrayList<>();
    String cidrs = settings.allowCidrs().isEmpty() ? null : new JsonArray(settings.allowCidrs()).encode();
    for (String id : streamIds) {
      values.addAll(java.util.Arrays.asList(id, settings.pullUrl(), settings.srtPassphrase(), cidrs,
        settings.reconnectWindowSeconds()));
    }
    return client.preparedQuery("INSERT INTO stream_ingest (stream_id, pull_url, srt_passphrase, allow_cidrs, "
        + "reconnect_window_seconds) VALUES " + String.join(", ", java.util.Collections.nCopies(streamIds.size(),
        "(?, ?, ?, ?, ?)")))
      .execute(Tuple.from(values)).mapEmpty();
  }

  public Future<Void> save(SqlClient client, String streamId, IngestSettings settings) {
    return client.preparedQuery(UPSERT).execute(Tuple.of(streamId, settings.pullUrl(), settings.srtPassphrase(),
        settings.allowCidrs().isEmpty() ? null : new JsonArray(settings.allowCidrs()).encode(),
        settings.reconnectWindowSeconds()))
      .compose(v -> client.preparedQuery(SET_KIND).execute(Tuple.of(settings.kind(), streamId)))
      .mapEmpty();
  }

  public Future<Ingest> find(SqlClient client, String streamId) {
    return client.preparedQuery(FIND).execute(Tuple.of(streamId))
      .map(rows -> rows.size() == 0 ? null : fromRow(rows.iterator().next()));
  }

  public Future<Void> rotate(SqlClient client, String streamId, String oldKey, String newKey, int graceSeconds) {
    return client.preparedQuery(KEEP_PREVIOUS).execute(Tuple.of(streamId, oldKey, graceSeconds))
      .compose(v -> client.preparedQuery(NEW_KEY).execute(Tuple.of(newKey, streamId)))
      .mapEmpty();
  }

  public Future<Void> setThumbnail(SqlClient client, String streamId, String url) {
    return client.preparedQuery(SET_THUMBNAIL).execute(Tuple.of(streamId, url)).mapEmpty();
  }

  private static Ingest fromRow(Row row) {
    String cidrs = row.getString("allow_cidrs");
    List<String> allow = cidrs == null ? List.of()
      : new JsonArray(cidrs).stream().map(String::valueOf).toList();
    Object valid = row.getValue("previous_valid");
    boolean previousValid = valid != null && ((Number) valid).intValue() == 1;
    return new Ingest(row.getString("input_kind"), row.getString("stream_key"), row.getString("ingest_url"),
      row.getString("pull_url"), row.getString("srt_passphrase"), allow, row.getInteger("reconnect_window_seconds"),
      previousValid ? row.getString("previous_key") : null,
      previousValid ? row.getLocalDateTime("previous_key_until") : null, row.getString("thumbnail_url"));
  }
}
