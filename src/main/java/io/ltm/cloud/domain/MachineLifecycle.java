package io.ltm.cloud.domain;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static io.ltm.cloud.domain.MachineState.*;

/**
 * The machine state machine: {@code REQUESTED → PENDING → RUNNING → REGISTERED → ASSIGNED → DRAINING →
 * TERMINATING → TERMINATED}; any live state may be cut short to {@code TERMINATING} (the stream stopped
 * early) or become {@code LOST} (heartbeats stopped), and a lost machine is still terminated.
 */
public final class MachineLifecycle {

  private static final Map<MachineState, Set<MachineState>> MOVES = new EnumMap<>(MachineState.class);

  static {
    MOVES.put(REQUESTED, EnumSet.of(PENDING, TERMINATING, LOST));
    MOVES.put(PENDING, EnumSet.of(RUNNING, TERMINATING, LOST));
    MOVES.put(RUNNING, EnumSet.of(REGISTERED, TERMINATING, LOST));
    MOVES.put(REGISTERED, EnumSet.of(ASSIGNED, TERMINATING, LOST));
    MOVES.put(ASSIGNED, EnumSet.of(DRAINING, TERMINATING, LOST));
    MOVES.put(DRAINING, EnumSet.of(TERMINATING, LOST));
    MOVES.put(TERMINATING, EnumSet.of(TERMINATED));
    MOVES.put(LOST, EnumSet.of(TERMINATING, TERMINATED));
    MOVES.put(TERMINATED, EnumSet.noneOf(MachineState.class));
  }

  private MachineLifecycle() {
  }

  public static boolean canMove(MachineState from, MachineState to) {
    return MOVES.get(from).contains(to);
  }

  /** Every state from which the given one is reachable in one move; used in conditional SQL updates. */
  public static Set<MachineState> sourcesOf(MachineState to) {
    Set<MachineState> sources = EnumSet.noneOf(MachineState.class);
    MOVES.forEach((from, targets) -> {
      if (targets.contains(to)) {
        sources.add(from);
      }
    });
    return sources;
  }
}
