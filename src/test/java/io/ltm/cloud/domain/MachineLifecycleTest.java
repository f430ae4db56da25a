package io.ltm.cloud.domain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.ltm.cloud.domain.MachineState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The machine state machine written out in full, both ways round: where each state may go, and from where. */
class MachineLifecycleTest {

  static final Map<MachineState, Set<MachineState>> MOVES = new EnumMap<>(Map.of(
    REQUESTED, EnumSet.of(PENDING, TERMINATING, LOST),
    PENDING, EnumSet.of(RUNNING, TERMINATING, LOST),
    RUNNING, EnumSet.of(REGISTERED, TERMINATING, LOST),
    REGISTERED, EnumSet.of(ASSIGNED, TERMINATING, LOST),
    ASSIGNED, EnumSet.of(DRAINING, TERMINATING, LOST),
    DRAINING, EnumSet.of(TERMINATING, LOST),
    TERMINATING, EnumSet.of(TERMINATED),
    LOST, EnumSet.of(TERMINATING, TERMINATED),
    TERMINATED, EnumSet.noneOf(MachineState.class)));

  /** The same table read backwards, written out separately so that a slip in either shows. */
  static final Map<MachineState, Set<MachineState>> SOURCES = new EnumMap<>(Map.of(
    REQUESTED, EnumSet.noneOf(MachineState.class),
    PENDING, EnumSet.of(REQUESTED),
    RUNNING, EnumSet.of(PENDING),
    REGISTERED, EnumSet.of(RUNNING),
    ASSIGNED, EnumSet.of(REGISTERED),
    DRAINING, EnumSet.of(ASSIGNED),
    TERMINATING, EnumSet.of(REQUESTED, PENDING, RUNNING, REGISTERED, ASSIGNED, DRAINING, LOST),
    TERMINATED, EnumSet.of(TERMINATING, LOST),
    LOST, EnumSet.of(REQUESTED, PENDING, RUNNING, REGISTERED, ASSIGNED, DRAINING)));

  private static final Set<MachineState> LIVE = EnumSet.of(REQUESTED, PENDING, RUNNING, REGISTERED, ASSIGNED, DRAINING);

  @Test
  void tablesListEveryState() {
    assertThat(MOVES.keySet()).containsExactlyInAnyOrder(MachineState.values());
    assertThat(SOURCES.keySet()).containsExactlyInAnyOrder(MachineState.values());
  }

  static Stream<Arguments> everyPair() {
    return Arrays.stream(MachineState.values()).flatMap(from -> Arrays.stream(MachineState.values())
      .map(to -> Arguments.of(from, to, MOVES.get(from).contains(to))));
  }

  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @MethodSource("everyPair")
  void machineMayMakeExactlyTheListedMoves(MachineState from, MachineState to, boolean allowed) {
    assertThat(MachineLifecycle.canMove(from, to)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @EnumSource(MachineState.class)
  void sourcesOfAreTheListedStates(MachineState to) {
    assertThat(MachineLifecycle.sourcesOf(to)).containsExactlyInAnyOrderElementsOf(SOURCES.get(to));
  }

  @ParameterizedTest
  @EnumSource(MachineState.class)
  void sourcesOfAgreesWithCanMove(MachineState to) {
    Set<MachineState> canReach = Arrays.stream(MachineState.values())
      .filter(from -> MachineLifecycle.canMove(from, to))
      .collect(Collectors.toCollection(() -> EnumSet.noneOf(MachineState.class)));
    assertThat(MachineLifecycle.sourcesOf(to)).isEqualTo(canReach);
  }

  @Test
  void sourcesOfCannotCorruptTheMachine() {
    MachineLifecycle.sourcesOf(TERMINATED).add(REQUESTED);
    assertThat(MachineLifecycle.canMove(REQUESTED, TERMINATED)).isFalse();
    assertThat(MachineLifecycle.sourcesOf(TERMINATED)).containsExactlyInAnyOrder(TERMINATING, LOST);
  }

  @ParameterizedTest
  @EnumSource(MachineState.class)
  void everyLiveStateCanBeCutShortOrLost(MachineState state) {
    assertThat(MachineLifecycle.canMove(state, TERMINATING)).isEqualTo(LIVE.contains(state) || state == LOST);
    assertThat(MachineLifecycle.canMove(state, LOST)).isEqualTo(LIVE.contains(state));
  }

  @Test
  void lostMachineIsStillTerminated() {
    assertThat(MachineLifecycle.canMove(LOST, TERMINATING)).isTrue();
    assertThat(MachineLifecycle.canMove(LOST, TERMINATED)).isTrue();
  }

  @Test
  void nothingLeavesTerminated() {
    for (MachineState to : MachineState.values()) {
      assertThat(MachineLifecycle.canMove(TERMINATED, to)).as("TERMINATED -> %s", to).isFalse();
    }
  }

  @Test
  void onlyATerminatedMachineIsSurelyGone() {
    assertThat(Arrays.stream(MachineState.values()).filter(s -> !s.mayBeRunning())).containsExactly(TERMINATED);
  }

  @Test
  void noStateMovesToItself() {
    for (MachineState s : MachineState.values()) {
      assertThat(MachineLifecycle.canMove(s, s)).as("%s -> %s", s, s).isFalse();
    }
  }
}
