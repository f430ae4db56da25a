package io.ltm.order;

import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.ltm.common.JsonInput;
import io.ltm.common.Utc;
import io.ltm.db.Transactions;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.ingest.IngestRepository;
import io.ltm.ingest.IngestService;
import io.ltm.ingest.domain.IngestSettings;
import io.ltm.jobs.Job;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mysqlclient.MySQLException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import io.ltm.stream.StreamConfigRepository;
import io.ltm.stream.domain.StreamConfig;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;

import java.util.List;

/**
 * Purchases. One transaction writes the order, its streams, their events and the order job; with an
 * {@code Idempotency-Key} it also stores the answer, so a retry gets the same order instead of a second one.
 */
public class OrderService {
  private static final int DUPLICATE_KEY = 1062;
  /** Streams one order may buy (the contract says the same). */
  static final int MAX_QUANTITY = 10;
  private static final String INSERT_ORDER = "INSERT INTO orders (id, account_id, offer_id, quantity, state, "
    + "price_per_hour_cents, currency) VALUES (?, ?, ?, ?, ?, ?, ?)";
  private static final String FIND_ORDER = "SELECT id, offer_id, quantity, state, state_reason, price_per_hour_cents, currency, "
    + "created_at FROM orders WHERE id = ? AND account_id = ?";
  private static final String SAVE_KEY = "INSERT INTO idempotency_keys (account_id, idem_key, request_hash, status, "
    + "response) VALUES (?, ?, ?, ?, ?)";
  private static final String FIND_KEY =
    "SELECT request_hash, status, response FROM idempotency_keys WHERE account_id = ? AND idem_key = ?";

  private final Vertx vertx;
  private final Pool pool;
  private final OfferRepository offers;
  private final StreamRepository streams;
  private final IngestRepository ingest = new IngestRepository();

  public OrderService(Vertx vertx, Pool pool, OfferRepository offers, StreamRepository streams) {
    this.vertx = vertx;
    this.pool = pool;
    this.offers = offers;
    this.streams = streams;
  }

  /** The purchase's answer: the HTTP status and body, replayed verbatim for a retried key. */
  public record Answer(int status, JsonObject body) {
  }

