package io.ltm.jobs;

import io.ltm.config.LtmConfig.RabbitConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.rabbitmq.RabbitMQClient;
import io.vertx.rabbitmq.RabbitMQOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;

/**
 * Keeps one RabbitMQ connection alive for its owner. When the broker goes away (restart, network) the
 * connection is rebuilt and {@code onConnected} runs again, so the owner redeclares its topology and
 * restarts its consumers. A watchdog is used rather than the client's own recovery so that consumers,
 * confirms and declarations always come back together.
 */
public class RabbitConnector {
  private static final Logger LOG = LoggerFactory.getLogger(RabbitConnector.class);
  private static final long WATCH_MS = 1000;

  private final Vertx vertx;
  private final RabbitConfig config;
  private final String name;
  private final Function<RabbitMQClient, Future<Void>> onConnected;
  private RabbitMQClient client;
  private boolean connecting;
  private boolean closed;
  private boolean down;
  private long timer = -1;

  public RabbitConnector(Vertx vertx, RabbitConfig config, String name,
                         Function<RabbitMQClient, Future<Void>> onConnected) {
    this.vertx = vertx;
    this.config = config;
    this.name = name;
    this.onConnected = onConnected;
  }

  /** Connects in the background; never fails: a broker that is down now is retried every second. */
  public void start() {
    connect();
    timer = vertx.setPeriodic(WATCH_MS, id -> {
      if (!connecting && !closed && (client == null || !client.isConnected() || !client.isOpenChannel())) {
        connect();
      }
    });
  }

  /** The current client when connected, else null: callers treat null as "broker unavailable, retry later". */
  public RabbitMQClient client() {
    return client != null && client.isConnected() && !connecting ? client : null;
  }

  public Future<Void> stop() {
    closed = true;
    vertx.cancelTimer(timer);
    return client == null ? Future.succeededFuture() : client.stop().otherwiseEmpty();
  }

  private void connect() {
    connecting = true;
    RabbitMQClient previous = client;
    Future<Void> cleanup = previous == null ? Future.succeededFuture() : previous.stop().otherwiseEmpty();
    cleanup.compose(v -> {
      RabbitMQClient fresh = RabbitMQClient.create(vertx, new RabbitMQOptions()
        .setUri(config.uri())
        .setConnectionName("ltm-" + name)
        .setAutomaticRecoveryEnabled(false)
        .setReconnectAttempts(0)
        .setConnectionTimeout(3000)
        .setRequestedHeartbeat(10));
      client = fresh;
      return fresh.start().compose(x -> onConnected.apply(fresh));
    }).onComplete(ar -> {
      connecting = false;
      if (ar.succeeded()) {
        down = false;
        LOG.info("RabbitMQ connection '{}' is up", name);
      } else {
        // Once per outage at WARN; the retries every second after it at DEBUG.
        if (down) {
          LOG.debug("RabbitMQ connection '{}' is still down ({}); retrying", name, ar.cause().getMessage());
        } else {
          LOG.warn("RabbitMQ connection '{}' is down ({}); retrying", name, ar.cause().getMessage());
        }
        down = true;
        if (client != null) {
          client.stop().otherwiseEmpty();
        }
      }
      if (closed && client != null) {
        client.stop().otherwiseEmpty();
      }
    });
  }
}
