package io.ltm.it;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Numbers that would wrap, vanish into a default or be truncated — too large for an int, negative, fractional, of
 * the wrong type — are a 400 naming the field, in every body that takes a number, and nothing is saved.
 */
class NumberInputIT extends LtmTestBase {
  /** Values no documented integer field accepts. */
  private static final List<Object> WRONG = List.of(4294967440L, 4294967298L, -1, -300, 2147483648L,
    new java.math.BigInteger("123456789012345678901234567890"), 1.5, "12", true, new JsonArray().add(1),
    new JsonObject().put("n", 1));

  @Test
  void everyNumberOfALadderOrOutputThatDoesNotFitIsA400NamingItAndNothingChanges() {
    ApiClient api = api(newAccountKey("numbers-config"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    String path = "/api/v1/streams/" + id;
    JsonObject before = api.get(path + "/config").json();
    for (String field : List.of("width", "height", "videoBitrateKbps", "maxRateKbps", "bufferKbps", "fps",
      "gopSeconds", "audioBitrateKbps")) {
      for (Object value : WRONG) {
        JsonArray ladder = StreamConfigIT.tinyLadder();
        ladder.getJsonObject(1).put(field, value);
        assertField(api.patch(path, new JsonObject().put("renditions", ladder)), "renditions[1]." + field, value);
        assertField(api.post("/api/v1/quotes", new JsonObject().put("offerId", "mobile").put("renditions", ladder)),
          "renditions[1]." + field, value);
      }
    }
    for (String field : List.of("segmentSeconds", "windowSegments")) {
      for (Object value : concat(WRONG, List.of(0))) {
        JsonObject outputs = new JsonObject().put("hls", new JsonObject().put(field, value));
        assertField(api.patch(path, new JsonObject().put("outputs", outputs)), "outputs.hls." + field, value);
      }
    }
    assertThat(api.get(path + "/config").json()).isEqualTo(before);
    assertThat(api.get(path).json().getInteger("configVersion")).isEqualTo(1);
  }

  @Test
  void zeroOrAbsentMeansTheDocumentedDefault() {
    ApiClient api = api(newAccountKey("numbers-defaults"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    JsonArray ladder = StreamConfigIT.tinyLadder();
    ladder.getJsonObject(0).put("maxRateKbps", 0).put("bufferKbps", 0).put("gopSeconds", 0).put("audioBitrateKbps", 0)
      .put("width", 0);
    ApiClient.Reply ok = api.patch("/api/v1/streams/" + id, new JsonObject().put("renditions", ladder));
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    JsonObject first = api.get("/api/v1/streams/" + id + "/config").json().getJsonArray("renditions").getJsonObject(0);
    int bitrate = ladder.getJsonObject(0).getInteger("videoBitrateKbps");
    assertThat(first.getInteger("maxRateKbps")).isEqualTo(bitrate);
    assertThat(first.getInteger("bufferKbps")).isEqualTo(2 * bitrate);
    assertThat(first.getInteger("gopSeconds")).isEqualTo(2);
    assertThat(first.getInteger("audioBitrateKbps")).isEqualTo(128);
    assertThat(first.getInteger("width")).isZero();
  }

  @Test
  void ingestAndPurchaseNumbersThatDoNotFitAreRefusedAndBuyOrChangeNothing() {
    ApiClient api = api(newAccountKey("numbers-ingest"));
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    String orders = "SELECT COUNT(*) FROM orders WHERE account_id = '" + accountId + "'";
    for (Object value : concat(WRONG, List.of(0, 1, 3601))) {
      assertField(api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile")
        .put("input", new JsonObject().put("kind", "rtmp").put("reconnectWindowSeconds", value))),
        "input.reconnectWindowSeconds", value);
    }
    for (Object value : concat(WRONG, List.of(0, 11, 1e3, 2.5))) {
      assertField(api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile").put("quantity", value)),
        "quantity", value);
    }
    assertThat(count(orders)).isZero();

    JsonObject stream = buy(api, "mobile", "rtmp");
    String id = stream.getString("id");
    JsonObject ingest = api.get("/api/v1/streams/" + id + "/ingest").json();
    for (Object value : concat(WRONG, List.of(0, 1, 3601))) {
      assertField(api.send(HttpMethod.PUT, "/api/v1/streams/" + id + "/ingest", new JsonObject().put("kind", "rtmp")
        .put("reconnectWindowSeconds", value).toBuffer(), Map.of()), "reconnectWindowSeconds", value);
    }
    for (Object value : concat(WRONG, List.of(86401))) {
      assertField(api.post("/api/v1/streams/" + id + "/stream-key/rotate", new JsonObject().put("graceSeconds", value)),
        "graceSeconds", value);
    }
    assertThat(api.get("/api/v1/streams/" + id + "/ingest").json()).isEqualTo(ingest);
  }

  @Test
  void anEventsQueryOrAConfigVersionThatDoesNotFitIsA400() {
    ApiClient api = api(newAccountKey("numbers-query"));
    for (String q : List.of("after=-1", "after=1.5", "after=x", "after=18446744073709551616", "limit=0", "limit=1001",
      "limit=2.0")) {
      ApiClient.Reply r = api.get("/api/v1/events?" + q);
      assertThat(r.status()).as(q + ": " + r.body()).isEqualTo(400);
      assertThat(r.error().getString("field")).as(q).isEqualTo(q.substring(0, q.indexOf('=')));
    }
  }

  private static void assertField(ApiClient.Reply reply, String field, Object value) {
    assertThat(reply.status()).as(field + " = " + value + ": " + reply.body()).isEqualTo(400);
    assertThat(reply.error().getString("field")).as(field + " = " + value + ": " + reply.body()).isEqualTo(field);
    assertThat(reply.error().getString("code")).isNotBlank();
  }

  private static List<Object> concat(List<Object> a, List<Object> b) {
    List<Object> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
