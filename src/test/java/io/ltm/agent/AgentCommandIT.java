package io.ltm.agent;

import io.ltm.stream.domain.Rendition;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ltm agent} as its own JVM, the way the local provider starts it, stopped the way it stops it. */
class AgentCommandIT {

  Vertx vertx;
  final StandInHome home = new StandInHome();

  @BeforeEach
  void startHome() throws Exception {
    vertx = Vertx.vertx();
    AgentVerticleIT.await(home.listen(vertx));
    home.pipeline.set(new Pipeline(StandInHome.MACHINE, "str_it", "agent-token", 1,
      new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), List.of(new Rendition("lo", 160, 90, 150, 15, 48)),
      new Pipeline.Hls(1, 6), "ultrafast", "127.0.0.1"));
  }

  @AfterEach
  void stopHome() throws Exception {
    AgentVerticleIT.await(vertx.close());
  }

  Process agent(Path workDir, String token, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(
      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-cp", System.getProperty("java.class.path"), AgentCommand.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command)
      .redirectOutput(workDir.resolve("agent.log").toFile())
      .redirectErrorStream(true);
    builder.environment().put(AgentOptions.TOKEN_ENV, token);
    return builder.start();
  }

  @Test
  void sigtermStopsFfmpegBeforeTheAgentExits(@TempDir Path dir) throws Exception {
    Process agent = agent(dir, StandInHome.BOOTSTRAP_TOKEN, "--machine-id", StandInHome.MACHINE,
      "--server", home.url(), "--work-dir", dir.resolve("work").toString());
    try {
      assertThat(StandInHome.next(home.statuses, 15).getString("state")).isEqualTo("READY");
      List<ProcessHandle> ffmpeg = agent.descendants().toList();
      assertThat(ffmpeg).as("the agent's ffmpeg").isNotEmpty();

      agent.destroy();
      assertThat(agent.waitFor(10, TimeUnit.SECONDS)).as("agent exited after SIGTERM").isTrue();
      assertThat(ffmpeg).noneMatch(ProcessHandle::isAlive);
    } finally {
      agent.descendants().forEach(ProcessHandle::destroyForcibly);
      agent.destroyForcibly();
    }
  }

  @Test
  void serverLettingTheMachineGoEndsTheAgentWithZero(@TempDir Path dir) throws Exception {
    home.heartbeatAnswer.set(410);
    Process agent = agent(dir, StandInHome.BOOTSTRAP_TOKEN, "--machine-id", StandInHome.MACHINE,
      "--server", home.url(), "--work-dir=" + dir.resolve("work"));
    try {
      assertThat(agent.waitFor(15, TimeUnit.SECONDS)).as("agent exited after 410").isTrue();
      assertThat(agent.exitValue()).isZero();
    } finally {
      agent.descendants().forEach(ProcessHandle::destroyForcibly);
      agent.destroyForcibly();
    }
  }

  @Test
  void refusedBootstrapTokenEndsTheAgentWithOne(@TempDir Path dir) throws Exception {
    Process agent = agent(dir, "wrong", "--machine-id", StandInHome.MACHINE, "--server", home.url(),
      "--work-dir", dir.resolve("work").toString());
    try {
      assertThat(agent.waitFor(15, TimeUnit.SECONDS)).isTrue();
      assertThat(agent.exitValue()).isEqualTo(1);
    } finally {
      agent.destroyForcibly();
    }
  }
}
