package io.ltm.audit;

import io.ltm.common.Utc;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * The account's record of security-relevant actions: who (an API key by prefix, a session, an anonymous sign-in),
 * from which address, when, what. Written in the transaction of the change it records where there is one, so an
 * entry exists exactly when its change does. Any feature records an entry with {@link #record}.
 */
public final class AuditLog {
  public static final String SIGNED_IN = "session.signed_in";
  public static final String SIGN_IN_FAILED = "session.sign_in_failed";
  public static final String SIGNED_OUT = "session.signed_out";
  public static final String API_KEY_CREATED = "api_key.created";
  public static final String API_KEY_REVOKED = "api_key.revoked";
  public static final String STREAM_KEY_ROTATED = "stream.key_rotated";
  public static final String INGEST_CHANGED = "stream.ingest_changed";
  /** A CDN profile (with its credentials, kept encrypted) was created or deleted. */
  public static final String CDN_PROFILE_CREATED = "cdn.profile.created";
  public static final String CDN_PROFILE_DELETED = "cdn.profile.deleted";

  private static final String INSERT = "INSERT INTO audit_log (account_id, action, actor_type, actor_id, "
    + "source_address, detail) VALUES (?, ?, ?, ?, ?, ?)";
  private static final String PAGE = "SELECT id, at, action, actor_type, actor_id, source_address, detail "
    + "FROM audit_log WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?";

  private AuditLog() {
  }

  /**
   * Records one action of an account. Pass the transaction's connection to make the entry part of the change.
   *
   * @param action a dotted name such as {@code cdn.profile.created}; documented in the README's audit section
   * @param detail what the action concerned (ids, names, which settings changed) — never a secret; may be null
   */
  public static Future<Void> record(SqlClient client, String accountId, String action, Actor actor, JsonObject detail) {
    return client.preparedQuery(INSERT).execute(Tuple.of(accountId, action, actor.type(), actor.id(),
      actor.sourceAddress(), detail == null ? null : detail.encode())).mapEmpty();
  }

  /** The account's entries, newest first, with ids below {@code before} (paging), at most {@code limit}. */
  public static Future<JsonObject> page(SqlClient client, String accountId, long before, int limit) {
    return client.preparedQuery(PAGE).execute(Tuple.of(accountId, before, limit)).map(rows -> {
      JsonArray items = new JsonArray();
      long last = 0;
      for (Row row : rows) {
        last = row.getLong("id");
        String type = row.getString("actor_type");
        String id = row.getString("actor_id");
        String detail = row.getString("detail");
        items.add(new JsonObject()
          .put("id", last)
          .put("at", Utc.format(row.getLocalDateTime("at")))
          .put("action", row.getString("action"))
          .put("actor", new Actor(type, id, null).label())
          .put("actorType", type)
          .put("keyPrefix", Actor.API_KEY.equals(type) ? id : null)
          .put("sourceAddress", row.getString("source_address"))
          .put("detail", detail == null ? new JsonObject() : new JsonObject(detail)));
      }
      return new JsonObject().put("items", items).put("nextBefore", items.size() == limit ? last : null);
    });
  }
}
