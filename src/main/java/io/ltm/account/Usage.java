package io.ltm.account;

import io.ltm.account.domain.UsageRule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Usage so far per stream, derived from the account's stored {@code stream.state} events by {@link UsageRule}. */
public class Usage {
  private static final String STREAMS =
    "SELECT s.id, s.name, s.state, o.price_per_hour_cents, o.currency FROM streams s JOIN orders o ON o.id = s.order_id "
      + "WHERE s.account_id = ? ORDER BY s.created_at, s.id";
  private static final String CHANGES =
    "SELECT stream_id, payload FROM events WHERE account_id = ? AND type = 'stream.state' ORDER BY seq";

  private final Pool pool;

  public Usage(Pool pool) {
    this.pool = pool;
  }

  public Future<JsonObject> of(String accountId) {
    return pool.preparedQuery(CHANGES).execute(Tuple.of(accountId)).compose(events -> {
      Map<String, List<UsageRule.Change>> changes = new HashMap<>();
      for (Row row : events) {
        JsonObject event = new JsonObject(row.getString(1));
        changes.computeIfAbsent(row.getString(0), k -> new ArrayList<>())
          .add(new UsageRule.Change(event.getString("state"), Instant.parse(event.getString("at"))));
      }
      return pool.preparedQuery(STREAMS).execute(Tuple.of(accountId)).map(rows -> {
        Instant now = Instant.now();
        JsonArray items = new JsonArray();
        Map<String, Long> totals = new LinkedHashMap<>();
        for (Row row : rows) {
          long seconds = UsageRule.billedSeconds(changes.getOrDefault(row.getString(0), List.of()), now);
          long price = row.getInteger(3);
          long cost = UsageRule.costCents(seconds, price);
          totals.merge(row.getString(4), cost, Long::sum);
          items.add(new JsonObject().put("streamId", row.getString(0)).put("name", row.getString(1))
            .put("state", row.getString(2)).put("billedSeconds", seconds)
            .put("streamMinutes", Math.round(seconds / 60.0 * 100) / 100.0)
            .put("pricePerHourCents", price).put("currency", row.getString(4)).put("costCents", cost));
        }
        JsonArray totalList = new JsonArray();
        totals.forEach((currency, cents) -> totalList.add(new JsonObject().put("currency", currency)
          .put("costCents", cents)));
        return new JsonObject().put("items", items).put("totals", totalList)
          .put("billedStates", new JsonArray(UsageRule.BILLED_STATES.stream().sorted().toList()))
          .put("asOf", io.ltm.common.Utc.format(now));
      });
    });
  }
}
