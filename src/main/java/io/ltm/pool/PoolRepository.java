package io.ltm.pool;

import io.ltm.config.LtmConfig.PoolsConfig;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** SQL for {@code pool_settings}: an operator's run-time changes, and the row pool keepers take turns on. */
public class PoolRepository {
  private static final String ENSURE = "INSERT IGNORE INTO pool_settings (provider, pool_class) VALUES (?, ?)";
  private static final String LOCK = "SELECT * FROM pool_settings WHERE provider = ? AND pool_class = ? FOR UPDATE";
  private static final String ALL = "SELECT * FROM pool_settings WHERE provider = ?";
  private static final String SET = "INSERT INTO pool_settings (provider, pool_class, min_idle, max_idle, stopped_idle, "
    + "idle_ttl_seconds, max_hourly_usd) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
    + "min_idle = COALESCE(VALUES(min_idle), min_idle), max_idle = COALESCE(VALUES(max_idle), max_idle), "
    + "stopped_idle = COALESCE(VALUES(stopped_idle), stopped_idle), "
    + "idle_ttl_seconds = COALESCE(VALUES(idle_ttl_seconds), idle_ttl_seconds), "
    + "max_hourly_usd = COALESCE(VALUES(max_hourly_usd), max_hourly_usd), updated_at = CURRENT_TIMESTAMP(3)";
  /** Classes with warm machines still alive: a pool no longer configured is still emptied. */
  private static final String LIVE_CLASSES = "SELECT DISTINCT pool_class FROM machines WHERE provider = ? "
    + "AND pool_class IS NOT NULL AND stream_id IS NULL AND state NOT IN ('TERMINATED', 'TERMINATING', 'LOST')";

  private final PoolsConfig config;

  public PoolRepository(PoolsConfig config) {
    this.config = config;
  }

  /** Locks the pool's row (made if missing) for this transaction, and answers its settings. */
  public Future<PoolSettings> lock(SqlConnection conn, String provider, String poolClass) {
    return conn.preparedQuery(ENSURE).execute(Tuple.of(provider, poolClass))
      .compose(v -> conn.preparedQuery(LOCK).execute(Tuple.of(provider, poolClass)))
      .map(rows -> effective(poolClass, rows.iterator().hasNext() ? rows.iterator().next() : null));
  }

  /** Every pool this provider has: configured, changed by an operator, or with warm machines alive. */
  public Future<Map<String, PoolSettings>> all(SqlClient client, String provider) {
    return client.preparedQuery(ALL).execute(Tuple.of(provider)).compose(rows -> {
      Map<String, Row> changed = new LinkedHashMap<>();
      rows.forEach(r -> changed.put(r.getString("pool_class"), r));
      return client.preparedQuery(LIVE_CLASSES).execute(Tuple.of(provider)).map(live -> {
        TreeSet<String> classes = new TreeSet<>(config.classes());
        classes.addAll(changed.keySet());
        live.forEach(r -> classes.add(r.getString(0)));
        Map<String, PoolSettings> all = new LinkedHashMap<>();
        classes.forEach(c -> all.put(c, effective(c, changed.get(c))));
        return all;
      });
    });
  }

  /** Records an operator's change; null fields keep what they were. */
  public Future<Void> set(SqlClient client, String provider, String poolClass, Integer min, Integer max,
                          Integer stopped, Integer ttl, BigDecimal hourly) {
    return client.preparedQuery(SET).execute(Tuple.of(provider, poolClass, min, max, stopped, ttl, hourly)).mapEmpty();
  }

  private PoolSettings effective(String poolClass, Row changed) {
    PoolSettings settings = PoolSettings.configured(config, poolClass);
    if (changed == null) {
      return settings;
    }
    return settings.with(changed.getInteger("min_idle"), changed.getInteger("max_idle"),
      changed.getInteger("stopped_idle"), changed.getInteger("idle_ttl_seconds"), changed.getBigDecimal("max_hourly_usd"));
  }
}
