package io.ltm.order;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
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
      .map(rows -> rows.size() == 0 ? null : Offer.fromRow(rows.iterator().next()));
  }

  /** The active offer with this id, or null. */
  public Future<Offer> findActive(SqlClient client, String id) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM offers WHERE id = ? AND active").execute(Tuple.of(id))
      .map(rows -> rows.size() == 0 ? null : Offer.fromRow(rows.iterator().next()));
  }
}
