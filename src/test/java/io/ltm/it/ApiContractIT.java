package io.ltm.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the API answers to mistakes, retries and other tenants: clear 4xx JSON, and nothing written. */
class ApiContractIT extends LtmTestBase {
  private static final String ORDERS = "/api/v1/orders";

  @Test
  void offersListThePricedCatalog() {
    JsonObject offers = api(newAccountKey("catalog")).get("/api/v1/offers").json();
    assertThat(offers.getJsonArray("items")).isNotEmpty();
    JsonObject mobile = offers.getJsonArray("items").stream().map(JsonObject.class::cast)
      .filter(o -> o.getString("id").equals("mobile")).findFirst().orElseThrow();
    assertThat(mobile.getInteger("pricePerHourCents")).isPositive();
    assertThat(mobile.getJsonArray("renditions")).hasSize(2);
  }

  @Test
  void retriedPurchaseWithSameKeyReturnsFirstOrder() {
    ApiClient api = api(newAccountKey("retry"));
    Map<String, String> key = Map.of("Idempotency-Key", "purchase-42");
    Buffer body = new JsonObject().put("offerId", "mobile").put("quantity", 2).toBuffer();
    ApiClient.Reply first = api.send(HttpMethod.POST, ORDERS, body, key);
    ApiClient.Reply retry = api.send(HttpMethod.POST, ORDERS, body, key);
    assertThat(first.status()).isEqualTo(201);
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.json().getString("id")).isEqualTo(first.json().getString("id"));
    assertThat(retry.json().getJsonArray("streams")).isEqualTo(first.json().getJsonArray("streams"));
    assertThat(api.get("/api/v1/streams").json().getJsonArray("items")).hasSize(2);

