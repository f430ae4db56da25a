package io.ltm.it;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A MariaDB server of one test's own — own data dir under {@code target/private/}, own port and socket — for
 * tests that stop or kill the database. The shared server on 3306 is never stopped. The server runs under
 * {@code setpriv --pdeathsig KILL}, so it dies with the test JVM even when that is SIGKILLed; {@link #close()}
 * and a shutdown hook delete its data.
 */
public final class PrivateMariaDb implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Thread hook = new Thread(this::closeQuietly, "private-mariadb-cleanup");
  private Process server;
  private boolean closed;

  private PrivateMariaDb(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Initialises a data dir (root, empty password, over TCP) and starts the server on a free port. */
  public static PrivateMariaDb start() throws IOException {
    Path dir = PrivateProcesses.newDir("mariadb");
    PrivateMariaDb db = new PrivateMariaDb(dir, PrivateProcesses.freePort());
    Runtime.getRuntime().addShutdownHook(db.hook);
    try {
      PrivateProcesses.run(List.of("mariadb-install-db", "--no-defaults", "--user=root",
        "--datadir=" + dir.resolve("data"), "--auth-root-authentication-method=normal", "--skip-test-db",
        "--innodb-log-file-size=16M"), Map.of(), 120).orThrow("mariadb-install-db");
      db.startServer();
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
    return db;
  }

  /** Starts the server again on the same data and port (after {@link #stop()} or {@link #kill()}). */
  public synchronized void startServer() throws IOException {
    if (server != null && server.isAlive()) {
      return;
    }
    // --no-defaults: /etc/mysql/my.cnf describes the shared server (its port, socket, data dir).
    List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "mariadbd", "--no-defaults",
      "--user=root", "--datadir=" + dir.resolve("data"), "--socket=" + dir.resolve("mariadb.sock"),
      "--pid-file=" + dir.resolve("mariadb.pid"), "--port=" + port, "--bind-address=127.0.0.1",
      "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
      "--innodb-log-file-size=16M", "--innodb-buffer-pool-size=64M", "--max-connections=300",
      "--log-error=" + dir.resolve("error.log")));
    server = PrivateProcesses.spawn(new ProcessBuilder(command).redirectErrorStream(true)
      .redirectOutput(dir.resolve("stdout.log").toFile()));
    long deadline = System.currentTimeMillis() + 60_000;
    while (!PrivateProcesses.answers(port)) {
      if (!server.isAlive() || System.currentTimeMillis() > deadline) {
        throw new IOException("private MariaDB on " + port + " did not start:\n"
          + PrivateProcesses.tail(dir.resolve("error.log"), 30));
      }
      PrivateProcesses.sleep(100);
    }
  }

  /** A clean shutdown (SIGTERM, as {@code systemctl stop} does), waited for. */
  public synchronized void stop() {
    end(false);
  }

  /** A crash: SIGKILL, no shutdown; InnoDB recovers at the next start. */
  public synchronized void kill() {
    end(true);
  }

  private void end(boolean hard) {
    if (server == null) {
      return;
    }
    if (hard) {
      server.destroyForcibly();
    } else {
      server.destroy();
    }
    try {
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  public int port() {
    return port;
  }

  /** A database of that name, created empty (dropped first if it exists). */
  public void createDatabase(String name) throws SQLException {
    try (var conn = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "root", "");
         var st = conn.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS `" + name + "`");
      st.execute("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4");
    }
  }

  /** The {@code LTM_MYSQL_*} variables that point LTM at {@code database} on this server. */
  public Map<String, String> ltmEnv(String database) {
    return Map.of("LTM_MYSQL_HOST", "127.0.0.1", "LTM_MYSQL_PORT", String.valueOf(port),
      "LTM_MYSQL_DATABASE", database, "LTM_MYSQL_USER", "root", "LTM_MYSQL_PASSWORD", "");
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    kill();
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
        // The hook runs anyway and finds the server closed.
      }
    }
  }

  private void closeQuietly() {
    close();
  }
}
