package io.ltm.account;

import io.ltm.account.domain.MachineCost;
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

/**
 * Usage so far per stream, derived from the account's stored {@code stream.state} events by {@link UsageRule}. The
 * customer's view ({@link #of}) is what they pay; the operator's ({@link #withMachineCost}) adds what the stream's
 * machines cost the operator and the margin, which are the operator's business, never the customer's.
 */
public class Usage {
  private static final String STREAMS =
    "SELECT s.id, s.name, s.state, o.price_per_hour_cents, o.currency FROM streams s JOIN orders o ON o.id = s.order_id "
      // A failed order is charged nothing: its purchase never went through.
      + "WHERE s.account_id = ? AND o.state <> 'FAILED' ORDER BY s.created_at, s.id";
  /**
   * Every machine of the account's streams that was launched: what it is, its price, how long it has served the
   * stream (a warm machine from its claim: its idle time before was the pool's, not the stream's).
   */
  private static final String MACHINES = "SELECT stream_id, instance_type, hourly_price_usd, "
    + "TIMESTAMPDIFF(MICROSECOND, COALESCE(assigned_at, launched_at), COALESCE(ended_at, CURRENT_TIMESTAMP(3))) "
    + "DIV 1000 AS ms FROM machines WHERE account_id = ? AND launched_at IS NOT NULL ORDER BY launched_at";
  private static final String CHANGES =
    "SELECT stream_id, payload FROM events WHERE account_id = ? AND type = 'stream.state' ORDER BY seq";

  private final Pool pool;

  public Usage(Pool pool) {
    this.pool = pool;
  }

  /** What the customer sees: per stream, the time billed and its cost. */
  public Future<JsonObject> of(String accountId) {
    return usage(accountId, false);
  }

  /** The operator's view: the customer's, with each stream's machine cost and the margin (operator endpoint only). */
  public Future<JsonObject> withMachineCost(String accountId) {
    return usage(accountId, true);
  }

  private Future<JsonObject> usage(String accountId, boolean operator) {
    return pool.preparedQuery(CHANGES).execute(Tuple.of(accountId)).compose(events -> {
      Map<String, List<UsageRule.Change>> changes = new HashMap<>();
      for (Row row : events) {
        JsonObject event = new JsonObject(row.getString(1));
        changes.computeIfAbsent(row.getString(0), k -> new ArrayList<>())
          .add(new UsageRule.Change(event.getString("state"), Instant.parse(event.getString("at"))));
      }
      return pool.preparedQuery(MACHINES).execute(Tuple.of(accountId)).map(machineRows -> {
        Map<String, List<MachineCost.Run>> runs = new HashMap<>();
        for (Row row : machineRows) {
          runs.computeIfAbsent(row.getString(0), k -> new ArrayList<>()).add(new MachineCost.Run(row.getString(1),
            row.getLong(3), row.getBigDecimal(2)));
        }
        return runs;
      }).compose(runs -> pool.preparedQuery(STREAMS).execute(Tuple.of(accountId)).map(rows -> {
        Instant now = Instant.now();
        JsonArray items = new JsonArray();
        Map<String, Long> totals = new LinkedHashMap<>();
        long machineTotal = 0;
        for (Row row : rows) {
          long seconds = UsageRule.billedSeconds(changes.getOrDefault(row.getString(0), List.of()), now);
          long price = row.getInteger(3);
          long cost = UsageRule.costCents(seconds, price);
          totals.merge(row.getString(4), cost, Long::sum);
          List<MachineCost.Run> machines = runs.getOrDefault(row.getString(0), List.of());
          long machineCost = MachineCost.cents(machines);
          if ("USD".equals(row.getString(4))) {
            machineTotal += machineCost;
          }
          JsonObject item = new JsonObject().put("streamId", row.getString(0)).put("name", row.getString(1))
            .put("state", row.getString(2)).put("billedSeconds", seconds)
            .put("streamMinutes", Math.round(seconds / 60.0 * 100) / 100.0)
            .put("pricePerHourCents", price).put("currency", row.getString(4)).put("costCents", cost);
          if (operator) {
            // What the stream's machines cost the operator (USD, configured hourly prices) beside what it earns.
            item.put("instanceType", machines.isEmpty() ? null : machines.get(machines.size() - 1).instanceType())
              .put("machineSeconds", MachineCost.seconds(machines))
              .put("machineCostCents", machineCost)
              .put("marginCents", "USD".equals(row.getString(4)) ? cost - machineCost : null);
          }
          items.add(item);
        }
        JsonArray totalList = new JsonArray();
        long machineSum = machineTotal;
        totals.forEach((currency, cents) -> {
          JsonObject total = new JsonObject().put("currency", currency).put("costCents", cents);
          if (operator) {
            total.put("machineCostCents", "USD".equals(currency) ? machineSum : null)
              .put("marginCents", "USD".equals(currency) ? cents - machineSum : null);
          }
          totalList.add(total);
        });
        JsonObject answer = operator ? new JsonObject().put("accountId", accountId) : new JsonObject();
        return answer.put("items", items).put("totals", totalList)
          .put("billedStates", new JsonArray(UsageRule.BILLED_STATES.stream().sorted().toList()))
          .put("asOf", io.ltm.common.Utc.format(now));
      }));
    });
  }
}
