package io.ltm.order;

import io.ltm.db.Transactions;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.jobs.Job;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.EnumSet;
import java.util.Set;

/**
 * The worker's half of a purchase: the order becomes ACTIVE (its streams can be started; billing would
 * begin here). Idempotent: an order already ACTIVE is left as it is. An order whose job could not be done
 * within its deliveries FAILS instead ({@link #fail}): nothing of it is charged.
 */
public class OrderFulfilment {
  private static final String ACTIVATE = "UPDATE orders SET state = 'ACTIVE', updated_at = CURRENT_TIMESTAMP(3) "
    + "WHERE id = ? AND account_id = ? AND state = 'PENDING'";
  private static final String FAIL = "UPDATE orders SET state = 'FAILED', state_reason = ?, "
    + "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND account_id = ? AND state = 'PENDING'";
  private static final String FAILURE = "SELECT state_reason FROM orders WHERE id = ? AND state = 'FAILED'";
  /** Streams a failed order leaves behind that no machine serves: they go, as if never bought. */
  private static final Set<StreamState> IDLE = EnumSet.of(StreamState.CREATED, StreamState.STOPPED,
    StreamState.FAILED);
  private final Pool pool;
  private final StreamRepository streams;
  private final StreamTransitions transitions;

  public OrderFulfilment(Pool pool, StreamRepository streams, StreamTransitions transitions) {
    this.pool = pool;
    this.streams = streams;
    this.transitions = transitions;
  }

  public Future<Void> fulfil(String accountId, String orderId) {
    // One conditional UPDATE both checks and moves: no row matches an order already ACTIVE (a redelivered job).
    return Transactions.inAccount(pool, accountId, conn -> conn.preparedQuery(ACTIVATE)
      .execute(Tuple.of(orderId, accountId))
      .compose(rows -> rows.rowCount() == 0 ? Future.<Void>succeededFuture()
        : EventLog.append(conn, accountId, EventTypes.ORDER_STATE, null,
          new JsonObject().put("orderId", orderId).put("state", "ACTIVE").put("previous", "PENDING")).mapEmpty()));
  }

  /**
   * The order's job was dead-lettered: a PENDING order FAILS with the reason (an {@code order.state} event tells the
   * customer), and its streams go with it — those no machine serves are DELETED, one started meanwhile is stopped —
   * so nothing of the order is ever billed ({@code Usage} leaves failed orders out). An order already ACTIVE (its job
   * was done, only its ack was lost) is left as it is. Runs in the caller's transaction, the account row locked.
   */
  public Future<Boolean> fail(SqlConnection conn, String accountId, String orderId, String reason) {
    return conn.preparedQuery(FAIL).execute(Tuple.of(reason, orderId, accountId)).compose(rows -> {
      if (rows.rowCount() == 0) {
        return Future.succeededFuture(false);
      }
      return EventLog.append(conn, accountId, EventTypes.ORDER_STATE, null, new JsonObject().put("orderId", orderId)
          .put("state", "FAILED").put("previous", "PENDING").put("reason", reason))
        .compose(v -> streams.listForOrder(conn, orderId))
        .compose(list -> {
          Future<Void> all = Future.succeededFuture();
          for (Stream listed : list) {
            all = all.compose(v -> streams.lock(conn, listed.id())).compose(s -> voidStream(conn, s, reason));
          }
          return all;
        })
        .map(true);
    });
  }

  private Future<Void> voidStream(SqlConnection conn, Stream s, String reason) {
    if (IDLE.contains(s.state())) {
      return transitions.move(conn, s, StreamState.DELETED, reason, null).mapEmpty();
    }
    if (s.state() == StreamState.DELETED || s.state() == StreamState.STOPPING) {
      return Future.succeededFuture();
    }
    return transitions.move(conn, s, StreamState.STOPPING, reason, null)
      .compose(moved -> moved ? Job.of(Job.STREAM_STOP, s.accountId(), s.id(), s.generation()).enqueue(conn)
        : Future.succeededFuture());
  }

  /** Why the order failed, or null if it did not: a stream of a failed order cannot be started. */
  public static Future<String> failure(SqlConnection conn, String orderId) {
    return conn.preparedQuery(FAILURE).execute(Tuple.of(orderId))
      .map(rows -> rows.size() == 0 ? null
        : java.util.Objects.requireNonNullElse(rows.iterator().next().getString(0), "the purchase failed"));
  }
}
