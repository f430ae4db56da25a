package io.ltm.it;

import io.ltm.db.Transactions;
import io.ltm.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A customer never gets a 5xx for a valid request, however many arrive at once: purchases of one account and of
 * many, starts and stops racing on the same streams, and the workers' order jobs running beside them. Each
 * account's events stay numbered 1, 2, 3… with no gap, which is what a reconnecting browser replays by.
 */
class ConcurrencyIT extends LtmTestBase {
  private static final int CONCURRENT = 64;
  private static WebClient web;

  @BeforeAll
  static void client() {
    web = WebClient.create(vertx, new WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(CONCURRENT));
  }

  @AfterAll
  static void closeClient() {
    if (web != null) {
      web.close();
    }
  }

  @Test
  void sixtyFourConcurrentPurchasesOfOneAccountAllSucceedWithGaplessEvents() {
    String key = newAccountKey("one-account-rush");
    String accountId = api(key).get("/api/v1/me").json().getString("accountId");

    List<Integer> statuses = await(purchases(List.of(key), CONCURRENT));

    assertThat(statuses).as("every purchase answered 201").hasSize(CONCURRENT).containsOnly(201);
    assertOrdersBecomeActive(List.of(accountId), CONCURRENT);
    assertGaplessEvents(accountId);
  }

