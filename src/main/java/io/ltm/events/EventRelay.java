package io.ltm.events;

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
 * Each server node binds its own exclusive queue to {@code ltm.events} and republishes every event on the
 * local event bus at {@code ltm.account.<id>}, where the SockJS bridge delivers it to that account's browsers.
 * Whatever a node misses while its queue is gone, a browser gets back by replaying from its last seq.
 */
public class EventRelay extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(EventRelay.class);

  private final RabbitConfig rabbitConfig;
  private RabbitConnector rabbit;

  public EventRelay(RabbitConfig rabbitConfig) {
    this.rabbitConfig = rabbitConfig;
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
    return Topology.declareExchanges(client)
      .compose(v -> client.queueDeclare("", false, true, true))
      .compose(ok -> client.queueBind(ok.getQueue(), EventTypes.EVENTS_EXCHANGE, "account.#")
        .compose(v -> client.basicConsumer(ok.getQueue(), new QueueOptions().setAutoAck(true).setMaxInternalQueueSize(10_000))))
      .map(consumer -> {
        vertx.eventBus().publish(EventTypes.RESYNC_ADDRESS, null);
        consumer.handler(msg -> {
          try {
            JsonObject event = msg.body().toJsonObject();
            vertx.eventBus().publish(EventTypes.accountAddress(event.getString("accountId")), event);
          } catch (RuntimeException e) {
            LOG.warn("dropping a malformed event: {}", e.getMessage());
          }
        });
        return null;
      });
  }
}
