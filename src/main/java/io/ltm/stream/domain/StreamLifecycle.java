package io.ltm.stream.domain;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import static io.ltm.stream.domain.StreamState.*;

/**
 * The stream state machine: {@code CREATED → PROVISIONING → STARTING → READY ⇄ LIVE → STOPPING → STOPPED},
 * any active state {@code → FAILED}, a stopped or failed stream can start again, and {@code DELETED}.
 * Two tables: what a customer may ask ({@link StreamAction}) and what the system may do (internal moves).
 */
public final class StreamLifecycle {

  private static final Map<StreamState, Map<StreamAction, StreamState>> ACTIONS = new EnumMap<>(StreamState.class);
  private static final Map<StreamState, Set<StreamState>> MOVES = new EnumMap<>(StreamState.class);

  static {
    for (StreamState s : StreamState.values()) {
      ACTIONS.put(s, new EnumMap<>(StreamAction.class));
      MOVES.put(s, EnumSet.noneOf(StreamState.class));
    }
    for (StreamState idle : EnumSet.of(CREATED, STOPPED, FAILED)) {
      ACTIONS.get(idle).put(StreamAction.START, PROVISIONING);
      ACTIONS.get(idle).put(StreamAction.DELETE, DELETED);
    }
    for (StreamState running : EnumSet.of(PROVISIONING, STARTING, READY, LIVE)) {
      ACTIONS.get(running).put(StreamAction.STOP, STOPPING);
    }
    ACTIONS.forEach((from, byAction) -> MOVES.get(from).addAll(byAction.values()));
    MOVES.get(PROVISIONING).add(STARTING);
    MOVES.get(STARTING).add(READY);
    MOVES.get(READY).add(LIVE);
    MOVES.get(LIVE).add(READY);
    MOVES.get(STOPPING).add(STOPPED);
    for (StreamState s : StreamState.values()) {
      if (s.isActive()) {
        MOVES.get(s).add(FAILED);
      }
    }
  }

  private StreamLifecycle() {
  }

  /** The state a customer's action leads to, or an {@link IllegalTransitionException} naming what is allowed. */
  public static StreamState apply(StreamState current, StreamAction action) {
    StreamState next = ACTIONS.get(current).get(action);
    if (next == null) {
      throw new IllegalTransitionException(action.apiName(), current.name(), allowedActions(current));
    }
    return next;
  }

  /** Whether the system (worker, agent reports) may move a stream from one state to the other. */
  public static boolean canMove(StreamState from, StreamState to) {
    return MOVES.get(from).contains(to);
  }

  /** The actions, by their API names, that a customer may take now; the API lists them on every stream. */
  public static Set<String> allowedActions(StreamState current) {
    Set<String> names = new LinkedHashSet<>();
    ACTIONS.get(current).keySet().forEach(a -> names.add(a.apiName()));
    return Collections.unmodifiableSet(names);
  }
}
