package io.ltm.it;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Speaks the SockJS event-bus bridge protocol over its raw WebSocket endpoint, exactly as vertx-eventbus.js
 * does in the browser: register frames, send-with-reply frames, and the messages and errors that come back.
 */
final class EventBusClient implements AutoCloseable {
  private final WebSocketClient client;
  private final WebSocket socket;
  private final List<JsonObject> received = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final Map<String, JsonObject> replies = new ConcurrentHashMap<>();
  private final AtomicInteger replyIds = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  EventBusClient(Vertx vertx, int port) {
    this(vertx, port, null);
  }

  /** Connects with the browser's session cookie ({@code ltm_session=…}) on the handshake, or none for null. */
  EventBusClient(Vertx vertx, int port, String cookie) {
    this.client = vertx.createWebSocketClient();
    io.vertx.core.http.WebSocketConnectOptions options = new io.vertx.core.http.WebSocketConnectOptions()
      .setPort(port).setHost("127.0.0.1").setURI("/eventbus/websocket");
    if (cookie != null) {
      options.addHeader("Cookie", cookie);
    }
    this.socket = Await.result(client.connect(options));
    socket.closeHandler(v -> closed.set(true));
    // The bridge writes its frames as binary WebSocket messages: take every data frame.
    socket.handler(data -> {
      JsonObject frame = data.toJsonObject();
      if ("err".equals(frame.getString("type"))) {
        errors.add(frame.encode());
      }
      if (frame.getValue("address") instanceof String address && address.startsWith("reply-")) {
        replies.put(frame.getString("address"), frame);
      } else if ("rec".equals(frame.getString("type"))) {
        received.add(frame.getJsonObject("body"));
      }
    });
  }

  void register(String address, String apiKey) {
    JsonObject headers = apiKey == null ? new JsonObject()
      : new JsonObject().put("authorization", "Bearer " + apiKey);
    socket.writeTextMessage(new JsonObject().put("type", "register").put("address", address)
      .put("headers", headers).encode());
  }

  /** Asks the server for the events after {@code seq}; returns them, oldest first. */
  JsonArray replay(long after, String apiKey) {
    String replyAddress = "reply-" + replyIds.incrementAndGet();
    socket.writeTextMessage(new JsonObject().put("type", "send").put("address", "ltm.events.replay")
      .put("replyAddress", replyAddress)
      .put("headers", apiKey == null ? new JsonObject() : new JsonObject().put("authorization", "Bearer " + apiKey))
      .put("body", new JsonObject().put("after", after)).encode());
    JsonObject frame = Await.until("a replay answer", Duration.ofSeconds(10), () -> replies.get(replyAddress));
    return frame.getJsonObject("body").getJsonArray("items");
  }

  /** Writes one frame exactly as given, as a misbehaving client would. */
  void sendRaw(String frame) {
    socket.writeTextMessage(frame);
  }

  /** The reply (or error) the server sent to this reply address, or null so far. */
  JsonObject reply(String replyAddress) {
    return replies.get(replyAddress);
  }

  boolean isClosed() {
    return closed.get();
  }

  List<JsonObject> events() {
    return new ArrayList<>(received);
  }

  List<String> errors() {
    return new ArrayList<>(errors);
  }

  @Override
  public void close() {
    socket.close();
    client.close();
  }
}
