package io.ltm.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How an agent ends, against the real LTM and real agent processes: a 410 from the server, SIGTERM, a refused
 * bootstrap token. (An agent whose server disappears: {@link AgentFencingIT}.)
 */
class AgentLifecycleIT extends LtmTestBase {

  @Test
  void aMachineTheServerNoLongerWantsHears410AndStopsItsFfmpegAndItself() {
    ApiClient api = api(newAccountKey("gone"));
    String id = FailureIT.startLive(api);
    String machineId = machineOf(id);
    assertThat(processesOf(machineId)).hasSizeGreaterThanOrEqualTo(2);
    // What a drain would do: the row no longer counts on this machine, so its next heartbeat gets 410.
    Await.result(ltm.pool().preparedQuery("UPDATE machines SET state = 'DRAINING' WHERE id = ?")
      .execute(io.vertx.sqlclient.Tuple.of(machineId)));

    Await.until("agent and ffmpeg to exit after a 410", Duration.ofSeconds(20),
      () -> processesOf(machineId).isEmpty() ? true : null);
    assertThat(agentLog(machineId)).contains("server no longer wants machine " + machineId);
  }

  @Test
  void sigtermStopsFfmpegBeforeTheAgentExits() {
    ApiClient api = api(newAccountKey("sigterm"));
    String id = FailureIT.startLive(api);
    String machineId = machineOf(id);
    ProcessHandle agent = processesOf(machineId).stream()
      .filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))
      .findFirst().orElseThrow(() -> new AssertionError("no agent runs for " + machineId));
    agent.destroy();

    Await.until("agent and ffmpeg to exit after SIGTERM", Duration.ofSeconds(20),
      () -> processesOf(machineId).isEmpty() ? true : null);
    assertThat(agentLog(machineId)).contains("terminating: stopping ffmpeg");
    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(30));
    assertThat(failed.getString("stateReason")).isNotBlank();
  }

  @Test
  void anAgentWithARefusedBootstrapTokenExitsWithOne(@TempDir Path dir) throws Exception {
    String jar = System.getProperty("ltm.agent.classpath", "target/ltm.jar");
    ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp", jar,
      "io.ltm.Main", "agent", "--machine-id", "mch_nobody", "--server", "http://127.0.0.1:" + port,
      "--work-dir", dir.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
    builder.environment().put("LTM_AGENT_TOKEN", "wrong");
    Process agent = builder.start();
    assertThat(agent.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(agent.exitValue()).as(Files.readString(dir.resolve("out.log"))).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("out.log"))).contains("401");
  }

  static String agentLog(String machineId) {
    try {
      return Files.readString(Path.of(config.cloud().workDir()).resolve(machineId).resolve("agent.log"));
    } catch (Exception e) {
      return "";
    }
  }
}
