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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The default cloud: each machine is an {@code ltm agent} process on this host. The process carries its
 * tags on its command line ({@code -Dltm.machine=…}, {@code -Dltm.env=…}) so it can be found again after
 * a restart, and runs in its own process group (setsid) so terminating it kills ffmpeg too.
 *
 * <p>The tags are in its environment as well ({@code LTM_TAG_ENV}, {@code LTM_TAG_MACHINE}), which every process
 * the agent starts inherits: a machine is terminable by its id alone, even when its launch was never recorded,
 * and an ffmpeg that outlived its agent is still found (read from {@code /proc/<pid>/environ}) and listed as
 * an impaired machine, so the reconciler ends it.
 */
public class LocalCloudProvider implements CloudProvider {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCloudProvider.class);
  private static final String MACHINE_TAG = "-Dltm.machine=";
  private static final String ENV_TAG = "-Dltm.env=";
  /** Environment variables naming a process's environment and machine; inherited by everything an agent starts. */
  public static final String TAG_ENV_VAR = "LTM_TAG_ENV";
  public static final String TAG_MACHINE_VAR = "LTM_TAG_MACHINE";

  private final Vertx vertx;
  private final LtmConfig config;
  private final BiConsumer<String, Integer> onExit;
  /** Agents this provider started that have exited, with why: {@link #list()} reports them as ended for a while. */
  private final Map<String, Instance> ended = new ConcurrentHashMap<>();
  private static final long ENDED_KEPT_MS = 3_600_000;
  /** How long a tagged process must outlive its agent before it is listed as left behind. */
  private static final long LEFT_CONFIRM_MS = 5_000;
  /** Tagged processes seen without their agent, since when. */
  private final Map<Long, Instant> leftSince = new ConcurrentHashMap<>();

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
      String type = request.instanceTypes() == null || request.instanceTypes().isEmpty() ? null
        : request.instanceTypes().get(0);
      Optional<ProcessHandle> existing = find(request.machineId());
      if (existing.isPresent()) {
        return new Launched(String.valueOf(existing.get().pid()), true, type);
      }
      Process process = spawn(request);
      String machineId = request.machineId();
      Instant startedAt = Instant.now();
      ended.remove(machineId);
      process.onExit().thenAccept(p -> {
        forgetOldExits();
        ended.put(machineId, new Instance(machineId, String.valueOf(p.pid()), Status.ENDED,
          "the agent process exited with code " + p.exitValue(), startedAt, null));
        context.runOnContext(v -> onExit.accept(machineId, p.exitValue()));
      });
      // A local machine runs as soon as its process does: the one type it stands for is the offer's first.
      return new Launched(String.valueOf(process.pid()), true, type);
    }, false);
  }

  @Override
  public Future<Void> terminate(String machineId, String providerRef) {
    return vertx.executeBlocking(() -> {
      Optional<ProcessHandle> agent = find(machineId);
      long pid = agent.map(ProcessHandle::pid).orElse(-1L);
      if (agent.isPresent() && ProcessGroups.groupOf(pid).orElse(-1L) == pid) {
        // SIGTERM to the agent's own group first: it stops ffmpeg cleanly (closing its playlists) before it exits.
        ProcessGroups.kill(pid);
      }
      // Then whatever still carries the machine's tag: the agent, an ffmpeg that outlived it, all of a launch that
      // was never recorded. Never a group by the ref alone: a pid reused by then may lead a group that is not ours.
      ProcessGroups.killAll(() -> tagged().getOrDefault(machineId, List.of()));
      return null;
    }, false);
  }

  @Override
  public Future<List<Instance>> list() {
    return vertx.executeBlocking(() -> {
      List<Instance> instances = new ArrayList<>();
      List<String> alive = new ArrayList<>();
      ProcessHandle.allProcesses().forEach(p -> tagOf(p).ifPresent(id -> {
        alive.add(id);
        instances.add(new Instance(id, String.valueOf(p.pid()), Status.RUNNING, null,
          p.info().startInstant().orElse(Instant.now()), null));
      }));
      // Tagged processes of a machine whose agent is gone: ffmpeg (or any helper) left running under pid 1. Only
      // once seen so for a while: an agent JVM in the middle of exiting, or of forking, is not one.
      Instant now = Instant.now();
      Map<Long, Instant> stillLeft = new ConcurrentHashMap<>();
      tagged().forEach((id, pids) -> {
        if (alive.contains(id) || pids.isEmpty()) {
          return;
        }
        pids.forEach(p -> stillLeft.put(p.pid(), leftSince.getOrDefault(p.pid(), now)));
        if (pids.stream().allMatch(p -> stillLeft.get(p.pid()).isAfter(now.minusMillis(LEFT_CONFIRM_MS)))) {
          return;
        }
        ProcessHandle first = pids.get(0);
        instances.add(new Instance(id, String.valueOf(first.pid()), Status.IMPAIRED, "the agent process is gone but "
          + pids.size() + " of its processes still run (" + describe(first) + ")",
          first.info().startInstant().orElse(Instant.now()), null));
        alive.add(id);
      });
      leftSince.clear();
      leftSince.putAll(stillLeft);
      ended.values().stream().filter(e -> !alive.contains(e.machineId())).forEach(instances::add);
      return instances;
    }, false);
  }

  private static String describe(ProcessHandle p) {
    return p.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("pid") + " " + p.pid();
  }

  private void forgetOldExits() {
    Instant cutoff = Instant.now().minusMillis(ENDED_KEPT_MS);
    ended.values().removeIf(e -> e.launchedAt().isBefore(cutoff));
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
    builder.environment().put(TAG_ENV_VAR, config.cloud().env());
    builder.environment().put(TAG_MACHINE_VAR, request.machineId());
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

  /** Every live process whose environment tags it with a machine of this environment, by machine id. */
  private Map<String, List<ProcessHandle>> tagged() {
    Map<String, List<ProcessHandle>> byMachine = new java.util.HashMap<>();
    String env = config.cloud().env();
    long self = ProcessHandle.current().pid();
    try {
      ProcessGroups.environments((pid, vars) -> {
        String machine = vars.get(TAG_MACHINE_VAR);
        if (pid != self && machine != null && env.equals(vars.get(TAG_ENV_VAR))) {
          ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
            .ifPresent(p -> byMachine.computeIfAbsent(machine, k -> new ArrayList<>()).add(p));
        }
      });
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot list /proc", e);
    }
    return byMachine;
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
