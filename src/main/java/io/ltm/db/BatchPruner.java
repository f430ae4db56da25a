package io.ltm.db;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes rows past their retention, every minute, in small batches (an index range on their time), a short pause
 * between batches: the deletes never hold many locks nor starve the purchases beside them. The statement takes
 * the retention in seconds as its one parameter and ends in {@code LIMIT} {@link #BATCH}.
 */
public abstract class BatchPruner extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(BatchPruner.class);
  public static final int BATCH = 500;
  private static final long EVERY_MS = 60_000;
  private static final long PAUSE_MS = 50;

  private final Pool pool;
  private final String what;
  private final String prune;
  private final long retentionSeconds;
  private final Counter pruned;
  private boolean running;

  /**
   * @param what the rows, for the log ("health events")
   * @param prune a DELETE of rows older than its one parameter in seconds, {@code LIMIT} {@link #BATCH}
   */
  protected BatchPruner(Pool pool, String what, String prune, long retentionSeconds, Counter pruned) {
    this.pool = pool;
    this.what = what;
    this.prune = prune;
    this.retentionSeconds = retentionSeconds;
    this.pruned = pruned;
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
    pool.preparedQuery(prune).execute(Tuple.of(retentionSeconds)).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("pruning {} failed: {}", what, ar.cause().getMessage());
        running = false;
      } else {
        pruned.increment(ar.result().rowCount());
        if (ar.result().rowCount() == BATCH) {
          vertx.setTimer(PAUSE_MS, t -> batch());
        } else {
          running = false;
        }
      }
    });
  }
}
