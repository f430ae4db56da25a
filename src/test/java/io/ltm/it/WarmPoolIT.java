package io.ltm.it;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Warm pools on the local provider, against real agents: starts take booted agents waiting on standby, each serves
 * one start, the pool refills in the background, an empty pool falls back to a cold launch and says so, a warm agent
 * that dies is replaced, and a drain leaves no process.
 */
class WarmPoolIT extends LtmTestBase {
  static final String TOKEN = "operator-" + java.util.UUID.randomUUID();
  static ApiClient operator;

  @BeforeAll
  static void withAPoolOfTwo() throws Exception {
    redeploy(Map.of("LTM_POOL_MIN_IDLE", "mobile=2", "LTM_OPERATOR_TOKEN", TOKEN));
    operator = api(TOKEN);
  }

  @AfterEach
  void drainAgain() {
    WarmPools.drainAndAwaitEmpty(operator, ltm);
  }

  @AfterAll
  static void forgetPools() {
    if (ltm != null) {
      WarmPools.forget(operator, ltm);
    }
  }

  @Test
  void twoConcurrentStartsGoLiveOnTwoWarmMachinesThePoolRefillsAndAnEmptyPoolStartsColdAndSaysSo() throws Exception {
    set("mobile", new JsonObject().put("minIdle", 2).put("maxIdle", 2));
    Set<String> warm = WarmPools.awaitIdle(operator, ltm, "mobile", 2);
    ApiClient api = api(newAccountKey("warm"));
    String a = buy(api, "mobile", "test-pattern").getString("id");
    String b = buy(api, "mobile", "test-pattern").getString("id");

    CompletableFuture<Integer> startA = CompletableFuture.supplyAsync(() -> api.post("/api/v1/streams/" + a + "/start",
      null).status());
    CompletableFuture<Integer> startB = CompletableFuture.supplyAsync(() -> api.post("/api/v1/streams/" + b + "/start",
      null).status());
    assertThat(startA.get()).isEqualTo(202);
    assertThat(startB.get()).isEqualTo(202);
    awaitState(api, a, "LIVE", Duration.ofSeconds(60));
    awaitState(api, b, "LIVE", Duration.ofSeconds(60));

    String machineA = machineOf(a);
    String machineB = machineOf(b);
    assertThat(machineA).as("two starts, two machines").isNotEqualTo(machineB);
    assertThat(warm).as("both came from the pool").contains(machineA, machineB);
    assertThat(startKind(a)).isEqualTo("warm");
    assertThat(startKind(b)).isEqualTo("warm");

    Set<String> refilled = WarmPools.awaitIdle(operator, ltm, "mobile", 2);
    assertThat(refilled).as("the pool refilled with new machines").doesNotContain(machineA, machineB);
    JsonObject status = WarmPools.pool(operator, "mobile");
    assertThat(status.getInteger("inUse")).isEqualTo(2);
    assertThat(status.getString("idleCostPerHourUsd")).isEqualTo("0.17");

    WarmPools.drainAndAwaitEmpty(operator, ltm);
    for (String m : refilled) {
      assertThat(processesOf(m)).as("a drained machine leaves no process").isEmpty();
    }
    String c = buy(api, "mobile", "test-pattern").getString("id");
    String d = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + c + "/start", null).status()).isEqualTo(202);
    assertThat(api.post("/api/v1/streams/" + d + "/start", null).status()).isEqualTo(202);
    awaitState(api, c, "LIVE", Duration.ofSeconds(60));
    awaitState(api, d, "LIVE", Duration.ofSeconds(60));
    assertThat(startKind(c)).isEqualTo("cold");
    assertThat(startKind(d)).isEqualTo("cold");
    assertThat(List.of(machineOf(c), machineOf(d))).doesNotContainAnyElementsOf(warm).doesNotContainAnyElementsOf(refilled);

    // A machine serves one start: stopping the stream ends it, nothing of it is kept for another.
    for (String s : List.of(a, b, c, d)) {
      api.post("/api/v1/streams/" + s + "/stop", null);
    }
    for (String s : List.of(a, b, c, d)) {
      awaitState(api, s, "STOPPED", Duration.ofSeconds(60));
    }
    for (String m : List.of(machineA, machineB)) {
      assertThat(FailureIT.machineState(m)).isEqualTo("TERMINATED");
      Await.until("machine " + m + " to leave no process", Duration.ofSeconds(20),
        () -> processesOf(m).isEmpty() ? true : null);
    }
  }

  @Test
  void aWarmAgentKilledIsLostAndReplaced() {
    set("mobile", new JsonObject().put("minIdle", 1).put("maxIdle", 1));
    String first = WarmPools.awaitIdle(operator, ltm, "mobile", 1).iterator().next();
    List<ProcessHandle> agent = processesOf(first);
    assertThat(agent).isNotEmpty();
    agent.forEach(ProcessHandle::destroyForcibly);

    Await.until("the killed machine to be recorded lost and terminated", Duration.ofSeconds(30),
      () -> "TERMINATED".equals(FailureIT.machineState(first)) ? true : null);
    assertThat(reasonOf(first)).contains("stopped unexpectedly");
    Set<String> now = WarmPools.awaitIdle(operator, ltm, "mobile", 1);
    assertThat(now).doesNotContain(first);
  }

  @Test
  void operatorEndpointsTakeTheOperatorTokenOnlyAndRefuseBadValuesChangingNothing() {
    ApiClient customer = api(newAccountKey("not-an-operator"));
    assertThat(customer.get("/operator/v1/pools").status()).isEqualTo(401);
    assertThat(api(null).get("/operator/v1/pools").status()).isEqualTo(401);
    JsonObject before = WarmPools.pool(operator, "mobile");

    ApiClient.Reply below = operator.send(io.vertx.core.http.HttpMethod.PUT, "/operator/v1/pools/mobile",
      new JsonObject().put("minIdle", 3).put("maxIdle", 1).toBuffer(), Map.of("Content-Type", "application/json"));
    assertThat(below.status()).as(below.body()).isEqualTo(400);
    assertThat(below.json().getJsonObject("error").getString("message")).contains("maxIdle");
    ApiClient.Reply negative = operator.send(io.vertx.core.http.HttpMethod.PUT, "/operator/v1/pools/mobile",
      new JsonObject().put("minIdle", -1).toBuffer(), Map.of("Content-Type", "application/json"));
    assertThat(negative.status()).isEqualTo(400);
    ApiClient.Reply stopped = operator.send(io.vertx.core.http.HttpMethod.PUT, "/operator/v1/pools/mobile",
      new JsonObject().put("stoppedIdle", 1).toBuffer(), Map.of("Content-Type", "application/json"));
    assertThat(stopped.status()).as("local machines cannot be stopped and kept").isEqualTo(400);
    assertThat(WarmPools.pool(operator, "mobile").getInteger("minIdle")).isEqualTo(before.getInteger("minIdle"));
  }

  private static void set(String poolClass, JsonObject values) {
    ApiClient.Reply reply = operator.send(io.vertx.core.http.HttpMethod.PUT, "/operator/v1/pools/" + poolClass,
      values.toBuffer(), Map.of("Content-Type", "application/json"));
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
  }

  /** How the stream's last start was served, from its STARTING event. */
  static String startKind(String streamId) {
    var rows = Await.result(ltm.pool().preparedQuery("SELECT payload FROM events WHERE stream_id = ? "
      + "AND type = 'stream.state' ORDER BY seq DESC").execute(Tuple.of(streamId)));
    List<String> kinds = new ArrayList<>();
    rows.forEach(r -> {
      JsonObject e = new JsonObject(r.getValue(0).toString());
      if ("STARTING".equals(e.getString("state"))) {
        kinds.add(e.getJsonObject("detail").getString("start"));
      }
    });
    assertThat(kinds).as("a STARTING event").isNotEmpty();
    return kinds.get(0);
  }

  private static String reasonOf(String machineId) {
    return Await.result(ltm.pool().preparedQuery("SELECT state_reason FROM machines WHERE id = ?")
      .execute(Tuple.of(machineId))).iterator().next().getString(0);
  }

  static Set<String> idsOf(Iterable<io.vertx.sqlclient.Row> rows) {
    Set<String> ids = new HashSet<>();
    rows.forEach(r -> ids.add(r.getString(0)));
    return ids;
  }
}
