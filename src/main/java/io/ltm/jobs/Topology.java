package io.ltm.jobs;

import io.ltm.events.EventTypes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.rabbitmq.RabbitMQClient;

/** Exchanges and queues, declared idempotently by whoever connects first. */
public final class Topology {
  public static final String JOBS_EXCHANGE = "ltm.jobs";
  public static final String JOBS_QUEUE = "ltm.jobs";
  public static final String JOBS_ROUTING_KEY = "job";
  public static final String DEAD_EXCHANGE = "ltm.jobs.dlx";
  public static final String DEAD_QUEUE = "ltm.jobs.dead";

  private Topology() {
  }

  public static Future<Void> declareExchanges(RabbitMQClient client) {
    return client.exchangeDeclare(JOBS_EXCHANGE, "direct", true, false)
      .compose(v -> client.exchangeDeclare(EventTypes.EVENTS_EXCHANGE, "topic", true, false));
  }

  /**
   * The jobs queue is a quorum queue with an explicit delivery limit: RabbitMQ 3.10 has no default, and
   * without one a job that crashes its worker would be redelivered forever. Past the limit it is
   * dead-lettered, and the worker marks its stream FAILED.
   */
  public static Future<Void> declareJobQueues(RabbitMQClient client, int deliveryLimit) {
    JsonObject args = new JsonObject()
      .put("x-queue-type", "quorum")
      .put("x-delivery-limit", deliveryLimit)
      .put("x-dead-letter-exchange", DEAD_EXCHANGE);
    return declareExchanges(client)
      .compose(v -> client.exchangeDeclare(DEAD_EXCHANGE, "fanout", true, false))
      .compose(v -> client.queueDeclare(JOBS_QUEUE, true, false, false, args))
      .compose(v -> client.queueBind(JOBS_QUEUE, JOBS_EXCHANGE, JOBS_ROUTING_KEY))
      .compose(v -> client.queueDeclare(DEAD_QUEUE, true, false, false, new JsonObject().put("x-queue-type", "quorum")))
      .compose(v -> client.queueBind(DEAD_QUEUE, DEAD_EXCHANGE, ""))
      .mapEmpty();
  }
}
