package io.ltm.order;

import io.ltm.db.Transactions;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * The worker's half of a purchase: the order becomes ACTIVE (its streams can be started; billing would
 * begin here). Idempotent: an order already ACTIVE is left as it is.
 */
public class OrderFulfilment {
  private final Pool pool;

  public OrderFulfilment(Pool pool) {
    this.pool = pool;
  }

  public Future<Void> fulfil(String accountId, String orderId) {
    return Transactions.inAccount(pool, accountId, conn -> conn
      .preparedQuery("SELECT state FROM orders WHERE id = ? AND account_id = ? FOR UPDATE")
      .execute(Tuple.of(orderId, accountId))
      .compose(rows -> {
        if (rows.size() == 0 || !"PENDING".equals(rows.iterator().next().getString(0))) {
          return Future.succeededFuture();
        }
        return conn.preparedQuery("UPDATE orders SET state = 'ACTIVE', updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?")
          .execute(Tuple.of(orderId))
          .compose(v -> EventLog.append(conn, accountId, EventTypes.ORDER_STATE, null,
            new JsonObject().put("orderId", orderId).put("state", "ACTIVE").put("previous", "PENDING")))
          .mapEmpty();
      }));
  }
}
