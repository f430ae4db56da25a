package io.ltm.pool;

import io.ltm.cloud.MachineRepository;
import io.ltm.cloud.MachineRepository.Member;
import io.ltm.cloud.domain.MachineState;
import io.ltm.common.ApiException;
import io.ltm.config.LtmConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.math.BigDecimal;
import java.util.List;

/**
 * The operator's view of the pools (server role, MySQL only): each pool's settings and its machines, and changing
 * them. The worker's {@link PoolKeeper} acts on a change at its next pass; draining is setting a pool to 0, which
 * terminates its idle and booting machines there.
 */
public class PoolStatus {
  private final Pool pool;
  private final LtmConfig config;
  private final MachineRepository machines;
  private final PoolRepository settings;

  public PoolStatus(Pool pool, LtmConfig config, MachineRepository machines, PoolRepository settings) {
    this.pool = pool;
    this.config = config;
    this.machines = machines;
    this.settings = settings;
  }

  private String provider() {
    return config.cloud().provider();
  }

  /** Every pool: settings, idle (running), stopped, booting, in use, and what its idle machines cost per hour. */
  public Future<JsonObject> status() {
    return settings.all(pool, provider()).compose(all -> {
      JsonArray pools = new JsonArray();
      Future<Void> chain = Future.succeededFuture();
      for (PoolSettings s : all.values()) {
        chain = chain.compose(v -> machines.members(pool, provider(), s.poolClass()).map(members -> {
          pools.add(describe(s, members));
          return null;
        }));
      }
      return chain.map(v -> new JsonObject().put("provider", provider()).put("pools", pools));
    });
  }

  private JsonObject describe(PoolSettings s, List<Member> members) {
    int idle = 0;
    int stopped = 0;
    int booting = 0;
    int inUse = 0;
    BigDecimal cost = BigDecimal.ZERO;
    for (Member member : members) {
      var m = member.machine();
      if (!m.idle()) {
        inUse++;
        continue;
      }
      if (m.parked()) {
        // A stopped machine costs its disk only, which LTM does not price.
        stopped++;
        continue;
      }
      if (m.state() == MachineState.REGISTERED) {
        idle++;
      } else {
        booting++;
      }
      BigDecimal price = member.hourlyPriceUsd() != null ? member.hourlyPriceUsd() : config.machines().hourlyPrice(
        PoolSettings.instanceTypesOf(provider(), s.poolClass(), config.machines()).stream().findFirst().orElse(null));
      cost = cost.add(price == null ? BigDecimal.ZERO : price);
    }
    return new JsonObject().put("class", s.poolClass()).put("minIdle", s.minIdle()).put("maxIdle", s.maxIdle())
      .put("stoppedIdle", s.stoppedIdle()).put("idleTtlSeconds", s.idleTtlSeconds())
      .put("maxHourlyUsd", s.maxHourlyUsd() == null ? null : s.maxHourlyUsd().toPlainString())
      .put("idle", idle).put("stopped", stopped).put("booting", booting).put("inUse", inUse)
      .put("idleCostPerHourUsd", cost.stripTrailingZeros().toPlainString());
  }

  /** Changes a pool; null fields keep their value. Bad values are a 400 and change nothing. */
  public Future<JsonObject> set(String poolClass, Integer min, Integer max, Integer stopped, Integer ttl,
                                BigDecimal hourly) {
    if (poolClass == null || !poolClass.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      return Future.failedFuture(ApiException.badRequest("invalid_field",
        "a pool class is an offer id (local) or an instance type (ec2)", "class"));
    }
    if (stopped != null && stopped > 0 && "local".equals(provider())) {
      return Future.failedFuture(ApiException.badRequest("invalid_field",
        "the local provider has no stopped tier: its machines cannot be stopped and kept", "stoppedIdle"));
    }
    return settings.all(pool, provider()).compose(all -> {
      PoolSettings current = all.getOrDefault(poolClass, PoolSettings.configured(config.pools(), poolClass));
      PoolSettings next = current.with(min, max, stopped, ttl, hourly);
      if (next.problem() != null) {
        return Future.failedFuture(ApiException.badRequest("invalid_pool", next.problem(), "maxIdle"));
      }
      // Stored whole: a max that followed the old min is now fixed at what it was shown as.
      return settings.set(pool, provider(), poolClass, next.minIdle(), next.maxIdle(), next.stoppedIdle(),
        next.idleTtlSeconds(), next.maxHourlyUsd());
    }).compose(v -> status());
  }

  /** Sets one pool (or every pool, {@code poolClass} null) to 0: the keeper then terminates their idle machines. */
  public Future<JsonObject> drain(String poolClass) {
    return settings.all(pool, provider()).compose(all -> {
      if (poolClass != null && !all.containsKey(poolClass)) {
        return Future.failedFuture(ApiException.notFound("pool", poolClass));
      }
      Future<Void> chain = Future.succeededFuture();
      for (String c : all.keySet()) {
        if (poolClass == null || poolClass.equals(c)) {
          chain = chain.compose(v -> settings.set(pool, provider(), c, 0, 0, 0, null, null));
        }
      }
      return chain;
    }).compose(v -> status());
  }
}
