package io.ltm.order;

import io.ltm.db.BatchPruner;
import io.ltm.metrics.Meters;
import io.vertx.sqlclient.Pool;

/**
 * Keeps a purchase's {@code Idempotency-Key} (and the answer replayed for it) for {@link #RETENTION_HOURS} hours,
 * as payment APIs do: a client retries within seconds or minutes, and every key kept forever made the table grow
 * with every purchase. Past that, the same key is a new purchase.
 */
public class IdempotencyKeyPruner extends BatchPruner {
  public static final int RETENTION_HOURS = 24;
  private static final String PRUNE = "DELETE FROM idempotency_keys WHERE created_at < CURRENT_TIMESTAMP(3) "
    + "- INTERVAL ? SECOND ORDER BY created_at LIMIT " + BATCH;

  public IdempotencyKeyPruner(Pool pool) {
    super(pool, "idempotency keys", PRUNE, RETENTION_HOURS * 3600L, Meters.counter("ltm_idempotency_keys_pruned",
      "Idempotency-Keys of purchases deleted after their retention"));
  }
}
