package io.ltm.stream;

import io.ltm.stream.domain.StreamConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

/** SQL for stream configuration versions. Callers check the stream's owner first: versions carry no account. */
public class StreamConfigRepository {
  private static final String INSERT = "INSERT INTO stream_configs (stream_id, version, config, reason) "
    + "VALUES (?, ?, ?, ?)";
  private static final String INSERT_MANY = "INSERT INTO stream_configs (stream_id, version, config, reason) VALUES ";
  private static final String ONE = "SELECT version, config, reason, created_at FROM stream_configs "
    + "WHERE stream_id = ? AND version = ?";
  private static final String ALL = "SELECT version, config, reason, created_at FROM stream_configs "
    + "WHERE stream_id = ? ORDER BY version DESC";
  private static final String SET_CURRENT = "UPDATE streams SET renditions = ?, config_version = ?, "
    + "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?";

  public record Version(int version, StreamConfig config, String reason, LocalDateTime createdAt) {
    public JsonObject toJson() {
      return StreamConfigJson.toJson(config).put("version", version).put("reason", reason)
        .put("createdAt", io.ltm.common.Utc.format(createdAt));
    }
  }

  /** A new stream's version 1, for {@link #insertAll}. */
  public record First(String streamId, StreamConfig config, String reason) {
  }

  /**
   * Version 1 of new streams in one multi-row INSERT; their rows already name it current (config_version 1,
   * with the same ladder: see {@link #ladderJson}).
   */
  Future<Void> insertFirst(SqlConnection conn, List<First> firsts) {
    List<Object> values = new ArrayList<>();
    for (First f : firsts) {
      values.addAll(List.of(f.streamId(), 1, StreamConfigJson.toJson(f.config()).encode(), f.reason()));
    }
    return conn.preparedQuery(INSERT_MANY + String.join(", ", java.util.Collections.nCopies(firsts.size(),
      "(?, ?, ?, ?)"))).execute(Tuple.from(values)).mapEmpty();
  }

  /** The ladder as a stream row stores it once {@code config} is its current version. */
  public static JsonArray ladderJson(StreamConfig config) {
    return StreamConfigJson.toJson(config).getJsonArray("renditions");
  }

  /** Writes {@code version} and makes it the stream's current configuration. */
  public Future<Void> save(SqlConnection conn, String streamId, int version, StreamConfig config, String reason) {
    JsonObject json = StreamConfigJson.toJson(config);
    return conn.preparedQuery(INSERT).execute(Tuple.of(streamId, version, json.encode(), reason))
      .compose(v -> conn.preparedQuery(SET_CURRENT)
        .execute(Tuple.of(json.getJsonArray("renditions").encode(), version, streamId)))
      .mapEmpty();
  }

  /** The version, or null. */
  public Future<Version> find(SqlClient client, String streamId, int version) {
    return client.preparedQuery(ONE).execute(Tuple.of(streamId, version))
      .map(rows -> rows.size() == 0 ? null : version(rows.iterator().next()));
  }

  /** Newest first. */
  public Future<List<Version>> list(SqlClient client, String streamId) {
    return client.preparedQuery(ALL).execute(Tuple.of(streamId)).map(rows -> {
      List<Version> versions = new ArrayList<>();
      rows.forEach(r -> versions.add(version(r)));
      return versions;
    });
  }

  /** A purchased stream's version 1: the offer's ladder, HLS only. */
  public static StreamConfig fromOffer(JsonArray offerLadder) {
    return new StreamConfig(null, StreamConfigJson.ladder(offerLadder), StreamConfig.Outputs.DEFAULT);
  }

  private static Version version(Row row) {
    return new Version(row.getInteger("version"), StreamConfigJson.fromJson(new JsonObject(row.getString("config"))),
      row.getString("reason"), row.getLocalDateTime("created_at"));
  }
}