  @Test
  void sixtyFourConcurrentPurchasesOverFiftyAccountsAllSucceed() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      keys.add(newAccountKey("many-accounts-" + i));
    }
    List<String> accountIds = keys.stream()
      .map(k -> api(k).get("/api/v1/me").json().getString("accountId")).toList();

    List<Integer> statuses = await(purchases(keys, CONCURRENT));

    assertThat(statuses).as("every purchase answered 201").hasSize(CONCURRENT).containsOnly(201);
    assertOrdersBecomeActive(accountIds, CONCURRENT);
    accountIds.forEach(ConcurrencyIT::assertGaplessEvents);
  }

  @Test
  void concurrentStartsAndStopsAnswer202Or409NeverAServerError() {
    String key = newAccountKey("start-stop-race");
    String accountId = api(key).get("/api/v1/me").json().getString("accountId");
    List<String> streamIds = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      // RTMP input: the agent waits for an encoder, so a started stream costs little CPU here.
      streamIds.add(buy(api(key), "mobile", "rtmp").getString("id"));
    }

    List<Future<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < CONCURRENT; i++) {
      String id = streamIds.get(i % streamIds.size());
      calls.add(post(key, "/api/v1/streams/" + id + ((i / streamIds.size()) % 2 == 0 ? "/start" : "/stop"), null));
    }
    List<Integer> statuses = await(calls);

    assertThat(statuses).as("starts and stops answer 202 or 409").hasSize(CONCURRENT).containsOnly(202, 409);
    assertThat(statuses).as("some of them went through").contains(202);
    // Whatever won, each stream comes to rest; a stopped one leaves no machine behind.
    for (String id : streamIds) {
      JsonObject s = Await.until("stream " + id + " to come to rest", Duration.ofSeconds(90), () -> {
        JsonObject now = api(key).get("/api/v1/streams/" + id).json();
        String state = now.getString("state");
        return state.equals("PROVISIONING") || state.equals("STARTING") || state.equals("STOPPING") ? null : now;
      });
      if (!s.getString("state").equals("STOPPED") && !s.getString("state").equals("CREATED")) {
        assertThat(api(key).post("/api/v1/streams/" + id + "/stop", null).status()).isEqualTo(202);
        awaitState(api(key), id, "STOPPED", Duration.ofSeconds(60));
      }
    }
    Await.until("every machine of the account to be terminated", Duration.ofSeconds(60), () ->
      count("SELECT COUNT(*) FROM machines WHERE account_id = '" + accountId + "' AND state <> 'TERMINATED'") == 0
        ? true : null);
    assertGaplessEvents(accountId);
  }

  /**
   * The retry itself, on a real InnoDB deadlock: two transactions lock two rows in opposite order; InnoDB
   * rolls one back, it runs again, both commit, and the retry is counted.
   */
  @Test
  void aDeadlockedTransactionIsRunAgainAndCounted() {
    Await.result(ltm.pool().query("CREATE TABLE IF NOT EXISTS it_deadlock (id INT PRIMARY KEY, n INT NOT NULL)")
      .execute().compose(v -> ltm.pool().query("REPLACE INTO it_deadlock VALUES (1, 0), (2, 0)").execute()));
    double before = retries();
    Promise<Void> firstHoldsOne = Promise.promise();
    Promise<Void> secondHoldsTwo = Promise.promise();
    int[] attempts = new int[2];

    Future<Void> first = Transactions.run(ltm.pool(), conn -> {
      attempts[0]++;
      return bump(conn, 1)
        .compose(v -> attempts[0] == 1 ? mark(firstHoldsOne).compose(x -> secondHoldsTwo.future()) : Future.succeededFuture())
        .compose(v -> bump(conn, 2));
    });
    Future<Void> second = Transactions.run(ltm.pool(), conn -> {
      attempts[1]++;
      return bump(conn, 2)
        .compose(v -> attempts[1] == 1 ? mark(secondHoldsTwo).compose(x -> firstHoldsOne.future()) : Future.succeededFuture())
        .compose(v -> bump(conn, 1));
    });

    Await.result(Future.all(first, second));
    assertThat(attempts[0] + attempts[1]).as("one of them ran twice").isEqualTo(3);
    Row row = Await.result(ltm.pool().query("SELECT SUM(n) FROM it_deadlock WHERE id IN (1, 2)").execute())
      .iterator().next();
    assertThat(row.getNumeric(0).intValue()).as("both committed, each once").isEqualTo(4);
    assertThat(retries()).isGreaterThanOrEqualTo(before + 1);
  }

  /**
   * Statements are pipelined: when InnoDB rolls a deadlock victim back, others of its transaction are already on
   * their way behind the failed one. They must go with it: each side here logs its attempt in the same breath as the
   * statement that may lose, and only the attempts that committed may be in the log. (After a BEGIN, the loser's
   * log row ran in autocommit mode and stayed.)
   */
  @Test
  void whatWasSentBehindADeadlockVictimIsRolledBackWithIt() {
    Await.result(ltm.pool().query("CREATE TABLE IF NOT EXISTS it_deadlock (id INT PRIMARY KEY, n INT NOT NULL)")
      .execute()
      .compose(v -> ltm.pool().query("REPLACE INTO it_deadlock VALUES (3, 0), (4, 0)").execute())
      .compose(v -> ltm.pool().query("CREATE TABLE IF NOT EXISTS it_deadlock_log (side VARCHAR(8) NOT NULL, "
        + "attempt INT NOT NULL)").execute())
      .compose(v -> ltm.pool().query("DELETE FROM it_deadlock_log").execute()));
    Promise<Void> firstHoldsThree = Promise.promise();
    Promise<Void> secondHoldsFour = Promise.promise();
    int[] attempts = new int[2];

    Future<Void> first = Transactions.run(ltm.pool(), conn -> {
      int attempt = ++attempts[0];
      return bump(conn, 3)
        .compose(v -> attempt == 1 ? mark(firstHoldsThree).compose(x -> secondHoldsFour.future()) : Future.succeededFuture())
        .compose(v -> Future.all(bump(conn, 4), log(conn, "first", attempt)).mapEmpty());
    });
    Future<Void> second = Transactions.run(ltm.pool(), conn -> {
      int attempt = ++attempts[1];
      return bump(conn, 4)
        .compose(v -> attempt == 1 ? mark(secondHoldsFour).compose(x -> firstHoldsThree.future()) : Future.succeededFuture())
        .compose(v -> Future.all(bump(conn, 3), log(conn, "second", attempt)).mapEmpty());
    });

    Await.result(Future.all(first, second));
    assertThat(attempts[0] + attempts[1]).as("one of them ran twice").isEqualTo(3);
    List<String> logged = new ArrayList<>();
    Await.result(ltm.pool().query("SELECT side, attempt FROM it_deadlock_log ORDER BY side").execute())
      .forEach(r -> logged.add(r.getString(0) + "#" + r.getInteger(1)));
    assertThat(logged).as("the committed attempt of each side, and nothing of the rolled-back one")
      .containsExactly("first#" + attempts[0], "second#" + attempts[1]);
  }

  private static Future<Void> log(io.vertx.sqlclient.SqlConnection conn, String side, int attempt) {
    return conn.preparedQuery("INSERT INTO it_deadlock_log (side, attempt) VALUES (?, ?)")
      .execute(Tuple.of(side, attempt)).mapEmpty();
  }

  private static Future<Void> bump(io.vertx.sqlclient.SqlConnection conn, int id) {
    return conn.preparedQuery("UPDATE it_deadlock SET n = n + 1 WHERE id = ?").execute(Tuple.of(id)).mapEmpty();
  }

  private static Future<Void> mark(Promise<Void> promise) {
    promise.tryComplete();
    return Future.succeededFuture();
  }

  private static double retries() {
    return Meters.registry().find("ltm_db_transaction_retries").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /** {@code n} purchases sent at once, round-robin over the keys' accounts. */
  private static List<Future<Integer>> purchases(List<String> keys, int n) {
    List<Future<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(post(keys.get(i % keys.size()), "/api/v1/orders",
        new JsonObject().put("offerId", "mobile").put("quantity", 1)));
    }
    return calls;
  }

  private static Future<Integer> post(String key, String path, JsonObject body) {
    var request = web.post(port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + key);
    Future<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendJsonObject(body);
    return sent.map(r -> {
      if (r.statusCode() >= 500) {
        System.err.println(path + " answered " + r.statusCode() + ": " + r.bodyAsString());
      }
      return r.statusCode();
    });
  }

  private static List<Integer> await(List<Future<Integer>> calls) {
    Await.result(Future.join(calls));
    return calls.stream().map(Future::result).toList();
  }

  /** The worker's order jobs ran beside the purchases: every order reaches ACTIVE, no job failed. */
  private static void assertOrdersBecomeActive(List<String> accountIds, int expected) {
    String in = String.join("','", accountIds);
    Await.until("every order to be ACTIVE", Duration.ofSeconds(60), () ->
      count("SELECT COUNT(*) FROM orders WHERE account_id IN ('" + in + "') AND state = 'ACTIVE'") == expected
        ? true : null);
    assertThat(count("SELECT COUNT(*) FROM jobs WHERE account_id IN ('" + in + "') AND attempts > 1"))
      .as("no order job had to be redelivered").isZero();
  }

  private static void assertGaplessEvents(String accountId) {
    Map<String, Long> figures = new TreeMap<>();
    Row row = Await.result(ltm.pool().preparedQuery("SELECT COUNT(*), MIN(seq), MAX(seq), "
        + "(SELECT event_seq FROM accounts WHERE id = ?) FROM events WHERE account_id = ?")
      .execute(Tuple.of(accountId, accountId))).iterator().next();
    figures.put("count", row.getLong(0));
    figures.put("min", row.getLong(1));
    figures.put("max", row.getLong(2));
    figures.put("accountSeq", row.getLong(3));
    assertThat(figures).as("events of " + accountId + " are numbered 1..n")
      .containsEntry("min", 1L)
      .containsEntry("max", figures.get("count"))
      .containsEntry("accountSeq", figures.get("count"));
  }
}
