package io.ltm.jobs;

import com.rabbitmq.client.AMQP;
import io.ltm.config.LtmConfig.RabbitConfig;
import io.ltm.events.EventTypes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.rabbitmq.RabbitMQClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Publishes outbox rows to RabbitMQ with publisher confirms and marks them sent only once the broker has
 * confirmed them. Rows are claimed with {@code FOR UPDATE SKIP LOCKED}, so several server nodes can relay
 * side by side. A broker that is down leaves the rows in place until it is back: nothing is lost, at worst a
 * message is sent twice, which every consumer tolerates (jobs are idempotent, events carry their seq).
 */
public class OutboxRelay extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
  private static final int BATCH = 100;
  private static final long POLL_MS = 500;
  private static final String CLAIM = "SELECT id, exchange, routing_key, message_id, payload FROM outbox "
    + "WHERE sent_at IS NULL ORDER BY id LIMIT " + BATCH + " FOR UPDATE SKIP LOCKED";

  private static final long PRUNE_MS = 60_000;
  // Sent rows are kept a while for operators to inspect, then pruned in bounded batches.
  private static final String PRUNE = "DELETE FROM outbox WHERE sent_at < CURRENT_TIMESTAMP(3) - INTERVAL 1 HOUR "
    + "ORDER BY id LIMIT 5000";

  private final Pool pool;
  private final RabbitConfig rabbitConfig;
  private RabbitConnector rabbit;
  private boolean draining;
  private boolean again;

  public OutboxRelay(Pool pool, RabbitConfig rabbitConfig) {
    this.pool = pool;
    this.rabbitConfig = rabbitConfig;
  }

  @Override
  public Future<?> start() {
    rabbit = new RabbitConnector(vertx, rabbitConfig, "outbox-relay",
      client -> client.confirmSelect().compose(v -> Topology.declareExchanges(client)).onSuccess(v -> drain()));
    rabbit.start();
    vertx.eventBus().localConsumer(EventTypes.OUTBOX_WAKEUP, msg -> drain());
    vertx.setPeriodic(POLL_MS, id -> drain());
    vertx.setPeriodic(PRUNE_MS, id -> pool.query(PRUNE).execute()
      .onFailure(err -> LOG.warn("outbox prune failed: {}", err.getMessage())));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return rabbit.stop();
  }

  /** Drains the outbox; a wake-up during a drain makes it go round once more rather than run twice. */
  private void drain() {
    if (draining) {
      again = true;
      return;
    }
    RabbitMQClient client = rabbit.client();
    if (client == null) {
      return;
    }
    draining = true;
    again = false;
    pool.withTransaction(conn -> relayBatch(conn, client))
      .onComplete(ar -> {
        draining = false;
        if (ar.failed()) {
          LOG.warn("outbox relay paused: {}", ar.cause().getMessage());
        } else if (ar.result() == BATCH || again) {
          drain();
        }
      });
  }

  private Future<Integer> relayBatch(SqlConnection conn, RabbitMQClient client) {
    return conn.query(CLAIM).execute().compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(0);
      }
      return publishAll(client, rows)
        .compose(v -> client.waitForConfirms(5000))
        .compose(v -> markSent(conn, rows))
        .map(rows.size());
    });
  }

  private Future<Void> publishAll(RabbitMQClient client, RowSet<Row> rows) {
    Future<Void> chain = Future.succeededFuture();
    for (Row row : rows) {
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .deliveryMode(2)
        .messageId(row.getString("message_id"))
        .build();
      chain = chain.compose(v -> client.basicPublish(row.getString("exchange"), row.getString("routing_key"), props,
        Buffer.buffer(row.getString("payload"))));
    }
    return chain;
  }

  private Future<Void> markSent(SqlConnection conn, RowSet<Row> rows) {
    List<Long> ids = new ArrayList<>();
    rows.forEach(r -> ids.add(r.getLong("id")));
    String placeholders = ids.stream().map(i -> "?").collect(Collectors.joining(","));
    return conn.preparedQuery("UPDATE outbox SET sent_at = CURRENT_TIMESTAMP(3) WHERE id IN (" + placeholders + ")")
      .execute(Tuple.from(ids))
      .mapEmpty();
  }
}