    ApiClient.Reply different = api.send(HttpMethod.POST, ORDERS,
      new JsonObject().put("offerId", "mobile").put("quantity", 1).toBuffer(), key);
    assertThat(different.status()).isEqualTo(422);
    assertThat(different.error().getString("code")).isEqualTo("idempotency_key_reused");
    assertThat(api.get("/api/v1/streams").json().getJsonArray("items")).hasSize(2);
  }

  @Test
  void concurrentRetriesWithOneKeyCreateOneOrder() throws Exception {
    ApiClient api = api(newAccountKey("concurrent"));
    Map<String, String> key = Map.of("Idempotency-Key", "double-click");
    Buffer body = new JsonObject().put("offerId", "mobile").toBuffer();
    ExecutorService clients = Executors.newFixedThreadPool(6);
    try {
      List<Future<ApiClient.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        replies.add(clients.submit(() -> api.send(HttpMethod.POST, ORDERS, body, key)));
      }
      Set<String> orderIds = new HashSet<>();
      for (Future<ApiClient.Reply> reply : replies) {
        ApiClient.Reply r = reply.get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        orderIds.add(r.json().getString("id"));
      }
      assertThat(orderIds).hasSize(1);
      assertThat(api.get("/api/v1/streams").json().getJsonArray("items")).hasSize(1);
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void anIdempotencyKeyIsKeptADayThenTheSameKeyIsANewPurchase() {
    ApiClient api = api(newAccountKey("key-retention"));
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    Buffer body = new JsonObject().put("offerId", "mobile").toBuffer();
    Map<String, String> old = Map.of("Idempotency-Key", "yesterday");
    Map<String, String> young = Map.of("Idempotency-Key", "an-hour-ago");
    String oldOrder = api.send(HttpMethod.POST, ORDERS, body, old).json().getString("id");
    String youngOrder = api.send(HttpMethod.POST, ORDERS, body, young).json().getString("id");
    Await.result(ltm.pool().query("UPDATE idempotency_keys SET created_at = CURRENT_TIMESTAMP(3) - INTERVAL 25 HOUR "
      + "WHERE account_id = '" + accountId + "' AND idem_key = 'yesterday'").execute());
    Await.result(ltm.pool().query("UPDATE idempotency_keys SET created_at = CURRENT_TIMESTAMP(3) - INTERVAL 1 HOUR "
      + "WHERE account_id = '" + accountId + "' AND idem_key = 'an-hour-ago'").execute());

    // A pruner of its own, so its first pass comes within seconds rather than at the deployed one's next minute.
    Await.result(vertx.deployVerticle(new io.ltm.order.IdempotencyKeyPruner(ltm.pool())));
    Await.until("the day-old key to be pruned", Duration.ofSeconds(60), () -> count("SELECT COUNT(*) FROM "
      + "idempotency_keys WHERE account_id = '" + accountId + "' AND idem_key = 'yesterday'") == 0 ? true : null);

    ApiClient.Reply retriedYoung = api.send(HttpMethod.POST, ORDERS, body, young);
    assertThat(retriedYoung.status()).isEqualTo(201);
    assertThat(retriedYoung.json().getString("id")).as("a key younger than a day is still replayed").isEqualTo(youngOrder);
    ApiClient.Reply reused = api.send(HttpMethod.POST, ORDERS, body, old);
    assertThat(reused.status()).isEqualTo(201);
    assertThat(reused.json().getString("id")).as("a forgotten key is a new purchase").isNotEqualTo(oldOrder);
  }

  @Test
  void sameIdempotencyKeyOfAnotherAccountIsIndependent() {
    Map<String, String> key = Map.of("Idempotency-Key", "shared-key");
    Buffer body = new JsonObject().put("offerId", "mobile").toBuffer();
    ApiClient.Reply a = api(newAccountKey("a")).send(HttpMethod.POST, ORDERS, body, key);
    ApiClient.Reply b = api(newAccountKey("b")).send(HttpMethod.POST, ORDERS, body, key);
    assertThat(a.status()).isEqualTo(201);
    assertThat(b.status()).isEqualTo(201);
    assertThat(b.json().getString("id")).isNotEqualTo(a.json().getString("id"));
  }

  @Test
  void everyClassOfBadInputIsA4xxWithErrorJsonAndWritesNothing() {
    ApiClient api = api(newAccountKey("mistakes"));
    // Counted for this account only: other tests' purchases keep the worker writing meanwhile.
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    String ordersOfAccount = "SELECT COUNT(*) FROM orders WHERE account_id = '" + accountId + "'";
    String eventsOfAccount = "SELECT COUNT(*) FROM events WHERE account_id = '" + accountId + "'";
    String outboxOfAccount = "SELECT COUNT(*) FROM outbox WHERE routing_key LIKE 'account." + accountId + ".%' "
      + "OR payload LIKE '%" + accountId + "%'";
    long orders = count(ordersOfAccount);
    long events = count(eventsOfAccount);
    long outbox = count(outboxOfAccount);

    assertError(api.send(HttpMethod.POST, ORDERS, Buffer.buffer("{\"offerId\": \"mobile\""), Map.of()), 400, null);
    assertError(api.post(ORDERS, new JsonObject().put("offerId", "mobile").put("colour", "red")), 400, null);
    assertError(api.post(ORDERS, new JsonObject().put("offerId", "mobile").put("quantity", "two")), 400, "quantity");
    assertError(api.post(ORDERS, new JsonObject().put("offerId", "mobile").put("quantity", 0)), 400, "quantity");
    assertError(api.post(ORDERS, new JsonObject().put("quantity", 1)), 400, "offerId");
    assertError(api.post(ORDERS, new JsonObject().put("offerId", "mobile").put("colour", "red")), 400, "colour");
    assertError(api.post(ORDERS, new JsonObject().put("offerId", "mobile")
      .put("input", new JsonObject().put("kind", "carrier-pigeon"))), 400, "input.kind");
    assertError(api.post(ORDERS, new JsonObject().put("offerId", "no-such-offer")), 422, "offerId");
    String huge = "x".repeat(100_000);
    assertError(api.post(ORDERS, new JsonObject().put("offerId", "mobile").put("name", huge)), 413, null);
    assertError(api.withKey(null).post(ORDERS, new JsonObject().put("offerId", "mobile")), 401, null);
    assertError(api.withKey("ltm_nope_nope").post(ORDERS, new JsonObject().put("offerId", "mobile")), 401, null);
    assertError(api.get("/api/v1/streams/str_doesnotexist"), 404, null);
    assertError(api.post("/api/v1/streams/str_doesnotexist/start", null), 404, null);
    assertError(api.get("/api/v1/orders/ord_doesnotexist"), 404, null);
    assertError(api.get("/api/v1/events?after=-1"), 400, null);
    assertError(api.get("/api/v1/nothing-here"), 404, null);

    assertThat(count(ordersOfAccount)).isEqualTo(orders);
    assertThat(count(eventsOfAccount)).isEqualTo(events);
    assertThat(count(outboxOfAccount)).isEqualTo(outbox);
  }

  @Test
  void illegalActionIsConflictNamingTheCurrentState() {
    ApiClient api = api(newAccountKey("conflict"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    ApiClient.Reply stop = api.post("/api/v1/streams/" + id + "/stop", null);
    assertThat(stop.status()).isEqualTo(409);
    assertThat(stop.error().getString("code")).isEqualTo("illegal_state");
    assertThat(stop.error().getString("state")).isEqualTo("CREATED");
    assertThat(stop.error().getJsonArray("allowedActions")).containsExactly("start", "delete");
    assertThat(stop.error().getString("message")).contains("CREATED");

    assertThat(api.delete("/api/v1/streams/" + id).status()).isEqualTo(204);
    assertThat(api.get("/api/v1/streams/" + id).status()).isEqualTo(404);
  }

  @Test
  void aTenantNeverSeesAnotherTenantsStreamsOrEvents() {
    String ownerKey = newAccountKey("owner");
    ApiClient owner = api(ownerKey);
    String ownerAccount = owner.get("/api/v1/me").json().getString("accountId");
    JsonObject stream = buy(owner, "mobile", "test-pattern");
    String id = stream.getString("id");
    String orderId = stream.getString("orderId");

    String strangerKey = newAccountKey("stranger");
    ApiClient stranger = api(strangerKey);
    assertThat(stranger.get("/api/v1/streams").json().getJsonArray("items")).isEmpty();
    assertError(stranger.get("/api/v1/streams/" + id), 404, null);
    assertError(stranger.post("/api/v1/streams/" + id + "/start", null), 404, null);
    assertError(stranger.delete("/api/v1/streams/" + id), 404, null);
    assertError(stranger.get("/api/v1/orders/" + orderId), 404, null);
    assertThat(stranger.get("/api/v1/events").json().getJsonArray("items")).isEmpty();
    assertThat(owner.get("/api/v1/streams/" + id).json().getString("state")).isEqualTo("CREATED");
    // Nor its configuration or ingest.
    assertError(stranger.get("/api/v1/streams/" + id + "/config"), 404, null);
    assertError(stranger.get("/api/v1/streams/" + id + "/config/versions"), 404, null);
    assertError(stranger.patch("/api/v1/streams/" + id, new JsonObject().put("preset", "mobile")), 404, null);
    assertError(stranger.post("/api/v1/streams/" + id + "/config/versions/1/restore", null), 404, null);
    assertError(stranger.get("/api/v1/streams/" + id + "/ingest"), 404, null);
    assertThat(owner.get("/api/v1/streams/" + id).json().getInteger("configVersion")).isEqualTo(1);

    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      bus.register("ltm.account." + ownerAccount, strangerKey);
      Await.until("the bridge to refuse the registration", Duration.ofSeconds(5),
        () -> bus.errors().isEmpty() ? null : true);
      assertThat(bus.errors().get(0)).contains("rejected");
      assertThat(bus.replay(0, strangerKey)).isEmpty();
      buy(owner, "mobile", "test-pattern");
      assertThat(bus.events()).isEmpty();
    }
  }

  @Test
  void contractIsServedAndHealthAndReadinessAnswer() {
    ApiClient anonymous = api(null);
    ApiClient.Reply contract = anonymous.get("/api/v1/openapi.yaml");
    assertThat(contract.status()).isEqualTo(200);
    assertThat(contract.body()).contains("operationId: createOrder");
    assertThat(anonymous.get("/health").status()).isEqualTo(200);
    ApiClient.Reply ready = anonymous.get("/ready");
    assertThat(ready.status()).as(ready.body()).isEqualTo(200);
    assertThat(anonymous.get("/").body()).contains("<html");
  }

  private static void assertError(ApiClient.Reply reply, int status, String field) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    JsonObject error = reply.error();
    assertThat(error).as(reply.body()).isNotNull();
    assertThat(error.getString("code")).isNotBlank();
    assertThat(error.getString("message")).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
    if (field != null) {
      assertThat(error.getString("field")).as(reply.body()).isEqualTo(field);
    }
  }
}
