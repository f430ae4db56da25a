package io.ltm.it;

import io.ltm.Ltm;
import io.ltm.config.LtmConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limits that protect accounts: sign-in attempts per e-mail are counted atomically in MySQL (so parallel
 * guesses cannot slip past the count, and every server node shares it), and each API key has a request budget
 * answered with 429, Retry-After and the RateLimit headers when spent.
 */
class AccountLimitsIT extends LtmTestBase {
  private static final int RATE_LIMIT = 100;
  private static Vertx secondVertx;
  private static int secondPort;

  @BeforeAll
  static void twoServerNodesWithASmallRateLimit() throws Exception {
    redeploy(Map.of("LTM_API_RATE_LIMIT", String.valueOf(RATE_LIMIT), "LTM_API_RATE_WINDOW_SECONDS", "60"));
    LtmConfig other = TestEnv.config(Map.of("LTM_API_RATE_LIMIT", String.valueOf(RATE_LIMIT)));
    secondVertx = Vertx.vertx();
    Ltm node = new Ltm(secondVertx, other);
    Await.result(node.deployServer());
    secondPort = node.httpPort();
  }

  @AfterAll
  static void closeSecondNode() {
    if (secondVertx != null) {
      Await.result(secondVertx.close());
    }
  }

  @Test
  void thirtyParallelWrongPasswordsGetAtMostTenChecks() throws Exception {
    String email = BrowserSessionIT.newBrowserUser("parallel-guess");
    ExecutorService guessers = Executors.newFixedThreadPool(30);
    try {
      List<Future<ApiClient.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        int n = i;
        replies.add(guessers.submit(() -> api(null).post("/api/v1/session",
          new JsonObject().put("email", email).put("password", "guess " + n))));
      }
      int checked = 0;
      int throttled = 0;
      for (Future<ApiClient.Reply> f : replies) {
        ApiClient.Reply r = f.get(120, TimeUnit.SECONDS);
        if (r.status() == 401) {
          checked++;
        } else {
          assertThat(r.status()).as(r.body()).isEqualTo(429);
          assertThat(r.error().getString("code")).isEqualTo("too_many_attempts");
          assertThat(r.headers().get("Retry-After")).matches("[1-9][0-9]*");
          throttled++;
        }
      }
      assertThat(checked).isLessThanOrEqualTo(10);
      assertThat(checked + throttled).isEqualTo(30);
      // The right password is refused too now: the limit counts attempts, not only failures.
      ApiClient.Reply right = api(null).post("/api/v1/session",
        new JsonObject().put("email", email).put("password", "correct horse battery"));
      assertThat(right.status()).isEqualTo(429);
    } finally {
      guessers.shutdownNow();
    }
    assertThat(count("SELECT COUNT(*) FROM audit_log a JOIN accounts c ON c.id = a.account_id WHERE c.email = '"
      + email + "' AND a.action = 'session.sign_in_failed'")).isLessThanOrEqualTo(10);
  }

  @Test
  void twoServerNodesShareTheSignInLimit() {
    String email = BrowserSessionIT.newBrowserUser("two-nodes");
    ApiClient nodeA = api(null);
    ApiClient nodeB = new ApiClient(vertx, secondPort, null);
    for (int i = 0; i < 10; i++) {
      ApiClient node = i % 2 == 0 ? nodeA : nodeB;
      assertThat(node.post("/api/v1/session", new JsonObject().put("email", email).put("password", "nope " + i))
        .status()).isEqualTo(401);
    }
    for (ApiClient node : List.of(nodeA, nodeB)) {
      ApiClient.Reply r = node.post("/api/v1/session", new JsonObject().put("email", email).put("password", "x"));
      assertThat(r.status()).as(r.body()).isEqualTo(429);
    }
    // Another e-mail is not affected, on either node.
    String other = BrowserSessionIT.newBrowserUser("two-nodes-other");
    assertThat(nodeB.post("/api/v1/session", new JsonObject().put("email", other)
      .put("password", "correct horse battery")).status()).isEqualTo(201);
  }

  @Test
  void theRequestAfterTheLimitIs429WithRetryAfterAndRateLimitHeaders() {
    String key = newAccountKey("rate-limited");
    ApiClient api = api(key);
    String ordersOfKey = "SELECT COUNT(*) FROM orders o JOIN api_keys k ON k.account_id = o.account_id "
      + "WHERE k.prefix = '" + key.split("_")[1] + "'";
    for (int i = 1; i <= RATE_LIMIT; i++) {
      ApiClient.Reply r = api.get("/api/v1/me");
      assertThat(r.status()).as("request " + i).isEqualTo(200);
      assertThat(r.headers().get("RateLimit-Limit")).isEqualTo(String.valueOf(RATE_LIMIT));
      assertThat(r.headers().get("RateLimit-Remaining")).isEqualTo(String.valueOf(RATE_LIMIT - i));
      assertThat(Integer.parseInt(r.headers().get("RateLimit-Reset"))).isBetween(1, 60);
    }
    ApiClient.Reply refused = api.get("/api/v1/me");
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.error().getString("code")).isEqualTo("rate_limited");
    assertThat(Integer.parseInt(refused.headers().get("Retry-After"))).isBetween(1, 60);
    assertThat(refused.headers().get("RateLimit-Remaining")).isEqualTo("0");
    assertThat(refused.headers().get("RateLimit-Policy")).isEqualTo(RATE_LIMIT + ";w=60");
    // A refused write writes nothing.
    assertThat(api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile")).status()).isEqualTo(429);
    assertThat(count(ordersOfKey)).isZero();
    // Every key has its own budget.
    assertThat(api(newAccountKey("rate-other")).get("/api/v1/me").status()).isEqualTo(200);
  }
}
