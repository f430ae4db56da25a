package io.ltm.it;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Security-relevant actions are recorded per account with when, who (key prefix or session) and from where, and
 * the account — only that account — reads them through GET /api/v1/audit.
 */
class AuditLogIT extends LtmTestBase {

  @Test
  void signInKeysRotationAndIngestChangesAreAuditedWithActorAndSourceAddress() {
    String email = BrowserSessionIT.newBrowserUser("audited");
    assertThat(api(null).post("/api/v1/session", new JsonObject().put("email", email).put("password", "wrong"))
      .status()).isEqualTo(401);
    BrowserSessionIT.Browser browser = BrowserSessionIT.signIn(email);

    ApiClient.Reply created = browser.send(HttpMethod.POST, "/api/v1/api-keys", new JsonObject().put("label", "ci"), true);
    assertThat(created.status()).isEqualTo(201);
    String key = created.json().getString("key");
    String prefix = created.json().getString("prefix");
    ApiClient program = api(key);
    String streamId = buy(program, "mobile", "rtmp").getString("id");
    assertThat(program.post("/api/v1/streams/" + streamId + "/stream-key/rotate", new JsonObject().put("graceSeconds", 60))
      .status()).isEqualTo(200);
    assertThat(program.send(HttpMethod.PUT, "/api/v1/streams/" + streamId + "/ingest", new JsonObject().put("kind", "srt")
      .put("passphrase", "a-long-secret-phrase").toBuffer(), Map.of()).status()).isEqualTo(200);
    ApiClient.Reply cdn = program.post("/api/v1/cdn-profiles", new JsonObject().put("name", "audited CDN")
      .put("kind", "http-put").put("check", false).put("url", "http://127.0.0.1:9/put")
      .put("playbackUrl", "http://127.0.0.1:9/play").put("authType", "basic").put("username", "u")
      .put("password", "cdn-secret-4711"));
    assertThat(cdn.status()).as(cdn.body()).isEqualTo(201);
    assertThat(program.delete("/api/v1/cdn-profiles/" + cdn.json().getString("id")).status()).isEqualTo(204);
    String spareId = program.post("/api/v1/api-keys", new JsonObject().put("label", "spare")).json().getString("id");
    assertThat(browser.send(HttpMethod.DELETE, "/api/v1/api-keys/" + spareId, null, true).status()).isEqualTo(204);
    assertThat(browser.send(HttpMethod.DELETE, "/api/v1/api-keys/" + spareId, null, true).status()).isEqualTo(204);

    JsonArray items = program.get("/api/v1/audit").json().getJsonArray("items");
    List<String> actions = items.stream().map(i -> ((JsonObject) i).getString("action")).toList();
    assertThat(actions).containsExactly("api_key.revoked", "api_key.created", "cdn.profile.deleted",
      "cdn.profile.created", "stream.ingest_changed", "stream.key_rotated", "api_key.created", "session.signed_in",
      "session.sign_in_failed");
    for (Object o : items) {
      JsonObject entry = (JsonObject) o;
      assertThat(entry.getString("at")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
      assertThat(entry.getString("sourceAddress")).isEqualTo("127.0.0.1");
      assertThat(entry.encode()).doesNotContain(key).doesNotContain("a-long-secret-phrase").doesNotContain("cdn-secret-4711");
    }
    JsonObject rotated = entry(items, "stream.key_rotated");
    assertThat(rotated.getString("actor")).isEqualTo("api_key:" + prefix);
    assertThat(rotated.getString("keyPrefix")).isEqualTo(prefix);
    assertThat(rotated.getJsonObject("detail").getString("streamId")).isEqualTo(streamId);
    assertThat(entry(items, "stream.ingest_changed").getJsonObject("detail").getBoolean("passphraseSet")).isTrue();
    assertThat(entry(items, "api_key.revoked").getString("actorType")).isEqualTo("session");
    assertThat(entry(items, "api_key.revoked").getString("actor")).startsWith("session:");
    assertThat(entry(items, "session.signed_in").getString("actor"))
      .isEqualTo(entry(items, "api_key.revoked").getString("actor"));
    assertThat(entry(items, "session.sign_in_failed").getString("actorType")).isEqualTo("anonymous");
    assertThat(entry(items, "cdn.profile.created").getJsonObject("detail").getJsonArray("secretsSet"))
      .containsExactly("password");

    // Paging: one at a time, newest first, to the end.
    JsonObject first = program.get("/api/v1/audit?limit=1").json();
    assertThat(first.getJsonArray("items")).hasSize(1);
    JsonObject second = program.get("/api/v1/audit?limit=1&before=" + first.getLong("nextBefore")).json();
    assertThat(second.getJsonArray("items").getJsonObject(0).getString("action")).isEqualTo("api_key.created");

    // Another account sees none of it.
    assertThat(api(newAccountKey("auditor")).get("/api/v1/audit").json().getJsonArray("items")).isEmpty();
  }

  private static JsonObject entry(JsonArray items, String action) {
    return items.stream().map(JsonObject.class::cast).filter(i -> action.equals(i.getString("action"))).findFirst()
      .orElseThrow(() -> new AssertionError("no " + action + " in " + items.encodePrettily()));
  }
}
