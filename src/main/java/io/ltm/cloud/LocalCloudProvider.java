package io.ltm.cloud;

import io.ltm.config.LtmConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The default cloud: each machine is an {@code ltm agent} process on this host. The process carries its
 * tags on its command line ({@code -Dltm.machine=…}, {@code -Dltm.env=…}) so it can be found again after
 * a restart, and runs in its own process group (setsid) so terminating it kills ffmpeg too.
 */
public class LocalCloudProvider implements CloudProvider {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCloudProvider.class);
  private static final String MACHINE_TAG = "-Dltm.machine=";
  private static final String ENV_TAG = "-Dltm.env=";

  private final Vertx vertx;
  private final LtmConfig config;
  private final BiConsumer<String, Integer> onExit;

  /** @param onExit told (machine id, exit code) when an agent process ends, on the Vert.x context */
  public LocalCloudProvider(Vertx vertx, LtmConfig config, BiConsumer<String, Integer> onExit) {
    this.vertx = vertx;
    this.config = config;
    this.onExit = onExit;
  }

  @Override
  public String name() {
    return "local";
  }

  @Override
  public Future<Launched> launch(LaunchRequest request) {
    var context = vertx.getOrCreateContext();
    return vertx.executeBlocking(() -> {
      Optional<ProcessHandle> existing = find(request.machineId());
      if (existing.isPresent()) {
        return new Launched(String.valueOf(existing.get().pid()), true);
      }
      Process process = spawn(request);
      String machineId = request.machineId();
      process.onExit().thenAccept(p -> context.runOnContext(v -> onExit.accept(machineId, p.exitValue())));
      return new Launched(String.valueOf(process.pid()), true);
    }, false);
  }

  @Override
  public Future<Void> terminate(String machineId, String providerRef) {
    return vertx.executeBlocking(() -> {
      Optional<ProcessHandle> agent = find(machineId);
      if (agent.isPresent()) {
        ProcessGroups.kill(agent.get().pid());
      } else if (providerRef != null) {
        // The agent is gone; its group may still hold an ffmpeg. Group ids are pids, so the ref names it.
        ProcessGroups.kill(Long.parseLong(providerRef));
      }
      return null;
    }, false);
  }

  @Override
  public Future<List<Running>> list() {
    return vertx.executeBlocking(() -> {
      List<Running> running = new ArrayList<>();
      ProcessHandle.allProcesses().forEach(p -> tagOf(p).ifPresent(id -> running.add(new Running(id, String.valueOf(p.pid())))));
      return running;
    }, false);
  }

  private Process spawn(LaunchRequest request) throws IOException {
    Path workDir = Path.of(config.cloud().workDir(), request.machineId());
    Files.createDirectories(workDir);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of("setsid", java,
      MACHINE_TAG + request.machineId(), ENV_TAG + config.cloud().env(),
      "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-cp", agentClasspath(), "io.ltm.Main", "agent",
      "--machine-id", request.machineId(),
      "--server", config.http().publicUrl(),
      "--work-dir", workDir.toString());
    ProcessBuilder builder = new ProcessBuilder(command)
      .redirectErrorStream(true)
      .redirectOutput(workDir.resolve("agent.log").toFile())
      .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().put("LTM_AGENT_TOKEN", request.bootstrapToken());
    Process process = builder.start();
    LOG.info("machine {} started as local process {} (stream {})", request.machineId(), process.pid(), request.streamId());
    return process;
  }

  /** The jar (or classpath) this JVM runs from, so the agent is exactly the same build. */
  private static String agentClasspath() {
    return System.getProperty("ltm.agent.classpath", System.getProperty("java.class.path"));
  }

  private Optional<ProcessHandle> find(String machineId) {
    return ProcessHandle.allProcesses().filter(p -> tagOf(p).map(machineId::equals).orElse(false)).findFirst();
  }

  /** The machine id a process is tagged with, when it is an agent of this environment. */
  private Optional<String> tagOf(ProcessHandle process) {
    String[] args = process.info().arguments().orElse(null);
    if (args == null) {
      return Optional.empty();
    }
    String machine = null;
    boolean sameEnv = false;
    for (String arg : args) {
      if (arg.startsWith(MACHINE_TAG)) {
        machine = arg.substring(MACHINE_TAG.length());
      } else if (arg.equals(ENV_TAG + config.cloud().env())) {
        sameEnv = true;
      }
    }
    return sameEnv && process.isAlive() ? Optional.ofNullable(machine) : Optional.empty();
  }
}
