package io.ltm.account;

import io.ltm.common.Ids;
import io.ltm.db.Transactions;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Slows password guessing: at most {@code maxAttempts} password checks per e-mail in a window of
 * {@code window}, counted in MySQL so every server node shares the count. An attempt is reserved before the
 * (slow) hash is computed, under the row's lock, so 30 guesses sent at once are 10 checks and 20 refusals, not 30
 * checks racing one counter. A successful sign-in forgets the count. E-mails are kept only as SHA-256 hashes.
 */
public class SignInLimiter {
  private static final String OPEN_ROW = "INSERT INTO sign_in_attempts (email_hash, attempts, window_start) "
    + "VALUES (?, 0, CURRENT_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE attempts = attempts";
  private static final String LOCKED = "SELECT attempts, window_start > CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND, "
    + "TIMESTAMPDIFF(SECOND, CURRENT_TIMESTAMP(3), window_start + INTERVAL ? SECOND) "
    + "FROM sign_in_attempts WHERE email_hash = ? FOR UPDATE";
  private static final String NEW_WINDOW = "UPDATE sign_in_attempts SET attempts = 1, window_start = CURRENT_TIMESTAMP(3) "
    + "WHERE email_hash = ?";
  private static final String COUNT = "UPDATE sign_in_attempts SET attempts = attempts + 1 WHERE email_hash = ?";
  private static final String FORGET = "DELETE FROM sign_in_attempts WHERE email_hash = ?";
  private static final String PURGE = "DELETE FROM sign_in_attempts WHERE window_start < CURRENT_TIMESTAMP(3) "
    + "- INTERVAL ? SECOND LIMIT 1000";

  private final Pool pool;
  private final int maxAttempts;
  private final Duration window;

  public SignInLimiter(Pool pool, int maxAttempts, Duration window) {
    this.pool = pool;
    this.maxAttempts = maxAttempts;
    this.window = window;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration window() {
    return window;
  }

  /** Reserves one password check for the e-mail: null when it may go ahead, else how long until one may. */
  public Future<Duration> reserve(String email) {
    return reserveKey(key(email));
  }

  /** After a correct password: the count starts again. */
  public Future<Void> succeeded(String email) {
    return pool.preparedQuery(FORGET).execute(Tuple.of(key(email))).mapEmpty();
  }

  private Future<Duration> reserveKey(String key) {
    long seconds = window.toSeconds();
    // Transactions.run retries a deadlock victim: 30 guesses at once all queue on one row.
    return Transactions.run(pool, conn -> conn.preparedQuery(OPEN_ROW).execute(Tuple.of(key))
      .compose(v -> conn.preparedQuery(LOCKED).execute(Tuple.of(seconds, seconds, key)))
      .compose(rows -> {
        Row row = rows.iterator().next();
        int attempts = row.getInteger(0);
        boolean windowOpen = row.getInteger(1) == 1;
        if (!windowOpen) {
          return conn.preparedQuery(NEW_WINDOW).execute(Tuple.of(key)).map(v -> (Duration) null);
        }
        if (attempts < maxAttempts) {
          return conn.preparedQuery(COUNT).execute(Tuple.of(key)).map(v -> (Duration) null);
        }
        return Future.succeededFuture(Duration.ofSeconds(Math.max(1, row.getLong(2))));
      }))
      .onSuccess(v -> purgeNowAndThen());
  }

  /** Rows of windows long over are dead weight; one sign-in in a hundred clears some. */
  private void purgeNowAndThen() {
    if (ThreadLocalRandom.current().nextInt(100) == 0) {
      pool.preparedQuery(PURGE).execute(Tuple.of(window.toSeconds()));
    }
  }

  private static String key(String email) {
    return Ids.sha256(email.trim().toLowerCase(Locale.ROOT));
  }
}
