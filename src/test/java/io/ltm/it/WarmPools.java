package io.ltm.it;

import io.ltm.Ltm;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Test helpers for warm pools: the operator's view, waiting for a pool, and leaving none behind. */
final class WarmPools {
  private WarmPools() {
  }

  static JsonObject pool(ApiClient operator, String poolClass) {
    ApiClient.Reply reply = operator.get("/operator/v1/pools");
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    return reply.json().getJsonArray("pools").stream().map(JsonObject.class::cast)
      .filter(p -> poolClass.equals(p.getString("class"))).findFirst()
      .orElse(new JsonObject().put("class", poolClass).put("idle", 0).put("booting", 0).put("inUse", 0));
  }

  /** Waits until the pool holds exactly {@code n} idle machines and none booting; answers their ids. */
  static Set<String> awaitIdle(ApiClient operator, Ltm ltm, String poolClass, int n) {
    return Await.until("pool " + poolClass + " to hold " + n + " idle machines", Duration.ofSeconds(90), () -> {
      JsonObject p = pool(operator, poolClass);
      if (p.getInteger("idle") != n || p.getInteger("booting") != 0) {
        return null;
      }
      Set<String> ids = idle(ltm, poolClass);
      return ids.size() == n ? ids : null;
    });
  }

  static Set<String> idle(Ltm ltm, String poolClass) {
    var rows = Await.result(ltm.pool().preparedQuery("SELECT id FROM machines WHERE pool_class = ? "
      + "AND stream_id IS NULL AND state = 'REGISTERED'").execute(Tuple.of(poolClass)));
    Set<String> ids = new HashSet<>();
    rows.forEach(r -> ids.add(r.getString(0)));
    return ids;
  }

  /** Warm machines not yet terminated, of any pool. */
  static Set<String> alive(Ltm ltm) {
    var rows = Await.result(ltm.pool().query("SELECT id FROM machines WHERE pool_class IS NOT NULL "
      + "AND stream_id IS NULL AND state <> 'TERMINATED'").execute());
    Set<String> ids = new HashSet<>();
    rows.forEach(r -> ids.add(r.getString(0)));
    return ids;
  }

  /** Drains every pool and waits until no warm machine is left, in MySQL or as a process. */
  static void drainAndAwaitEmpty(ApiClient operator, Ltm ltm) {
    ApiClient.Reply reply = operator.post("/operator/v1/pools/drain", new JsonObject());
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    Set<String> seen = new HashSet<>(alive(ltm));
    Await.until("the pools to be empty", Duration.ofSeconds(60), () -> {
      Set<String> left = alive(ltm);
      seen.addAll(left);
      return left.isEmpty() ? true : null;
    });
    for (String m : seen) {
      Await.until("drained machine " + m + " to leave no process", Duration.ofSeconds(20),
        () -> LtmTestBase.processesOf(m).isEmpty() ? true : null);
    }
  }

  /**
   * Leaves every pool drained (size 0 in pool_settings, which outlives this LTM) and none of its machines alive, so
   * the next test class's LTM has no pool and no warm machine to take.
   */
  static void forget(ApiClient operator, Ltm ltm) {
    drainAndAwaitEmpty(operator, ltm);
    List<String> left = List.copyOf(alive(ltm));
    assertThat(left).as("warm machines left behind").isEmpty();
  }
}
