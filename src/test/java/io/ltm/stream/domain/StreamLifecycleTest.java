package io.ltm.stream.domain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.ltm.stream.domain.StreamState.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The stream machine written out in full, so any change to {@link StreamLifecycle} has to change this
 * file too: what each customer action does from each state, and every system move that is allowed.
 */
class StreamLifecycleTest {

  private static final String ILLEGAL = "illegal";

  /** Every (state, action) pair: the state it leads to, or {@value #ILLEGAL}. */
  static final String ACTIONS = """
    CREATED,      START,  PROVISIONING
    CREATED,      STOP,   illegal
    CREATED,      DELETE, DELETED
    PROVISIONING, START,  illegal
    PROVISIONING, STOP,   STOPPING
    PROVISIONING, DELETE, illegal
    STARTING,     START,  illegal
    STARTING,     STOP,   STOPPING
    STARTING,     DELETE, illegal
    READY,        START,  illegal
    READY,        STOP,   STOPPING
    READY,        DELETE, illegal
    LIVE,         START,  illegal
    LIVE,         STOP,   STOPPING
    LIVE,         DELETE, illegal
    STOPPING,     START,  illegal
    STOPPING,     STOP,   illegal
    STOPPING,     DELETE, illegal
    STOPPED,      START,  PROVISIONING
    STOPPED,      STOP,   illegal
    STOPPED,      DELETE, DELETED
    FAILED,       START,  PROVISIONING
    FAILED,       STOP,   illegal
    FAILED,       DELETE, DELETED
    DELETED,      START,  illegal
    DELETED,      STOP,   illegal
    DELETED,      DELETE, illegal
    """;

  /** Every state the system (worker, agent reports) may move a stream to, per state it starts from. */
  static final Map<StreamState, Set<StreamState>> MOVES = new EnumMap<>(Map.of(
    CREATED, EnumSet.of(PROVISIONING, DELETED),
    PROVISIONING, EnumSet.of(STARTING, STOPPING, FAILED),
    STARTING, EnumSet.of(READY, STOPPING, FAILED),
    READY, EnumSet.of(LIVE, STOPPING, FAILED),
    LIVE, EnumSet.of(READY, STOPPING, FAILED),
    STOPPING, EnumSet.of(STOPPED, FAILED),
    STOPPED, EnumSet.of(PROVISIONING, DELETED),
    FAILED, EnumSet.of(PROVISIONING, DELETED),
    DELETED, EnumSet.noneOf(StreamState.class)));

  private record Row(StreamState state, StreamAction action, String result) {
  }

  private static List<Row> actionRows() {
    return ACTIONS.lines().map(String::strip).filter(l -> !l.isEmpty()).map(line -> {
      String[] cells = line.split("\\s*,\\s*");
      return new Row(StreamState.valueOf(cells[0]), StreamAction.valueOf(cells[1]), cells[2]);
    }).toList();
  }

  @Test
  void actionTableListsEveryStateAndActionExactlyOnce() {
    List<String> listed = actionRows().stream().map(r -> r.state() + "/" + r.action()).toList();
    List<String> all = new ArrayList<>();
    for (StreamState s : StreamState.values()) {
      for (StreamAction a : StreamAction.values()) {
        all.add(s + "/" + a);
      }
    }
    assertThat(listed).containsExactlyInAnyOrderElementsOf(all);
  }

  @ParameterizedTest(name = "{0} + {1} -> {2}")
  @CsvSource(textBlock = ACTIONS)
  void customerActionLeadsToTheListedStateOrIsRefused(StreamState state, StreamAction action, String expected) {
    if (expected.equals(ILLEGAL)) {
      IllegalTransitionException e = catchThrowableOfType(IllegalTransitionException.class,
        () -> StreamLifecycle.apply(state, action));
      assertThat(e).as("%s from %s must be refused", action, state).isNotNull();
      assertThat(e.current()).isEqualTo(state.name());
      assertThat(e.allowedActions()).isEqualTo(StreamLifecycle.allowedActions(state));
      assertThat(e).hasMessageContaining(action.apiName()).hasMessageContaining(state.name());
    } else {
      assertThat(StreamLifecycle.apply(state, action)).isEqualTo(StreamState.valueOf(expected));
    }
  }

