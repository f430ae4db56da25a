package io.ltm.events;

import io.ltm.account.ApiKeys;
import io.ltm.account.SessionEndpoint;
import io.ltm.config.LtmConfig.RabbitConfig;
import io.ltm.jobs.RabbitConnector;
import io.ltm.jobs.Topology;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.rabbitmq.QueueOptions;
import io.vertx.rabbitmq.RabbitMQClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each server node binds its own exclusive queue to {@code ltm.events} and hands every event to its
 * {@link EventBridge}, which writes it to that account's browsers on this node as it came (the JSON text is
 * neither parsed nor encoded again; the account is read from the routing key {@code account.<id>.<type>}).
 * Whatever a node misses while its queue is gone, a browser gets back by replaying from its last seq.
 * Events the outbox relay sent together come as one message on {@code events.packed} ({@link EventPack}).
 * A signed-out session ({@code session.ended}, its token hash) closes that session's sockets on this node too, and
 * a revoked API key ({@code apikey.revoked}, its id) is forgotten by this node's {@code ApiKeys}.
 */
public class EventRelay extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(EventRelay.class);

  private static final String ROUTING_PREFIX = "account.";

  private final RabbitConfig rabbitConfig;
  private final EventBridge bridge;
  private RabbitConnector rabbit;

  public EventRelay(RabbitConfig rabbitConfig, EventBridge bridge) {
    this.rabbitConfig = rabbitConfig;
    this.bridge = bridge;
  }

  @Override
  public Future<?> start() {
    rabbit = new RabbitConnector(vertx, rabbitConfig, "event-relay", this::subscribe);
    rabbit.start();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return rabbit.stop();
  }

  private Future<Void> subscribe(RabbitMQClient client) {
    return Topology.declare(client, rabbitConfig.deliveryLimit())
      .compose(v -> client.queueDeclare("", false, true, true))
      .compose(ok -> client.queueBind(ok.getQueue(), EventTypes.EVENTS_EXCHANGE, "account.#")
        .compose(v -> client.queueBind(ok.getQueue(), EventTypes.EVENTS_EXCHANGE, EventTypes.SESSION_ENDED_KEY))
        .compose(v -> client.queueBind(ok.getQueue(), EventTypes.EVENTS_EXCHANGE, EventTypes.PACKED_KEY))
        .compose(v -> client.queueBind(ok.getQueue(), EventTypes.EVENTS_EXCHANGE, EventTypes.KEY_REVOKED_KEY))
        .compose(v -> client.basicConsumer(ok.getQueue(), new QueueOptions().setAutoAck(true).setMaxInternalQueueSize(10_000))))
      .map(consumer -> {
        bridge.resyncAll();
        consumer.handler(msg -> {
          try {
            String json = msg.body().toString();
            String key = msg.envelope().getRoutingKey();
            if (EventTypes.SESSION_ENDED_KEY.equals(key)) {
              vertx.eventBus().publish(SessionEndpoint.SESSION_ENDED, new JsonObject(json).getString("tokenHash"));
            } else if (EventTypes.KEY_REVOKED_KEY.equals(key)) {
              vertx.eventBus().publish(ApiKeys.REVOKED_ADDRESS, new JsonObject(json).getString("keyId"));
            } else if (EventTypes.PACKED_KEY.equals(key)) {
              EventPack.unpack(json, this::deliver);
            } else {
              deliver(key, json);
            }
          } catch (RuntimeException e) {
            LOG.warn("dropping a malformed event: {}", e.getMessage());
          }
        });
        return null;
      });
  }

  private void deliver(String routingKey, String json) {
    try {
      bridge.deliver(accountOf(routingKey, json), json);
      wakeClaimedMachine(routingKey, json);
    } catch (RuntimeException e) {
      LOG.warn("dropping a malformed event: {}", e.getMessage());
    }
  }

  /**
   * A warm machine claimed by a start on another node: its wait, if held here, answers now (reading the pipeline
   * from MySQL) rather than at the end of its hold.
   */
  private void wakeClaimedMachine(String routingKey, String json) {
    if (routingKey == null || !routingKey.endsWith("." + EventTypes.MACHINE_STATE)) {
      return;
    }
    JsonObject event = new JsonObject(json);
    if ("ASSIGNED".equals(event.getString("state")) && event.getString("machineId") != null) {
      vertx.eventBus().publish(EventTypes.MACHINE_ASSIGNED, event.getString("machineId"));
    }
  }

  /** The account an event belongs to: named by its routing key, {@code account.<id>.<type>}; else by its JSON. */
  static String accountOf(String routingKey, String json) {
    if (routingKey != null && routingKey.startsWith(ROUTING_PREFIX)) {
      int end = routingKey.indexOf('.', ROUTING_PREFIX.length());
      if (end > ROUTING_PREFIX.length()) {
        return routingKey.substring(ROUTING_PREFIX.length(), end);
      }
    }
    String accountId = new JsonObject(json).getString("accountId");
    if (accountId == null) {
      throw new IllegalArgumentException("an event without an account");
    }
    return accountId;
  }
}
