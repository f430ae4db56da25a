package io.ltm.events;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * Several events in one RabbitMQ message. Each event cost the broker, the relay and every server node a message of
 * its own (publish, confirm, delivery): about a quarter of a purchase's CPU end to end, for three events a purchase.
 * The outbox relay now sends the events of one pass as one message on {@link EventTypes#PACKED_KEY}; a lone event
 * still goes as itself, on its own {@code account.<id>.<type>} key.
 *
 * <p>The body is one line per event: its routing key, a space, its JSON as stored (JSON text holds no raw newline,
 * and a routing key no space), so a node hands each event on without parsing or encoding it again.
 */
public final class EventPack {
  private EventPack() {
  }

  /** One event of a pack: the key it would have been routed with alone, and its JSON. */
  public record Entry(String routingKey, String json) {
  }

  /** True if the event fits the framing: no space in its routing key, no raw newline in its JSON. */
  public static boolean fits(String routingKey, String json) {
    return routingKey.indexOf(' ') < 0 && json.indexOf('\n') < 0;
  }

  /** The body of a message carrying {@code entries}, in their order. */
  public static String pack(List<Entry> entries) {
    StringBuilder body = new StringBuilder();
    for (Entry e : entries) {
      if (!fits(e.routingKey(), e.json())) {
        throw new IllegalArgumentException("an event that cannot be packed: " + e.routingKey());
      }
      body.append(e.routingKey()).append(' ').append(e.json()).append('\n');
    }
    return body.toString();
  }

  /** Hands each event of a packed body to {@code each} as (routing key, JSON), in order; a malformed line is skipped. */
  public static int unpack(String body, BiConsumer<String, String> each) {
    int count = 0;
    int start = 0;
    while (start < body.length()) {
      int end = body.indexOf('\n', start);
      if (end < 0) {
        end = body.length();
      }
      int space = body.indexOf(' ', start);
      if (space > start && space < end) {
        each.accept(body.substring(start, space), body.substring(space + 1, end));
        count++;
      }
      start = end + 1;
    }
    return count;
  }
}
