package io.ltm.cloud;

import io.vertx.core.Future;

import java.time.Instant;
import java.util.List;

/**
 * Starts and stops transcoder machines. Every call is idempotent: launching the same machine id twice
 * yields the one machine (found again by its {@code ltm:machine} tag), terminating a gone machine succeeds.
 * Every future completes on the caller's Vert.x context. The contract is {@code CloudProviderContract}.
 */
public interface CloudProvider {

  String name();

  /** Work to do once before the first launch (read the image id, say); fails with a line naming the key. */
  default Future<Void> prepare() {
    return Future.succeededFuture();
  }

  /**
   * Starts the machine, or finds it if a previous attempt already did. Fails with {@link LaunchRefusedException}
   * when the cloud refuses for a reason that a retry will not mend.
   */
  Future<Launched> launch(LaunchRequest request);

  /** Terminates the machine and everything it runs; succeeds if it is already gone. */
  Future<Void> terminate(String machineId, String providerRef);

  /**
   * Machines this provider runs for this environment, found by their tags (every page), including those that
   * ended without being asked to, with the provider's reason: what the reconciler compares with MySQL.
   */
  Future<List<Instance>> list();

  /** Stops a machine and keeps its disk, for a cheaper stopped tier of a warm pool (EC2 StopInstances). */
  default Future<Void> stop(String machineId, String providerRef) {
    return Future.failedFuture(new UnsupportedOperationException(name() + " machines cannot be stopped and kept"));
  }

  /** Starts a machine that {@link #stop} stopped (EC2 StartInstances). */
  default Future<Void> resume(String machineId, String providerRef) {
    return Future.failedFuture(new UnsupportedOperationException(name() + " machines cannot be resumed"));
  }

  /** Releases the provider's clients; called when the worker stops. */
  default void close() {
  }

  /**
   * @param bootstrapToken one-time secret the agent presents when it calls home
   * @param instanceTypes  the machine types allowed for this stream's offer, preferred first
   */
  record LaunchRequest(String machineId, String streamId, String accountId, int generation, String bootstrapToken,
                       List<String> instanceTypes) {
  }

  /**
   * @param running      true when the machine already runs (a local process), false while it boots (EC2 pending)
   * @param instanceType the type it was launched as (the first allowed one unless that had no capacity)
   */
  record Launched(String providerRef, boolean running, String instanceType) {
  }

  /** Where a machine is, as the provider sees it. */
  enum Status {
    /** Booting, running, stopped (not by LTM, unless a warm pool did it), gone, or running but failing its checks. */
    PENDING, RUNNING, STOPPED, ENDED, IMPAIRED;

    public boolean alive() {
      return this == PENDING || this == RUNNING;
    }
  }

  /**
   * One machine the provider knows for this environment.
   *
   * @param machineId  its {@code ltm:machine} tag; null when an instance carries the env tag but no machine tag
   * @param reason     for a machine that stopped, ended or failed its checks: why, in plain words
   * @param launchedAt when it was started, so a young machine gets its grace period
   * @param instanceType what it runs as, where the provider knows (null for a local process)
   */
  record Instance(String machineId, String providerRef, Status status, String reason, Instant launchedAt,
                  String instanceType) {
  }
}
