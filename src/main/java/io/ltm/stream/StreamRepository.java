package io.ltm.stream;

import io.ltm.common.ApiException;
import io.ltm.stream.domain.StreamConfig;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/** SQL for streams. Every read a customer can trigger is scoped by account: another tenant's id is "not found". */
public class StreamRepository {
  private final StreamConfigRepository configs = new StreamConfigRepository();
  private static final String INSERT = "INSERT INTO streams (id, account_id, order_id, offer_id, name, state, "
    + "input_kind, stream_key, renditions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String INSERT_MANY = "INSERT INTO streams (id, account_id, order_id, offer_id, name, state, "
    + "input_kind, stream_key, renditions, created_at, updated_at, config_version) VALUES ";
  private static final String BY_ACCOUNT = "SELECT " + Stream.COLUMNS + " FROM streams WHERE account_id = ? "
    + "AND state <> 'DELETED' ORDER BY created_at, id";
  private static final String ONE_FOR_ACCOUNT = "SELECT " + Stream.COLUMNS + " FROM streams WHERE id = ? "
    + "AND account_id = ? AND state <> 'DELETED'";
  private static final String BY_ORDER = "SELECT " + Stream.COLUMNS + " FROM streams WHERE order_id = ? ORDER BY id";
  private static final String LOCK = "SELECT " + Stream.COLUMNS + " FROM streams WHERE id = ? FOR UPDATE";
  private static final String UPDATE_STATE = "UPDATE streams SET state = ?, state_reason = ?, "
    + "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  private static final String BEGIN_START = "UPDATE streams SET state = 'PROVISIONING', state_reason = NULL, "
    + "generation = generation + 1, machine_id = NULL, preview_url = NULL, ingest_url = NULL, "
    + "playback_url = NULL, active_cdn = NULL, dash_playback_url = NULL, "
    + "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  /**
   * Streams PROVISIONING since before the timeout with no machine of their start being launched or running: nothing
   * will move them (their job was lost, or no worker takes it). A bounded batch, oldest first.
   */
  private static final String STUCK_PROVISIONING = "SELECT " + Stream.COLUMNS + " FROM streams s "
    + "WHERE s.state = 'PROVISIONING' AND s.updated_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND "
    + "AND NOT EXISTS (SELECT 1 FROM machines m WHERE m.stream_id = s.id AND m.generation = s.generation "
    + "AND m.state NOT IN ('LOST', 'TERMINATING', 'TERMINATED')) ORDER BY s.updated_at LIMIT 100";
  private static final String SET_MACHINE = "UPDATE streams SET machine_id = ? WHERE id = ?";
  private static final String SET_PLAYBACK = "UPDATE streams SET active_cdn = ?, playback_url = ?, dash_playback_url = ? "
    + "WHERE id = ?";
  private static final String SET_URLS = "UPDATE streams SET preview_url = COALESCE(?, preview_url), "
    + "ingest_url = COALESCE(?, ingest_url) WHERE id = ?";

  /** A new stream with its configuration version 1: the given ladder, HLS only. */
  public Future<Void> insert(SqlConnection conn, Stream s) {
    StreamConfig first = StreamConfigRepository.fromOffer(s.renditions());
    return conn.preparedQuery(INSERT).execute(Tuple.from(List.of(s.id(), s.accountId(), s.orderId(), s.offerId(),
        s.name(), s.state().name(), s.inputKind(), s.streamKey(), s.renditions().encode())))
      .compose(v -> configs.save(conn, s.id(), 1, first, "purchase of offer " + s.offerId()));
  }

  /**
   * New streams of one purchase in two multi-row INSERTs (streams, and their configuration version 1), sent
   * together. The rows carry exactly what the {@link Stream} objects say, so the caller can answer with them
   * without reading them back.
   */
  public Future<Void> insertAll(SqlConnection conn, List<Stream> list, StreamConfig first, String reason) {
    List<Object> values = new ArrayList<>();
    List<StreamConfigRepository.First> firsts = new ArrayList<>();
    for (Stream s : list) {
      values.addAll(List.of(s.id(), s.accountId(), s.orderId(), s.offerId(), s.name(), s.state().name(), s.inputKind(),
        s.streamKey(), s.renditions().encode(), s.createdAt(), s.updatedAt()));
      firsts.add(new StreamConfigRepository.First(s.id(), first, reason));
    }
    String insert = INSERT_MANY + String.join(", ", java.util.Collections.nCopies(list.size(),
      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"));
    return Future.all(conn.preparedQuery(insert).execute(Tuple.from(values)), configs.insertFirst(conn, firsts))
      .mapEmpty();
  }

  public Future<List<Stream>> listForAccount(Pool pool, String accountId) {
    return pool.preparedQuery(BY_ACCOUNT).execute(Tuple.of(accountId)).map(StreamRepository::all);
  }

  /** The stream if it exists, belongs to the account and is not deleted; else null. */
  public Future<Stream> findForAccount(SqlClient client, String accountId, String id) {
    return client.preparedQuery(ONE_FOR_ACCOUNT).execute(Tuple.of(id, accountId)).map(rows -> exactly(rows, id));
  }

  /**
   * The one ownership check of every customer route: the stream, if it exists, is the caller's and is not
   * deleted; otherwise a 404 that reads the same whether the id is unknown, another tenant's or deleted.
   */
  public Future<Stream> owned(SqlClient client, String accountId, String id) {
    return findForAccount(client, accountId, id).compose(s -> s == null
      ? Future.failedFuture(ApiException.notFound("stream", id)) : Future.succeededFuture(s));
  }

  /** {@link #owned}, with the stream row locked for the rest of the caller's transaction. */
  public Future<Stream> lockOwned(SqlConnection conn, String accountId, String id) {
    return lock(conn, id).compose(s -> s == null || !s.accountId().equals(accountId) || s.state() == StreamState.DELETED
      ? Future.failedFuture(ApiException.notFound("stream", id)) : Future.succeededFuture(s));
  }

  public Future<List<Stream>> listForOrder(SqlClient client, String orderId) {
    return client.preparedQuery(BY_ORDER).execute(Tuple.of(orderId)).map(StreamRepository::all);
  }

  /** Reads and row-locks a stream for the rest of the transaction; null when it does not exist. */
  public Future<Stream> lock(SqlConnection conn, String id) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(id)).map(rows -> exactly(rows, id));
  }

  public Future<Void> updateState(SqlConnection conn, String id, StreamState state, String reason) {
    return conn.preparedQuery(UPDATE_STATE).execute(Tuple.of(state.name(), reason, id)).mapEmpty();
  }

  /** A new start: next generation, fresh machine and URLs. */
  public Future<Void> beginStart(SqlConnection conn, String id) {
    return conn.preparedQuery(BEGIN_START).execute(Tuple.of(id)).mapEmpty();
  }

  /** See {@link #STUCK_PROVISIONING}; the caller locks each and checks again before acting. */
  public Future<List<Stream>> stuckProvisioning(SqlClient client, int timeoutSeconds) {
    return client.preparedQuery(STUCK_PROVISIONING).execute(Tuple.of(timeoutSeconds)).map(StreamRepository::all);
  }

  public Future<Void> setMachine(SqlConnection conn, String id, String machineId) {
    return conn.preparedQuery(SET_MACHINE).execute(Tuple.of(machineId, id)).mapEmpty();
  }

  /** The CDN delivering the stream now and its playback URLs (DASH: null when the stream or the CDN has none). */
  public Future<Void> setPlayback(SqlConnection conn, String id, String activeCdn, String playbackUrl,
                                  String dashPlaybackUrl) {
    return conn.preparedQuery(SET_PLAYBACK).execute(Tuple.of(activeCdn, playbackUrl, dashPlaybackUrl, id)).mapEmpty();
  }

  public Future<Void> setUrls(SqlConnection conn, String id, String previewUrl, String ingestUrl) {
    return conn.preparedQuery(SET_URLS).execute(Tuple.of(previewUrl, ingestUrl, id)).mapEmpty();
  }

  /**
   * The row whose id is exactly {@code id}. The column's collation compares case- and trailing-space-insensitively,
   * so {@code STR_…} or {@code "str_… "} would otherwise find {@code str_…}: an id matches byte for byte or not at all.
   */
  private static Stream exactly(RowSet<Row> rows, String id) {
    for (Row row : rows) {
      Stream s = Stream.fromRow(row);
      if (s.id().equals(id)) {
        return s;
      }
    }
    return null;
  }

  private static List<Stream> all(Iterable<Row> rows) {
    List<Stream> streams = new ArrayList<>();
    rows.forEach(r -> streams.add(Stream.fromRow(r)));
    return streams;
  }
}
