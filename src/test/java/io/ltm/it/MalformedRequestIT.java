package io.ltm.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests malformed below the JSON — numbers in paths and queries, %-escapes, URLs and headers over their limits,
 * Idempotency-Keys outside their shape, bodies that are not JSON — each get a 4xx with the error JSON and a code,
 * never a 500, an empty body or a plain-text one, and change nothing.
 */
class MalformedRequestIT extends LtmTestBase {

  @Test
  void numbersInPathsAndQueriesThatDoNotFitAre4xxNot500() {
    String key = newAccountKey("path-numbers");
    RawHttp raw = new RawHttp(port);
    String id = buy(api(key), "mobile", "test-pattern").getString("id");
    Map<String, String> auth = Map.of("Authorization", "Bearer " + key);
    for (String version : new String[] {"2147483648", "1e3", "12345678901234567890", "-1", "0", "0x10", "1.0", "%2B1"}) {
      RawHttp.Response r = raw.send("POST", "/api/v1/streams/" + id + "/config/versions/" + version + "/restore", auth, null);
      assertErrorJson(r, 400, "version " + version);
      assertThat(r.error().getString("field")).as(r.toString()).isEqualTo("version");
    }
    assertErrorJson(raw.send("POST", "/api/v1/streams/" + id + "/config/versions/2147483647/restore", auth, null), 404, "");
    for (String query : new String[] {"after=%zz", "after=%", "after=%E0%A4%A", "after=99999999999999999999",
      "after=1e3", "after=abc", "limit=0", "limit=1001", "limit=-5", "after=1&after=2", "after=%C0%AF"}) {
      RawHttp.Response r = raw.send("GET", "/api/v1/events?" + query, auth, null);
      assertThat(r.status()).as(query + ": " + r).isEqualTo(400);
      assertThat(r.error()).as(query + ": " + r).isNotNull();
    }
    assertThat(api(key).get("/api/v1/streams/" + id).json().getInteger("configVersion")).isEqualTo(1);
  }

  @Test
  void malformedEscapesInPathsAreTheErrorJsonNotPlainText() {
    String key = newAccountKey("escapes");
    RawHttp raw = new RawHttp(port);
    Map<String, String> auth = Map.of("Authorization", "Bearer " + key);
    for (String path : new String[] {"/api/v1/streams/%zz", "/api/v1/streams/%", "/api/v1/streams/%e2%82",
      "/api/v1/orders/%ZZ/x", "/api/v1/%zz", "/api/v1/streams/str_%00"}) {
      RawHttp.Response r = raw.send("GET", path, auth, null);
      assertThat(r.status()).as(path + ": " + r).isBetween(400, 404);
      assertThat(r.error()).as(path + ": " + r).isNotNull();
      assertThat(r.error().getString("code")).isNotBlank();
      assertThat(r.headers().get("content-type")).startsWith("application/json");
    }
    RawHttp.Response r = raw.send("GET", "/api/v1/streams/%zz", auth, null);
    assertThat(r.error().getString("code")).isEqualTo("invalid_escape");
  }

  @Test
  void urlsAndHeadersOverTheirLimitsGetTheErrorJson() {
    String key = newAccountKey("limits");
    RawHttp raw = new RawHttp(port);
    RawHttp.Response longUrl = raw.send("GET", "/api/v1/streams/" + "a".repeat(5000),
      Map.of("Authorization", "Bearer " + key), null);
    assertErrorJson(longUrl, 414, "long URL");
    assertThat(longUrl.error().getString("code")).isEqualTo("uri_too_long");
    RawHttp.Response hugeHeaders = raw.send("GET", "/api/v1/streams", Map.of("Authorization", "Bearer " + key,
      "X-Padding", "p".repeat(20_000)), null);
    assertErrorJson(hugeHeaders, 431, "huge headers");
    assertThat(hugeHeaders.error().getString("code")).isEqualTo("headers_too_large");
  }

