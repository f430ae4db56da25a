package io.ltm.cloud.domain;

/** Where a transcoder machine is in its life; {@link MachineLifecycle} holds the legal moves. */
public enum MachineState {
  REQUESTED, PENDING, RUNNING, REGISTERED, ASSIGNED, DRAINING, TERMINATING, TERMINATED, LOST;

  /** The provider may have a machine running for this row: the reconciler must not kill it. */
  public boolean mayBeRunning() {
    return this != TERMINATED;
  }
}
