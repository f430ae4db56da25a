package io.ltm.it;

import io.ltm.common.Ids;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11, point 9: the agent's bootstrap token is stored only as its SHA-256 hash. The agents of this class call
 * home to a port nothing listens on, so the token they were launched with stays unspent while the test reads it from
 * the agent's environment, searches every table for it, and then spends it itself.
 */
class SecretsAtRestIT extends LtmTestBase {

  @BeforeAll
  static void agentsCannotCallHome() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    redeploy(Map.of("LTM_PUBLIC_URL", "http://127.0.0.1:" + closed, "LTM_LAUNCH_TIMEOUT_SECONDS", "120"));
  }

  @Test
  void theBootstrapTokenIsStoredOnlyAsItsHashAndIsGoodForOneHello() throws Exception {
    ApiClient api = api(newAccountKey("secrets"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);
    String machineId = Await.until("the machine row", Duration.ofSeconds(30), () -> {
      var rows = Await.result(ltm.pool().preparedQuery("SELECT id FROM machines WHERE stream_id = ?").execute(Tuple.of(id)));
      return rows.size() == 0 ? null : rows.iterator().next().getString(0);
    });
    String token = Await.until("the agent's bootstrap token in its environment", Duration.ofSeconds(30), () -> {
      for (ProcessHandle p : processesOf(machineId)) {
        String environ;
        try {
          environ = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "environ")),
            StandardCharsets.UTF_8);
        } catch (java.io.IOException gone) {
          continue;
        }
        for (String variable : environ.split("\0")) {
          if (variable.startsWith("LTM_AGENT_TOKEN=")) {
            return variable.substring("LTM_AGENT_TOKEN=".length());
          }
        }
      }
      return null;
    });
    assertThat(token).hasSizeGreaterThanOrEqualTo(40);

    Map<String, List<String>> everything = DbSnapshot.take(ltm.pool(), Set.of());
    assertThat(everything.values().stream().flatMap(List::stream))
      .as("no table holds the token in clear").noneMatch(row -> row.contains(token));
    assertThat(everything.get("machine_bootstrap_tokens"))
      .anySatisfy(row -> assertThat(row).contains(machineId).contains(Ids.sha256(token)));

    // The agent cannot reach this server; the test calls home in its place.
    ApiClient agent = new ApiClient(vertx, port, null);
    String hello = "/internal/agents/" + machineId + "/hello";
    assertThat(agent.send(HttpMethod.POST, hello, Buffer.buffer("{}"),
      Map.of("Authorization", "Bearer " + Ids.sha256(token), "Content-Type", "application/json")).status())
      .as("the stored hash is no token").isEqualTo(401);
    ApiClient.Reply first = agent.send(HttpMethod.POST, hello, Buffer.buffer("{}"),
      Map.of("Authorization", "Bearer " + token, "Content-Type", "application/json"));
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(new JsonObject(first.body()).getString("agentToken")).isNotBlank();
    assertThat(agent.send(HttpMethod.POST, hello, Buffer.buffer("{}"),
      Map.of("Authorization", "Bearer " + token, "Content-Type", "application/json")).status())
      .as("spent").isEqualTo(401);
    assertThat(count("SELECT COUNT(*) FROM machine_bootstrap_tokens WHERE machine_id = '" + machineId + "'")).isZero();

    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(60));
    Await.until("the agent process to end", Duration.ofSeconds(20), () -> processesOf(machineId).isEmpty() ? true : null);
  }
}
