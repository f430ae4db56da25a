import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mysqlclient.MySQLBuilder;
import io.vertx.mysqlclient.MySQLConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A simulated fleet on the real agent protocol, without ffmpeg. It buys and starts `machines` streams through the
 * API, plays the cloud (writes each start's machine row with a bootstrap token, as a provider's launch would), then
 * each simulated agent calls hello, reports READY and LIVE, and heartbeats every `interval` ms with ffmpeg-like
 * progress. Phases: for each count in `phases`, that many agents heartbeat for `seconds`; heartbeat latency
 * p50/p99 and failures are printed per phase as one BENCH_JSON line each.
 * Usage: FleetSim <baseUrl> <database> <keysFile> <phases e.g. 500,1000,2000> <seconds> <intervalMs> [tailMs]
 * (tailMs: how long a phase waits for its last heartbeats' answers, 2000 unless given). Boots, then waits for a line
 * on stdin (so it can boot beside LTM) before it reads the keys file and buys.
 */
public class FleetSim {
  public static void main(String[] args) throws Exception {
    String base = args[0];
    String database = args[1];
    int[] phases = java.util.Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
    double seconds = Double.parseDouble(args[4]);
    int interval = Integer.parseInt(args[5]);
    long tailMs = args.length > 6 ? Long.parseLong(args[6]) : 2000;
    int total = phases[phases.length - 1];
    Vertx vertx = Vertx.vertx();
    // A connection per machine, as a fleet's agents each keep theirs: a heartbeat's latency is LTM's, not time spent
    // queued in this client for one of a few shared connections.
    WebClient web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(Math.max(64, total)));
    Pool db = MySQLBuilder.pool().with(new io.vertx.sqlclient.PoolOptions().setMaxSize(4))
      .connectingTo(new MySQLConnectOptions().setHost("127.0.0.1").setDatabase(database).setUser("root").setPassword(""))
      .using(vertx).build();
    java.net.URI uri = java.net.URI.create(base);
    Api api = new Api(web, uri.getPort());
    java.io.BufferedReader stdin = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
    stdin.readLine();
    List<String> keys = Files.readAllLines(Path.of(args[2]));

    // Buy and start `total` streams, ten per order, over the accounts.
    List<String[]> streams = Collections.synchronizedList(new ArrayList<>());
    List<Future<?>> buys = new ArrayList<>();
    for (int i = 0; i < (total + 9) / 10; i++) {
      String key = keys.get(i % keys.size());
      int q = Math.min(10, total - i * 10);
      buys.add(api.call(HttpMethod.POST, "/api/v1/orders", key, new JsonObject().put("offerId", "mobile")
          .put("quantity", q).put("input", new JsonObject().put("kind", "rtmp")))
        .compose(order -> {
          List<Future<?>> starts = new ArrayList<>();
          for (Object s : order.getJsonArray("streams")) {
            String id = ((JsonObject) s).getString("id");
            starts.add(api.call(HttpMethod.POST, "/api/v1/streams/" + id + "/start", key, null)
              .map(started -> streams.add(new String[]{id, started.getInteger("generation", 1).toString()})));
          }
          return Future.all(starts);
        }));
    }
    Future.all(buys).await();
    // The cloud's part: one machine row per start, with its bootstrap token (a provider writes it to user-data).
    List<Agent> agents = new ArrayList<>();
    for (String[] s : streams) {
      agents.add(new Agent("mch_f" + UUID.randomUUID().toString().replace("-", "").substring(0, 18), s[0],
        UUID.randomUUID().toString().replace("-", "")));
    }
    List<Future<?>> rows = new ArrayList<>();
    for (Agent a : agents) {
      rows.add(db.preparedQuery("INSERT INTO machines (id, stream_id, account_id, generation, provider, state) "
        + "SELECT ?, id, account_id, generation, 'bench', 'RUNNING' FROM streams WHERE id = ?")
        .execute(Tuple.of(a.machineId, a.streamId))
        // Only the token's hash is stored, as Provisioning does.
        .compose(v -> db.preparedQuery("INSERT INTO machine_bootstrap_tokens (machine_id, token_hash) VALUES (?, SHA2(?, 256))")
          .execute(Tuple.of(a.machineId, a.bootstrap))));
    }
    Future.all(rows).await();
    // hello, READY, LIVE: the real calls, a few at a time.
    AtomicInteger failures = new AtomicInteger();
    List<Future<?>> hellos = new ArrayList<>();
    for (Agent a : agents) {
      hellos.add(api.call(HttpMethod.POST, "/internal/agents/" + a.machineId + "/hello", a.bootstrap, new JsonObject())
        .compose(p -> {
          a.token = p.getString("agentToken");
          return api.call(HttpMethod.POST, "/internal/agents/" + a.machineId + "/status", a.token,
            new JsonObject().put("state", "READY").put("previewUrl", "http://127.0.0.1:9/hls/master.m3u8"));
        })
        .compose(v -> api.call(HttpMethod.POST, "/internal/agents/" + a.machineId + "/status", a.token,
          new JsonObject().put("state", "LIVE")))
        .onFailure(err -> failures.incrementAndGet()));
    }
    Future.join(hellos).await();
    System.out.println("FLEET_READY " + agents.size() + " agents, " + failures.get() + " failed to come up");
    System.out.flush();

    for (int n : phases) {
      stdin.readLine(); // the bench says when: purchases start beside each phase
      List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger bad = new AtomicInteger();
      long end = System.currentTimeMillis() + (long) (seconds * 1000);
      List<Long> timers = new ArrayList<>();
      Promise<Void> finished = Promise.promise();
      for (int i = 0; i < n && i < agents.size(); i++) {
        Agent a = agents.get(i);
        long frame = 0;
        // Spread the first beats over one interval, as a fleet's machines started at different moments.
        timers.add(vertx.setPeriodic(1 + (long) (Math.random() * interval), interval, t -> {
          if (System.currentTimeMillis() > end || a.token == null) {
            return;
          }
          a.frame += 50;
          long t0 = System.nanoTime();
          api.call(HttpMethod.POST, "/internal/agents/" + a.machineId + "/heartbeat", a.token,
              new JsonObject().put("progress", new JsonObject().put("frame", a.frame).put("fps", 25.0)
                .put("speed", 1.0).put("bitrateKbps", 560.0).put("dropFrames", 0).put("dupFrames", 0)
                .put("inputPresent", true).put("inputKind", "rtmp").put("inputBitrateKbps", 2500.0)))
            .onSuccess(v -> latencies.add(System.nanoTime() - t0))
            .onFailure(err -> bad.incrementAndGet());
        }));
      }
      vertx.setTimer((long) (seconds * 1000) + tailMs, t -> finished.complete());
      finished.future().await();
      timers.forEach(vertx::cancelTimer);
      List<Long> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      System.out.printf("BENCH_JSON {\"machines\": %d, \"heartbeats\": %d, \"per_second\": %.1f, \"p50_ms\": %.2f, "
          + "\"p99_ms\": %.2f, \"failed\": %d}%n", n, sorted.size(), sorted.size() / seconds,
        pct(sorted, 50), pct(sorted, 99), bad.get());
      System.out.flush();
    }
    vertx.close().await();
  }

  static double pct(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(p / 100 * sorted.size()) - 1));
    return sorted.get(i) / 1e6;
  }

  static final class Agent {
    final String machineId;
    final String streamId;
    final String bootstrap;
    volatile String token;
    long frame;

    Agent(String machineId, String streamId, String bootstrap) {
      this.machineId = machineId;
      this.streamId = streamId;
      this.bootstrap = bootstrap;
    }
  }

  record Api(WebClient web, int port) {
    Future<JsonObject> call(HttpMethod method, String path, String bearer, JsonObject body) {
      var req = web.request(method, port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + bearer);
      Future<HttpResponse<Buffer>> sent = body == null ? req.send() : req.sendJsonObject(body);
      return sent.compose(r -> r.statusCode() >= 300
        ? Future.failedFuture(method + " " + path + " -> " + r.statusCode() + " " + r.bodyAsString())
        : Future.succeededFuture(r.body() == null || r.body().length() == 0 ? new JsonObject() : r.bodyAsJsonObject()));
    }
  }
}
