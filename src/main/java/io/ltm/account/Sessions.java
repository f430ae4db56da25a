package io.ltm.account;

import io.ltm.common.Ids;
import io.ltm.db.Transactions;
import io.ltm.events.EventTypes;
import io.ltm.jobs.Outbox;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;

/**
 * Browser sessions, stored server-side. The cookie holds a random token; only its SHA-256 is stored. Each
 * session has its own CSRF token, which the page sends back in {@code X-CSRF-Token} on every write.
 */
public class Sessions {
  public static final Duration LIFETIME = Duration.ofHours(12);
  private static final String INSERT =
    "INSERT INTO sessions (id_hash, account_id, csrf_token, expires_at) "
      + "VALUES (?, ?, ?, CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND)";
  private static final String FIND =
    "SELECT s.csrf_token, a.id, a.name, a.email FROM sessions s JOIN accounts a ON a.id = s.account_id "
      + "WHERE s.id_hash = ? AND s.expires_at > CURRENT_TIMESTAMP(3)";
  private static final String DELETE = "DELETE FROM sessions WHERE id_hash = ?";
  private static final String PURGE = "DELETE FROM sessions WHERE expires_at < CURRENT_TIMESTAMP(3)";

  private final Pool pool;

  public Sessions(Pool pool) {
    this.pool = pool;
  }

  /** A new session for the account; the returned token is the cookie's value and is never stored. */
  public Future<Session> create(String accountId, String accountName, String email) {
    String token = Ids.random(40);
    String csrf = Ids.random(32);
    return pool.query(PURGE).execute()
      .compose(v -> pool.preparedQuery(INSERT).execute(Tuple.of(Ids.sha256(token), accountId, csrf,
        LIFETIME.toSeconds())))
      .map(v -> new Session(token, csrf, new ApiKeys.Principal(accountId, accountName), email));
  }

  /** The live session a cookie token names, or null. */
  public Future<Session> find(String token) {
    if (token == null || token.isEmpty() || token.length() > 100) {
      return Future.succeededFuture(null);
    }
    return findByHash(Ids.sha256(token), token);
  }

  /** The live session with this token hash (the event bridge keeps only the hash), or null. */
  public Future<Session> findByHash(String tokenHash, String token) {
    return pool.preparedQuery(FIND).execute(Tuple.of(tokenHash))
      .map(rows -> {
        if (rows.size() == 0) {
          return null;
        }
        Row row = rows.iterator().next();
        return new Session(token, row.getString(0), new ApiKeys.Principal(row.getString(1), row.getString(2)),
          row.getString(3));
      });
  }

  /**
   * Ends the session; in the same transaction, an outbox message tells every server node to close its sockets
   * (each node's event relay gets it), whichever node they are connected to.
   */
  public Future<Boolean> delete(String token) {
    String hash = Ids.sha256(token);
    return Transactions.run(pool, conn -> conn.preparedQuery(DELETE).execute(Tuple.of(hash)).map(RowSet::rowCount)
      .compose(n -> n == 0 ? Future.succeededFuture(false)
        : Outbox.add(conn, EventTypes.EVENTS_EXCHANGE, EventTypes.SESSION_ENDED_KEY, "ses_" + hash.substring(0, 40),
          new JsonObject().put("tokenHash", hash)).map(true)));
  }

  /** A signed-in browser: its cookie token, CSRF token and account. */
  public record Session(String token, String csrfToken, ApiKeys.Principal principal, String email) {
    public String tokenHash() {
      return Ids.sha256(token);
    }
  }
}
