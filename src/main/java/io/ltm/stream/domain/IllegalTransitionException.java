package io.ltm.stream.domain;

import java.util.Set;

/** A move the state machine forbids; the API answers 409 naming the current state and what is allowed. */
public class IllegalTransitionException extends RuntimeException {
  private final String current;
  private final Set<String> allowedActions;

  public IllegalTransitionException(String what, String current, Set<String> allowedActions) {
    super("cannot " + what + " a stream that is " + current);
    this.current = current;
    this.allowedActions = allowedActions;
  }

  public String current() {
    return current;
  }

  public Set<String> allowedActions() {
    return allowedActions;
  }
}
