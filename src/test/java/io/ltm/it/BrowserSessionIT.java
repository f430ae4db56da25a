package io.ltm.it;

import io.ltm.account.Accounts;
import io.ltm.account.domain.Passwords;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Browser sign-in, the session cookie and its CSRF token, API keys and usage: what they answer, what bad input
 * changes (nothing), and that one account never reaches another's keys, usage or events.
 */
class BrowserSessionIT extends LtmTestBase {
  private static final String PASSWORD = "correct horse battery";

  /** A browser user: the account's e-mail, with a password set. */
  static String newBrowserUser(String name) {
    String email = name + "-" + UUID.randomUUID() + "@example.test";
    String accountId = Await.result(new Accounts(ltm.pool()).ensure(name, email));
    Await.result(new Accounts(ltm.pool()).setPasswordHash(accountId, Passwords.hash(PASSWORD)));
    return email;
  }

  /** Signs in; returns {cookie header value, csrf token, account id}. */
  static Browser signIn(String email) {
    ApiClient.Reply reply = api(null).post("/api/v1/session",
      new JsonObject().put("email", email).put("password", PASSWORD));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    String setCookie = reply.headers().get("Set-Cookie");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    return new Browser(cookie, reply.json().getString("csrfToken"), reply.json().getString("accountId"), setCookie);
  }

  record Browser(String cookie, String csrf, String accountId, String setCookie) {
    ApiClient.Reply send(HttpMethod method, String path, JsonObject body, boolean withCsrf) {
      Map<String, String> headers = withCsrf ? Map.of("Cookie", cookie, "X-CSRF-Token", csrf) : Map.of("Cookie", cookie);
      return api(null).send(method, path, body == null ? null : body.toBuffer(), headers);
    }

    ApiClient.Reply get(String path) {
      return send(HttpMethod.GET, path, null, false);
    }
  }

  @Test
  void signInSetsAnHttpOnlyStrictCookieThatAuthenticatesTheApi() {
    String email = newBrowserUser("browser");
    Browser browser = signIn(email);
    // Cookie attribute names are case-insensitive (Netty writes "HTTPOnly").
    assertThat(browser.setCookie()).contains("ltm_session=").containsIgnoringCase("HttpOnly")
      .contains("SameSite=Strict").contains("Path=/").doesNotContainIgnoringCase("Secure");
    assertThat(browser.csrf()).hasSizeGreaterThan(20);
    JsonObject session = browser.get("/api/v1/session").json();
    assertThat(session.getString("email")).isEqualTo(email);
    assertThat(session.getString("csrfToken")).isEqualTo(browser.csrf());
    assertThat(browser.get("/api/v1/me").json().getString("accountId")).isEqualTo(browser.accountId());
  }

  @Test
  void behindHttpsTheCookieIsSecure() {
    String email = newBrowserUser("https");
    ApiClient.Reply reply = api(null).send(HttpMethod.POST, "/api/v1/session",
      new JsonObject().put("email", email).put("password", PASSWORD).toBuffer(),
      Map.of("X-Forwarded-Proto", "https"));
    assertThat(reply.headers().get("Set-Cookie")).contains("Secure");
  }

