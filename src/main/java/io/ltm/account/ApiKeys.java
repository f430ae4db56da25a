package io.ltm.account;

import io.ltm.common.Ids;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/**
 * API keys look like {@code ltm_<prefix>_<secret>}. Only the prefix (to find the row) and a hash of the whole
 * key are stored, so a database leak yields no usable key.
 */
public class ApiKeys {
  private static final String INSERT =
    "INSERT INTO api_keys (id, account_id, prefix, key_hash, label) VALUES (?, ?, ?, ?, ?)";
  private static final String FIND =
    "SELECT k.key_hash, a.id, a.name FROM api_keys k JOIN accounts a ON a.id = k.account_id "
      + "WHERE k.prefix = ? AND k.revoked_at IS NULL";

  private final Pool pool;

  public ApiKeys(Pool pool) {
    this.pool = pool;
  }

  /** Creates a key and returns it in full: the only time it is ever visible. */
  public Future<String> create(String accountId, String label) {
    String prefix = Ids.random(10);
    String key = "ltm_" + prefix + "_" + Ids.random(32);
    return pool.preparedQuery(INSERT)
      .execute(Tuple.of(Ids.newId("key"), accountId, prefix, Ids.sha256(key), label))
      .map(key);
  }

  /** The account a key belongs to, or null for a malformed, unknown or revoked key. */
  public Future<Principal> authenticate(String key) {
    String prefix = prefixOf(key);
    if (prefix == null) {
      return Future.succeededFuture(null);
    }
    return pool.preparedQuery(FIND).execute(Tuple.of(prefix)).map(rows -> {
      for (Row row : rows) {
        if (Ids.sameHash(row.getString(0), Ids.sha256(key))) {
          return new Principal(row.getString(1), row.getString(2));
        }
      }
      return null;
    });
  }

  static String prefixOf(String key) {
    if (key == null || key.length() > 100) {
      return null;
    }
    String[] parts = key.split("_");
    return parts.length == 3 && parts[0].equals("ltm") && !parts[1].isEmpty() ? parts[1] : null;
  }

  /** Who is calling: the account a valid key belongs to. */
  public record Principal(String accountId, String accountName) {
  }
}
