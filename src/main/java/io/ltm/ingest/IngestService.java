package io.ltm.ingest;

import io.ltm.db.Transactions;
import io.ltm.audit.Actor;
import io.ltm.audit.AuditLog;
import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.ltm.common.JsonInput;
import io.ltm.common.Utc;
import io.ltm.ingest.domain.IngestSettings;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** A customer's view of and changes to where a stream's input comes from. */
public class IngestService {
  /** Default grace period of a rotated key: long enough to update an encoder without a gap. */
  public static final int DEFAULT_GRACE_SECONDS = 300;
  public static final int MAX_GRACE_SECONDS = 86_400;
  private static final Set<StreamState> CHANGEABLE = EnumSet.of(StreamState.CREATED, StreamState.STOPPED,
    StreamState.FAILED);

  private final Pool pool;
  private final StreamRepository streams;
  private final IngestRepository ingest;

  public IngestService(Pool pool, StreamRepository streams, IngestRepository ingest) {
    this.pool = pool;
    this.streams = streams;
    this.ingest = ingest;
  }

  /** Reads an {@code input} object of a request into validated settings; a broken rule is a field-level 400. */
  public static IngestSettings settings(String prefix, JsonObject input) {
    JsonObject in = input == null ? new JsonObject() : input;
    String p = prefix == null || prefix.isEmpty() ? "" : prefix + ".";
    JsonArray cidrs = in.getJsonArray("allowCidrs");
    // An InvalidConfigException becomes a 400 naming the field in the one failure handler.
    return IngestSettings.validate(prefix, JsonInput.optionalString(in, "kind", p + "kind"),
      JsonInput.optionalString(in, "url", p + "url"), JsonInput.optionalString(in, "passphrase", p + "passphrase"),
      cidrs == null ? null : cidrs.stream().map(c -> c instanceof String s ? s : "").toList(),
      JsonInput.optionalInt(in, "reconnectWindowSeconds", p + "reconnectWindowSeconds", Integer.MIN_VALUE,
        Integer.MAX_VALUE));
  }

  public Future<JsonObject> get(String accountId, String streamId) {
    return streams.owned(pool, accountId, streamId).compose(s -> view(pool, streamId));
  }

  /** Replaces the ingest settings; only while the stream is not running (the machine got the old ones). */
  public Future<JsonObject> replace(String accountId, String streamId, JsonObject body, Actor actor) {
    IngestSettings settings = settings("", body);
    return Transactions.run(pool, conn -> streams.lockOwned(conn, accountId, streamId).compose(s -> {
      if (!CHANGEABLE.contains(s.state())) {
        return Future.failedFuture(ApiException.conflict("stream_running",
          "ingest can change only while the stream is CREATED, STOPPED or FAILED; it is " + s.state()
            + ". Stop it first.", new JsonObject().put("state", s.state().name())));
      }
      return ingest.save(conn, streamId, settings)
        .compose(v -> AuditLog.record(conn, accountId, AuditLog.INGEST_CHANGED, actor, new JsonObject()
          .put("streamId", streamId).put("kind", settings.kind()).put("passphraseSet", settings.srtPassphrase() != null)
          .put("url", settings.pullUrl() != null).put("allowCidrs", new JsonArray(settings.allowCidrs()))));
    })).compose(v -> view(pool, streamId));
  }

  /**
   * A new stream key; the old one keeps working for {@code graceSeconds} (a running machine learns both at
   * its next heartbeat), so an encoder can be switched over without a gap.
   */
  public Future<JsonObject> rotate(String accountId, String streamId, int graceSeconds, Actor actor) {
    String newKey = Ids.random(24);
    return Transactions.run(pool, conn -> streams.lockOwned(conn, accountId, streamId)
        .compose(s -> ingest.rotate(conn, streamId, s.streamKey(), newKey, graceSeconds))
        .compose(v -> AuditLog.record(conn, accountId, AuditLog.STREAM_KEY_ROTATED, actor, new JsonObject()
          .put("streamId", streamId).put("graceSeconds", graceSeconds))))
      .compose(v -> view(pool, streamId));
  }

  private Future<JsonObject> view(Pool client, String streamId) {
    return ingest.find(client, streamId).map(IngestService::toJson);
  }

  /** The machine reported its URL with the key it started with; after a rotation it shows the current key. */
  static String currentIngestUrl(IngestRepository.Ingest i) {
    String url = i.ingestUrl();
    if (url == null || !IngestSettings.RTMP.equals(i.kind()) || !url.startsWith("rtmp://")) {
      return url;
    }
    return url.substring(0, url.lastIndexOf('/') + 1) + i.streamKey();
  }

  /** The API shape; the SRT passphrase is write-only (the customer set it, nobody needs to read it back). */
  static JsonObject toJson(IngestRepository.Ingest i) {
    return new JsonObject()
      .put("kind", i.kind())
      .put("streamKey", i.streamKey())
      .put("previousStreamKey", i.previousKey())
      .put("previousStreamKeyValidUntil", Utc.format(i.previousKeyUntil()))
      .put("url", i.pullUrl())
      .put("passphraseSet", i.srtPassphrase() != null)
      .put("reconnectWindowSeconds", i.reconnectWindowSeconds())
      .put("allowCidrs", new JsonArray(i.allowCidrs() == null ? List.of() : i.allowCidrs()))
      .put("ingestUrl", currentIngestUrl(i))
      .put("thumbnailUrl", i.thumbnailUrl());
  }
}
