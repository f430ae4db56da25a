package io.ltm.account;

import io.ltm.common.Ids;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/** Accounts: created by sign-up (a later issue), by {@code ltm dev}'s demo seed or by {@code ltm account}. */
public class Accounts {
  private static final String CREDENTIALS = "SELECT id, name, email, password_hash FROM accounts WHERE email = ?";
  private static final String SET_PASSWORD = "UPDATE accounts SET password_hash = ? WHERE id = ?";

  private final Pool pool;

  public Accounts(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  /** The id of the account with this e-mail, creating it if needed. */
  public Future<String> ensure(String name, String email) {
    return pool.preparedQuery("SELECT id FROM accounts WHERE email = ?").execute(Tuple.of(email))
      .compose(rows -> {
        if (rows.size() > 0) {
          return Future.succeededFuture(rows.iterator().next().getString(0));
        }
        String id = Ids.newId("acc");
        return pool.preparedQuery("INSERT INTO accounts (id, name, email) VALUES (?, ?, ?)")
          .execute(Tuple.of(id, name, email))
          .map(id);
      });
  }

  /** What sign-in checks a password against, or null when no account has this e-mail. */
  public Future<Credentials> credentials(String email) {
    return pool.preparedQuery(CREDENTIALS).execute(Tuple.of(email)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      return new Credentials(row.getString(0), row.getString(1), row.getString(2), row.getString(3));
    });
  }

  /** Stores a password hash (computed off the event loop by the caller). */
  public Future<Void> setPasswordHash(String accountId, String hash) {
    return pool.preparedQuery(SET_PASSWORD).execute(Tuple.of(hash, accountId)).mapEmpty();
  }

  public record Credentials(String accountId, String name, String email, String passwordHash) {
  }
}