  @ParameterizedTest
  @EnumSource(StreamState.class)
  void allowedActionsAreExactlyTheLegalRowsOfTheTableInApiNames(StreamState state) {
    Set<String> legal = actionRows().stream()
      .filter(r -> r.state() == state && !r.result().equals(ILLEGAL))
      .map(r -> r.action().apiName())
      .collect(Collectors.toCollection(LinkedHashSet::new));
    assertThat(StreamLifecycle.allowedActions(state)).containsExactlyElementsOf(legal);
  }

  @Test
  void allowedActionsCannotBeChangedByTheCaller() {
    Set<String> allowed = StreamLifecycle.allowedActions(CREATED);
    assertThatThrownBy(() -> allowed.add("stop")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void moveTableListsEveryFromState() {
    assertThat(MOVES.keySet()).containsExactlyInAnyOrder(StreamState.values());
  }

  static Stream<Arguments> everyPair() {
    return Arrays.stream(StreamState.values()).flatMap(from -> Arrays.stream(StreamState.values())
      .map(to -> Arguments.of(from, to, MOVES.get(from).contains(to))));
  }

  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @MethodSource("everyPair")
  void systemMayMakeExactlyTheListedMoves(StreamState from, StreamState to, boolean allowed) {
    assertThat(StreamLifecycle.canMove(from, to)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @EnumSource(value = StreamState.class, names = {"STOPPED", "FAILED"})
  void stoppedOrFailedStreamCanStartAgain(StreamState idle) {
    assertThat(StreamLifecycle.apply(idle, StreamAction.START)).isEqualTo(PROVISIONING);
    assertThat(StreamLifecycle.canMove(idle, PROVISIONING)).isTrue();
    assertThat(StreamLifecycle.allowedActions(idle)).contains("start");
  }

  @Test
  void readyAndLiveSwapBothWays() {
    assertThat(StreamLifecycle.canMove(READY, LIVE)).isTrue();
    assertThat(StreamLifecycle.canMove(LIVE, READY)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(StreamState.class)
  void onlyActiveStatesCanFail(StreamState state) {
    assertThat(StreamLifecycle.canMove(state, FAILED)).isEqualTo(state.isActive());
  }

  @Test
  void activeStatesAreThoseWithAMachine() {
    assertThat(Arrays.stream(StreamState.values()).filter(StreamState::isActive))
      .containsExactly(PROVISIONING, STARTING, READY, LIVE, STOPPING);
  }

  @Test
  void nothingLeavesDeleted() {
    for (StreamState to : StreamState.values()) {
      assertThat(StreamLifecycle.canMove(DELETED, to)).as("DELETED -> %s", to).isFalse();
    }
    assertThat(StreamLifecycle.allowedActions(DELETED)).isEmpty();
    for (StreamAction action : StreamAction.values()) {
      IllegalTransitionException e = catchThrowableOfType(IllegalTransitionException.class,
        () -> StreamLifecycle.apply(DELETED, action));
      assertThat(e).isNotNull();
      assertThat(e.allowedActions()).isEmpty();
    }
  }

  @Test
  void noStateMovesToItself() {
    for (StreamState s : StreamState.values()) {
      assertThat(StreamLifecycle.canMove(s, s)).as("%s -> %s", s, s).isFalse();
    }
  }

  @Test
  void everyLegalCustomerActionIsAlsoAMoveTheSystemMayMake() {
    // The worker applies the action's result through canMove, so a legal action must never be refused there.
    for (Row row : actionRows()) {
      if (!row.result().equals(ILLEGAL)) {
        assertThat(StreamLifecycle.canMove(row.state(), StreamState.valueOf(row.result())))
          .as("%s + %s", row.state(), row.action()).isTrue();
      }
    }
  }
}
