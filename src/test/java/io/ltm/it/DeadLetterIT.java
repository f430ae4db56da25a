package io.ltm.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job that can never succeed is retried with back-off, dead-lettered by the broker after its delivery limit, and
 * its subject gets an outcome the customer sees: a start whose machine's work folder cannot be created FAILS its
 * stream; an order MariaDB refuses to activate FAILS with a reason and is charged nothing; a stop that cannot be
 * recorded FAILS its stream (billing stops). A stream left PROVISIONING with nothing to move it FAILS after the
 * PROVISIONING timeout. The refusals are MariaDB's own (a trigger raising an error for the test's account).
 */
class DeadLetterIT extends LtmTestBase {

  @BeforeAll
  static void deployWithAnUnusableMachineFolder() throws Exception {
    redeploy(Map.of("LTM_AGENT_WORK_DIR", "/proc/ltm-cannot-create-this", "LTM_PROVISIONING_TIMEOUT_SECONDS", "5"));
  }

  @Test
  void startThatKeepsFailingIsDeadLetteredAndTheStreamFailsWithAReason() {
    ApiClient api = api(newAccountKey("dead-letter"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(60));
    assertThat(failed.getString("stateReason")).contains("could not be started").doesNotContain("/proc");
    assertThat(count("SELECT COUNT(*) FROM jobs WHERE subject_id = '" + id + "' AND step = 'dead'")).isEqualTo(1);
    assertThat(count("SELECT MAX(attempts) FROM jobs WHERE subject_id = '" + id + "'")).isGreaterThanOrEqualTo(5);
    // The customer can try again once the cause is fixed.
    assertThat(failed.getJsonArray("allowedActions")).contains("start");
  }

  @Test
  void orderWhoseJobKeepsFailingFailsWithAReasonItsStreamsVoidAndNothingCharged() {
    String key = newAccountKey("dead-order");
    ApiClient api = api(key);
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    String orderId;
    try (Refusal refusal = refuse("orders", accountId, "ACTIVE")) {
      ApiClient.Reply bought = api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile").put("quantity", 2)
        .put("input", new JsonObject().put("kind", "test-pattern")));
      assertThat(bought.status()).isEqualTo(201);
      orderId = bought.json().getString("id");
      JsonObject order = Await.until("the order to fail", Duration.ofSeconds(90), () -> {
        JsonObject o = api.get("/api/v1/orders/" + orderId).json();
        return "FAILED".equals(o.getString("state")) ? o : null;
      });
      assertThat(order.getString("stateReason")).contains("could not be completed").contains("nothing was charged")
        .doesNotContain("refused by");
      assertThat(order.getJsonArray("streams")).hasSize(2)
        .allSatisfy(st -> assertThat(((JsonObject) st).getString("state")).isEqualTo("DELETED"));
    }
    String streamId = Await.result(ltm.pool().preparedQuery("SELECT id FROM streams WHERE order_id = ? ORDER BY id")
      .execute(Tuple.of(orderId))).iterator().next().getString(0);
    assertThat(count("SELECT COUNT(*) FROM jobs WHERE subject_id = '" + orderId + "' AND step = 'dead'")).isEqualTo(1);
    // The customer is told over the event stream too, with the reason.
    JsonObject failed = Await.until("the order.state FAILED event", Duration.ofSeconds(10), () -> events(accountId)
      .stream().filter(e -> "order.state".equals(e.getString("type")) && orderId.equals(e.getString("orderId"))
        && "FAILED".equals(e.getString("state"))).findFirst().orElse(null));
    assertThat(failed.getString("reason")).contains("could not be completed");
    // Nothing of it can be started or billed.
    assertThat(api.post("/api/v1/streams/" + streamId + "/start", null).status()).isEqualTo(404);
    assertThat(api.get("/api/v1/streams").json().getJsonArray("items")).isEmpty();
    assertThat(api.get("/api/v1/usage").json().getJsonArray("items")).isEmpty();
  }

  @Test
  void stopThatCannotBeRecordedIsDeadLetteredAndTheStreamFailsSoBillingStops() {
    String key = newAccountKey("dead-stop");
    ApiClient api = api(key);
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    String id = buy(api, "mobile", "test-pattern").getString("id");
    try (Refusal refusal = refuse("streams", accountId, "STOPPED")) {
      assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);
      assertThat(api.post("/api/v1/streams/" + id + "/stop", null).status()).isEqualTo(202);
      JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(90));
      assertThat(failed.getString("stateReason")).contains("could not be stopped cleanly").doesNotContain("refused by");
    }
    assertThat(count("SELECT COUNT(*) FROM jobs WHERE subject_id = '" + id + "' AND kind = 'stream.stop' "
      + "AND step = 'dead'")).isEqualTo(1);
    assertThat(count("SELECT COUNT(*) FROM machines WHERE stream_id = '" + id + "' AND state <> 'TERMINATED' "
      + "AND state <> 'LOST'")).isZero();
  }

  @Test
  void streamLeftProvisioningWithNothingToMoveItFailsAfterTheTimeout() {
    ApiClient api = api(newAccountKey("stuck"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    // What a start whose job was lost leaves behind: PROVISIONING, a new generation, no job and no machine.
    Await.result(ltm.pool().preparedQuery("UPDATE streams SET state = 'PROVISIONING', generation = generation + 1, "
      + "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?").execute(Tuple.of(id)));

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(30));
    assertThat(failed.getString("stateReason")).isEqualTo(
      "the stream's transcoder was not provisioned within 5 s; please start it again");
    assertThat(failed.getJsonArray("allowedActions")).contains("start");
  }

  /** MariaDB refuses to move the account's rows of {@code table} to {@code state} while this is open. */
  private static Refusal refuse(String table, String accountId, String state) {
    String name = "ltm_it_refuse_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Await.result(ltm.pool().query("CREATE TRIGGER " + name + " BEFORE UPDATE ON " + table + " FOR EACH ROW "
      + "IF OLD.account_id = '" + accountId + "' AND NEW.state = '" + state + "' THEN "
      + "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by DeadLetterIT'; END IF").execute());
    return () -> Await.result(ltm.pool().query("DROP TRIGGER IF EXISTS " + name).execute());
  }

  private interface Refusal extends AutoCloseable {
    @Override
    void close();
  }

  private static List<JsonObject> events(String accountId) {
    List<JsonObject> list = new java.util.ArrayList<>();
    Await.result(ltm.pool().preparedQuery("SELECT payload FROM events WHERE account_id = ? ORDER BY seq")
      .execute(Tuple.of(accountId))).forEach(row -> list.add(new JsonObject(row.getString(0))));
    return list;
  }
}
