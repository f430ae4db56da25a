package io.ltm.it;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * LTM as it is deployed, for the chaos suite: {@code ltm server} and {@code ltm worker} JVMs from the packaged jar on
 * one private MariaDB and one private RabbitMQ (never the shared ones, which this suite stops), behind a front that
 * spreads connections over the live servers as a load balancer would (the agents call home through it). Each role
 * can be SIGKILLed and started again; everything is cleaned on {@link #close()}, even after a failure.
 */
final class ChaosCluster implements AutoCloseable {
  private static final String JAR = System.getProperty("ltm.agent.classpath");

  final String env = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
  final Path dir = Path.of("target", "chaos", env).toAbsolutePath();
  final Map<String, Role> roles = new LinkedHashMap<>();
  PrivateMariaDb db;
  PrivateRabbitMq rabbit;
  private final Vertx vertx;
  private NetServer front;
  private int frontPort;
  private final Map<String, String> base = new HashMap<>();

  ChaosCluster(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Both private services at once (each takes seconds to boot), then the database, the front and the roles. */
  void boot(List<String> servers, List<String> workers) throws Exception {
    Files.createDirectories(dir);
    CompletableFuture<PrivateMariaDb> mariadb = CompletableFuture.supplyAsync(() -> {
      try {
        return PrivateMariaDb.start();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    rabbit = PrivateRabbitMq.start();
    db = mariadb.get(180, TimeUnit.SECONDS);
    db.createDatabase("ltm");
    // The front listens first, and the servers' ports are taken while all held: no two of them can be the same.
    startFront();
    List<java.net.ServerSocket> held = new ArrayList<>();
    for (int i = 0; i < servers.size(); i++) {
      held.add(new java.net.ServerSocket(0));
    }
    for (java.net.ServerSocket socket : held) {
      socket.close();
    }
    base.putAll(db.ltmEnv("ltm"));
    base.put("LTM_RABBITMQ_URI", rabbit.uri());
    base.put("LTM_ENV", env);
    base.put("LTM_HTTP_HOST", "127.0.0.1");
    base.put("LTM_PUBLIC_URL", "http://127.0.0.1:" + frontPort);
    base.put("LTM_ADVERTISED_HOST", "127.0.0.1");
    base.put("LTM_AGENT_WORK_DIR", dir.resolve("agents").toString());
    base.put("LTM_X264_PRESET", "ultrafast");
    // Tolerant of a server's restart or the database's: a stream fails when its machine is gone, not for a blip
    // (an agent fences itself after 20 s without an answer, the server gives up on it after 30 s of silence).
    base.put("LTM_HEARTBEAT_SECONDS", "2");
    base.put("LTM_HEARTBEAT_TIMEOUT_SECONDS", "30");
    base.put("LTM_FENCE_MIN_SECONDS", "20");
    base.put("LTM_LAUNCH_TIMEOUT_SECONDS", "45");
    base.put("LTM_THUMBNAIL_SECONDS", "5");
    base.put("LTM_HEALTH_EVENT_SECONDS", "5");
    base.put("LTM_RECONCILE_SECONDS", "2");
    base.put("LTM_ORPHAN_GRACE_SECONDS", "5");
    base.put("LTM_API_RATE_LIMIT", "100000");
    base.put("LTM_MYSQL_POOL_SIZE", "6");
    base.put("LTM_CDN_SECRET_KEY", io.ltm.cdn.SecretBox.newKey());
    for (int i = 0; i < servers.size(); i++) {
      roles.put(servers.get(i), new Role(servers.get(i), "server", held.get(i).getLocalPort()));
    }
    for (String name : workers) {
      roles.put(name, new Role(name, "worker", 0));
    }
  }

  /** {@code ltm account}: migrates the database and makes a customer; returns its e-mail and password. */
  String[] account(String email) throws IOException {
    PrivateProcesses.Result made = PrivateProcesses.run(java("account", email), base, 180).orThrow("ltm account");
    String line = made.output().lines().filter(l -> l.startsWith("account ")).findFirst()
      .orElseThrow(() -> new IOException("ltm account printed no account:\n" + made.output()));
    String[] words = line.split(" ");
    return new String[] {words[1], words[3], words[5]};
  }

  int port(String server) {
    return roles.get(server).port;
  }

  /** A connection-level front over the live servers: each new connection goes to the next one that accepts it. */
  private void startFront() {
    NetClient client = vertx.createNetClient(new io.vertx.core.net.NetClientOptions().setConnectTimeout(1000));
    AtomicInteger next = new AtomicInteger();
    front = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      List<Integer> ports = roles.values().stream().filter(r -> r.kind.equals("server")).map(r -> r.port).toList();
      connect(client, in, ports, next.getAndIncrement(), 0);
    });
    frontPort = Await.result(front.listen(0, "127.0.0.1")).actualPort();
  }

  private void connect(NetClient client, NetSocket in, List<Integer> ports, int start, int tried) {
    if (tried == ports.size()) {
      in.close();
      return;
    }
    client.connect(ports.get((start + tried) % ports.size()), "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        connect(client, in, ports, start, tried + 1);
        return;
      }
      NetSocket out = ar.result();
      in.pipeTo(out);
      out.pipeTo(in);
      in.resume();
    });
  }

  static List<String> java(String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", java, "-Xmx256m",
      "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", JAR, "io.ltm.Main"));
    command.addAll(List.of(args));
    return command;
  }

  /** One {@code ltm server} or {@code ltm worker} JVM, started again after each kill under the same name. */
  final class Role {
    final String name;
    final String kind;
    final int port;
    private Process process;
    private int starts;

    Role(String name, String kind, int port) {
      this.name = name;
      this.kind = kind;
      this.port = port;
    }

    synchronized boolean alive() {
      return process != null && process.isAlive();
    }

    /** Starts the JVM and waits until it runs (its log says so); a role already running is left alone. */
    synchronized void start() throws IOException {
      if (alive()) {
        return;
      }
      starts++;
      Path log = dir.resolve(name + "-" + starts + ".log");
      Map<String, String> environment = new HashMap<>(base);
      if (port > 0) {
        environment.put("LTM_HTTP_PORT", String.valueOf(port));
      }
      ProcessBuilder builder = new ProcessBuilder(java(kind)).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(environment);
      process = PrivateProcesses.spawn(builder);
      long deadline = System.currentTimeMillis() + 90_000;
      while (!Files.exists(log) || !Files.readString(log).contains("ltm " + kind + " started")) {
        if (!process.isAlive()) {
          // A role that cannot start while the database or broker is down exits 1, as in production: try again.
          throw new IOException(name + " exited while starting:\n" + PrivateProcesses.tail(log, 20));
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IOException(name + " did not start in 90 s:\n" + PrivateProcesses.tail(log, 20));
        }
        PrivateProcesses.sleep(100);
      }
    }

    /** SIGKILL, no shutdown of any kind. */
    synchronized void kill() {
      if (process != null) {
        process.destroyForcibly();
        try {
          process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    int starts() {
      return starts;
    }
  }

  @Override
  public void close() {
    roles.values().forEach(Role::kill);
    TaggedProcesses.killAll(env);
    if (front != null) {
      front.close();
    }
    if (rabbit != null) {
      rabbit.close();
    }
    if (db != null) {
      db.close();
    }
  }
}
