import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N browsers on the SockJS event-bus bridge, speaking SockJS's WebSocket transport (/eventbus/<server>/<session>/websocket:
 * "o" open, "a[...]" messages, "h" heartbeats; each frame a JSON array of strings). Each socket registers for its
 * account's address (API key in the frame's headers, as a program does); then, for `seconds`, the latency from
 * each event's `at` to its frame's arrival is recorded. Resync frames (a socket told to replay) are counted.
 * Usage: WsFanout <port> <keysFile: accountId key per line> <sockets> <seconds>
 * Boots, then waits for a line on stdin (so it can boot beside the server it will connect to) before it reads the
 * keys file and connects; prints SOCKETS_READY once every socket is registered, then waits for a second line before
 * measuring and a third before it exits.
 */
public class WsFanout {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int sockets = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    Vertx vertx = Vertx.vertx();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(sockets + 10)
      .setConnectTimeout(60_000));
    java.io.BufferedReader stdin = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
    stdin.readLine();
    List<String[]> accounts = Files.readAllLines(Path.of(args[1])).stream().filter(l -> !l.isBlank())
      .map(l -> l.split(" ")).toList();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger resyncs = new AtomicInteger();
    AtomicInteger registered = new AtomicInteger();
    boolean[] measuring = {false};
    List<Future<WebSocket>> opened = new ArrayList<>();
    // Like vertx3-eventbus-client in a browser, every socket pings every 5 s: the bridge closes a socket that has not
    // pinged for its pingTimeout (10 s), which a client that only listens would otherwise hit half-way through a run.
    String ping = new JsonArray().add(new JsonObject().put("type", "ping").encode()).encode();
    java.util.Queue<WebSocket> live = new java.util.concurrent.ConcurrentLinkedQueue<>();
    vertx.setPeriodic(5000, t -> live.forEach(ws -> ws.writeTextMessage(ping)));
    for (int i = 0; i < sockets; i++) {
      String[] acc = accounts.get(i % accounts.size());
      String path = "/eventbus/" + (i % 1000) + "/" + UUID.randomUUID().toString().replace("-", "") + "/websocket";
      Future<WebSocket> ws = client.connect(new WebSocketConnectOptions().setPort(port).setHost("127.0.0.1").setURI(path));
      opened.add(ws.onSuccess(live::add).onSuccess(socket -> socket.textMessageHandler(text -> {
        long now = System.currentTimeMillis();
        if (text.equals("o")) {
          JsonObject register = new JsonObject().put("type", "register").put("address", "ltm.account." + acc[0])
            .put("headers", new JsonObject().put("authorization", "Bearer " + acc[1]));
          socket.writeTextMessage(new JsonArray().add(register.encode()).encode());
          registered.incrementAndGet();
        } else if (text.startsWith("a")) {
          for (Object frame : new JsonArray(text.substring(1))) {
            JsonObject msg = new JsonObject((String) frame);
            JsonObject body = msg.getJsonObject("body");
            if (body == null) {
              continue;
            }
            if ("resync".equals(body.getString("type"))) {
              resyncs.incrementAndGet();
            } else if (measuring[0] && body.getString("at") != null) {
              latencies.add(now - Instant.parse(body.getString("at")).toEpochMilli());
            }
          }
        }
      })));
      if (i % 200 == 199) {
        Future.join(new ArrayList<>(opened.subList(i - 199, i + 1))).await();
      }
    }
    Future.join(opened).await();
    long failed = opened.stream().filter(Future::failed).count();
    long deadline = System.currentTimeMillis() + 60_000;
    while (registered.get() < sockets - failed && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
    Thread.sleep(500); // the last register frames reach the server
    System.out.println("SOCKETS_READY " + registered.get() + " registered, " + failed + " failed to open");
    System.out.flush();
    stdin.readLine();
    measuring[0] = true;
    Thread.sleep(seconds * 1000L);
    measuring[0] = false;
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    System.out.printf("BENCH_JSON {\"sockets\": %d, \"frames\": %d, \"p50_ms\": %.1f, \"p99_ms\": %.1f, "
        + "\"max_ms\": %d, \"resyncs\": %d}%n", registered.get(), sorted.size(), pct(sorted, 50), pct(sorted, 99),
      sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1), resyncs.get());
    System.out.flush();
    stdin.readLine();
    vertx.close().await();
  }

  static double pct(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get((int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(p / 100 * sorted.size()) - 1)));
  }
}
