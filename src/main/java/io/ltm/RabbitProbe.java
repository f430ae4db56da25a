package io.ltm;

import io.ltm.config.LtmConfig.RabbitConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.rabbitmq.RabbitMQClient;
import io.vertx.rabbitmq.RabbitMQOptions;

/** A fresh connection per readiness probe: it tells whether the broker answers now, not whether it did once. */
final class RabbitProbe {
  private RabbitProbe() {
  }

  static Future<Void> check(Vertx vertx, RabbitConfig config) {
    RabbitMQClient client = RabbitMQClient.create(vertx, new RabbitMQOptions().setUri(config.uri())
      .setConnectionTimeout(2000).setReconnectAttempts(0).setAutomaticRecoveryEnabled(false));
    return client.start().eventually(() -> client.stop());
  }
}
