package io.ltm.it;

import io.ltm.Ltm;
import io.ltm.account.Accounts;
import io.ltm.account.ApiKeys;
import io.ltm.config.LtmConfig;
import io.ltm.db.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deploys a whole LTM in-process — server and worker roles, as {@code ltm dev} does — against the real
 * MariaDB, RabbitMQ and ffmpeg. Agents are real {@code ltm agent} processes started from the packaged jar.
 */
abstract class LtmTestBase {
  static Vertx vertx;
  static LtmConfig config;
  static Ltm ltm;
  static int port;

  @BeforeAll
  static void deployLtm() throws Exception {
    deploy(Map.of());
  }

  /** Replaces the deployed LTM by one whose configuration differs as given; for a class's own @BeforeAll. */
  static void redeploy(Map<String, String> overrides) throws Exception {
    closeLtm();
    deploy(overrides);
  }

  private static void deploy(Map<String, String> overrides) throws Exception {
    config = TestEnv.config(overrides);
    vertx = Ltm.newVertx();
    ltm = new Ltm(vertx, config);
    Await.result(Database.migrate(vertx, config.mysql()));
    Await.result(ltm.deployServer().compose(v -> ltm.deployWorker()));
    port = ltm.httpPort();
  }

  @AfterAll
  static void closeLtm() {
    if (vertx != null) {
      Await.result(vertx.close());
      vertx = null;
    }
  }

  /** A new customer account with a fresh API key. */
  static String newAccountKey(String name) {
    String email = name.replace(' ', '-') + "-" + UUID.randomUUID() + "@example.test";
    return Await.result(new Accounts(ltm.pool()).ensure(name, email)
      .compose(id -> new ApiKeys(ltm.pool()).create(id, "test")));
  }

  static ApiClient api(String key) {
    return new ApiClient(vertx, port, key);
  }

  static JsonObject buy(ApiClient api, String offerId, String inputKind) {
    ApiClient.Reply reply = api.post("/api/v1/orders", new JsonObject().put("offerId", offerId)
      .put("input", new JsonObject().put("kind", inputKind)));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    return reply.json().getJsonArray("streams").getJsonObject(0);
  }

  static JsonObject awaitState(ApiClient api, String streamId, String state, Duration timeout) {
    return Await.until("stream " + streamId + " to be " + state, timeout, () -> {
      JsonObject s = api.get("/api/v1/streams/" + streamId).json();
      if (!state.equals("FAILED") && "FAILED".equals(s.getString("state"))) {
        throw new AssertionError("stream failed while waiting for " + state + ": " + s.getString("stateReason")
          + agentLogs());
      }
      return state.equals(s.getString("state")) ? s : null;
    });
  }

  /** Processes whose command line mentions the machine: its agent and its ffmpeg. */
  static List<ProcessHandle> processesOf(String machineId) {
    return ProcessHandle.allProcesses()
      .filter(p -> p.isAlive() && p.info().commandLine().map(c -> c.contains(machineId)).orElse(false))
      .toList();
  }

  static String machineOf(String streamId) {
    return Await.result(ltm.pool().preparedQuery("SELECT machine_id FROM streams WHERE id = ?")
      .execute(io.vertx.sqlclient.Tuple.of(streamId))).iterator().next().getString(0);
  }

  static long count(String sql) {
    return Await.result(ltm.pool().query(sql).execute()).iterator().next().getLong(0);
  }

  /** Agent logs, appended to a failure message so a red CI run says why. */
  static String agentLogs() {
    Path dir = Path.of(config.cloud().workDir());
    if (!Files.isDirectory(dir)) {
      return "";
    }
    StringBuilder sb = new StringBuilder("\n--- agent logs ---\n");
    try (var machines = Files.list(dir)) {
      for (Path m : machines.toList()) {
        Optional<Path> log = Optional.of(m.resolve("agent.log")).filter(Files::exists);
        if (log.isPresent()) {
          List<String> lines = Files.readAllLines(log.get());
          sb.append(m.getFileName()).append(":\n");
          lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append("  ").append(l).append('\n'));
        }
      }
    } catch (IOException e) {
      sb.append(e);
    }
    return sb.toString();
  }
}
