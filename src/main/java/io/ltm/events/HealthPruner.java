package io.ltm.events;

import io.ltm.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code stream.health} events for {@code agent.healthRetentionHours} (default 24 h): a fleet stores
 * hundreds a second, and the event log must not grow without bound. Every other event type is kept: it is the
 * account's history. Deleted in small batches (an index range on type and time), a short pause between them,
 * so the deletes never hold many locks or starve the purchases beside them. A browser replaying from a seq
 * older than that simply gets no health figures for the pruned span.
 */
public class HealthPruner extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HealthPruner.class);
  static final int BATCH = 500;
  private static final long EVERY_MS = 60_000;
  private static final long PAUSE_MS = 50;
  private static final String PRUNE = "DELETE FROM events WHERE type = '" + EventTypes.STREAM_HEALTH + "' "
    + "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND ORDER BY created_at LIMIT " + BATCH;
  private static final Counter PRUNED = Meters.counter("ltm_events_health_pruned",
    "stream.health events deleted after their retention");

  private final Pool pool;
  private final long retentionSeconds;
  private boolean running;

  public HealthPruner(Pool pool, long retentionSeconds) {
    this.pool = pool;
    this.retentionSeconds = retentionSeconds;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(5_000, EVERY_MS, id -> pruneNow());
    return Future.succeededFuture();
  }

  /** Deletes batches until none is full; a second call while one runs is ignored. */
  public void pruneNow() {
    if (!running) {
      running = true;
      batch();
    }
  }

  private void batch() {
    pool.preparedQuery(PRUNE).execute(Tuple.of(retentionSeconds)).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("pruning health events failed: {}", ar.cause().getMessage());
        running = false;
      } else {
        PRUNED.increment(ar.result().rowCount());
        if (ar.result().rowCount() == BATCH) {
          vertx.setTimer(PAUSE_MS, t -> batch());
        } else {
          running = false;
        }
      }
    });
  }
}