  @Test
  void anIdempotencyKeyOutsideItsShapeIsRefusedAndBuysNothing() {
    String key = newAccountKey("idem-shape");
    String accountId = api(key).get("/api/v1/me").json().getString("accountId");
    RawHttp raw = new RawHttp(port);
    byte[] order = new JsonObject().put("offerId", "mobile").toBuffer().getBytes();
    for (String bad : new String[] {"k".repeat(9000), "k".repeat(256), "with space", "tab\there", "caf\u00e9"}) {
      RawHttp.Response r = raw.send("POST", "/api/v1/orders", Map.of("Authorization", "Bearer " + key,
        "Content-Type", "application/json", "Idempotency-Key", bad), order);
      assertErrorJson(r, 400, "key " + bad);
      assertThat(r.error().getString("code")).isEqualTo("idempotency_key_invalid");
      assertThat(r.error().getString("field")).isEqualTo("Idempotency-Key");
    }
    // A control character never reaches the route: the HTTP layer refuses any header that carries one.
    RawHttp.Response control = raw.send("POST", "/api/v1/orders", Map.of("Authorization", "Bearer " + key,
      "Content-Type", "application/json", "Idempotency-Key", "ctl\u0001x"), order);
    assertErrorJson(control, 400, "control character");
    assertThat(control.error().getString("code")).isEqualTo("invalid_header");
    assertThat(count("SELECT COUNT(*) FROM orders WHERE account_id = '" + accountId + "'")).isZero();
    RawHttp.Response ok = raw.send("POST", "/api/v1/orders", Map.of("Authorization", "Bearer " + key,
      "Content-Type", "application/json", "Idempotency-Key", "k".repeat(255)), order);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
  }

  @Test
  void writesAcceptJsonOnlyAndAnythingElseIs415WithNothingWritten() {
    String key = newAccountKey("media-types");
    String accountId = api(key).get("/api/v1/me").json().getString("accountId");
    String streamId = buy(api(key), "mobile", "rtmp").getString("id");
    String streamKey = api(key).get("/api/v1/streams/" + streamId + "/ingest").json().getString("streamKey");
    String keysOfAccount = "SELECT COUNT(*) FROM api_keys WHERE account_id = '" + accountId + "'";
    long keys = count(keysOfAccount);
    RawHttp raw = new RawHttp(port);
    byte[] label = new JsonObject().put("label", "sneaky").toBuffer().getBytes();
    for (String type : new String[] {"application/jsonx", "text/plain", "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json-patch+json", "json"}) {
      RawHttp.Response r = raw.send("POST", "/api/v1/api-keys", Map.of("Authorization", "Bearer " + key,
        "Content-Type", type), label);
      assertErrorJson(r, 415, type);
    }
    RawHttp.Response noType = raw.send("POST", "/api/v1/api-keys", Map.of("Authorization", "Bearer " + key), label);
    assertErrorJson(noType, 415, "no content type");
    assertThat(count(keysOfAccount)).isEqualTo(keys);

    byte[] multipart = ("--x\r\nContent-Disposition: form-data; name=\"graceSeconds\"\r\n\r\n0\r\n--x--\r\n")
      .getBytes(StandardCharsets.UTF_8);
    RawHttp.Response rotate = raw.send("POST", "/api/v1/streams/" + streamId + "/stream-key/rotate",
      Map.of("Authorization", "Bearer " + key, "Content-Type", "multipart/form-data; boundary=x"), multipart);
    assertErrorJson(rotate, 415, "multipart rotate");
    assertThat(api(key).get("/api/v1/streams/" + streamId + "/ingest").json().getString("streamKey")).isEqualTo(streamKey);

    for (String type : new String[] {"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"}) {
      RawHttp.Response r = raw.send("POST", "/api/v1/api-keys", Map.of("Authorization", "Bearer " + key,
        "Content-Type", type), label);
      assertThat(r.status()).as(type + ": " + r).isEqualTo(201);
    }
    // A body-less action needs no Content-Type.
    assertThat(raw.send("POST", "/api/v1/streams/" + streamId + "/stream-key/rotate",
      Map.of("Authorization", "Bearer " + key), null).status()).isEqualTo(200);
  }

  @Test
  void aWriteWithABodyButNoKeyIs401AndTheErrorJson() {
    RawHttp raw = new RawHttp(port);
    RawHttp.Response r = raw.send("POST", "/api/v1/orders", Map.of("Content-Type", "application/json"),
      "{\"offerId\":\"mobile\"}".getBytes(StandardCharsets.UTF_8));
    assertErrorJson(r, 401, "no key");
  }

  static void assertErrorJson(RawHttp.Response r, int status, String what) {
    assertThat(r.problem()).as(what).isNull();
    assertThat(r.status()).as(what + ": " + r).isEqualTo(status);
    assertThat(r.headers().get("content-type")).as(what + ": " + r).startsWith("application/json");
    JsonObject error = r.error();
    assertThat(error).as(what + ": " + r).isNotNull();
    assertThat(error.getString("code")).as(what + ": " + r).isNotBlank();
    assertThat(error.getString("message")).as(what + ": " + r).isNotBlank().doesNotContain("Exception");
  }
}
