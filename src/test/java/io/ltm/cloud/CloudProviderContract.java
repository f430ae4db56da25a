package io.ltm.cloud;

import io.ltm.cloud.CloudProvider.Instance;
import io.ltm.cloud.CloudProvider.LaunchRequest;
import io.ltm.cloud.CloudProvider.Launched;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link CloudProvider} promises (STYLE.md row 10), run against each one by a class that implements
 * this interface: launching is idempotent, terminating is idempotent, the machines of an environment are listed
 * by their tag (every page), and a machine that ends without being asked to is reported ended with a reason.
 */
public interface CloudProviderContract {

  /** The provider under test, for this class's own environment tag. */
  CloudProvider provider();

  /** A provider of the same kind for another environment: it must not see this one's machines. */
  CloudProvider providerOfAnotherEnv();

  /** Ends the machine the way the world would, not through the provider (kill the process, terminate in EC2). */
  void endBehindItsBack(String machineId, Launched launched) throws Exception;

  /** Machines started by this contract, terminated after each test. */
  List<String[]> launchedForCleanup();

  /** How many machines the listing test starts: above one page of the provider's listing where it pages. */
  default int machinesToList() {
    return 3;
  }

  default LaunchRequest request() {
    String id = "mch_ct" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    return new LaunchRequest(id, "str_contract", "acc_contract", 1, "boot-" + id, List.of("c6i.large", "c5.large"));
  }

  default Launched launch(CloudProvider provider, LaunchRequest request) {
    Launched launched = await(provider.launch(request));
    launchedForCleanup().add(new String[] {request.machineId(), launched.providerRef()});
    return launched;
  }

  @Test
  default void launchingTheSameMachineTwiceYieldsOneMachine() {
    LaunchRequest request = request();
    Launched first = launch(provider(), request);
    Launched again = launch(provider(), request);

    assertThat(again.providerRef()).isEqualTo(first.providerRef());
    assertThat(again.instanceType()).isEqualTo("c6i.large");
    assertThat(alive(await(provider().list()), request.machineId())).hasSize(1);
  }

  @Test
  default void terminatingTwiceOrAMachineNeverLaunchedSucceeds() {
    LaunchRequest request = request();
    Launched launched = launch(provider(), request);

    await(provider().terminate(request.machineId(), launched.providerRef()));
    await(provider().terminate(request.machineId(), launched.providerRef()));
    await(provider().terminate("mch_never_launched", null));

    assertThat(alive(await(provider().list()), request.machineId())).isEmpty();
  }

  /** A worker that died before recording the launch leaves only the machine id: that must be enough to end it. */
  @Test
  default void aMachineIsTerminatedByItsIdAloneWhenItsLaunchWasNeverRecorded() {
    LaunchRequest request = request();
    launch(provider(), request);

    await(provider().terminate(request.machineId(), null));

    assertThat(alive(await(provider().list()), request.machineId())).isEmpty();
  }

  @Test
  default void everyMachineOfTheEnvironmentIsListedByItsTagAndNoOther() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < machinesToList(); i++) {
      LaunchRequest request = request();
      launch(provider(), request);
      ids.add(request.machineId());
    }
    LaunchRequest foreign = request();
    launch(providerOfAnotherEnv(), foreign);

    List<Instance> listed = await(provider().list());

    assertThat(listed.stream().filter(i -> i.status().alive()).map(Instance::machineId)).containsAll(ids);
    assertThat(listed).extracting(Instance::machineId).doesNotContain(foreign.machineId());
    assertThat(listed).allSatisfy(i -> assertThat(i.launchedAt()).isNotNull());
  }

  @Test
  default void aMachineThatEndsWithoutBeingAskedIsReportedEndedWithAReason() throws Exception {
    LaunchRequest request = request();
    Launched launched = launch(provider(), request);
    endBehindItsBack(request.machineId(), launched);

    Instance ended = poll(Duration.ofSeconds(30), () -> await(provider().list()).stream()
      .filter(i -> request.machineId().equals(i.machineId()) && !i.status().alive()).findFirst().orElse(null));
    assertThat(ended.reason()).isNotBlank();
    assertThat(alive(await(provider().list()), request.machineId())).isEmpty();
  }

  @AfterEach
  default void terminateWhatTheTestStarted() {
    for (String[] machine : launchedForCleanup()) {
      try {
        await(provider().terminate(machine[0], machine[1]));
      } catch (AssertionError e) {
        await(providerOfAnotherEnv().terminate(machine[0], machine[1]));
      }
    }
    launchedForCleanup().clear();
  }

  static List<Instance> alive(List<Instance> instances, String machineId) {
    return instances.stream().filter(i -> machineId.equals(i.machineId()) && i.status().alive()).toList();
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("provider call failed: " + e, e);
    }
  }

  static <T> T poll(Duration timeout, java.util.function.Supplier<T> probe) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    T value;
    while ((value = probe.get()) == null) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s");
      }
      TimeUnit.MILLISECONDS.sleep(300);
    }
    return value;
  }
}
