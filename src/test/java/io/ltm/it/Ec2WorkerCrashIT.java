package io.ltm.it;

import io.ltm.Ltm;
import io.ltm.config.LtmConfig;
import io.ltm.db.Database;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The worker is killed (SIGKILL) after EC2 made the instance and before the worker could record its id; a new
 * worker takes the redelivered job. ClientToken alone would not save us (the peer ignores it, and EC2's expires):
 * the new worker finds the instance by its {@code ltm:machine} tag and adopts it, so exactly one instance carries
 * that tag, and the stream goes live on it.
 */
class Ec2WorkerCrashIT extends LtmTestBase {
  static Ec2Peer peer;
  static Ec2FaultProxy proxy;
  static Ec2AsyncClient ec2;
  static Map<String, String> environment;

  @BeforeAll
  static void serverInProcessWorkerAsAProcess() throws Exception {
    closeLtm();
    peer = Ec2Peer.start();
    ec2 = peer.ec2;
    proxy = peer.proxy;
    environment = TestEnv.environment(peer.ltmEnvironment());
    config = LtmConfig.load(environment);
    vertx = Vertx.vertx();
    ltm = new Ltm(vertx, config);
    Await.result(Database.migrate(vertx, config.mysql()));
    Await.result(ltm.deployServer());
    port = ltm.httpPort();
  }

  @AfterAll
  static void offEc2() {
    closeLtm();
    if (peer != null) {
      peer.close();
    }
  }

  @Test
  void workerKilledBetweenRunInstancesAndRecordingTheInstanceLeavesExactlyOneInstance() throws Exception {
    Process first = worker("first");
    Process second = null;
    InstanceRunner runner = null;
    try {
      Map<String, Process> killed = new HashMap<>();
      proxy.afterAnswer("RunInstances", () -> {
        first.destroyForcibly();
        try {
          first.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        killed.put("first", first);
      });
      ApiClient api = api(newAccountKey("ec2-crash"));
      String id = buy(api, "mobile", "test-pattern").getString("id");
      assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);

      Await.until("the worker to be killed right after RunInstances", Duration.ofSeconds(90),
        () -> killed.containsKey("first") ? true : null);
      assertThat(first.isAlive()).isFalse();
      String machineId = Await.until("the machine row", Duration.ofSeconds(10), () -> {
        var rows = Await.result(ltm.pool().preparedQuery("SELECT id, provider_ref FROM machines WHERE stream_id = ?")
          .execute(io.vertx.sqlclient.Tuple.of(id)));
        return rows.size() == 0 ? null : rows.iterator().next();
      }).getString("id");
      assertThat(Ec2StreamIT.machineRowOf(ltm, machineId).getString("provider_ref"))
        .as("the instance id was never recorded").isNull();

      second = worker("second");
      String adopted = Await.until("the new worker to record the instance", Duration.ofSeconds(90),
        () -> Ec2StreamIT.machineRowOf(ltm, machineId).getString("provider_ref"));
      // Each attempt launched with a fresh bootstrap token, only its hash stored; the instance carries the first
      // attempt's, which must still be good for its hello.
      assertThat(count("SELECT COUNT(*) FROM machine_bootstrap_tokens WHERE machine_id = '" + machineId + "'"))
        .isEqualTo(2);
      // Only now does the instance "boot": the adoption above is the worker's doing, not the agent's hello.
      runner = new InstanceRunner(ec2, config.cloud().env());
      Ec2StreamIT.awaitLive(api, id, runner);
      assertThat(count("SELECT COUNT(*) FROM machine_bootstrap_tokens WHERE machine_id = '" + machineId + "'"))
        .as("spent at hello").isZero();

      List<Instance> tagged = taggedWith(machineId);
      assertThat(tagged).as("one instance for the machine, adopted after the crash").hasSize(1);
      assertThat(proxy.calls("RunInstances")).hasSize(1);
      assertThat(adopted).isEqualTo(tagged.get(0).instanceId());

      api.post("/api/v1/streams/" + id + "/stop", null);
      awaitState(api, id, "STOPPED", Duration.ofSeconds(60));
      String instanceId = tagged.get(0).instanceId();
      InstanceRunner booted = runner;
      Await.until("the instance's processes to end", Duration.ofSeconds(20),
        () -> booted.processesOf(instanceId).isEmpty() ? true : null);
      assertThat(taggedWith(machineId)).allSatisfy(i -> assertThat(i.state().nameAsString())
        .isIn("shutting-down", "terminated"));
    } finally {
      if (runner != null) {
        runner.close();
      }
      first.destroyForcibly();
      if (second != null) {
        second.destroyForcibly();
        second.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static List<Instance> taggedWith(String machineId) {
    return ec2.describeInstances(r -> r.filters(Filter.builder().name("tag:ltm:machine").values(machineId).build()))
      .join().reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  /** {@code ltm worker} as its own JVM, against this test's database, vhost, tag and EC2 peer. */
  private static Process worker(String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    File log = Path.of("target", "ec2-worker-" + name + ".log").toAbsolutePath().toFile();
    ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("ltm.agent.classpath"),
      "io.ltm.Main", "worker").redirectErrorStream(true).redirectOutput(log);
    builder.environment().putAll(environment);
    return PrivateProcesses.spawn(builder);
  }
}
