package io.ltm.cloud;

import io.vertx.core.Future;

import java.util.List;

/**
 * Starts and stops transcoder machines. Every call is idempotent: launching the same machine id twice
 * yields the one machine (EC2's ClientToken, a process tag locally), terminating a gone machine succeeds.
 */
public interface CloudProvider {

  String name();

  /** Starts the machine, or finds it if a previous attempt already did. */
  Future<Launched> launch(LaunchRequest request);

  /** Terminates the machine and everything it runs; succeeds if it is already gone. */
  Future<Void> terminate(String machineId, String providerRef);

  /** Machines this provider runs for this environment, found by their tags: what the reconciler compares with MySQL. */
  Future<List<Running>> list();

  /**
   * @param bootstrapToken one-time secret the agent presents when it calls home
   */
  record LaunchRequest(String machineId, String streamId, String accountId, int generation, String bootstrapToken) {
  }

  /** @param running true when the machine already runs (a local process), false while it boots (EC2 pending) */
  record Launched(String providerRef, boolean running) {
  }

  record Running(String machineId, String providerRef) {
  }
}
