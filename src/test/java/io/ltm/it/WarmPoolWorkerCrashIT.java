package io.ltm.it;

import io.ltm.Ltm;
import io.ltm.config.LtmConfig;
import io.ltm.db.Database;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pool survives its worker: {@code ltm worker} killed (SIGKILL) while it fills a pool leaves no surplus once a
 * new worker has looked (rows are counted, launches are idempotent, the reconciler finds the rest by tag); SIGTERM
 * leaves the pool as it is; {@code ltm pool drain} empties it and leaves no process.
 */
class WarmPoolWorkerCrashIT extends LtmTestBase {
  static final String TOKEN = "operator-" + java.util.UUID.randomUUID();
  static Map<String, String> environment;
  static ApiClient operator;

  @BeforeAll
  static void serverInProcessWorkerAsAProcess() throws Exception {
    closeLtm();
    environment = TestEnv.environment(Map.of("LTM_POOL_MIN_IDLE", "mobile=2", "LTM_OPERATOR_TOKEN", TOKEN));
    config = LtmConfig.load(environment);
    vertx = Vertx.vertx();
    ltm = new Ltm(vertx, config);
    Await.result(Database.migrate(vertx, config.mysql()));
    Await.result(ltm.deployServer());
    port = ltm.httpPort();
    operator = api(TOKEN);
    // The previous test class may have left its pools drained (size 0 in MySQL): this one's file says 2.
    Await.result(ltm.pool().query("DELETE FROM pool_settings").execute());
  }

  @AfterAll
  static void leaveNoMachine() throws Exception {
    if (ltm == null) {
      return;
    }
    // Whatever a failed run left: drained in MySQL, processes ended, rows closed.
    Await.result(ltm.pool().query("UPDATE pool_settings SET min_idle = 0, max_idle = 0, stopped_idle = 0").execute());
    for (String m : WarmPools.alive(ltm)) {
      processesOf(m).forEach(ProcessHandle::destroyForcibly);
      Await.result(ltm.pool().preparedQuery("UPDATE machines SET state = 'TERMINATED' WHERE id = ?")
        .execute(Tuple.of(m)));
    }
  }

  @Test
  void workerKilledWhileFillingThePoolLeavesNoSurplusSigtermLeavesThePoolAndDrainLeavesNoProcess() throws Exception {
    Process first = worker("first");
    Process second = null;
    Process third = null;
    try {
      // Killed while it replenishes: machine rows recorded, their agents not yet registered.
      Await.until("the first worker to start filling the pool", Duration.ofSeconds(60), () -> count(
        "SELECT COUNT(*) FROM machines WHERE pool_class = 'mobile' AND state IN ('REQUESTED', 'PENDING', 'RUNNING')")
        > 0 ? true : null);
      first.destroyForcibly();
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();

      second = worker("second");
      long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.cloud().reconcileSeconds() + 1);
      AtomicInteger most = new AtomicInteger();
      Set<String> idle = Await.until("the pool to hold 2 idle machines", Duration.ofSeconds(90), () -> {
        if (System.nanoTime() > settleBy) {
          most.accumulateAndGet(warmProcesses(), Math::max);
          most.accumulateAndGet((int) liveWarmRows(), Math::max);
        }
        JsonObjectView p = new JsonObjectView(WarmPools.pool(operator, "mobile"));
        return p.idle() == 2 && p.booting() == 0 ? WarmPools.idle(ltm, "mobile") : null;
      });
      // A while longer: a surplus would show now that every launch is done.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      while (System.nanoTime() < until) {
        most.accumulateAndGet(warmProcesses(), Math::max);
        most.accumulateAndGet((int) liveWarmRows(), Math::max);
        Thread.sleep(200);
      }
      assertThat(most.get()).as("warm machines (rows or agent processes) after one reconcile interval")
        .isLessThanOrEqualTo(2);
      assertThat(idle).hasSize(2);

      second.destroy();
      assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(2000);
      for (String m : idle) {
        assertThat(processesOf(m)).as("SIGTERM of the worker leaves warm machine " + m).isNotEmpty();
      }
      assertThat(WarmPools.idle(ltm, "mobile")).isEqualTo(idle);

      third = worker("third");
      PrivateProcesses.Result drained = PrivateProcesses.run(List.of(java(), "-cp",
        System.getProperty("ltm.agent.classpath"), "io.ltm.Main", "pool", "drain"), environment, 150);
      assertThat(drained.exitCode()).as(drained.output()).isZero();
      assertThat(drained.output()).contains("mobile");
      for (String m : idle) {
        Await.until("drained machine " + m + " to leave no process", Duration.ofSeconds(20),
          () -> processesOf(m).isEmpty() ? true : null);
      }
      assertThat(warmProcesses()).isZero();
      assertThat(WarmPools.alive(ltm)).isEmpty();

      PrivateProcesses.Result status = PrivateProcesses.run(List.of(java(), "-cp",
        System.getProperty("ltm.agent.classpath"), "io.ltm.Main", "pool", "status"), environment, 60);
      assertThat(status.exitCode()).as(status.output()).isZero();
      assertThat(status.output()).containsPattern("mobile\\s+0\\s+0\\s+0\\s+0\\s+0\\s+0");
    } finally {
      for (Process p : new Process[] {first, second, third}) {
        if (p != null) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  private record JsonObjectView(io.vertx.core.json.JsonObject json) {
    int idle() {
      return json.getInteger("idle");
    }

    int booting() {
      return json.getInteger("booting");
    }
  }

  private static long liveWarmRows() {
    return count("SELECT COUNT(*) FROM machines WHERE pool_class = 'mobile' AND stream_id IS NULL "
      + "AND state NOT IN ('TERMINATED', 'TERMINATING', 'LOST')");
  }

  /** Agent processes of this test's environment (there are no cold ones here: nothing is started). */
  private static int warmProcesses() {
    String tag = "-Dltm.env=" + config.cloud().env();
    return (int) ProcessHandle.allProcesses().filter(p -> p.isAlive() && p.info().arguments()
      .map(args -> List.of(args).contains(tag) && List.of(args).contains("agent")).orElse(false)).count();
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** {@code ltm worker} as its own JVM, against this test's database, vhost and tag. */
  private static Process worker(String name) throws Exception {
    File log = Path.of("target", "warm-worker-" + name + ".log").toAbsolutePath().toFile();
    Files.deleteIfExists(log.toPath());
    ProcessBuilder builder = new ProcessBuilder(java(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
      "-Dltm.agent.classpath=" + System.getProperty("ltm.agent.classpath"),
      "-cp", System.getProperty("ltm.agent.classpath"), "io.ltm.Main", "worker")
      .redirectErrorStream(true).redirectOutput(log);
    builder.environment().putAll(new HashMap<>(environment));
    return PrivateProcesses.spawn(builder);
  }
}