  @Test
  void wrongPasswordAndUnknownEmailGetTheSame401OnThePasswordFieldAndNoCookie() {
    String email = newBrowserUser("wrong");
    long sessions = count("SELECT COUNT(*) FROM sessions");
    for (JsonObject body : new JsonObject[] {
      new JsonObject().put("email", email).put("password", "not it"),
      new JsonObject().put("email", "nobody-" + UUID.randomUUID() + "@example.test").put("password", PASSWORD)}) {
      ApiClient.Reply reply = api(null).post("/api/v1/session", body);
      assertThat(reply.status()).as(reply.body()).isEqualTo(401);
      assertThat(reply.error().getString("code")).isEqualTo("bad_credentials");
      assertThat(reply.error().getString("field")).isEqualTo("password");
      assertThat(reply.headers().get("Set-Cookie")).isNull();
    }
    ApiClient.Reply missing = api(null).post("/api/v1/session", new JsonObject().put("email", email));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.error().getString("field")).isEqualTo("password");
    ApiClient.Reply extra = api(null).post("/api/v1/session", new JsonObject().put("email", email)
      .put("password", PASSWORD).put("remember", true));
    assertThat(extra.status()).isEqualTo(400);
    assertThat(count("SELECT COUNT(*) FROM sessions")).isEqualTo(sessions);
  }

  @Test
  void tenFailedSignInsMakeThatEmailWaitEvenWithTheRightPassword() {
    String email = newBrowserUser("guessed");
    for (int i = 0; i < 10; i++) {
      assertThat(api(null).post("/api/v1/session", new JsonObject().put("email", email).put("password", "guess " + i))
        .status()).isEqualTo(401);
    }
    ApiClient.Reply throttled = api(null).post("/api/v1/session",
      new JsonObject().put("email", email).put("password", PASSWORD));
    assertThat(throttled.status()).as(throttled.body()).isEqualTo(429);
    assertThat(throttled.error().getString("code")).isEqualTo("too_many_attempts");
    assertThat(throttled.error().getString("field")).isEqualTo("password");
    assertThat(throttled.headers().get("Retry-After")).isNotBlank();
    assertThat(throttled.headers().get("Set-Cookie")).isNull();
    signIn(newBrowserUser("unaffected"));
  }

  @Test
  void aWriteWithTheCookieButWithoutTheCsrfTokenIsRefusedAndChangesNothing() {
    Browser browser = signIn(newBrowserUser("csrf"));
    long orders = count("SELECT COUNT(*) FROM orders");
    JsonObject order = new JsonObject().put("offerId", "mobile");
    ApiClient.Reply forged = browser.send(HttpMethod.POST, "/api/v1/orders", order, false);
    assertThat(forged.status()).as(forged.body()).isEqualTo(403);
    assertThat(forged.error().getString("code")).isEqualTo("csrf_token_invalid");
    ApiClient.Reply wrong = api(null).send(HttpMethod.POST, "/api/v1/orders", order.toBuffer(),
      Map.of("Cookie", browser.cookie(), "X-CSRF-Token", "guess"));
    assertThat(wrong.status()).isEqualTo(403);
    assertThat(browser.send(HttpMethod.POST, "/api/v1/api-keys", new JsonObject().put("label", "x"), false).status())
      .isEqualTo(403);
    assertThat(count("SELECT COUNT(*) FROM orders")).isEqualTo(orders);

    ApiClient.Reply real = browser.send(HttpMethod.POST, "/api/v1/orders", order, true);
    assertThat(real.status()).as(real.body()).isEqualTo(201);
  }

  @Test
  void signOutEndsTheSessionForTheApiAndTheEventBridge() {
    Browser browser = signIn(newBrowserUser("signout"));
    try (EventBusClient bus = new EventBusClient(vertx, port, browser.cookie())) {
      bus.register("ltm.account." + browser.accountId(), null);
      assertThat(bus.replay(0, null)).isEmpty();
      ApiClient.Reply out = browser.send(HttpMethod.DELETE, "/api/v1/session", null, true);
      assertThat(out.status()).as(out.body()).isEqualTo(204);
      assertThat(out.headers().get("Set-Cookie")).contains("Max-Age=0");
    }
    assertThat(browser.get("/api/v1/streams").status()).isEqualTo(401);
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      bus.register("ltm.account." + browser.accountId(), null);
      Await.until("the bridge to refuse a cookie-less, key-less registration", Duration.ofSeconds(5),
        () -> bus.errors().isEmpty() ? null : true);
    }
  }

  /** Two server nodes (a second one deployed beside this class's): signing out on one closes the socket on the other. */
  @Test
  void signOutOnOneServerNodeClosesTheSessionsSocketsOnEveryNode() throws Exception {
    Browser browser = signIn(newBrowserUser("signout-nodes"));
    io.vertx.core.Vertx otherVertx = io.ltm.Ltm.newVertx();
    try {
      io.ltm.Ltm other = new io.ltm.Ltm(otherVertx, TestEnv.config());
      Await.result(other.deployServer());
      try (EventBusClient onOther = new EventBusClient(otherVertx, other.httpPort(), browser.cookie())) {
        onOther.register("ltm.account." + browser.accountId(), null);
        assertThat(onOther.replay(0, null)).isEmpty();
        // The other node's event relay must be bound before the sign-out's message is published.
        Await.until("the other node's event relay", Duration.ofSeconds(20), () -> {
          ApiClient.Reply bought = browser.send(HttpMethod.POST, "/api/v1/orders",
            new JsonObject().put("offerId", "mobile"), true);
          assertThat(bought.status()).isEqualTo(201);
          return onOther.events().isEmpty() ? null : true;
        });

        ApiClient.Reply out = browser.send(HttpMethod.DELETE, "/api/v1/session", null, true);
        assertThat(out.status()).as(out.body()).isEqualTo(204);
        Await.until("the session's socket on the other node to close", Duration.ofSeconds(15),
          () -> onOther.isClosed() ? true : null);
      }
    } finally {
      Await.result(otherVertx.close());
    }
  }

  @Test
  void aHandshakeWithAnUnknownSessionCookieIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
        new EventBusClient(vertx, port, "ltm_session=" + "x".repeat(40)).close())
      .hasMessageContaining("401");
  }

  @Test
  void aSignedInBrowserGetsOnlyItsOwnAccountsEventsOverTheBridge() {
    Browser owner = signIn(newBrowserUser("owner"));
    Browser stranger = signIn(newBrowserUser("stranger"));
    try (EventBusClient mine = new EventBusClient(vertx, port, owner.cookie());
         EventBusClient theirs = new EventBusClient(vertx, port, stranger.cookie())) {
      mine.register("ltm.account." + owner.accountId(), null);
      theirs.register("ltm.account." + owner.accountId(), null);
      Await.until("the bridge to refuse the stranger", Duration.ofSeconds(5),
        () -> theirs.errors().isEmpty() ? null : true);
      assertThat(theirs.errors().get(0)).contains("rejected");
      assertThat(mine.replay(0, null)).isEmpty();
      ApiClient.Reply bought = owner.send(HttpMethod.POST, "/api/v1/orders", new JsonObject().put("offerId", "mobile"), true);
      assertThat(bought.status()).isEqualTo(201);
      Await.until("the owner's browser to get the purchase's events", Duration.ofSeconds(10),
        () -> mine.events().isEmpty() ? null : true);
      assertThat(mine.events()).allSatisfy(e -> assertThat(e.getString("accountId")).isEqualTo(owner.accountId()));
      assertThat(theirs.events()).isEmpty();
      assertThat(theirs.replay(0, null)).isEmpty();
      assertThat(mine.errors()).isEmpty();
    }
  }

  @Test
  void apiKeysAreShownOnceListedByPrefixAndRevokedForTheirAccountOnly() {
    ApiClient owner = api(newAccountKey("keys"));
    ApiClient.Reply created = owner.post("/api/v1/api-keys", new JsonObject().put("label", "deploy"));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String key = created.json().getString("key");
    String keyId = created.json().getString("id");
    assertThat(key).startsWith("ltm_" + created.json().getString("prefix") + "_");
    assertThat(api(key).get("/api/v1/me").status()).isEqualTo(200);

    JsonArray listed = owner.get("/api/v1/api-keys").json().getJsonArray("items");
    assertThat(listed).hasSize(2);
    assertThat(listed.encode()).doesNotContain(key).doesNotContain("key_hash");

    ApiClient stranger = api(newAccountKey("stranger keys"));
    assertThat(stranger.get("/api/v1/api-keys").json().getJsonArray("items")).hasSize(1);
    ApiClient.Reply theirs = stranger.delete("/api/v1/api-keys/" + keyId);
    assertThat(theirs.status()).isEqualTo(404);
    assertThat(api(key).get("/api/v1/me").status()).isEqualTo(200);

    assertThat(owner.delete("/api/v1/api-keys/" + keyId).status()).isEqualTo(204);
    assertThat(owner.delete("/api/v1/api-keys/" + keyId).status()).isEqualTo(204);
    assertThat(api(key).get("/api/v1/me").status()).isEqualTo(401);
    JsonObject revoked = owner.get("/api/v1/api-keys").json().getJsonArray("items").stream()
      .map(JsonObject.class::cast).filter(k -> k.getString("id").equals(keyId)).findFirst().orElseThrow();
    assertThat(revoked.getString("revokedAt")).isNotNull();
  }

  @Test
  void badApiKeyRequestsAre4xxJsonAndCreateNothing() {
    ApiClient owner = api(newAccountKey("bad keys"));
    long keys = count("SELECT COUNT(*) FROM api_keys");
    assertError(owner.post("/api/v1/api-keys", new JsonObject()), 400, "label");
    assertError(owner.post("/api/v1/api-keys", new JsonObject().put("label", "")), 400, "label");
    assertError(owner.post("/api/v1/api-keys", new JsonObject().put("label", "   ")), 400, "label");
    assertError(owner.post("/api/v1/api-keys", new JsonObject().put("label", "x".repeat(101))), 400, "label");
    assertError(owner.post("/api/v1/api-keys", new JsonObject().put("label", 7)), 400, "label");
    assertError(owner.post("/api/v1/api-keys", new JsonObject().put("label", "ok").put("scope", "all")), 400, "scope");
    assertError(owner.send(HttpMethod.POST, "/api/v1/api-keys", Buffer.buffer("{\"label\":"), Map.of()), 400, null);
    assertError(api(null).post("/api/v1/api-keys", new JsonObject().put("label", "anon")), 401, null);
    assertError(owner.delete("/api/v1/api-keys/key_doesnotexist"), 404, null);
    assertThat(count("SELECT COUNT(*) FROM api_keys")).isEqualTo(keys);
  }

  @Test
  void usageListsOnlyTheAccountsOwnStreams() {
    ApiClient owner = api(newAccountKey("usage"));
    JsonObject stream = buy(owner, "mobile", "test-pattern");
    JsonObject usage = owner.get("/api/v1/usage").json();
    assertThat(usage.getJsonArray("items")).hasSize(1);
    JsonObject item = usage.getJsonArray("items").getJsonObject(0);
    assertThat(item.getString("streamId")).isEqualTo(stream.getString("id"));
    assertThat(item.getLong("billedSeconds")).isZero();
    assertThat(item.getLong("costCents")).isZero();
    assertThat(item.getInteger("pricePerHourCents")).isPositive();
    assertThat(usage.getJsonArray("billedStates")).contains("LIVE").doesNotContain("PROVISIONING");

    ApiClient stranger = api(newAccountKey("usage stranger"));
    assertThat(stranger.get("/api/v1/usage").json().getJsonArray("items")).isEmpty();
    assertError(api(null).get("/api/v1/usage"), 401, null);
  }

  private static void assertError(ApiClient.Reply reply, int status, String field) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    JsonObject error = reply.error();
    assertThat(error.getString("code")).isNotBlank();
    assertThat(error.getString("message")).isNotBlank().doesNotContain("Exception");
    if (field != null) {
      assertThat(error.getString("field")).as(reply.body()).isEqualTo(field);
    }
  }
}