  public Future<Answer> purchase(String accountId, String idempotencyKey, JsonObject request) {
    IngestSettings ingestSettings;
    try {
      // Bad input is a 400 before anything is written, idempotency key included.
      ingestSettings = IngestService.settings("input", request.getJsonObject("input"));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    String offerId = request.getString("offerId");
    String requestHash = idempotencyKey == null ? null : Ids.sha256(request.encode());
    return offers.findActiveCached(pool, offerId).compose(offer -> {
      if (offer == null) {
        return Future.failedFuture(ApiException.unprocessable("unknown_offer",
          "there is no offer '" + offerId + "'; GET /api/v1/offers lists them", "offerId"));
      }
      // The answer is stored with the key in the purchase's own transaction: a retry finds it or finds nothing.
      KeySaver key = idempotencyKey == null ? (conn, answer) -> Future.succeededFuture()
        : (conn, answer) -> conn.preparedQuery(SAVE_KEY)
        .execute(Tuple.of(accountId, idempotencyKey, requestHash, answer.status(), answer.body().encode())).mapEmpty();
      return Transactions.run(pool, conn -> place(conn, accountId, offer, ingestSettings, request, key));
    })
      .onSuccess(a -> wakeRelay())
      .recover(err -> idempotencyKey != null && isDuplicateKey(err)
        ? replay(accountId, idempotencyKey, requestHash) : Future.failedFuture(err));
  }

  private interface KeySaver {
    Future<Void> save(SqlConnection conn, Answer answer);
  }

  public Future<JsonObject> get(String accountId, String orderId) {
    return pool.preparedQuery(FIND_ORDER).execute(Tuple.of(orderId, accountId)).compose(rows -> {
      // Exactly this id: the column's collation would also match ORD_… or "ord_… ".
      if (rows.size() == 0 || !rows.iterator().next().getString("id").equals(orderId)) {
        return Future.failedFuture(ApiException.notFound("order", orderId));
      }
      var row = rows.iterator().next();
      JsonObject order = new JsonObject()
        .put("id", row.getString("id"))
        .put("offerId", row.getString("offer_id"))
        .put("quantity", row.getInteger("quantity"))
        .put("state", row.getString("state"))
        .put("stateReason", row.getString("state_reason"))
        .put("pricePerHourCents", row.getInteger("price_per_hour_cents"))
        .put("currency", row.getString("currency"))
        .put("createdAt", Utc.format(row.getLocalDateTime("created_at")));
      return streams.listForOrder(pool, orderId).map(list -> order.put("streams", toJson(list)));
    });
  }

  /**
   * The purchase's transaction. Its first statement numbers the events (and so locks the account row
   * exclusively: {@code Transactions}); every other statement is then sent at once (the connection pipelines
   * them) and they are multi-row: about ten statements and four round trips whatever the quantity. The answer
   * is built from what was written, not read back.
   */
  private Future<Answer> place(SqlConnection conn, String accountId, Offer offer, IngestSettings ingestSettings,
                               JsonObject request, KeySaver key) {
    int quantity = JsonInput.intOr(request, "quantity", "quantity", 1, 1, MAX_QUANTITY);
    String baseName = request.getString("name");
    String orderId = Ids.newId("ord");
    int total = offer.pricePerHourCents() * quantity;
    LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
    StreamConfig first = StreamConfigRepository.fromOffer(offer.renditions());
    JsonArray ladder = StreamConfigRepository.ladderJson(first);
    List<Stream> created = new ArrayList<>();
    List<EventLog.Draft> events = new ArrayList<>();
    events.add(new EventLog.Draft(EventTypes.ORDER_STATE, null,
      new JsonObject().put("orderId", orderId).put("state", "PENDING")));
    for (int i = 1; i <= quantity; i++) {
      String name = (baseName == null ? offer.name() : baseName) + (quantity > 1 ? " #" + i : "");
      Stream stream = new Stream(Ids.newId("str"), accountId, orderId, offer.id(), name, StreamState.CREATED, null, 0,
        ingestSettings.kind(), Ids.random(24), ladder, null, null, null, now, now, 1);
      created.add(stream);
      events.add(new EventLog.Draft(EventTypes.STREAM_STATE, stream.id(), new JsonObject().put("state", "CREATED")
        .putNull("previous").put("allowedActions", stream.toJson().getJsonArray("allowedActions"))
        .put("detail", new JsonObject())));
    }
    JsonArray streamsJson = new JsonArray();
    created.forEach(st -> streamsJson.add(st.toJson()));
    Answer answer = new Answer(201, new JsonObject()
      .put("id", orderId)
      .put("offerId", offer.id())
      .put("quantity", quantity)
      .put("state", "PENDING")
      .putNull("stateReason")
      .put("pricePerHourCents", total)
      .put("currency", offer.currency())
      .put("streams", streamsJson));
    Job job = Job.of(Job.ORDER_PLACED, accountId, orderId, 0);
    // The job's message goes in the outbox with the events: one INSERT for both.
    Future<List<JsonObject>> numbered = EventLog.appendAll(conn, accountId, events, List.of(job.message()));
    Future<Void> claimed = key.save(conn, answer);
    Future<?> order = conn.preparedQuery(INSERT_ORDER)
      .execute(Tuple.of(orderId, accountId, offer.id(), quantity, "PENDING", total, offer.currency()));
    Future<Void> rows = streams.insertAll(conn, created, first, "purchase of offer " + offer.id());
    Future<Void> inputs = ingest.insertAll(conn, created.stream().map(Stream::id).toList(), ingestSettings);
    Future<Void> jobRow = job.insert(conn);
    return Future.all(List.of(numbered, claimed, order, rows, inputs, jobRow)).map(answer);
  }

  /** A key seen before: the same request gets the first answer; a different one is a client mistake (422). */
  private Future<Answer> replay(String accountId, String key, String requestHash) {
    return pool.preparedQuery(FIND_KEY).execute(Tuple.of(accountId, key)).compose(rows -> {
      var row = rows.iterator().next();
      if (!row.getString("request_hash").equals(requestHash)) {
        return Future.failedFuture(ApiException.unprocessable("idempotency_key_reused",
          "this Idempotency-Key was used for a different request", "Idempotency-Key"));
      }
      return Future.succeededFuture(new Answer(row.getInteger("status"), new JsonObject(row.getString("response"))));
    });
  }

  private static boolean isDuplicateKey(Throwable err) {
    return err instanceof MySQLException e && e.getErrorCode() == DUPLICATE_KEY;
  }

  private void wakeRelay() {
    vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null);
  }

  private static JsonArray toJson(List<Stream> list) {
    JsonArray array = new JsonArray();
    list.forEach(s -> array.add(s.toJson()));
    return array;
  }
}
