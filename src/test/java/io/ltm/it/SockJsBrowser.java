package io.ltm.it;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A browser's event connection as sockjs-client and vertx-eventbus.js make it: SockJS's WebSocket transport
 * ({@code /eventbus/<server>/<session>/websocket}; frames {@code o}, {@code h}, {@code a[...]}, {@code c[...]}), a
 * JSON array of strings per frame sent, and a ping every 5 s as the library sends. It can stop reading
 * ({@link #pause()}), as a browser whose tab or network stalls does.
 */
final class SockJsBrowser implements AutoCloseable {
  private final Vertx vertx;
  private final WebSocketClient client;
  private final WebSocket socket;
  private final long pinger;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private final Map<String, JsonObject> replies = new ConcurrentHashMap<>();
  private final AtomicInteger resyncs = new AtomicInteger();
  private final AtomicInteger replyIds = new AtomicInteger();
  private volatile boolean open;
  private volatile boolean closed;

  /** @param receiveBufferBytes the client socket's receive buffer (small for a browser on a thin link), or 0 */
  SockJsBrowser(Vertx vertx, int port, int receiveBufferBytes) {
    this.vertx = vertx;
    WebSocketClientOptions options = new WebSocketClientOptions();
    if (receiveBufferBytes > 0) {
      options.setReceiveBufferSize(receiveBufferBytes);
    }
    this.client = vertx.createWebSocketClient(options);
    String path = "/eventbus/" + ThreadLocalRandom.current().nextInt(1000) + "/"
      + UUID.randomUUID().toString().replace("-", "") + "/websocket";
    // The handler is set on the event loop as the handshake completes: the open frame may follow at once.
    this.socket = Await.result(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
      .setURI(path)).onSuccess(ws -> ws.textMessageHandler(this::onFrame).closeHandler(v -> closed = true)));
    Await.until("the SockJS open frame", Duration.ofSeconds(30), () -> open ? true : null);
    pinger = vertx.setPeriodic(5000, id -> send(new JsonObject().put("type", "ping")));
  }

  private void onFrame(String text) {
    if (text.equals("o")) {
      open = true;
    } else if (text.startsWith("a")) {
      for (Object each : new JsonArray(text.substring(1))) {
        JsonObject frame = new JsonObject((String) each);
        String address = frame.getString("address", "");
        JsonObject body = frame.getValue("body") instanceof JsonObject b ? b : null;
        if (address.startsWith("reply-")) {
          replies.put(address, frame);
        } else if (body != null && "resync".equals(body.getString("type"))) {
          resyncs.incrementAndGet();
        } else if ("rec".equals(frame.getString("type")) && body != null) {
          events.add(body);
        }
      }
    }
  }

  private void send(JsonObject frame) {
    socket.writeTextMessage(new JsonArray().add(frame.encode()).encode());
  }

  void register(String address, String apiKey) {
    send(new JsonObject().put("type", "register").put("address", address)
      .put("headers", new JsonObject().put("authorization", "Bearer " + apiKey)));
  }

  /** The events after {@code seq}, page by page until the log has no more, as the page asks for them. */
  List<JsonObject> replay(long after, String apiKey) {
    List<JsonObject> all = new ArrayList<>();
    long from = after;
    while (true) {
      String replyAddress = "reply-" + replyIds.incrementAndGet();
      send(new JsonObject().put("type", "send").put("address", "ltm.events.replay").put("replyAddress", replyAddress)
        .put("headers", new JsonObject().put("authorization", "Bearer " + apiKey))
        .put("body", new JsonObject().put("after", from)));
      JsonArray items = Await.until("a replay answer", Duration.ofSeconds(30), () -> replies.remove(replyAddress))
        .getJsonObject("body").getJsonArray("items");
      items.forEach(item -> all.add((JsonObject) item));
      if (items.isEmpty()) {
        return all;
      }
      from = items.getJsonObject(items.size() - 1).getLong("seq");
    }
  }

  /** Stops reading: frames pile up in the network, then in the server. */
  void pause() {
    socket.pause();
  }

  void resume() {
    socket.resume();
  }

  /** The live events received, in arrival order. */
  List<JsonObject> events() {
    return new ArrayList<>(events);
  }

  /** The seqs of the live events received, in arrival order. */
  List<Long> seqs() {
    return events.stream().map(e -> e.getLong("seq")).toList();
  }

  /** True once the connection has closed (the server went away, or closed it). */
  boolean isClosed() {
    return closed;
  }

  int resyncs() {
    return resyncs.get();
  }

  @Override
  public void close() {
    vertx.cancelTimer(pinger);
    socket.close();
    client.close();
  }
}
