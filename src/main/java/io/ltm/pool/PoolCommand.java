package io.ltm.pool;

import io.ltm.config.LtmConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ltm pool status|set|drain}: the operator's warm pools, through a server's operator endpoints (so every
 * worker's keeper sees the change). The server is {@code --server} or {@code LTM_OPERATOR_URL}, else
 * {@code http.publicUrl}; the token is {@code LTM_OPERATOR_TOKEN}. A plain blocking CLI: no Vert.x here.
 */
public final class PoolCommand {
  static final String USAGE = """
    usage: ltm pool status [--json]
           ltm pool set <class> [--min-idle N] [--max-idle N] [--stopped-idle N] [--idle-ttl-seconds N] \
    [--max-hourly-usd X]
           ltm pool drain [<class>] [--no-wait]
      (server: --server URL, LTM_OPERATOR_URL or http.publicUrl; token: LTM_OPERATOR_TOKEN)""";
  private static final Map<String, String> SET_FLAGS = Map.of("--min-idle", "minIdle", "--max-idle", "maxIdle",
    "--stopped-idle", "stoppedIdle", "--idle-ttl-seconds", "idleTtlSeconds", "--max-hourly-usd", "maxHourlyUsd");
  private static final long DRAIN_WAIT_MS = 120_000;

  private final String server;
  private final String token;
  private final PrintStream out;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  PoolCommand(String server, String token, PrintStream out) {
    this.server = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    this.token = token;
    this.out = out;
  }

  /** Runs the command; answers the exit code (0 done, 1 failed, 2 usage). */
  public static int run(String[] args, LtmConfig config, Map<String, String> env) {
    List<String> rest = new ArrayList<>(List.of(args));
    String server = env.getOrDefault("LTM_OPERATOR_URL", config.http().publicUrl());
    int at = rest.indexOf("--server");
    if (at >= 0) {
      if (at + 1 >= rest.size()) {
        System.err.println(USAGE);
        return 2;
      }
      server = rest.get(at + 1);
      rest.remove(at + 1);
      rest.remove(at);
    }
    String token = config.operator().token();
    if (token == null || token.isBlank()) {
      System.err.println("ltm pool: LTM_OPERATOR_TOKEN (operator.token) is not set");
      return 1;
    }
    if (rest.isEmpty()) {
      System.err.println(USAGE);
      return 2;
    }
    PoolCommand command = new PoolCommand(server, token, System.out);
    try {
      return switch (rest.get(0)) {
        case "status" -> command.status(rest.contains("--json"));
        case "set" -> command.set(rest.subList(1, rest.size()));
        case "drain" -> command.drain(rest.subList(1, rest.size()));
        default -> {
          System.err.println(USAGE);
          yield 2;
        }
      };
    } catch (IOException e) {
      System.err.println("ltm pool: cannot reach " + server + ": " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  int status(boolean json) throws IOException, InterruptedException {
    JsonObject status = call("GET", "pools", null);
    if (status == null) {
      return 1;
    }
    if (json) {
      out.println(status.encodePrettily());
    } else {
      print(status);
    }
    return 0;
  }

  int set(List<String> args) throws IOException, InterruptedException {
    if (args.isEmpty() || args.get(0).startsWith("--") || args.size() % 2 != 1) {
      System.err.println(USAGE);
      return 2;
    }
    JsonObject body = new JsonObject();
    for (int i = 1; i < args.size(); i += 2) {
      String field = SET_FLAGS.get(args.get(i));
      if (field == null) {
        System.err.println("ltm pool set: unknown option " + args.get(i) + "\n" + USAGE);
        return 2;
      }
      try {
        body.put(field, field.equals("maxHourlyUsd") ? (Object) Double.valueOf(args.get(i + 1))
          : (Object) Integer.valueOf(args.get(i + 1)));
      } catch (NumberFormatException e) {
        System.err.println("ltm pool set: " + args.get(i) + " needs a number, not '" + args.get(i + 1) + "'");
        return 2;
      }
    }
    JsonObject status = call("PUT", "pools/" + args.get(0), body);
    if (status == null) {
      return 1;
    }
    print(status);
    return 0;
  }

  /** Sets the pool(s) to 0, then waits until their idle, stopped and booting machines are gone. */
  int drain(List<String> args) throws IOException, InterruptedException {
    boolean wait = !args.contains("--no-wait");
    String poolClass = args.stream().filter(a -> !a.startsWith("--")).findFirst().orElse(null);
    JsonObject status = call("POST", "pools/drain", poolClass == null ? new JsonObject()
      : new JsonObject().put("class", poolClass));
    if (status == null) {
      return 1;
    }
    long deadline = System.currentTimeMillis() + DRAIN_WAIT_MS;
    while (wait && left(status, poolClass) > 0) {
      if (System.currentTimeMillis() > deadline) {
        print(status);
        System.err.println("ltm pool drain: machines still left after " + DRAIN_WAIT_MS / 1000 + " s (is a worker running?)");
        return 1;
      }
      Thread.sleep(500);
      status = call("GET", "pools", null);
      if (status == null) {
        return 1;
      }
    }
    print(status);
    return 0;
  }

  private static int left(JsonObject status, String poolClass) {
    int left = 0;
    for (Object o : status.getJsonArray("pools", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      if (poolClass == null || poolClass.equals(p.getString("class"))) {
        left += p.getInteger("idle", 0) + p.getInteger("stopped", 0) + p.getInteger("booting", 0);
      }
    }
    return left;
  }

  private void print(JsonObject status) {
    out.printf("%-16s %5s %8s %8s %7s %5s %5s %8s %8s %10s %10s%n", "CLASS", "IDLE", "STOPPED", "BOOTING", "IN-USE",
      "MIN", "MAX", "MIN-STOP", "TTL-S", "USD/H-IDLE", "USD/H-MAX");
    for (Object o : status.getJsonArray("pools", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      out.printf("%-16s %5d %8d %8d %7d %5d %5d %8d %8d %10s %10s%n", p.getString("class"), p.getInteger("idle"),
        p.getInteger("stopped"), p.getInteger("booting"), p.getInteger("inUse"), p.getInteger("minIdle"),
        p.getInteger("maxIdle"), p.getInteger("stoppedIdle"), p.getInteger("idleTtlSeconds"),
        p.getString("idleCostPerHourUsd"), p.getString("maxHourlyUsd") == null ? "-" : p.getString("maxHourlyUsd"));
    }
  }

  /** One operator call; a refusal is printed (its error message) and answered as null. */
  private JsonObject call(String method, String path, JsonObject body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server + OperatorEndpoint.BASE + path))
      .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token);
    request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
      : request.header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      String message = response.body();
      try {
        message = new JsonObject(response.body()).getJsonObject("error").getString("message");
      } catch (RuntimeException ignored) {
        // Not our error shape: the body as it came.
      }
      System.err.println("ltm pool: " + response.statusCode() + " " + message);
      return null;
    }
    return new JsonObject(response.body());
  }
}
