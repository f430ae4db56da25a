package io.ltm.it;

import io.ltm.Ltm;
import io.ltm.config.LtmConfig;
import io.ltm.db.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local cloud when its worker dies at the worst instant: {@code ltm worker} (its own JVM) has started an agent
 * and is SIGKILLed before it could record the launch. The agent runs on (a machine outlives its worker); a new worker
 * takes the redelivered start job and records the machine by its tag, so the stream has exactly one agent. Nothing
 * of the machine outlives it afterwards: killing the agent takes its ffmpeg with it, and any process that still
 * carries the environment's tag with no live machine row (an ffmpeg under pid 1) is ended by the reconciler.
 */
class WorkerCrashIT extends LtmTestBase {
  static Map<String, String> environment;
  static String env;
  static final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void serverInProcessWorkersAsProcesses() throws Exception {
    closeLtm();
    environment = TestEnv.environment(Map.of());
    config = LtmConfig.load(environment);
    env = config.cloud().env();
    vertx = Ltm.newVertx();
    ltm = new Ltm(vertx, config);
    Await.result(Database.migrate(vertx, config.mysql()));
    Await.result(ltm.deployServer());
    port = ltm.httpPort();
  }

  @AfterAll
  static void stopWorkers() throws Exception {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    closeLtm();
  }

  @Test
  void workerKilledBetweenStartingAnAgentAndRecordingItLeavesOneAgentAndNothingOrphaned() throws Exception {
    Process first = worker("first");
    ApiClient api = api(newAccountKey("local-crash"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);

    String machineId;
    try (Connection db = jdbc()) {
      // Polled without a pause: the row is locked before the worker's launch (a process start) is over.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String row;
      while ((row = machineRow(db, id)) == null) {
        assertThat(System.nanoTime()).as("the machine row within 60 s").isLessThan(deadline);
      }
      machineId = row;
      // Hold the row: the worker's launch goes ahead, its record of the launch waits on this lock.
      db.setAutoCommit(false);
      try (var lock = db.prepareStatement("SELECT id FROM machines WHERE id = ? FOR UPDATE")) {
        lock.setString(1, machineId);
        lock.executeQuery().close();
      }
      String machine = machineId;
      Await.until("the worker to start the agent", Duration.ofSeconds(30),
        () -> TaggedProcesses.agents(env).containsKey(machine) ? true : null);
      first.destroyForcibly();
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      db.rollback();
      assertThat(providerRef(db, machineId)).as("the launch was never recorded").isNull();
    }

    worker("second");
    awaitState(api, id, "LIVE", Duration.ofSeconds(90));
    String machine = machineId;
    assertThat(Await.until("the new worker to record the machine", Duration.ofSeconds(30), () -> {
      try (Connection db = jdbc()) {
        return providerRef(db, machine);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    })).isNotBlank();
    assertThat(machineOf(id)).isEqualTo(machineId);
    assertThat(TaggedProcesses.agents(env)).as("one agent for the stream, after the crash")
      .containsOnlyKeys(machineId).allSatisfy((m, pids) -> assertThat(pids).hasSize(1));
    assertThat(count("SELECT COUNT(*) FROM machines WHERE stream_id = '" + id + "' AND state <> 'TERMINATED'"))
      .isEqualTo(1);
    assertThat(TaggedProcesses.of(env)).as("its ffmpeg carries the machine's tag")
      .anySatisfy(t -> assertThat(t.isFfmpeg() && t.machineId().equals(machine)).isTrue());

    // The agent dies at once; the worker that started it is gone, so only the tags lead to what it left.
    long agentPid = TaggedProcesses.agents(env).get(machineId).get(0);
    ProcessHandle.of(agentPid).ifPresent(ProcessHandle::destroyForcibly);
    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(60));
    assertThat(failed.getString("stateReason")).isNotBlank();
    Await.until("no process with the run's tag", Duration.ofSeconds(30),
      () -> TaggedProcesses.of(env).isEmpty() ? true : null);
  }

  @Test
  void aTaggedProcessThatNoLiveMachineOwnsIsEndedByTheReconcilerAndAnotherEnvironmentsIsNot() throws Exception {
    worker("reconciler");
    String orphanMachine = "mch_leftover" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Process orphan = ffmpegTagged(env, orphanMachine);
    Process foreign = ffmpegTagged(env + "-elsewhere", orphanMachine);
    try {
      Await.until("the reconciler to end the leftover ffmpeg", Duration.ofSeconds(60),
        () -> orphan.isAlive() ? null : true);
      assertThat(foreign.isAlive()).as("another environment's process is not ours to end").isTrue();
    } finally {
      orphan.destroyForcibly();
      foreign.destroyForcibly();
    }
  }

  /** A real ffmpeg encoding a test pattern, tagged as an agent would tag it, as if its agent had died. */
  private static Process ffmpegTagged(String tagEnv, String machineId) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
      "-f", "lavfi", "-i", "testsrc=size=160x90:rate=5", "-f", "null", "-")
      .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("LTM_TAG_ENV", tagEnv);
    builder.environment().put("LTM_TAG_MACHINE", machineId);
    Process p = PrivateProcesses.spawn(builder);
    started.add(p);
    return p;
  }

  private static Connection jdbc() throws Exception {
    return DriverManager.getConnection(config.mysql().jdbcUrl(), config.mysql().user(), config.mysql().password());
  }

  private static String machineRow(Connection db, String streamId) {
    try (var q = db.prepareStatement("SELECT id FROM machines WHERE stream_id = ?")) {
      q.setString(1, streamId);
      try (var rs = q.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String providerRef(Connection db, String machineId) throws Exception {
    try (var q = db.prepareStatement("SELECT provider_ref FROM machines WHERE id = ?")) {
      q.setString(1, machineId);
      try (var rs = q.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /** {@code ltm worker} as its own JVM, against this test's database, vhost and tag; waited for until it runs. */
  private static Process worker(String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = Path.of("target", "crash-worker-" + name + ".log").toAbsolutePath();
    Files.deleteIfExists(log);
    File out = log.toFile();
    ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
      System.getProperty("ltm.agent.classpath"), "io.ltm.Main", "worker").redirectErrorStream(true).redirectOutput(out);
    builder.environment().putAll(environment);
    Process p = PrivateProcesses.spawn(builder);
    started.add(p);
    Await.until("worker " + name + " to start", Duration.ofSeconds(60), () -> {
      if (!p.isAlive()) {
        throw new AssertionError("worker " + name + " exited: " + PrivateProcesses.tail(log, 30));
      }
      return PrivateProcesses.tail(log, 200).contains("ltm worker started") ? true : null;
    });
    return p;
  }
}
