package io.ltm.order;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public class OfferRepository {
  /**
   * Offers change with a deploy, not per request: a purchase reads its offer from memory, at most this old, instead
   * of asking MySQL every time.
   */
  private static final long CACHE_MS = 5_000;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(Offer offer, long until) {
  }

  /** {@link #findActive}, answered from a few seconds' memory. */
  public Future<Offer> findActiveCached(Pool pool, String id) {
    long now = System.currentTimeMillis();
    Cached hit = id == null ? null : cache.get(id);
    if (hit != null && hit.until() > now) {
      return Future.succeededFuture(hit.offer());
    }
    return findActive(pool, id).onSuccess(offer -> {
      if (id != null && cache.size() < 1000) {
        cache.put(id, new Cached(offer, now + CACHE_MS));
      }
    });
  }

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
