package io.ltm.it;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad ingest settings get a 400 naming the field, on a purchase and on PUT …/ingest, and change nothing. */
class IngestValidationIT extends LtmTestBase {

  @Test
  void badIngestInAPurchaseIsAFieldLevel400AndBuysNothing() {
    ApiClient api = api(newAccountKey("ingest-validation"));
    assertBad(order(api, new JsonObject().put("kind", "rtmp").put("allowCidrs", new JsonArray().add("10.0.0.0/8")
      .add("10.0.0.0/40"))), "invalid_cidr", "input.allowCidrs[1]");
    assertBad(order(api, new JsonObject().put("kind", "pull").put("url", "file:///etc/passwd")),
      "invalid_url_scheme", "input.url");
    assertBad(order(api, new JsonObject().put("kind", "srt").put("passphrase", "short")),
      "invalid_passphrase", "input.passphrase");
    assertBad(order(api, new JsonObject().put("kind", "srt").put("passphrase", "x".repeat(80))),
      "invalid_passphrase", "input.passphrase");
    assertThat(api.get("/api/v1/streams").json().getJsonArray("items")).isEmpty();
  }

  @Test
  void badIngestOnPutIsAFieldLevel400AndTheSettingsStay() {
    ApiClient api = api(newAccountKey("ingest-put"));
    String id = IngestIT.buy(api, "mobile", new JsonObject().put("kind", "rtmp")
      .put("allowCidrs", new JsonArray().add("192.0.2.0/24"))).getString("id");
    assertBad(put(api, id, new JsonObject().put("kind", "rtmp").put("allowCidrs", new JsonArray().add("nonsense"))),
      "invalid_cidr", "allowCidrs[0]");
    assertBad(put(api, id, new JsonObject().put("kind", "pull").put("url", "ftp://example.com/live")), "invalid_url_scheme", "url");
    JsonObject ingest = api.get("/api/v1/streams/" + id + "/ingest").json();
    assertThat(ingest.getJsonArray("allowCidrs")).containsExactly("192.0.2.0/24");
    assertThat(ingest.getString("kind")).isEqualTo("rtmp");

    ApiClient.Reply ok = put(api, id, new JsonObject().put("kind", "srt").put("passphrase", "0123456789"));
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().getBoolean("passphraseSet")).isTrue();
    assertThat(ok.body()).doesNotContain("0123456789");
    assertThat(api.get("/api/v1/streams/" + id).json().getJsonObject("input").getString("kind")).isEqualTo("srt");
  }

  @Test
  void anotherAccountCannotSeeOrRotateAStreamsKey() {
    ApiClient owner = api(newAccountKey("key-owner"));
    ApiClient other = api(newAccountKey("key-other"));
    String id = IngestIT.buy(owner, "mobile", new JsonObject().put("kind", "rtmp")).getString("id");
    assertThat(other.get("/api/v1/streams/" + id + "/ingest").status()).isEqualTo(404);
    assertThat(other.post("/api/v1/streams/" + id + "/stream-key/rotate", null).status()).isEqualTo(404);
    assertThat(owner.post("/api/v1/streams/" + id + "/stream-key/rotate", new JsonObject().put("graceSeconds", -1))
      .status()).isEqualTo(400);
  }

  private static ApiClient.Reply order(ApiClient api, JsonObject input) {
    return api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile").put("input", input));
  }

  private static ApiClient.Reply put(ApiClient api, String id, JsonObject body) {
    return api.send(HttpMethod.PUT, "/api/v1/streams/" + id + "/ingest", body.toBuffer(), Map.of());
  }

  private static void assertBad(ApiClient.Reply reply, String code, String field) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(400);
    assertThat(reply.error().getString("code")).as(reply.body()).isEqualTo(code);
    assertThat(reply.error().getString("field")).as(reply.body()).isEqualTo(field);
  }
}
