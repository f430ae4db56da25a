package io.ltm.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/** Writes messages into the outbox inside the caller's transaction; {@link OutboxRelay} publishes them. */
public final class Outbox {
  private static final String INSERT =
    "INSERT INTO outbox (exchange, routing_key, message_id, payload) VALUES (?, ?, ?, ?)";

  private Outbox() {
  }

  public static Future<Void> add(SqlConnection conn, String exchange, String routingKey, String messageId,
                                 JsonObject payload) {
    return conn.preparedQuery(INSERT)
      .execute(Tuple.of(exchange, routingKey, messageId, payload.encode()))
      .mapEmpty();
  }
}
