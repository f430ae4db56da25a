package io.ltm.account;

import io.ltm.common.Ids;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/** Accounts: created by sign-up (a later issue) or by {@code ltm dev}'s demo seed. */
public class Accounts {
  private final Pool pool;

  public Accounts(Pool pool) {
    this.pool = pool;
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
}
