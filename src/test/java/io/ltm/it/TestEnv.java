package io.ltm.it;

import io.ltm.config.LtmConfig;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mysql.MySQLContainer;
import org.testcontainers.rabbitmq.RabbitMQContainer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where integration tests find MySQL and RabbitMQ: the local servers when they answer (this machine, CI), else
 * containers started by Testcontainers where Docker exists. Each test JVM gets a fresh database {@code ltm_it_<checkout>}
 * and a fresh RabbitMQ vhost {@code ltm-it-<checkout>}, so a running {@code ltm dev} and the tests never share jobs or rows.
 */
final class TestEnv {
  /**
   * Several checkouts of the project (git worktrees, CI jobs on one host) may run their ITs at the same time against
   * the same MariaDB and RabbitMQ: each checkout gets its own database, vhost and machine tag, named after its
   * folder, or else one run drops the other's database and its reconciler reaps the other's agents.
   */
  private static final String CHECKOUT = Integer.toHexString(Path.of("").toAbsolutePath().toString().hashCode());
  private static final String DATABASE = "ltm_it_" + CHECKOUT;
  private static final String VHOST = "ltm-it-" + CHECKOUT;
  private static Map<String, String> base;
  private static final String CDN_KEY = io.ltm.cdn.SecretBox.newKey();

  private TestEnv() {
  }

  /** A config for one LTM instance on a free port, against this JVM's clean database and vhost. */
  static LtmConfig config() throws Exception {
    return config(Map.of());
  }

  /** As {@link #config()}, with some variables set otherwise (a test that needs a broken part, say). */
  static LtmConfig config(Map<String, String> overrides) throws Exception {
    return LtmConfig.load(environment(overrides));
  }

  /**
   * The variables {@link #config(Map)} reads, for a test that starts an {@code ltm} process of its own with the
   * same database, vhost and tag (a worker it can kill).
   */
  static synchronized Map<String, String> environment(Map<String, String> overrides) throws Exception {
    if (base == null) {
      base = prepareServices();
    }
    int port = freePort();
    Map<String, String> env = new HashMap<>(base);
    env.put("LTM_HTTP_PORT", String.valueOf(port));
    env.put("LTM_HTTP_HOST", "127.0.0.1");
    env.put("LTM_PUBLIC_URL", "http://127.0.0.1:" + port);
    env.put("LTM_ENV", "it-" + CHECKOUT);
    env.put("LTM_ADVERTISED_HOST", "127.0.0.1");
    env.put("LTM_AGENT_WORK_DIR", Path.of("target", "it-agents").toAbsolutePath().toString());
    env.put("LTM_X264_PRESET", "ultrafast");
    env.put("LTM_HEARTBEAT_SECONDS", "1");
    env.put("LTM_HEARTBEAT_TIMEOUT_SECONDS", "8");
    env.put("LTM_THUMBNAIL_SECONDS", "1");
    env.put("LTM_HEALTH_EVENT_SECONDS", "1");
    // Ten heartbeats (10 s) is the fence then, not the production floor of 30 s.
    env.put("LTM_FENCE_MIN_SECONDS", "3");
    env.put("LTM_RECONCILE_SECONDS", "1");
    env.put("LTM_ORPHAN_GRACE_SECONDS", "3");
    // CDN secrets encrypted with a key of this JVM's own: a test never depends on a key kept anywhere.
    env.put("LTM_CDN_SECRET_KEY", CDN_KEY);
    String jar = System.getProperty("ltm.agent.classpath");
    if (jar != null && !Path.of(jar).toFile().exists()) {
      throw new IllegalStateException(jar + " is missing: run the ITs through `mvn verify`, which packages it first");
    }
    env.putAll(overrides);
    return env;
  }

  private static Map<String, String> prepareServices() throws Exception {
    Map<String, String> env = new HashMap<>();
    String mysqlHost = "127.0.0.1";
    int mysqlPort = 3306;
    String rabbitUri = "amqp://guest:guest@127.0.0.1:5672/" + VHOST;
    if (!answers("127.0.0.1", 3306) || !answers("127.0.0.1", 5672)) {
      if (!DockerClientFactory.instance().isDockerAvailable()) {
        throw new IllegalStateException("neither local MySQL/RabbitMQ (127.0.0.1:3306, :5672) nor Docker is available; "
          + "run scripts/ensure-services");
      }
      MySQLContainer mysql = new MySQLContainer("mysql:8.4").withUsername("root").withPassword("");
      mysql.start();
      RabbitMQContainer rabbit = new RabbitMQContainer("rabbitmq:3.13");
      rabbit.start();
      mysqlHost = mysql.getHost();
      mysqlPort = mysql.getMappedPort(3306);
      rabbitUri = rabbit.getAmqpUrl();
    } else {
      resetVhost();
      // This run's database and vhost go with the JVM that made them, whatever the tests' outcome.
      Runtime.getRuntime().addShutdownHook(new Thread(TestEnv::dropOwn, "it-cleanup"));
    }
    try (var conn = DriverManager.getConnection("jdbc:mariadb://" + mysqlHost + ":" + mysqlPort + "/", "root", "");
         var st = conn.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + DATABASE);
      st.execute("CREATE DATABASE " + DATABASE + " CHARACTER SET utf8mb4");
    }
    env.put("LTM_MYSQL_HOST", mysqlHost);
    env.put("LTM_MYSQL_PORT", String.valueOf(mysqlPort));
    env.put("LTM_MYSQL_DATABASE", DATABASE);
    env.put("LTM_MYSQL_USER", "root");
    env.put("LTM_MYSQL_PASSWORD", "");
    env.put("LTM_RABBITMQ_URI", rabbitUri);
    return env;
  }

  /** Drops this run's database and vhost; a metadata lock still held by a dying connection is waited for briefly. */
  private static void dropOwn() {
    try (var conn = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/", "root", "");
         var st = conn.createStatement()) {
      st.execute("SET SESSION lock_wait_timeout = 10");
      st.execute("DROP DATABASE IF EXISTS " + DATABASE);
    } catch (Exception e) {
      System.err.println("could not drop " + DATABASE + ": " + e);
    }
    try {
      rabbitmqctl("delete_vhost", VHOST);
    } catch (Exception e) {
      System.err.println("could not delete vhost " + VHOST + ": " + e);
    }
  }

  /** A vhost of the tests' own, empty at the start of every run. */
  private static void resetVhost() throws IOException, InterruptedException {
    rabbitmqctl("delete_vhost", VHOST);
    rabbitmqctl("add_vhost", VHOST);
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*");
  }

  static int rabbitmqctl(String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 1];
    command[0] = "rabbitmqctl";
    System.arraycopy(args, 0, command, 1, args.length);
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("rabbitmqctl " + String.join(" ", args) + " timed out");
    }
    return p.exitValue();
  }

  static boolean answers(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
