package io.ltm.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ids and catalog values match exactly — case and trailing spaces included — wherever they are looked up: a
 * near miss finds nothing, buys nothing, and is never stored as sent.
 */
class ExactIdsIT extends LtmTestBase {

  @Test
  void anOfferIdInAnotherCaseOrWithSpacesBuysNothing() {
    ApiClient api = api(newAccountKey("exact-offers"));
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    for (String offer : List.of("MOBILE", "Mobile", "sd-abr ", " sd-abr", "sd-abr\t", "SD-ABR", "mobile\u00a0")) {
      ApiClient.Reply order = api.post("/api/v1/orders", new JsonObject().put("offerId", offer));
      assertThat(order.status()).as("'" + offer + "': " + order.body()).isIn(400, 422);
      assertThat(order.error().getString("field")).isEqualTo("offerId");
      ApiClient.Reply quote = api.post("/api/v1/quotes", new JsonObject().put("offerId", offer));
      assertThat(quote.status()).as("quote '" + offer + "'").isIn(400, 422);
    }
    assertThat(count("SELECT COUNT(*) FROM orders WHERE account_id = '" + accountId + "'")).isZero();
    JsonObject bought = api.post("/api/v1/orders", new JsonObject().put("offerId", "sd-abr")).json();
    assertThat(bought.getString("offerId")).isEqualTo("sd-abr");
    assertThat(count("SELECT COUNT(*) FROM orders WHERE account_id = '" + accountId + "' AND BINARY offer_id = 'sd-abr'"))
      .isEqualTo(1);
  }

  @Test
  void aStreamOrderOrKeyIdThatDiffersInCaseOrSpacesIsNotFoundAndChangesNothing() {
    ApiClient api = api(newAccountKey("exact-ids"));
    JsonObject stream = buy(api, "mobile", "rtmp");
    String id = stream.getString("id");
    String orderId = stream.getString("orderId");
    List<String> nearIds = List.of(id.toUpperCase(Locale.ROOT), "STR_" + id.substring(4), id + "%20", id + "%20%20",
      id.substring(0, 4) + id.substring(4).toUpperCase(Locale.ROOT), "%20" + id);
    for (String near : nearIds) {
      for (String suffix : List.of("", "/config", "/config/versions", "/ingest")) {
        ApiClient.Reply r = api.get("/api/v1/streams/" + near + suffix);
        assertThat(r.status()).as(near + suffix + ": " + r.body()).isEqualTo(404);
        assertThat(r.error().getString("code")).isEqualTo("not_found");
      }
      assertThat(api.post("/api/v1/streams/" + near + "/start", null).status()).as(near).isEqualTo(404);
      assertThat(api.post("/api/v1/streams/" + near + "/stream-key/rotate", null).status()).as(near).isEqualTo(404);
      assertThat(api.patch("/api/v1/streams/" + near, new JsonObject().put("preset", "mobile")).status()).isEqualTo(404);
      assertThat(api.delete("/api/v1/streams/" + near).status()).as(near).isEqualTo(404);
    }
    // A control character cannot even be read as a string parameter: refused before any lookup.
    ApiClient.Reply tab = api.get("/api/v1/streams/" + id + "%09");
    assertThat(tab.status()).as(tab.body()).isEqualTo(400);
    assertThat(tab.error().getString("field")).isEqualTo("streamId");
    for (String near : List.of(orderId.toUpperCase(Locale.ROOT), orderId + "%20")) {
      assertThat(api.get("/api/v1/orders/" + near).status()).as(near).isEqualTo(404);
    }
    JsonObject after = api.get("/api/v1/streams/" + id).json();
    assertThat(after.getString("state")).isEqualTo("CREATED");
    assertThat(after.getInteger("configVersion")).isEqualTo(1);
    assertThat(api.get("/api/v1/streams/" + id + "/ingest").json().getValue("previousStreamKey")).isNull();

    JsonObject created = api.post("/api/v1/api-keys", new JsonObject().put("label", "spare")).json();
    String keyId = created.getString("id");
    for (String near : List.of(keyId.toUpperCase(Locale.ROOT), keyId + "%20", "KEY_" + keyId.substring(4))) {
      assertThat(api.delete("/api/v1/api-keys/" + near).status()).as(near).isEqualTo(404);
    }
    assertThat(api.withKey(created.getString("key")).get("/api/v1/me").status()).isEqualTo(200);
    String prefix = created.getString("prefix");
    String keyInOtherCase = created.getString("key").replace(prefix, prefix.toUpperCase(Locale.ROOT));
    assertThat(api.withKey(keyInOtherCase).get("/api/v1/me").status()).isEqualTo(401);
  }

  @Test
  void enumLikeValuesMatchExactly() {
    ApiClient api = api(newAccountKey("exact-enums"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    String path = "/api/v1/streams/" + id;
    assertThat(api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile")
      .put("input", new JsonObject().put("kind", "RTMP"))).status()).isEqualTo(400);
    assertThat(api.patch(path, new JsonObject().put("preset", "MOBILE")).error().getString("code"))
      .isEqualTo("unknown_preset");
    assertThat(api.patch(path, new JsonObject().put("preset", "mobile ")).error().getString("code"))
      .isEqualTo("unknown_preset");
    for (String codec : List.of("H264", "h264 ", "AAC")) {
      JsonArray ladder = StreamConfigIT.tinyLadder();
      ladder.getJsonObject(0).put(codec.startsWith("A") ? "audioCodec" : "videoCodec", codec);
      assertThat(api.patch(path, new JsonObject().put("renditions", ladder)).status()).as(codec).isEqualTo(400);
    }
    assertThat(api.patch(path, new JsonObject().put("outputs", new JsonObject().put("hls",
      new JsonObject().put("segmentType", "TS")))).status()).isEqualTo(400);
    assertThat(api.get(path).json().getInteger("configVersion")).isEqualTo(1);
  }

  @Test
  void idempotencyKeysDifferingOnlyInCaseAreTwoPurchases() {
    ApiClient api = api(newAccountKey("exact-idem"));
    Buffer body = new JsonObject().put("offerId", "mobile").toBuffer();
    ApiClient.Reply lower = api.send(HttpMethod.POST, "/api/v1/orders", body, Map.of("Idempotency-Key", "order-1"));
    ApiClient.Reply upper = api.send(HttpMethod.POST, "/api/v1/orders", body, Map.of("Idempotency-Key", "ORDER-1"));
    ApiClient.Reply again = api.send(HttpMethod.POST, "/api/v1/orders", body, Map.of("Idempotency-Key", "order-1"));
    assertThat(lower.status()).isEqualTo(201);
    assertThat(upper.status()).isEqualTo(201);
    assertThat(upper.json().getString("id")).isNotEqualTo(lower.json().getString("id"));
    assertThat(again.json().getString("id")).isEqualTo(lower.json().getString("id"));
    assertThat(api.get("/api/v1/streams").json().getJsonArray("items")).hasSize(2);
  }
}
