package io.ltm.it;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.Filter;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * EC2's two warm tiers against the EC2 peer: a running machine (booted, its agent waiting) serves a start at once; a
 * stopped one (booted once, then StopInstances) is started again (StartInstances) when a start claims it, its agent
 * resumes from what it kept on its disk, and the stream goes live on it. Both tiers refill, and a drain terminates
 * every idle instance.
 */
class Ec2WarmPoolIT extends LtmTestBase {
  static final String TOKEN = "operator-" + java.util.UUID.randomUUID();
  static Ec2Peer peer;
  static Ec2AsyncClient ec2;
  static InstanceRunner runner;
  static ApiClient operator;

  @BeforeAll
  static void onEc2WithBothTiers() throws Exception {
    peer = Ec2Peer.start();
    ec2 = peer.ec2;
    peer.proxy.rewrite("RunInstances", "<code>16</code><name>running</name>", "<code>0</code><name>pending</name>");
    Map<String, String> env = peer.ltmEnvironment();
    // The pool a `mobile` start takes from on ec2: the offer's first instance type.
    env.put("LTM_POOL_MIN_IDLE", "c6i.large=1");
    env.put("LTM_POOL_STOPPED_IDLE", "c6i.large=1");
    env.put("LTM_OPERATOR_TOKEN", TOKEN);
    // (pool_settings rows are per provider: a local pool an earlier class drained does not touch this one.)
    redeploy(env);
    operator = api(TOKEN);
    runner = new InstanceRunner(ec2, config.cloud().env());
  }

  @AfterAll
  static void drainAndOff() {
    try {
      if (ltm != null) {
        WarmPools.forget(operator, ltm);
      }
    } finally {
      closeLtm();
      if (runner != null) {
        runner.close();
      }
      if (peer != null) {
        peer.close();
      }
    }
  }

  @Test
  void aRunningWarmMachineAndAStoppedOneEachServeAStartAndBothTiersRefill() {
    Await.until("one running and one stopped machine in the pool", Duration.ofSeconds(120), () -> {
      JsonObject p = WarmPools.pool(operator, "c6i.large");
      return p.getInteger("idle") == 1 && p.getInteger("stopped") == 1 && p.getInteger("booting") == 0 ? p : null;
    });
    String running = warm("running");
    String stopped = warm("stopped");
    Await.until("the stopped tier's instance to be stopped in EC2", Duration.ofSeconds(30),
      () -> "stopped".equals(instanceState(stopped)) ? true : null);
    Await.until("its agent to be gone with it", Duration.ofSeconds(30),
      () -> runner.processesOf(Ec2StreamIT.machineRowOf(ltm, stopped).getString("provider_ref")).isEmpty() ? true : null);
    assertThat(Ec2StreamIT.machineRowOf(ltm, running).getString("pool_class")).isEqualTo("c6i.large");

    ApiClient api = api(newAccountKey("ec2-warm"));
    String a = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + a + "/start", null).status()).isEqualTo(202);
    Ec2StreamIT.awaitLive(api, a, runner);
    assertThat(machineOf(a)).isEqualTo(running);
    assertThat(WarmPoolIT.startKind(a)).isEqualTo("warm");

    // The keeper refills the running tier at once, and a running machine is preferred: without one, the stopped
    // machine serves the next start.
    set(new JsonObject().put("minIdle", 0).put("maxIdle", 0));
    Await.until("no running machine idle", Duration.ofSeconds(60), () -> {
      JsonObject p = WarmPools.pool(operator, "c6i.large");
      return p.getInteger("idle") == 0 && p.getInteger("booting") == 0 && p.getInteger("stopped") == 1 ? p : null;
    });
    String b = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + b + "/start", null).status()).isEqualTo(202);
    Ec2StreamIT.awaitLive(api, b, runner);
    assertThat(machineOf(b)).as("the running one is taken: the stopped one serves").isEqualTo(stopped);
    assertThat(WarmPoolIT.startKind(b)).isEqualTo("warm-stopped");
    assertThat(instanceState(stopped)).isEqualTo("running");

    set(new JsonObject().put("minIdle", 1).put("maxIdle", 1));
    Await.until("both tiers to refill", Duration.ofSeconds(120), () -> {
      JsonObject p = WarmPools.pool(operator, "c6i.large");
      return p.getInteger("idle") == 1 && p.getInteger("stopped") == 1 && p.getInteger("booting") == 0 ? p : null;
    });
    assertThat(Set.of(warm("running"), warm("stopped"))).doesNotContain(running, stopped);

    for (String s : List.of(a, b)) {
      api.post("/api/v1/streams/" + s + "/stop", null);
    }
    for (String s : List.of(a, b)) {
      awaitState(api, s, "STOPPED", Duration.ofSeconds(60));
    }
    for (String m : List.of(running, stopped)) {
      assertThat(instanceState(m)).isIn("shutting-down", "terminated");
    }
  }

  private static void set(JsonObject values) {
    ApiClient.Reply reply = operator.send(io.vertx.core.http.HttpMethod.PUT, "/operator/v1/pools/c6i.large",
      values.toBuffer(), Map.of("Content-Type", "application/json"));
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
  }

  /** The idle machine of a tier (exactly one). */
  private static String warm(String tier) {
    var rows = Await.result(ltm.pool().preparedQuery("SELECT id FROM machines WHERE pool_class = 'c6i.large' "
      + "AND stream_id IS NULL AND state = 'REGISTERED' AND warm_tier = ?").execute(Tuple.of(tier)));
    assertThat(rows.size()).as("idle " + tier + " machines").isEqualTo(1);
    return rows.iterator().next().getString(0);
  }

  private static String instanceState(String machineId) {
    Row row = Ec2StreamIT.machineRowOf(ltm, machineId);
    return ec2.describeInstances(r -> r.filters(Filter.builder().name("instance-id")
        .values(row.getString("provider_ref")).build())).join()
      .reservations().get(0).instances().get(0).state().nameAsString();
  }
}
