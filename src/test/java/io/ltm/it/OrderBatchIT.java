package io.ltm.it;

import io.ltm.metrics.Meters;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Purchases arriving together are fulfilled together: the worker activates the orders whose jobs came in while it
 * was writing the previous ones in one transaction. What a customer sees does not change — every order becomes
 * ACTIVE with one {@code order.state} event in its own account's gapless log — and one order that MariaDB refuses
 * to activate fails only itself, not the orders that were batched with it.
 */
class OrderBatchIT extends LtmTestBase {
  private static WebClient web;

  @BeforeAll
  static void client() {
    web = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(64));
  }

  @AfterAll
  static void closeClient() {
    if (web != null) {
      web.close();
    }
  }

  @Test
  void aCrowdOfPurchasesOverSeveralAccountsIsActivatedInBatchesEachOrderOnce() {
    List<String> keys = new ArrayList<>();
    for (int a = 0; a < 4; a++) {
      keys.add(newAccountKey("batch-crowd-" + a));
    }
    double[] before = batchFigures();

    Map<String, String> accountByOrder = purchaseAll(keys, 40);

    awaitActive(accountByOrder.keySet());
    assertActivatedOnce(accountByOrder);
    assertThat(count("SELECT COUNT(*) FROM jobs WHERE subject_id IN ('" + String.join("','", accountByOrder.keySet())
      + "') AND attempts <> 1")).as("every job recorded done once, none delivered again").isZero();
    accountByOrder.values().stream().distinct().forEach(OrderBatchIT::assertGaplessEvents);
    double[] after = batchFigures();
    // At least: the vhost is this checkout's, and an order job an earlier test class left would be counted too.
    assertThat(after[1] - before[1]).as("the crowd's orders, each activated by one transaction")
      .isGreaterThanOrEqualTo(40);
    assertThat(after[1] - before[1]).as("fewer transactions than orders: some activated several orders")
      .isGreaterThan(after[0] - before[0]);
    assertThat(api(null).get("/metrics").body()).as("an operator sees the batches")
      .containsPattern("ltm_order_batch_size_max ([2-9]|[1-9][0-9]+)\\.");
  }

  /**
   * MariaDB refuses to activate one account's order (a trigger, as a broken row or a constraint would). The order is
   * placed so that its job certainly lands in one batch with others: a lead order's job, refused once and then
   * delivered again, waits in its batch on its account row, which the test holds, while the refused order's job and
   * a crowd's arrive behind it — they are the next batch. That batch fails; each of its jobs is run alone, so the
   * crowd's orders become ACTIVE and only the refused one waits, retried with back-off, until it can be activated.
   */
  @Test
  void anOrderThatCannotBeActivatedFailsOnlyItselfNotTheOrdersBatchedWithIt() {
    String leadKey = newAccountKey("batch-lead");
    String refusedKey = newAccountKey("batch-refused");
    List<String> crowdKeys = List.of(newAccountKey("batch-others-0"), newAccountKey("batch-others-1"));
    String leadAccount = api(leadKey).get("/api/v1/me").json().getString("accountId");
    String refusedAccount = api(refusedKey).get("/api/v1/me").json().getString("accountId");
    Map<String, String> accountByOrder = new LinkedHashMap<>();
    String refusedOrder;
    double failuresBefore;

    try (Refusal refusal = refuse(refusedAccount)) {
      SqlConnection holder = Await.result(ltm.pool().getConnection());
      try {
        String leadOrder;
        try (Refusal leadRefusal = refuse(leadAccount)) {
          leadOrder = purchaseAll(List.of(leadKey), 1).keySet().iterator().next();
          Await.until("the lead order's job to fail once", Duration.ofSeconds(30), () ->
            "failed".equals(jobOf(leadOrder).getString("step")) ? true : null);
          // Held before the refusal is lifted: the job, delivered again after its back-off, waits on this row.
          Await.result(holder.query("BEGIN").execute());
          Await.result(holder.preparedQuery("SELECT id FROM accounts WHERE id = ? FOR UPDATE")
            .execute(Tuple.of(leadAccount)));
        }
        accountByOrder.put(leadOrder, leadAccount);
        Await.until("the lead order's batch to wait for its account row", Duration.ofSeconds(30), () ->
          Await.result(holder.query("SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS w "
            + "JOIN information_schema.INNODB_TRX t ON t.trx_id = w.blocking_trx_id "
            + "WHERE t.trx_mysql_thread_id = CONNECTION_ID()").execute()).iterator().next().getLong(0) > 0
            ? true : null);

        refusedOrder = purchaseAll(List.of(refusedKey), 1).keySet().iterator().next();
        accountByOrder.putAll(purchaseAll(crowdKeys, 12));
        Await.until("every job to be published", Duration.ofSeconds(30), () ->
          count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") == 0 ? true : null);
        // The broker hands the worker as many as its prefetch allows; they wait behind the lead's batch.
        Await.result(vertx.timer(300));
        failuresBefore = batchFailures();
      } finally {
        Await.result(holder.query("ROLLBACK").execute().eventually(() -> holder.close()));
      }

      awaitActive(accountByOrder.keySet());
      assertThat(batchFailures()).as("the batch with the refused order failed").isGreaterThan(failuresBefore);
      Row refusedJob = Await.until("the refused order's job to have failed", Duration.ofSeconds(10), () -> {
        Row job = jobOf(refusedOrder);
        return "failed".equals(job.getString("step")) ? job : null;
      });
      assertThat(refusedJob.getString("last_error")).contains("refused by OrderBatchIT");
      assertThat(api(refusedKey).get("/api/v1/orders/" + refusedOrder).json().getString("state"))
        .isEqualTo("PENDING");
    }

    // The refusal lifted, the job's next delivery activates the order.
    accountByOrder.put(refusedOrder, refusedAccount);
    awaitActive(List.of(refusedOrder));
    assertActivatedOnce(accountByOrder);
    accountByOrder.values().stream().distinct().forEach(OrderBatchIT::assertGaplessEvents);
  }

  /** MariaDB refuses to move the account's orders to ACTIVE while this is open. */
  private static Refusal refuse(String accountId) {
    String name = "ltm_it_refuse_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Await.result(ltm.pool().query("CREATE TRIGGER " + name + " BEFORE UPDATE ON orders FOR EACH ROW "
      + "IF OLD.account_id = '" + accountId + "' AND NEW.state = 'ACTIVE' THEN "
      + "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by OrderBatchIT'; END IF").execute());
    return () -> Await.result(ltm.pool().query("DROP TRIGGER IF EXISTS " + name).execute());
  }

  private interface Refusal extends AutoCloseable {
    @Override
    void close();
  }

  private static Row jobOf(String orderId) {
    return Await.result(ltm.pool().preparedQuery("SELECT step, attempts, last_error FROM jobs "
      + "WHERE kind = 'order.placed' AND subject_id = ?").execute(Tuple.of(orderId))).iterator().next();
  }

  private static double batchFailures() {
    var failures = Meters.registry().find("ltm_order_batch_failures").counter();
    return failures == null ? 0 : failures.count();
  }

  /** Answers each order's account; every purchase answered 201. */
  private static Map<String, String> purchaseAll(List<String> keys, int n) {
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(web.post(port, "127.0.0.1", "/api/v1/orders")
        .putHeader("Authorization", "Bearer " + keys.get(i % keys.size()))
        .sendJsonObject(new JsonObject().put("offerId", "mobile").put("quantity", 1)));
    }
    Await.result(Future.join(calls));
    Map<String, String> accountByOrder = new LinkedHashMap<>();
    for (Future<HttpResponse<Buffer>> call : calls) {
      assertThat(call.succeeded()).as(String.valueOf(call.cause())).isTrue();
      assertThat(call.result().statusCode()).as(call.result().bodyAsString()).isEqualTo(201);
      String orderId = call.result().bodyAsJsonObject().getString("id");
      accountByOrder.put(orderId, accountOf(orderId));
    }
    return accountByOrder;
  }

  private static String accountOf(String orderId) {
    return Await.result(ltm.pool().preparedQuery("SELECT account_id FROM orders WHERE id = ?")
      .execute(Tuple.of(orderId))).iterator().next().getString(0);
  }

  private static void awaitActive(java.util.Collection<String> orderIds) {
    String in = String.join("','", orderIds);
    Await.until(orderIds.size() + " orders to be ACTIVE", Duration.ofSeconds(60), () ->
      count("SELECT COUNT(*) FROM orders WHERE id IN ('" + in + "') AND state = 'ACTIVE'") == orderIds.size()
        ? true : null);
  }

  /** One order.state ACTIVE event per order, after PENDING, in its own account's log; its job recorded done once. */
  private static void assertActivatedOnce(Map<String, String> accountByOrder) {
    accountByOrder.forEach((orderId, accountId) -> {
      List<Row> events = new ArrayList<>();
      Await.result(ltm.pool().preparedQuery("SELECT account_id, payload FROM events WHERE type = 'order.state' "
          + "AND JSON_VALUE(payload, '$.orderId') = ? AND JSON_VALUE(payload, '$.state') = 'ACTIVE'")
        .execute(Tuple.of(orderId))).forEach(events::add);
      assertThat(events).as("ACTIVE events of order " + orderId).hasSize(1);
      assertThat(events.get(0).getString("account_id")).isEqualTo(accountId);
      JsonObject event = new JsonObject(events.get(0).getString("payload"));
      assertThat(event.getString("previous")).isEqualTo("PENDING");
      assertThat(event.getString("accountId")).isEqualTo(accountId);
      assertThat(event.getValue("streamId")).isNull();
      Row job = jobOf(orderId);
      assertThat(job.getString("step")).as("the job of order " + orderId).isEqualTo("done");
      assertThat(job.getString("last_error")).isNull();
    });
  }

  private static void assertGaplessEvents(String accountId) {
    Row row = Await.result(ltm.pool().preparedQuery("SELECT COUNT(*), MIN(seq), MAX(seq), "
        + "(SELECT event_seq FROM accounts WHERE id = ?) FROM events WHERE account_id = ?")
      .execute(Tuple.of(accountId, accountId))).iterator().next();
    long n = row.getLong(0);
    assertThat(List.of(row.getLong(1), row.getLong(2), row.getLong(3)))
      .as("events of " + accountId + " are numbered 1.." + n + " (min, max, the account's last seq)")
      .containsExactly(1L, n, n);
  }

  /** Fulfilment transactions so far and the orders they activated. */
  private static double[] batchFigures() {
    DistributionSummary sizes = Meters.registry().find("ltm_order_batch_size").summary();
    return sizes == null ? new double[]{0, 0} : new double[]{sizes.count(), sizes.totalAmount()};
  }
}
