package io.ltm.jobs;

import io.ltm.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the outbox is behind: unsent rows and the age of the oldest, read once a second (one index range
 * scan of {@code idx_outbox_unsent}) and reported as gauges. A relay that keeps up shows an oldest age near
 * zero; a growing one means RabbitMQ is down or the relay cannot keep pace.
 */
public class OutboxMonitor extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxMonitor.class);
  private static final long EVERY_MS = 1000;
  private static final String BACKLOG = "SELECT COUNT(*), "
    + "COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), CURRENT_TIMESTAMP(3)), 0) FROM outbox WHERE sent_at IS NULL";

  private final Pool pool;
  private volatile long backlog;
  private volatile double oldestSeconds;

  public OutboxMonitor(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<?> start() {
    Meters.gauge("ltm_outbox_backlog", "outbox rows not yet published to RabbitMQ", () -> backlog);
    Meters.gauge("ltm_outbox_oldest_age_seconds", "age of the oldest outbox row not yet published",
      () -> oldestSeconds);
    vertx.setPeriodic(EVERY_MS, id -> pool.query(BACKLOG).execute()
      .onSuccess(rows -> {
        Row row = rows.iterator().next();
        backlog = row.getLong(0);
        oldestSeconds = Math.max(0, row.getLong(1)) / 1e6;
      })
      .onFailure(err -> LOG.debug("outbox backlog unavailable: {}", err.getMessage())));
    return Future.succeededFuture();
  }
}
