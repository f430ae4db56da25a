package io.ltm.cdn;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

/** SQL for CDN profiles. Every read is scoped by account: another tenant's profile is "not found". */
public class CdnProfileRepository {
  private static final String COLUMNS = "id, account_id, name, kind, settings, secrets, created_at, updated_at";
  private static final String INSERT = "INSERT INTO cdn_profiles (id, account_id, name, kind, settings, secrets) "
    + "VALUES (?, ?, ?, ?, ?, ?)";
  private static final String LIST = "SELECT " + COLUMNS + " FROM cdn_profiles WHERE account_id = ? "
    + "AND deleted_at IS NULL ORDER BY created_at, id";
  private static final String ONE = "SELECT " + COLUMNS + " FROM cdn_profiles WHERE id = ? AND account_id = ? "
    + "AND deleted_at IS NULL";
  private static final String DELETE = "UPDATE cdn_profiles SET deleted_at = CURRENT_TIMESTAMP(3), secrets = NULL "
    + "WHERE id = ? AND account_id = ? AND deleted_at IS NULL";
  /** Streams (not deleted) whose current configuration names the profile. */
  private static final String USED_BY = "SELECT s.id FROM streams s JOIN stream_configs c ON c.stream_id = s.id "
    + "AND c.version = s.config_version WHERE s.account_id = ? AND s.state <> 'DELETED' AND c.config LIKE ?";

  /** A profile as stored; {@code secretsBox} is the encrypted secrets. */
  public record Profile(String id, String accountId, String name, String kind, JsonObject settings, String secretsBox,
                     LocalDateTime createdAt, LocalDateTime updatedAt) {
  }

  public Future<Void> insert(SqlClient client, Profile p) {
    return client.preparedQuery(INSERT).execute(Tuple.of(p.id(), p.accountId(), p.name(), p.kind(),
      p.settings().encode(), p.secretsBox())).mapEmpty();
  }

  public Future<List<Profile>> list(SqlClient client, String accountId) {
    return client.preparedQuery(LIST).execute(Tuple.of(accountId)).map(rows -> {
      List<Profile> all = new ArrayList<>();
      rows.forEach(r -> all.add(fromRow(r)));
      return all;
    });
  }

  /** The profile, or null when it does not exist, is another account's or was deleted. */
  public Future<Profile> find(SqlClient client, String accountId, String id) {
    // Exactly this id: the column's collation would also match CDN_… or "cdn_… ", and a stream's configuration
    // would then store the profile under a name it does not have.
    return client.preparedQuery(ONE).execute(Tuple.of(id, accountId))
      .map(rows -> rows.size() == 0 || !rows.iterator().next().getString("id").equals(id) ? null
        : fromRow(rows.iterator().next()));
  }

  /** True when a profile was deleted. Its secrets go with it. */
  public Future<Boolean> delete(SqlClient client, String accountId, String id) {
    return client.preparedQuery(DELETE).execute(Tuple.of(id, accountId)).map(r -> r.rowCount() == 1);
  }

  public Future<List<String>> usedBy(SqlClient client, String accountId, String id) {
    return client.preparedQuery(USED_BY).execute(Tuple.of(accountId, "%\"" + id + "\"%")).map(rows -> {
      List<String> ids = new ArrayList<>();
      rows.forEach(r -> ids.add(r.getString(0)));
      return ids;
    });
  }

  private static Profile fromRow(Row r) {
    return new Profile(r.getString("id"), r.getString("account_id"), r.getString("name"), r.getString("kind"),
      new JsonObject(r.getString("settings")), r.getString("secrets"), r.getLocalDateTime("created_at"),
      r.getLocalDateTime("updated_at"));
  }
}
