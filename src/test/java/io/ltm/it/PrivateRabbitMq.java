package io.ltm.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Map;

/**
 * A RabbitMQ node of one test's own — own node name, data dir under {@code target/private/}, AMQP and
 * distribution ports — for tests that stop, restart or kill the broker. The shared broker on 5672 is used by
 * every engineer's tests at once and is never stopped. Closed (node stopped, processes killed, dir deleted)
 * by {@link #close()}, by a JVM shutdown hook, and, if the JVM was killed, by the next test JVM's sweep.
 *
 * <p>Needs root (as CI and this machine run tests): {@code rabbitmq-server} drops to the {@code rabbitmq}
 * user, so the data dir is handed to that user.
 */
public final class PrivateRabbitMq implements AutoCloseable {
  private static final String CHECKOUT = Integer.toHexString(Path.of("").toAbsolutePath().toString().hashCode());

  private final Path dir;
  private final String node;
  private final int amqpPort;
  private final int distPort;
  private final Thread hook = new Thread(this::closeQuietly, "private-rabbitmq-cleanup");
  private boolean closed;

  private PrivateRabbitMq(Path dir, String node, int amqpPort, int distPort) {
    this.dir = dir;
    this.node = node;
    this.amqpPort = amqpPort;
    this.distPort = distPort;
  }

  /** Starts a fresh node and waits until it accepts AMQP connections (default user guest/guest, vhost /). */
  public static PrivateRabbitMq start() throws IOException {
    Path dir = PrivateProcesses.newDir("rabbitmq");
    String node = "ltm-" + CHECKOUT + "-" + dir.getFileName().toString().replace("rabbitmq-", "") + "@localhost";
    PrivateRabbitMq rabbit = new PrivateRabbitMq(dir, node, PrivateProcesses.freePort(), PrivateProcesses.freePort());
    Runtime.getRuntime().addShutdownHook(rabbit.hook);
    try {
      rabbit.boot();
    } catch (IOException | RuntimeException e) {
      rabbit.close();
      throw e;
    }
    return rabbit;
  }

  private void boot() throws IOException {
    Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
    Files.writeString(dir.resolve("rabbitmq.conf"), "listeners.tcp.local = 127.0.0.1:" + amqpPort + "\n"
      + "loopback_users = none\n");
    // An empty env file of our own, so /etc/rabbitmq/rabbitmq-env.conf (the shared node's name) is not read.
    Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
    chownToRabbitmq();
    PrivateProcesses.run(List.of("rabbitmq-server", "-detached"), env(), 60).orThrow("rabbitmq-server " + node);
    awaitStartup();
  }

  /**
   * {@code await_startup} gives up at once while the node has not yet registered with epmd (the first second
   * after {@code -detached}), so it is asked again until the node is up or two minutes have passed.
   */
  private void awaitStartup() throws IOException {
    long deadline = System.currentTimeMillis() + 120_000;
    PrivateProcesses.Result up;
    while ((up = ctl(120, "await_startup", "--timeout", "110")).exitCode() != 0) {
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("private RabbitMQ " + node + " did not start:\n" + up.output() + "\n"
          + PrivateProcesses.tail(dir.resolve("log").resolve(node + ".log"), 30));
      }
      PrivateProcesses.sleep(500);
    }
  }

  private Map<String, String> env() {
    return Map.ofEntries(
      Map.entry("RABBITMQ_NODENAME", node),
      Map.entry("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
      Map.entry("RABBITMQ_NODE_PORT", String.valueOf(amqpPort)),
      // Explicit: the default (AMQP port + 20000) could be 25672, the shared node's.
      Map.entry("RABBITMQ_DIST_PORT", String.valueOf(distPort)),
      Map.entry("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString()),
      Map.entry("RABBITMQ_LOG_BASE", dir.resolve("log").toString()),
      Map.entry("RABBITMQ_PID_FILE", dir.resolve("rabbitmq.pid").toString()),
      Map.entry("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString()),
      Map.entry("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString()),
      Map.entry("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString()),
      Map.entry("ERL_EPMD_ADDRESS", "127.0.0.1"),
      // The data dir on the node's command line too, so `ps` shows whose node it is.
      Map.entry("ERL_FLAGS", "-kernel inet_dist_use_interface {127,0,0,1} -ltm_private " + dir));
  }

  private void chownToRabbitmq() throws IOException {
    UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
    var user = users.lookupPrincipalByName("rabbitmq");
    var group = users.lookupPrincipalByGroupName("rabbitmq");
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.toList()) {
        Files.setOwner(p, user);
        Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(group);
      }
    }
  }

  /** {@code amqp://guest:guest@127.0.0.1:<port>} (vhost /). */
  public String uri() {
    return "amqp://guest:guest@127.0.0.1:" + amqpPort;
  }

  public int port() {
    return amqpPort;
  }

  public String nodeName() {
    return node;
  }

  /** {@code rabbitmqctl stop_app}: the broker refuses connections and drops the open ones; data is kept. */
  public void stopApp() throws IOException {
    ctl(60, "stop_app").orThrow("rabbitmqctl stop_app on " + node);
  }

  /** {@code rabbitmqctl start_app}, then waits until AMQP answers again. */
  public void startApp() throws IOException {
    ctl(120, "start_app").orThrow("rabbitmqctl start_app on " + node);
    awaitStartup();
  }

  /** {@code rabbitmqctl -n <this node> <args>}, bounded. */
  public PrivateProcesses.Result ctl(long timeoutSeconds, String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of("rabbitmqctl", "-n", node));
    command.addAll(List.of(args));
    return PrivateProcesses.run(command, Map.of(), timeoutSeconds);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      ctl(30, "stop");
    } catch (IOException ignored) {
      // Killed below either way.
    }
    PrivateProcesses.killReferencing(dir);
    try {
      PrivateProcesses.deleteTree(dir);
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs anyway and finds the node closed.
      }
    }
  }

  private void closeQuietly() {
    close();
  }
}
