package io.ltm.events;

import io.ltm.db.BatchPruner;
import io.ltm.metrics.Meters;
import io.vertx.sqlclient.Pool;

/**
 * Keeps {@code stream.health} events for {@code agent.healthRetentionHours} (default 24 h): a fleet stores
 * hundreds a second, and the event log must not grow without bound. Every other event type is kept: it is the
 * account's history. A browser replaying from a seq older than that simply gets no health figures for the pruned
 * span.
 */
public class HealthPruner extends BatchPruner {
  private static final String PRUNE = "DELETE FROM events WHERE type = '" + EventTypes.STREAM_HEALTH + "' "
    + "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND ORDER BY created_at LIMIT " + BATCH;

  public HealthPruner(Pool pool, long retentionSeconds) {
    super(pool, "health events", PRUNE, retentionSeconds, Meters.counter("ltm_events_health_pruned",
      "stream.health events deleted after their retention"));
  }
}
