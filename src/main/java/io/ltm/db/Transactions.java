package io.ltm.db;

import io.ltm.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.mysqlclient.MySQLException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * How LTM runs a transaction. Two rules keep concurrent changes of one account from deadlocking:
 *
 * <ol>
 *   <li><b>Account row first.</b> A transaction that records an event ({@code EventLog.append}) locks its
 *   account's row exclusively as its very first statement ({@link #inAccount}). Every such transaction of an
 *   account then queues on that one row before it touches any other, so no two of them can hold rows the other
 *   wants. It also removes the upgrade that deadlocked purchases: an INSERT into {@code orders} takes a
 *   <em>shared</em> lock on the account row (its foreign key), and two purchases that each held one then both
 *   waited to make it exclusive for the event number.</li>
 *   <li><b>Bounded retry.</b> Should InnoDB still pick a victim (1213) or give up waiting (1205), the whole
 *   transaction is run again, a few times, after a short random pause, and each retry is counted in
 *   {@code ltm_db_transaction_retries_total}. The work passed in must therefore only touch the database
 *   (effects outside it belong after the commit), which is how every transaction here is written.</li>
 * </ol>
 */
public final class Transactions {
  private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);
  static final int DEADLOCK = 1213;
  static final int LOCK_WAIT_TIMEOUT = 1205;
  static final int MAX_ATTEMPTS = 5;
  private static final String LOCK_ACCOUNT = "SELECT event_seq FROM accounts WHERE id = ? FOR UPDATE";
  private static final Counter DEADLOCKS = Meters.counter("ltm_db_transaction_retries",
    "transactions run again after InnoDB chose them as a deadlock victim or timed out their lock wait",
    "reason", "deadlock");
  private static final Counter LOCK_WAITS = Meters.counter("ltm_db_transaction_retries",
    "transactions run again after InnoDB chose them as a deadlock victim or timed out their lock wait",
    "reason", "lock_wait_timeout");

  private Transactions() {
  }

  /**
   * A transaction that may record events of {@code accountId}: the account row is locked exclusively before
   * {@code work} runs. Use it for anything that calls {@code EventLog.append}.
   */
  public static <T> Future<T> inAccount(Pool pool, String accountId, Function<SqlConnection, Future<T>> work) {
    // Not inAccounts(List.of(accountId)): a warm machine's calls run here with no account (null), locking nothing.
    return run(pool, conn -> conn.preparedQuery(LOCK_ACCOUNT).execute(Tuple.of(accountId))
      .compose(rows -> work.apply(conn)));
  }

  /**
   * A transaction that may record events of several accounts: their rows are locked first, by one statement that
   * walks the primary key in order. Two such transactions lock their common accounts in the same order, and one of
   * a single account holds no other account row, so neither can wait for the other in a circle.
   */
  public static <T> Future<T> inAccounts(Pool pool, Collection<String> accountIds,
                                         Function<SqlConnection, Future<T>> work) {
    List<String> ids = InList.padded(new TreeSet<>(accountIds));
    String lock = "SELECT id FROM accounts WHERE id IN (" + InList.marks(ids.size()) + ") ORDER BY id FOR UPDATE";
    return run(pool, conn -> conn.preparedQuery(lock).execute(Tuple.from(ids)).compose(rows -> work.apply(conn)));
  }

  /** A transaction that records no event, retried like every other on a deadlock. */
  public static <T> Future<T> run(Pool pool, Function<SqlConnection, Future<T>> work) {
    return attempt(pool, work, 1);
  }

  private static <T> Future<T> attempt(Pool pool, Function<SqlConnection, Future<T>> work, int attempt) {
    return pool.withConnection(conn -> inTransaction(conn, work)).recover(err -> {
      int code = err instanceof MySQLException e ? e.getErrorCode() : 0;
      if ((code != DEADLOCK && code != LOCK_WAIT_TIMEOUT) || attempt >= MAX_ATTEMPTS) {
        return Future.failedFuture(err);
      }
      (code == DEADLOCK ? DEADLOCKS : LOCK_WAITS).increment();
      LOG.debug("transaction attempt {} failed with {}; running it again", attempt, code);
      return pause(attempt).compose(v -> attempt(pool, work, attempt + 1));
    });
  }

  /**
   * Runs {@code work} in a transaction with autocommit off. Statements are pipelined: several are on their way
   * behind the one that fails. When InnoDB picks a deadlock victim it rolls the whole transaction back, and with
   * autocommit on, the statements already sent behind the failed one then ran in autocommit mode and stayed,
   * whatever the client did next (MariaDB: a row INSERTed right behind a deadlock victim survived the ROLLBACK;
   * ConcurrencyIT). With autocommit off they open a new transaction instead, which the rollback undoes. Vert.x's
   * transaction still refuses whatever the work sends after a failure (a chain still running when the transaction
   * ends). Autocommit is on again before the connection returns to the pool.
   *
   * <p>Round trips: the work's statements go out right behind BEGIN, not after its answer (they are scheduled on
   * the transaction, which holds them to its rules from the start), and the answer does not wait for the final
   * SET's: it is sent before the connection goes back, and whoever takes the connection next is answered after it
   * (one connection runs its statements in the order sent). Two round trips fewer on every transaction's answer.
   */
  private static <T> Future<T> inTransaction(SqlConnection conn, Function<SqlConnection, Future<T>> work) {
    Future<?> off = conn.query("SET autocommit = 0").execute();
    return pipelined(conn, off, work).andThen(ended -> conn.query("SET autocommit = 1").execute()
      .onFailure(err -> LOG.debug("autocommit not turned back on; the connection is failing: {}", err.toString())));
  }

  /**
   * A transaction none of whose statements waits for a lock another transaction holds — it locks with
   * {@code SKIP LOCKED} and then touches only what it locked (the heartbeats, the outbox relay) — so none of them
   * can be a deadlock victim with statements pipelined behind it: autocommit stays as it is and nothing is retried.
   * BEGIN is pipelined as in {@link #run}.
   */
  public static <T> Future<T> lockFree(Pool pool, Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> pipelined(conn, Future.succeededFuture(), work));
  }

  /** BEGIN, the work sent right behind it, then COMMIT once all of it (and {@code before}) succeeded, else ROLLBACK. */
  private static <T> Future<T> pipelined(SqlConnection conn, Future<?> before, Function<SqlConnection, Future<T>> work) {
    Future<Transaction> begun = conn.begin();
    Transaction tx = conn.transaction();
    Future<T> done;
    try {
      done = work.apply(conn);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    Future<T> result = done;
    return Future.all(before, begun, result).transform(ar -> ar.succeeded()
      ? tx.commit().map(v -> result.result())
      : tx.rollback().transform(x -> Future.<T>failedFuture(ar.cause())));
  }

  /** A few milliseconds, growing with the attempt, random so two victims do not collide again in step. */
  private static Future<Void> pause(int attempt) {
    Context context = Vertx.currentContext();
    if (context == null) {
      return Future.succeededFuture();
    }
    long ms = 1 + ThreadLocalRandom.current().nextLong(5L << attempt);
    Promise<Void> slept = Promise.promise();
    context.owner().setTimer(ms, id -> slept.complete());
    return slept.future();
  }

  /** True for the errors {@link #run} retries; for callers that retry a larger unit themselves. */
  public static boolean isRetryable(Throwable err) {
    return err instanceof MySQLException e
      && (e.getErrorCode() == DEADLOCK || e.getErrorCode() == LOCK_WAIT_TIMEOUT);
  }
}
