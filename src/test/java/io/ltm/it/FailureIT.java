package io.ltm.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** When a part dies: the customer reads why, and nothing keeps running that no stream owns. */
class FailureIT extends LtmTestBase {

  @Test
  void streamFailsWithAReadableReasonWhenFfmpegExits() {
    ApiClient api = api(newAccountKey("ffmpeg-dies"));
    String id = startLive(api);
    String machineId = machineOf(id);
    ProcessHandle ffmpeg = processesOf(machineId).stream()
      .filter(p -> p.info().command().map(c -> c.endsWith("ffmpeg")).orElse(false))
      .findFirst().orElseThrow(() -> new AssertionError("no ffmpeg runs for " + machineId));
    ffmpeg.destroyForcibly();

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(20));
    assertThat(failed.getString("stateReason")).contains("ffmpeg");
    assertThat(failed.getJsonArray("allowedActions")).contains("start");
    Await.until("every process of the machine to exit", Duration.ofSeconds(15),
      () -> processesOf(machineId).isEmpty() ? true : null);
    Await.until("the machine row to be TERMINATED", Duration.ofSeconds(15),
      () -> "TERMINATED".equals(machineState(machineId)) ? true : null);
  }

  @Test
  void streamFailsAndFfmpegIsReapedWhenTheAgentDies() {
    ApiClient api = api(newAccountKey("agent-dies"));
    String id = startLive(api);
    String machineId = machineOf(id);
    ProcessHandle agent = processesOf(machineId).stream()
      .filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))
      .findFirst().orElseThrow(() -> new AssertionError("no agent runs for " + machineId));
    agent.destroyForcibly();

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(20));
    assertThat(failed.getString("stateReason")).contains("stopped unexpectedly");
    Await.until("ffmpeg to be killed with its agent", Duration.ofSeconds(15),
      () -> processesOf(machineId).isEmpty() ? true : null);

    // A failed stream starts again on a fresh machine.
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);
    awaitState(api, id, "LIVE", Duration.ofSeconds(60));
    String second = machineOf(id);
    assertThat(second).isNotEqualTo(machineId);
    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
    Await.until("the second machine to be gone", Duration.ofSeconds(15),
      () -> processesOf(second).isEmpty() ? true : null);
  }

  @Test
  void aMachineThatNoStreamOwnsIsTerminatedByTheReconciler() {
    ApiClient api = api(newAccountKey("orphan"));
    String id = startLive(api);
    String machineId = machineOf(id);
    // Simulate a crash that lost the record of this machine: the row says TERMINATED, the process runs on.
    Await.result(ltm.pool().preparedQuery("UPDATE machines SET state = 'TERMINATED' WHERE id = ?")
      .execute(io.vertx.sqlclient.Tuple.of(machineId)));
    Await.until("the reconciler to terminate the orphan", Duration.ofSeconds(30),
      () -> processesOf(machineId).isEmpty() ? true : null);
  }

  static String startLive(ApiClient api) {
    String id = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);
    awaitState(api, id, "LIVE", Duration.ofSeconds(60));
    return id;
  }

  static String machineState(String machineId) {
    return Await.result(ltm.pool().preparedQuery("SELECT state FROM machines WHERE id = ?")
      .execute(io.vertx.sqlclient.Tuple.of(machineId))).iterator().next().getString(0);
  }
}
