package io.ltm.jobs;

import io.ltm.config.LtmConfig.RabbitConfig;
import io.ltm.db.Transactions;
import io.ltm.events.EventPack;
import io.ltm.events.EventTypes;
import io.ltm.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Publishes outbox rows to RabbitMQ with publisher confirms and marks them sent only once the broker has
 * confirmed them. Job messages are published {@code mandatory}: one the broker returns (it reached no queue)
 * stays unsent, the topology is declared again, and it goes out on a later pass. Rows are claimed with
 * {@code FOR UPDATE SKIP LOCKED}, so relays on several nodes work side by side, each row claimed by one of them
 * at a time: every server and every worker JVM runs one, woken by its own writes, so how soon a row goes out does
 * not depend on which role wrote it. A broker that is down leaves the rows in place until it is back: nothing is
 * lost, at worst a message is sent twice (a batch published and then not marked sent), which every consumer
 * tolerates (jobs are idempotent steps, events carry their seq and browsers drop a seq they have).
 */
public class OutboxRelay extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
  private static final int BATCH = 100;
  private static final long POLL_MS = 500;
  private static final long REOPEN_MS = 1000;
  private static final long CONFIRM_TIMEOUT_MS = 5000;
  private static final long RETURN_WARN_MS = 10_000;
  private static final String CLAIM = "SELECT id, exchange, routing_key, message_id, payload FROM outbox "
    + "WHERE sent_at IS NULL ORDER BY id LIMIT " + BATCH + " FOR UPDATE SKIP LOCKED";

  private static final long PRUNE_MS = 60_000;
  // Sent rows are kept a while for operators to inspect, then pruned in bounded batches.
  private static final String PRUNE = "DELETE FROM outbox WHERE sent_at < CURRENT_TIMESTAMP(3) - INTERVAL 1 HOUR "
    + "ORDER BY id LIMIT 5000";
  private static final Counter RETURNED = Meters.counter("ltm_outbox_returned",
    "job messages RabbitMQ returned because no queue took them: kept unsent and published again");

  private final Pool pool;
  private final RabbitConfig rabbitConfig;
  private RelayChannel channel;
  private boolean opening;
  private boolean closed;
  private boolean down;
  private long lastOpen;
  private long lastReturnWarning;
  private boolean draining;
  private boolean again;
  /** The pass that released the next one before its own commit, until that commit ends. */
  private Promise<Boolean> committing;

  public OutboxRelay(Pool pool, RabbitConfig rabbitConfig) {
    this.pool = pool;
    this.rabbitConfig = rabbitConfig;
  }

  @Override
  public Future<?> start() {
    open();
    vertx.eventBus().localConsumer(EventTypes.OUTBOX_WAKEUP, msg -> drain());
    vertx.setPeriodic(POLL_MS, id -> drain());
    vertx.setPeriodic(PRUNE_MS, id -> pool.query(PRUNE).execute()
      .onFailure(err -> LOG.warn("outbox prune failed: {}", err.getMessage())));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    closed = true;
    RelayChannel current = channel;
    channel = null;
    return current == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      current.close();
      return null;
    });
  }

  /** Connects (confirms on, topology declared) in the background; a broker that is down is tried again later. */
  private void open() {
    if (opening || closed) {
      return;
    }
    opening = true;
    lastOpen = System.currentTimeMillis();
    vertx.executeBlocking(() -> RelayChannel.open(rabbitConfig, "outbox-relay")).onComplete(ar -> {
      opening = false;
      if (ar.failed()) {
        // Once per outage at WARN: the relay tries every second.
        if (!down) {
          LOG.warn("RabbitMQ connection 'outbox-relay' is down ({}); retrying", ar.cause().getMessage());
        }
        down = true;
        return;
      }
      if (closed) {
        vertx.executeBlocking(() -> {
          ar.result().close();
          return null;
        });
        return;
      }
      channel = ar.result();
      down = false;
      LOG.info("RabbitMQ connection 'outbox-relay' is up");
      drain();
    });
  }

  /**
   * Drains the outbox; a wake-up during a drain makes it go round once more rather than run twice. The next pass
   * may start as soon as this one's messages are confirmed, while this one still marks its rows sent and commits:
   * a row written meanwhile (a purchase's events, a browser waiting for them) no longer waits for that UPDATE and
   * its commit too. The rows of the pass that is committing stay locked until then, so the next pass skips them
   * ({@code SKIP LOCKED}) and each is published once; should that commit fail, they are published again, which
   * every consumer tolerates. Publishes stay in claim order: a pass publishes only after the one before it. At most
   * one pass is committing behind the one draining, so a slow commit holds two pool connections, never more.
   */
  private void drain() {
    if (closed) {
      return;
    }
    if (draining) {
      again = true;
      return;
    }
    RelayChannel current = channel;
    if (current == null || !current.isOpen()) {
      if (System.currentTimeMillis() - lastOpen >= REOPEN_MS) {
        dropChannel(current);
        open();
      }
      return;
    }
    draining = true;
    again = false;
    // Completed with whether to go round again: early (its messages confirmed) or when the pass ends.
    Promise<Boolean> released = Promise.promise();
    released.future().onComplete(ar -> {
      draining = false;
      if (ar.succeeded() && ar.result()) {
        drain();
      }
    });
    Transactions.lockFree(pool, conn -> relayBatch(conn, current, released))
      .onComplete(ar -> {
        if (committing == released) {
          committing = null;
        }
        if (ar.failed()) {
          released.tryFail(ar.cause());
          if (ar.cause() instanceof PublishFailed) {
            // The channel's confirms are in an unknown state: a new channel, and the rows go again.
            dropChannel(current);
          }
          LOG.warn("outbox relay paused: {}", ar.cause().getMessage());
        } else if (ar.result().returned() > 0) {
          released.tryComplete(false);
          returned(current, ar.result().returned());
        } else {
          released.tryComplete(ar.result().sent() == BATCH || again);
        }
      });
  }

  private void dropChannel(RelayChannel current) {
    if (current == null) {
      return;
    }
    if (channel == current) {
      channel = null;
    }
    vertx.executeBlocking(() -> {
      current.close();
      return null;
    });
  }

  /**
   * Jobs reached no queue: something removed the queue or its binding. They stay unsent; the topology is declared
   * again and the next pass publishes them. Said at WARN at most every 10 s, and counted.
   */
  private void returned(RelayChannel current, int count) {
    RETURNED.increment(count);
    long now = System.currentTimeMillis();
    if (now - lastReturnWarning >= RETURN_WARN_MS) {
      lastReturnWarning = now;
      LOG.warn("{} job(s) reached no queue (was {} deleted?): kept unsent; declaring the topology again",
        count, Topology.JOBS_QUEUE);
    }
    vertx.executeBlocking(() -> {
      current.redeclare(rabbitConfig.deliveryLimit());
      return null;
    }).onFailure(err -> LOG.warn("could not declare the RabbitMQ topology again: {}", err.getMessage()));
  }

  private record Pass(int sent, int returned) {
  }

  /** Publishing failed or was not confirmed: nothing of the batch counts as sent. */
  private static final class PublishFailed extends RuntimeException {
    PublishFailed(Throwable cause) {
      super("publishing to RabbitMQ failed: " + cause, cause);
    }
  }

  /**
   * One pass in its transaction. Once its messages are confirmed and none came back, it releases the next pass
   * ({@code released}), unless an earlier pass is still committing.
   */
  private Future<Pass> relayBatch(SqlConnection conn, RelayChannel current, Promise<Boolean> released) {
    return conn.query(CLAIM).execute().compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(new Pass(0, 0));
      }
      List<RelayChannel.Outgoing> out = outgoing(rows);
      return vertx.executeBlocking(() -> current.publish(out, CONFIRM_TIMEOUT_MS))
        .recover(err -> Future.failedFuture(new PublishFailed(err)))
        .onSuccess(returnedIds -> {
          if (returnedIds.isEmpty() && committing == null) {
            committing = released;
            released.tryComplete(rows.size() == BATCH || again);
          }
        })
        .compose(returnedIds -> {
          List<Long> sent = new ArrayList<>();
          for (Row row : rows) {
            if (!(Topology.mustRoute(row.getString("exchange")) && returnedIds.contains(row.getString("message_id")))) {
              sent.add(row.getLong("id"));
            }
          }
          return markSent(conn, sent).map(new Pass(sent.size(), rows.size() - sent.size()));
        });
    });
  }

  /**
   * The messages for a pass's rows, in row order: jobs and other messages one per row; the pass's account events,
   * if more than one, together in one message where the first of them was ({@link EventPack}).
   */
  static List<RelayChannel.Outgoing> outgoing(Iterable<Row> rows) {
    List<RelayChannel.Outgoing> out = new ArrayList<>();
    List<EventPack.Entry> events = new ArrayList<>();
    int eventsAt = -1;
    long firstEvent = 0;
    long lastEvent = 0;
    for (Row row : rows) {
      String exchange = row.getString("exchange");
      String key = row.getString("routing_key");
      RelayChannel.Outgoing one = new RelayChannel.Outgoing(exchange, key, row.getString("message_id"),
        row.getString("payload"), Topology.mustRoute(exchange));
      if (!packable(exchange, key, one.payload())) {
        out.add(one);
        continue;
      }
      if (events.isEmpty()) {
        eventsAt = out.size();
        firstEvent = row.getLong("id");
        out.add(one);
      }
      lastEvent = row.getLong("id");
      events.add(new EventPack.Entry(key, one.payload()));
    }
    if (events.size() > 1) {
      out.set(eventsAt, new RelayChannel.Outgoing(EventTypes.EVENTS_EXCHANGE, EventTypes.PACKED_KEY,
        "pack_" + firstEvent + "_" + lastEvent, EventPack.pack(events), false));
    }
    return out;
  }

  /** An account's event (every server node takes it the same way, alone or packed) that fits a pack's framing. */
  private static boolean packable(String exchange, String routingKey, String payload) {
    return EventTypes.EVENTS_EXCHANGE.equals(exchange) && routingKey.startsWith("account.")
      && EventPack.fits(routingKey, payload);
  }

  private Future<Void> markSent(SqlConnection conn, List<Long> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    String placeholders = ids.stream().map(i -> "?").collect(Collectors.joining(","));
    return conn.preparedQuery("UPDATE outbox SET sent_at = CURRENT_TIMESTAMP(3) WHERE id IN (" + placeholders + ")")
      .execute(Tuple.from(ids))
      .mapEmpty();
  }
}
