package io.ltm.it;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A machine that can no longer reach its server may already be replaced: after max(fenceMinSeconds, ten
 * heartbeats) of silence it stops ffmpeg and exits. Here the whole LTM goes away under a live stream.
 */
class AgentFencingIT extends LtmTestBase {

  @Test
  void anAgentWhoseServerDisappearsStopsFfmpegAndExits() {
    ApiClient api = api(newAccountKey("fence"));
    String id = FailureIT.startLive(api);
    String machineId = machineOf(id);
    assertThat(processesOf(machineId)).hasSizeGreaterThanOrEqualTo(2);

    Await.result(vertx.close());
    vertx = null;

    Await.until("the fenced agent and its ffmpeg to exit", Duration.ofSeconds(40),
      () -> processesOf(machineId).isEmpty() ? true : null);
    assertThat(AgentLifecycleIT.agentLog(machineId)).contains("server unreachable");
  }
}
