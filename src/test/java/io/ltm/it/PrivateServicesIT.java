package io.ltm.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The private broker and database that outage tests kill are really private: stopping them leaves the shared
 * servers answering, data survives a stop and a crash, and closing leaves no process and no file behind.
 */
class PrivateServicesIT {

  @Test
  void privateBrokerStopsAndStartsWithoutTouchingTheSharedOneAndLeavesNothingBehind() throws Exception {
    try (PrivateRabbitMq rabbit = PrivateRabbitMq.start()) {
      assertThat(leftovers("rabbitmq")).as("the node runs from a dir of its own under target/private")
        .singleElement().asString().doesNotContain("processes: 0");
      assertThat(rabbit.port()).isNotEqualTo(5672);
      assertThat(PrivateProcesses.answers(rabbit.port())).isTrue();

      rabbit.stopApp();
      assertThat(PrivateProcesses.answers(rabbit.port())).as("private broker stopped").isFalse();
      assertThat(TestEnv.answers("127.0.0.1", 5672)).as("the shared broker still answers").isTrue();
      rabbit.startApp();
      assertThat(PrivateProcesses.answers(rabbit.port())).isTrue();
    }
    assertThat(leftovers("rabbitmq")).as("processes and dirs left by a closed node").isEmpty();
  }

  @Test
  void privateDatabaseKeepsItsDataThroughAStopAndACrashAndLeavesNothingBehind() throws Exception {
    try (PrivateMariaDb db = PrivateMariaDb.start()) {
      assertThat(leftovers("mariadb")).as("the server runs from a dir of its own under target/private")
        .singleElement().asString().doesNotContain("processes: 0");
      assertThat(db.port()).isNotEqualTo(3306);
      db.createDatabase("survives");
      String url = "jdbc:mariadb://127.0.0.1:" + db.port() + "/survives";
      try (var c = DriverManager.getConnection(url, "root", ""); var st = c.createStatement()) {
        st.execute("CREATE TABLE t (v INT) ENGINE=InnoDB");
        st.execute("INSERT INTO t VALUES (42)");
      }
      db.stop();
      assertThat(PrivateProcesses.answers(db.port())).isFalse();
      assertThat(TestEnv.answers("127.0.0.1", 3306)).as("the shared database still answers").isTrue();
      db.startServer();
      db.kill();
      db.startServer();
      try (var c = DriverManager.getConnection(url, "root", ""); var st = c.createStatement();
           var rows = st.executeQuery("SELECT v FROM t")) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getInt(1)).isEqualTo(42);
      }
    }
    assertThat(leftovers("mariadb")).as("processes and dirs left by a closed server").isEmpty();
  }

  /** This JVM's instances of a kind still on disk or running. */
  private static java.util.List<String> leftovers(String kind) throws Exception {
    Path base = Path.of("target", "private").toAbsolutePath();
    String prefix = kind + "-" + ProcessHandle.current().pid() + "-";
    if (!Files.isDirectory(base)) {
      return java.util.List.of();
    }
    try (var dirs = Files.list(base)) {
      return dirs.filter(d -> d.getFileName().toString().startsWith(prefix))
        .map(d -> d + " (processes: " + PrivateProcesses.referencing(d).size() + ")").toList();
    }
  }
}
