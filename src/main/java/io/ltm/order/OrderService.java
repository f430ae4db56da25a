package io.ltm.order;

import io.ltm.common.ApiException;
import io.ltm.common.Ids;
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

import java.util.List;

/**
 * Purchases. One transaction writes the order, its streams, their events and the order job; with an
 * {@code Idempotency-Key} it also stores the answer, so a retry gets the same order instead of a second one.
 */
public class OrderService {
  private static final int DUPLICATE_KEY = 1062;
  private static final String INSERT_ORDER = "INSERT INTO orders (id, account_id, offer_id, quantity, state, "
    + "price_per_hour_cents, currency) VALUES (?, ?, ?, ?, ?, ?, ?)";
  private static final String FIND_ORDER = "SELECT id, offer_id, quantity, state, price_per_hour_cents, currency, "
    + "created_at FROM orders WHERE id = ? AND account_id = ?";
  private static final String CLAIM_KEY = "INSERT INTO idempotency_keys (account_id, idem_key, request_hash, status, "
    + "response) VALUES (?, ?, ?, 0, '')";
  private static final String SAVE_ANSWER =
    "UPDATE idempotency_keys SET status = ?, response = ? WHERE account_id = ? AND idem_key = ?";
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
    try {
      // Bad input is a 400 before anything is written, idempotency key included.
      IngestService.settings("input", request.getJsonObject("input"));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (idempotencyKey == null) {
      return Transactions.inAccount(pool, accountId, conn -> place(conn, accountId, request)).onSuccess(a -> wakeRelay());
    }
    String requestHash = Ids.sha256(request.encode());
    return Transactions.inAccount(pool, accountId, conn -> conn.preparedQuery(CLAIM_KEY)
        .execute(Tuple.of(accountId, idempotencyKey, requestHash))
        .compose(v -> place(conn, accountId, request))
        .compose(answer -> conn.preparedQuery(SAVE_ANSWER)
          .execute(Tuple.of(answer.status(), answer.body().encode(), accountId, idempotencyKey))
          .map(answer)))
      .onSuccess(a -> wakeRelay())
      .recover(err -> isDuplicateKey(err) ? replay(accountId, idempotencyKey, requestHash) : Future.failedFuture(err));
  }

  public Future<JsonObject> get(String accountId, String orderId) {
    return pool.preparedQuery(FIND_ORDER).execute(Tuple.of(orderId, accountId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(ApiException.notFound("order", orderId));
      }
      var row = rows.iterator().next();
      JsonObject order = new JsonObject()
        .put("id", row.getString("id"))
        .put("offerId", row.getString("offer_id"))
        .put("quantity", row.getInteger("quantity"))
        .put("state", row.getString("state"))
        .put("pricePerHourCents", row.getInteger("price_per_hour_cents"))
        .put("currency", row.getString("currency"))
        .put("createdAt", row.getLocalDateTime("created_at").toString() + "Z");
      return streams.listForOrder(pool, orderId).map(list -> order.put("streams", toJson(list)));
    });
  }

  private Future<Answer> place(SqlConnection conn, String accountId, JsonObject request) {
    String offerId = request.getString("offerId");
    int quantity = request.getInteger("quantity", 1);
    IngestSettings ingestSettings = IngestService.settings("input", request.getJsonObject("input"));
    String inputKind = ingestSettings.kind();
    String baseName = request.getString("name");
    return offers.findActive(conn, offerId).compose(offer -> {
      if (offer == null) {
        return Future.failedFuture(ApiException.unprocessable("unknown_offer",
          "there is no offer '" + offerId + "'; GET /api/v1/offers lists them", "offerId"));
      }
      String orderId = Ids.newId("ord");
      int total = offer.pricePerHourCents() * quantity;
      JsonArray created = new JsonArray();
      Future<Void> chain = conn.preparedQuery(INSERT_ORDER)
        .execute(Tuple.of(orderId, accountId, offerId, quantity, "PENDING", total, offer.currency()))
        .compose(v -> EventLog.append(conn, accountId, EventTypes.ORDER_STATE, null,
          new JsonObject().put("orderId", orderId).put("state", "PENDING")))
        .mapEmpty();
      for (int i = 1; i <= quantity; i++) {
        String name = (baseName == null ? offer.name() : baseName) + (quantity > 1 ? " #" + i : "");
        Stream stream = new Stream(Ids.newId("str"), accountId, orderId, offerId, name, StreamState.CREATED, null, 0,
          inputKind, Ids.random(24), offer.renditions(), null, null, null, null, null, 1);
        chain = chain.compose(v -> streams.insert(conn, stream))
          .compose(v -> ingest.save(conn, stream.id(), ingestSettings))
          .compose(v -> EventLog.append(conn, accountId, EventTypes.STREAM_STATE, stream.id(),
            new JsonObject().put("state", "CREATED").put("previous", null).put("detail", new JsonObject())))
          .compose(v -> streams.findForAccount(conn, accountId, stream.id()))
          .map(s -> {
            created.add(s.toJson());
            return null;
          });
      }
      return chain
        .compose(v -> Job.of(Job.ORDER_PLACED, accountId, orderId, 0).enqueue(conn))
        .map(v -> new Answer(201, new JsonObject()
          .put("id", orderId)
          .put("offerId", offerId)
          .put("quantity", quantity)
          .put("state", "PENDING")
          .put("pricePerHourCents", total)
          .put("currency", offer.currency())
          .put("streams", created)));
    });
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
