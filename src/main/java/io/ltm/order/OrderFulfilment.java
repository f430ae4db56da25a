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
  private static final String ACTIVATE = "UPDATE orders SET state = 'ACTIVE', updated_at = CURRENT_TIMESTAMP(3) "
    + "WHERE id = ? AND account_id = ? AND state = 'PENDING'";
  private final Pool pool;

  public OrderFulfilment(Pool pool) {
    this.pool = pool;
  }

  public Future<Void> fulfil(String accountId, String orderId) {
    // One conditional UPDATE both checks and moves: no row matches an order already ACTIVE (a redelivered job).
    return Transactions.inAccount(pool, accountId, conn -> conn.preparedQuery(ACTIVATE)
      .execute(Tuple.of(orderId, accountId))
      .compose(rows -> rows.rowCount() == 0 ? Future.<Void>succeededFuture()
        : EventLog.append(conn, accountId, EventTypes.ORDER_STATE, null,
          new JsonObject().put("orderId", orderId).put("state", "ACTIVE").put("previous", "PENDING")).mapEmpty()));
  }
}
