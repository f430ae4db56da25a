package io.ltm.stream;

import io.ltm.common.ApiException;
import io.ltm.db.Transactions;
import io.ltm.events.EventTypes;
import io.ltm.jobs.Job;
import io.ltm.order.OrderFulfilment;
import io.ltm.pool.WarmClaims;
import io.ltm.stream.domain.StreamAction;
import io.ltm.stream.domain.StreamLifecycle;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** What a customer can do with streams. Each action is one transaction: state, event and job together. */
public class StreamService {
  private final Vertx vertx;
  private final Pool pool;
  private final StreamRepository streams;
  private final StreamTransitions transitions;
  private final WarmClaims warm;

  public StreamService(Vertx vertx, Pool pool, StreamRepository streams, StreamTransitions transitions,
                       WarmClaims warm) {
    this.warm = warm;
    this.vertx = vertx;
    this.pool = pool;
    this.streams = streams;
    this.transitions = transitions;
  }

  public Future<List<Stream>> list(String accountId) {
    return streams.listForAccount(pool, accountId);
  }

  public Future<Stream> get(String accountId, String id) {
    return streams.owned(pool, accountId, id);
  }

  /**
   * Starts (or restarts) a stream: a new generation, PROVISIONING, then a warm machine of its pool if one is idle
   * (STARTING at once; the machine's waiting agent is handed its pipeline as this commits), else a start job for the
   * workers, which launch one (a cold start).
   */
  public Future<Stream> start(String accountId, String id) {
    AtomicReference<WarmClaims.Claimed> claimed = new AtomicReference<>();
    return act(accountId, id, StreamAction.START, (conn, s) -> {
      claimed.set(null);
      return OrderFulfilment.failure(conn, s.orderId())
        .compose(failed -> failed == null ? Future.<Void>succeededFuture()
          : Future.failedFuture(ApiException.conflict("order_failed", "this stream's order failed (" + failed
            + "); buy it again", new JsonObject().put("orderId", s.orderId()))))
        .compose(v -> streams.beginStart(conn, s.id()))
        .compose(v -> transitions.record(conn, s, StreamState.PROVISIONING, null,
          new JsonObject().put("generation", s.generation() + 1)))
        .compose(v -> warm.claim(conn, s.id()))
        .compose(c -> {
          claimed.set(c);
          return c != null ? Future.<Void>succeededFuture()
            : Job.of(Job.STREAM_START, accountId, s.id(), s.generation() + 1).enqueue(conn);
        });
    }).onSuccess(v -> {
      WarmClaims.Claimed c = claimed.get();
      if (c != null) {
        // The machine's held wait, if on this node, answers now; one on another node reads MySQL within its hold.
        warm.handOver(c);
        vertx.eventBus().publish(EventTypes.WARM_CLAIMED, c.machineId());
      }
    });
  }

  /** Stops a stream: STOPPING now, STOPPED once a worker has terminated its machine. */
  public Future<Stream> stop(String accountId, String id) {
    return act(accountId, id, StreamAction.STOP, (conn, s) -> transitions.record(conn, s, StreamState.STOPPING, null, null)
      .compose(v -> Job.of(Job.STREAM_STOP, accountId, s.id(), s.generation()).enqueue(conn)));
  }

  public Future<Void> delete(String accountId, String id) {
    return act(accountId, id, StreamAction.DELETE, (conn, s) -> transitions.record(conn, s, StreamState.DELETED, null, null))
      .mapEmpty();
  }

  private interface Change {
    Future<Void> apply(SqlConnection conn, Stream locked);
  }

  /**
   * Locks the stream, checks the caller owns it and the action is legal in its current state (409 naming the
   * state otherwise), applies the change, and answers with the stream as committed.
   */
  private Future<Stream> act(String accountId, String id, StreamAction action, Change change) {
    return Transactions.inAccount(pool, accountId, conn -> streams.lockOwned(conn, accountId, id).compose(s -> {
        StreamLifecycle.apply(s.state(), action);
        return change.apply(conn, s);
      }))
      .onSuccess(v -> vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null))
      .compose(v -> action == StreamAction.DELETE ? Future.succeededFuture() : get(accountId, id));
  }
}
