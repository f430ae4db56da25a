package io.ltm.jobs;

import com.rabbitmq.client.Channel;
import io.ltm.events.EventTypes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.rabbitmq.RabbitMQClient;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * LTM's RabbitMQ topology, in one place, declared whole by every role that connects (outbox relay, job worker,
 * event relay): a role never depends on another having connected first. Before, only the worker declared the jobs
 * queue, and jobs a server published before any worker had connected were confirmed by the broker, unroutable, and
 * dropped. Declarations are idempotent; every role declares the same arguments from the same configuration.
 */
public final class Topology {
  public static final String JOBS_EXCHANGE = "ltm.jobs";
  public static final String JOBS_QUEUE = "ltm.jobs";
  public static final String JOBS_ROUTING_KEY = "job";
  public static final String DEAD_EXCHANGE = "ltm.jobs.dlx";
  public static final String DEAD_QUEUE = "ltm.jobs.dead";

  /** One idempotent declaration, applied through either client. */
  private interface Declaration {
    Future<Void> apply(RabbitMQClient client);

    void apply(Channel channel) throws IOException;
  }

  private record Exchange(String name, String type) implements Declaration {
    public Future<Void> apply(RabbitMQClient client) {
      return client.exchangeDeclare(name, type, true, false);
    }

    public void apply(Channel channel) throws IOException {
      channel.exchangeDeclare(name, type, true, false, null);
    }
  }

  private record Queue(String name, Map<String, Object> args) implements Declaration {
    public Future<Void> apply(RabbitMQClient client) {
      return client.queueDeclare(name, true, false, false, new JsonObject(args)).mapEmpty();
    }

    public void apply(Channel channel) throws IOException {
      channel.queueDeclare(name, true, false, false, args);
    }
  }

  private record Binding(String queue, String exchange, String routingKey) implements Declaration {
    public Future<Void> apply(RabbitMQClient client) {
      return client.queueBind(queue, exchange, routingKey);
    }

    public void apply(Channel channel) throws IOException {
      channel.queueBind(queue, exchange, routingKey);
    }
  }

  private Topology() {
  }

  /**
   * The jobs queue is a quorum queue with an explicit delivery limit: RabbitMQ 3.10 has no default, and
   * without one a job that crashes its worker would be redelivered forever. Past the limit it is
   * dead-lettered, and the worker gives its subject a final outcome (JobWorker#handleDead).
   */
  private static List<Declaration> declarations(int deliveryLimit) {
    return List.of(
      new Exchange(JOBS_EXCHANGE, "direct"),
      new Exchange(EventTypes.EVENTS_EXCHANGE, "topic"),
      new Exchange(DEAD_EXCHANGE, "fanout"),
      new Queue(JOBS_QUEUE, Map.of("x-queue-type", "quorum", "x-delivery-limit", deliveryLimit,
        "x-dead-letter-exchange", DEAD_EXCHANGE)),
      new Binding(JOBS_QUEUE, JOBS_EXCHANGE, JOBS_ROUTING_KEY),
      new Queue(DEAD_QUEUE, Map.of("x-queue-type", "quorum")),
      new Binding(DEAD_QUEUE, DEAD_EXCHANGE, ""));
  }

  /**
   * Whether a message to this exchange must reach a queue to count as sent. Jobs must: a job nobody can consume
   * is a purchase stuck PENDING. Events need not: with no server node listening nobody misses them live, and a
   * browser replays them from MySQL by seq.
   */
  public static boolean mustRoute(String exchange) {
    return JOBS_EXCHANGE.equals(exchange);
  }

  /** Declares the whole topology through a Vert.x client. */
  public static Future<Void> declare(RabbitMQClient client, int deliveryLimit) {
    Future<Void> chain = Future.succeededFuture();
    for (Declaration d : declarations(deliveryLimit)) {
      chain = chain.compose(v -> d.apply(client));
    }
    return chain;
  }

  /** Declares the whole topology on a plain channel (the outbox relay's). Blocking: call off the event loop. */
  public static void declare(Channel channel, int deliveryLimit) throws IOException {
    for (Declaration d : declarations(deliveryLimit)) {
      d.apply(channel);
    }
  }
}
