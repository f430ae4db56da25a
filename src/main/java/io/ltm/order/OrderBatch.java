package io.ltm.order;

import io.ltm.db.Batcher;
import io.ltm.db.InList;
import io.ltm.db.Transactions;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.jobs.Job;
import io.ltm.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The worker's half of purchases, done together. One order per transaction cost every purchase a second
 * transaction of its own and one more autocommit for its job's row: about a third of a purchase's statements and
 * half its fsyncs (bench/purchase). Now the {@code order.placed} jobs that arrive while the previous ones are
 * being written go together ({@link Batcher}; a lone job is written at once): one transaction locks their
 * accounts (in id order, as every multi-account transaction does), reads which orders are still PENDING, moves
 * them to ACTIVE with one UPDATE, numbers their {@code order.state} events in their accounts' logs and records
 * every job of the batch done — so a job is done exactly when its order is ACTIVE.
 *
 * <p>What one order sees is unchanged: the same event, and an order already ACTIVE (its job delivered again) is
 * left as it is. A batch that fails is not its jobs' verdict: the caller runs each of them alone
 * ({@link OrderFulfilment#fulfil}), so one order that cannot be activated never fails the others.
 */
public final class OrderBatch {
  private static final Logger LOG = LoggerFactory.getLogger(OrderBatch.class);
  /** Jobs per transaction at most; the worker's prefetch bounds it first. */
  private static final int MAX_BATCH = 64;
  private static final String PENDING = "SELECT id, account_id FROM orders WHERE id IN (%s) AND state = 'PENDING' "
    + "FOR UPDATE";
  private static final String ACTIVATE = "UPDATE orders SET state = 'ACTIVE', updated_at = CURRENT_TIMESTAMP(3) "
    + "WHERE id IN (%s) AND state = 'PENDING'";
  private static final DistributionSummary SIZES = Meters.summary("ltm_order_batch_size",
    "orders one fulfilment transaction activated (more when purchases arrive faster than MySQL commits them)");
  private static final Counter FAILED = Meters.counter("ltm_order_batch_failures",
    "fulfilment transactions that failed; each of their jobs was then run alone");

  private final Pool pool;
  private final Runnable wakeRelay;
  private final Batcher<Placed> batcher = new Batcher<>(MAX_BATCH, this::write, Placed::fail);

  public OrderBatch(Pool pool, Runnable wakeRelay) {
    this.pool = pool;
    this.wakeRelay = wakeRelay;
  }

  /**
   * Fulfils the job's order with the others of its batch; succeeds once that is committed (the job is recorded
   * done), fails if the batch could not be written — the job is then to be run alone.
   */
  public Future<Void> fulfil(Context context, Job job) {
    if (job.accountId() == null || job.subjectId() == null) {
      return Future.failedFuture(new IllegalArgumentException("an order job names no account or order"));
    }
    Placed placed = new Placed(job);
    batcher.add(context, placed);
    return placed.done.future();
  }

  private record Placed(Job job, Promise<Void> done) {
    Placed(Job job) {
      this(job, Promise.promise());
    }

    void fail(Throwable err) {
      done.tryFail(err);
    }
  }

  private Future<Void> write(List<Placed> batch) {
    // Only the accounts the jobs name are locked, and an order is activated only under its own account's lock (a
    // job naming another account activates nothing, as the single path's "AND account_id = ?" does).
    Map<String, String> accountByOrder = new LinkedHashMap<>();
    Set<String> jobIds = new LinkedHashSet<>();
    for (Placed p : batch) {
      accountByOrder.putIfAbsent(p.job().subjectId(), p.job().accountId());
      jobIds.add(p.job().id());
    }
    return Transactions.inAccounts(pool, accountByOrder.values(), conn -> activate(conn, accountByOrder, jobIds))
      .onSuccess(activated -> {
        SIZES.record(activated);
        if (activated > 0) {
          wakeRelay.run();
        }
        batch.forEach(p -> p.done().tryComplete());
      })
      .onFailure(err -> {
        FAILED.increment();
        LOG.warn("fulfilling {} order(s) together failed, each is tried alone: {}", batch.size(), err.toString());
      })
      .mapEmpty();
  }

  /**
   * The batch's transaction, its accounts locked: which orders are still PENDING (locked), then — sent at once —
   * their move to ACTIVE, their events and the jobs' rows. Answers how many orders it activated.
   */
  private static Future<Integer> activate(SqlConnection conn, Map<String, String> accountByOrder, Set<String> jobIds) {
    List<String> orderIds = InList.padded(accountByOrder.keySet());
    return conn.preparedQuery(PENDING.formatted(InList.marks(orderIds.size()))).execute(Tuple.from(orderIds))
      .compose(rows -> {
        List<String> pending = new ArrayList<>();
        Map<String, List<EventLog.Draft>> drafts = new TreeMap<>();
        for (Row row : rows) {
          String orderId = row.getString("id");
          String accountId = row.getString("account_id");
          if (accountId.equals(accountByOrder.get(orderId))) {
            pending.add(orderId);
            drafts.computeIfAbsent(accountId, a -> new ArrayList<>()).add(new EventLog.Draft(EventTypes.ORDER_STATE,
              null, new JsonObject().put("orderId", orderId).put("state", "ACTIVE").put("previous", "PENDING")));
          }
        }
        if (pending.isEmpty()) {
          return Job.doneAll(conn, jobIds).map(0);
        }
        List<String> ids = InList.padded(pending);
        Future<?> moved = conn.preparedQuery(ACTIVATE.formatted(InList.marks(ids.size()))).execute(Tuple.from(ids));
        return Future.all(moved, EventLog.appendAcross(conn, drafts), Job.doneAll(conn, jobIds)).map(pending.size());
      });
  }
}
