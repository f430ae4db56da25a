package io.ltm.account;

import io.ltm.audit.Actor;
import io.ltm.audit.AuditLog;
import io.ltm.common.Ids;
import io.ltm.db.Transactions;
import io.ltm.common.Utc;
import io.ltm.events.EventTypes;
import io.ltm.jobs.Outbox;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
    "SELECT k.key_hash, a.id, a.name, k.id FROM api_keys k JOIN accounts a ON a.id = k.account_id "
      + "WHERE k.prefix = ? AND k.revoked_at IS NULL";

  private static final String LIST =
    "SELECT id, prefix, label, created_at, revoked_at FROM api_keys WHERE account_id = ? ORDER BY created_at, id";
  private static final String REVOKE =
    "UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND account_id = ? AND revoked_at IS NULL";
  private static final String EXISTS = "SELECT 1 FROM api_keys WHERE id = ? AND account_id = ?";

  /** Local address a key's revocation reaches every server node on (through {@code ltm.events}; body: key id). */
  public static final String REVOKED_ADDRESS = "ltm.internal.apikey.revoked";

  private final Pool pool;
  private final VerifiedKeys verified = new VerifiedKeys();

  public ApiKeys(Pool pool) {
    this.pool = pool;
  }

  /** This node forgets a revoked key as soon as any node revokes it (see {@link VerifiedKeys}). */
  public void forgetRevoked(EventBus bus) {
    bus.<String>localConsumer(REVOKED_ADDRESS, msg -> verified.forget(msg.body()));
  }

  /** Creates a key and returns it in full: the only time it is ever visible. */
  public Future<String> create(String accountId, String label) {
    String prefix = Ids.random(10);
    String key = "ltm_" + prefix + "_" + Ids.random(32);
    return pool.preparedQuery(INSERT)
      .execute(Tuple.of(Ids.newId("key"), accountId, prefix, Ids.sha256(key), label))
      .map(key);
  }

  /**
   * Creates a key and answers its API shape with the full key: the only time it is ever visible. The audit entry
   * is written in the same transaction.
   */
  public Future<JsonObject> createForApi(String accountId, String label, Actor actor) {
    String prefix = Ids.random(10);
    String key = "ltm_" + prefix + "_" + Ids.random(32);
    String id = Ids.newId("key");
    return Transactions.run(pool, conn -> conn.preparedQuery(INSERT)
        .execute(Tuple.of(id, accountId, prefix, Ids.sha256(key), label))
        .compose(v -> AuditLog.record(conn, accountId, AuditLog.API_KEY_CREATED, actor, new JsonObject()
          .put("keyId", id).put("prefix", prefix).put("label", label))))
      .map(v -> new JsonObject().put("id", id).put("prefix", prefix).put("label", label).put("key", key)
        .put("createdAt", Utc.nowText())
        .putNull("revokedAt"));
  }

  /** The account's keys, revoked ones included, by prefix: never the secret. */
  public Future<JsonArray> list(String accountId) {
    return pool.preparedQuery(LIST).execute(Tuple.of(accountId)).map(rows -> {
      JsonArray items = new JsonArray();
      for (Row row : rows) {
        items.add(new JsonObject().put("id", row.getString(0)).put("prefix", row.getString(1))
          .put("label", row.getString(2)).put("createdAt", Utc.format(row.getLocalDateTime(3)))
          .put("revokedAt", Utc.format(row.getLocalDateTime(4))));
      }
      return items;
    });
  }

  /** Revokes one of the account's keys; true when it exists (revoking twice is harmless, and audited once). */
  public Future<Boolean> revoke(String accountId, String keyId, Actor actor) {
    if (!Ids.isCanonical(keyId)) {
      return Future.succeededFuture(false);
    }
    // The other server nodes hear of it through the outbox, in the revocation's transaction: a node that
    // verified the key a moment ago forgets it when the message comes, not when its entry expires.
    return Transactions.run(pool, conn -> conn.preparedQuery(REVOKE).execute(Tuple.of(keyId, accountId))
      .compose(updated -> updated.rowCount() > 0
        ? Future.all(AuditLog.record(conn, accountId, AuditLog.API_KEY_REVOKED, actor,
            new JsonObject().put("keyId", keyId)),
          Outbox.add(conn, EventTypes.EVENTS_EXCHANGE, EventTypes.KEY_REVOKED_KEY, "kre_" + keyId,
            new JsonObject().put("keyId", keyId))).map(true)
        : conn.preparedQuery(EXISTS).execute(Tuple.of(keyId, accountId)).map(rows -> rows.size() > 0)))
      .onSuccess(existed -> verified.forget(keyId));
  }

  /** The account a key belongs to, or null for a malformed, unknown or revoked key. */
  public Future<Principal> authenticate(String key) {
    String prefix = prefixOf(key);
    if (prefix == null) {
      return Future.succeededFuture(null);
    }
    String hash = Ids.sha256(key);
    Principal known = verified.get(hash);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    long revocations = verified.revocations();
    return pool.preparedQuery(FIND).execute(Tuple.of(prefix)).map(rows -> {
      for (Row row : rows) {
        if (Ids.sameHash(row.getString(0), hash)) {
          Principal principal = new Principal(row.getString(1), row.getString(2));
          verified.put(hash, row.getString(3), principal, revocations);
          return principal;
        }
      }
      return null;
    });
  }

  /** The visible prefix of a well-formed key ({@code ltm_<prefix>_<secret>}), or null. */
  public static String prefixOf(String key) {
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
