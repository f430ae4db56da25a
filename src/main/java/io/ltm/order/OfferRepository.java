package io.ltm.order;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

public class OfferRepository {
  private static final String COLUMNS = "id, name, description, price_per_hour_cents, currency, renditions";

  public Future<List<Offer>> listActive(Pool pool) {
    return pool.query("SELECT " + COLUMNS + " FROM offers WHERE active ORDER BY sort_order, id").execute()
      .map(rows -> {
        List<Offer> offers = new ArrayList<>();
        rows.forEach(r -> offers.add(Offer.fromRow(r)));
        return offers;
      });
  }

  /** The offer with this id even if it is no longer sold (streams bought from it keep its limits), or null. */
  public Future<Offer> find(SqlClient client, String id) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM offers WHERE id = ?").execute(Tuple.of(id))
      .map(rows -> exactly(rows, id));
  }

  /** The active offer with this id, or null. */
  public Future<Offer> findActive(SqlClient client, String id) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM offers WHERE id = ? AND active").execute(Tuple.of(id))
      .map(rows -> exactly(rows, id));
  }

  /**
   * The offer whose id is exactly {@code id}: the column compares case- and trailing-space-insensitively, and
   * {@code "MOBILE"} or {@code "sd-abr "} must not buy {@code mobile} or {@code sd-abr} (nor be stored as sent).
   */
  private static Offer exactly(Iterable<Row> rows, String id) {
    for (Row row : rows) {
      Offer offer = Offer.fromRow(row);
      if (offer.id().equals(id)) {
        return offer;
      }
    }
    return null;
  }
}
