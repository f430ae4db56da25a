package io.ltm.it;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays EC2 and cloud-init on this host for the tests: it watches the EC2 peer for instances tagged with the
 * test's {@code ltm:env}, fetches each one's user-data (DescribeInstanceAttribute), and runs it as cloud-init would
 * — once, in a process group of its own — in a sandbox laid out like the image ({@code opt/ltm/ltm.jar},
 * {@code opt/ltm/bin/ltm-agent-start} from deploy/ami/). When the peer reports the instance stopping, stopped,
 * shutting down or terminated, the whole group (agent and ffmpeg) is killed, as the machine's power going off would.
 */
public final class InstanceRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceRunner.class);
  private static final Set<String> BOOTS = Set.of("pending", "running");
  private static final AtomicInteger SEQ = new AtomicInteger();

  private final Ec2AsyncClient ec2;
  private final String env;
  private final Path sandbox;
  private final Path jar;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final Map<String, Process> booted = new ConcurrentHashMap<>();
  private final Map<String, String> userData = new ConcurrentHashMap<>();
  /** Instances powered off while stopped, not terminated: started again, they boot as the image does. */
  private final Set<String> down = ConcurrentHashMap.newKeySet();
  private final Thread watcher;
  private volatile boolean running = true;

  public InstanceRunner(Ec2AsyncClient ec2, String env) throws IOException {
    this.ec2 = ec2;
    this.env = env;
    String jarPath = System.getProperty("ltm.agent.classpath");
    if (jarPath == null || !Files.exists(Path.of(jarPath))) {
      throw new IllegalStateException("the packaged jar is missing (" + jarPath + "): run the ITs through `mvn verify`");
    }
    this.jar = Path.of(jarPath).toAbsolutePath();
    this.sandbox = Path.of("target", "ec2-instances", ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet())
      .toAbsolutePath();
    Files.createDirectories(sandbox);
    this.watcher = new Thread(this::watch, "instance-runner-" + env);
    watcher.setDaemon(true);
    watcher.start();
  }

  /** The user-data an instance booted with, as cloud-init saw it (null before it booted). */
  public String userDataOf(String instanceId) {
    return userData.get(instanceId);
  }

  public Set<String> booted() {
    return Set.copyOf(booted.keySet());
  }

  /** Processes of an instance's sandbox still alive: its agent, its ffmpeg, anything they started. */
  public List<ProcessHandle> processesOf(String instanceId) {
    return PrivateProcesses.referencing(sandbox.resolve(instanceId));
  }

  private void watch() {
    while (running) {
      try {
        List<Instance> instances = ec2.describeInstances(r -> r.filters(
          Filter.builder().name("tag:ltm:env").values(env).build())).get(10, TimeUnit.SECONDS)
          .reservations().stream().flatMap(r -> r.instances().stream()).toList();
        for (Instance i : instances) {
          String state = i.state().nameAsString();
          if (BOOTS.contains(state) && seen.add(i.instanceId())) {
            boot(i.instanceId());
          } else if (BOOTS.contains(state) && down.remove(i.instanceId())) {
            reboot(i.instanceId());
          } else if (!BOOTS.contains(state) && booted.containsKey(i.instanceId())) {
            powerOff(i.instanceId());
            if (state.equals("stopping") || state.equals("stopped")) {
              down.add(i.instanceId());
            }
          }
        }
        TimeUnit.MILLISECONDS.sleep(300);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (running) {
          LOG.warn("instance runner: {}", e.toString());
          sleepQuietly();
        }
      }
    }
  }

  private void boot(String instanceId) throws Exception {
    var attribute = ec2.describeInstanceAttribute(r -> r.instanceId(instanceId)
      .attribute(InstanceAttributeName.USER_DATA)).get(10, TimeUnit.SECONDS).userData();
    String encoded = attribute == null ? null : attribute.value();
    if (encoded == null || encoded.isEmpty()) {
      LOG.info("instance runner: {} has no user-data; cloud-init has nothing to run", instanceId);
      return;
    }
    String script = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    userData.put(instanceId, script);
    Path root = sandbox.resolve(instanceId);
    Files.createDirectories(root.resolve("opt/ltm/bin"));
    Files.copy(Path.of("deploy", "ami", "ltm-agent-start"), root.resolve("opt/ltm/bin/ltm-agent-start"),
      StandardCopyOption.REPLACE_EXISTING);
    root.resolve("opt/ltm/bin/ltm-agent-start").toFile().setExecutable(true);
    Files.deleteIfExists(root.resolve("opt/ltm/ltm.jar"));
    Files.createSymbolicLink(root.resolve("opt/ltm/ltm.jar"), jar);
    Path userDataFile = root.resolve("user-data");
    Files.writeString(userDataFile, script);
    ProcessBuilder builder = new ProcessBuilder("setsid", "sh", userDataFile.toString())
      .redirectErrorStream(true).redirectOutput(root.resolve("console.log").toFile());
    builder.environment().put("LTM_ROOT", root.toString());
    builder.environment().put("LTM_ADVERTISED_HOST", "127.0.0.1");
    builder.environment().put("LTM_AGENT_JAVA_OPTS", "-Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    builder.environment().remove("AWS_ACCESS_KEY_ID");
    builder.environment().remove("AWS_SECRET_ACCESS_KEY");
    booted.put(instanceId, PrivateProcesses.spawn(builder));
    LOG.info("instance runner: booted {} from its user-data", instanceId);
  }

  /**
   * A stopped instance started again (StartInstances): cloud-init does not run the user-data twice, /run is empty,
   * and the image's enabled unit runs the start script, which resumes from what the agent kept on its disk.
   */
  private void reboot(String instanceId) throws Exception {
    Path root = sandbox.resolve(instanceId);
    PrivateProcesses.deleteTree(root.resolve("run"));
    ProcessBuilder builder = new ProcessBuilder("setsid", "sh", root.resolve("opt/ltm/bin/ltm-agent-start").toString(),
      root.resolve("run/ltm/agent.env").toString())
      .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("console.log").toFile()));
    builder.environment().put("LTM_ROOT", root.toString());
    builder.environment().put("LTM_ADVERTISED_HOST", "127.0.0.1");
    builder.environment().put("LTM_AGENT_JAVA_OPTS", "-Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    builder.environment().remove("AWS_ACCESS_KEY_ID");
    builder.environment().remove("AWS_SECRET_ACCESS_KEY");
    booted.put(instanceId, PrivateProcesses.spawn(builder));
    LOG.info("instance runner: {} started again, booted as the image does", instanceId);
  }

  /** SIGTERM to the instance's process group and everything of its sandbox, SIGKILL to what is left after 3 s. */
  private void powerOff(String instanceId) {
    Process group = booted.get(instanceId);
    if (group == null || (!group.isAlive() && processesOf(instanceId).isEmpty())) {
      return;
    }
    LOG.info("instance runner: {} ended in EC2, powering it off", instanceId);
    signal("TERM", group.pid());
    long deadline = System.currentTimeMillis() + 3000;
    while (!processesOf(instanceId).isEmpty() && System.currentTimeMillis() < deadline) {
      sleepQuietly();
    }
    signal("KILL", group.pid());
    PrivateProcesses.killReferencing(sandbox.resolve(instanceId));
  }

  private static void signal(String signal, long group) {
    try {
      new ProcessBuilder("kill", "-s", signal, "--", "-" + group).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      LOG.warn("kill -{} -{}: {}", signal, group, e.toString());
    }
  }

  /** The console of an instance (its start script's and agent's output), for failure messages. */
  public String console(String instanceId) {
    try {
      return Files.readString(sandbox.resolve(instanceId).resolve("console.log"));
    } catch (IOException e) {
      return "";
    }
  }

  private static void sleepQuietly() {
    try {
      TimeUnit.MILLISECONDS.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    watcher.interrupt();
    booted.keySet().forEach(this::powerOff);
    PrivateProcesses.killReferencing(sandbox);
  }
}
