package io.ltm.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Writes messages into the outbox inside the caller's transaction; {@link OutboxRelay} publishes them. */
public final class Outbox {
  private static final String INSERT =
    "INSERT INTO outbox (exchange, routing_key, message_id, payload) VALUES (?, ?, ?, ?)";

  private static final String INSERT_MANY = "INSERT INTO outbox (exchange, routing_key, message_id, payload) VALUES ";

  private Outbox() {
  }

  /** A message for the outbox. */
  public record Message(String exchange, String routingKey, String messageId, JsonObject payload) {
  }

  /** Several messages in one multi-row INSERT. */
  public static Future<Void> addAll(SqlConnection conn, List<Message> messages) {
    if (messages.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Object> values = new ArrayList<>();
    for (Message m : messages) {
      values.addAll(Arrays.asList(m.exchange(), m.routingKey(), m.messageId(), m.payload().encode()));
    }
    return conn.preparedQuery(INSERT_MANY + String.join(", ", Collections.nCopies(messages.size(), "(?, ?, ?, ?)")))
      .execute(Tuple.from(values)).mapEmpty();
  }

  public static Future<Void> add(SqlConnection conn, String exchange, String routingKey, String messageId,
                                 JsonObject payload) {
    return conn.preparedQuery(INSERT)
      .execute(Tuple.of(exchange, routingKey, messageId, payload.encode()))
      .mapEmpty();
  }
}
