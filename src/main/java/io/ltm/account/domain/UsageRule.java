package io.ltm.account.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What a stream costs so far. The rule, as the README states it: a stream is billed for the time it spends in
 * STARTING, READY, LIVE and STOPPING — from the moment a machine is being started for it until it is stopped,
 * fails or is deleted — at its order's price per hour, to the second. Time queued in PROVISIONING (no machine
 * yet) and time CREATED, STOPPED or FAILED cost nothing. The state changes come from the account's stored
 * {@code stream.state} events; a stream still in a billed state counts up to {@code now}.
 */
public final class UsageRule {
  public static final Set<String> BILLED_STATES = Set.of("STARTING", "READY", "LIVE", "STOPPING");

  private UsageRule() {
  }

  /** One change of state: the state entered and when. */
  public record Change(String state, Instant at) {
  }

  /** Seconds spent in billed states, given the stream's state changes in the order they happened. */
  public static long billedSeconds(List<Change> changes, Instant now) {
    long millis = 0;
    Instant since = null;
    for (Change change : changes) {
      boolean billed = BILLED_STATES.contains(change.state());
      if (billed && since == null) {
        since = change.at();
      } else if (!billed && since != null) {
        millis += Math.max(0, Duration.between(since, change.at()).toMillis());
        since = null;
      }
    }
    if (since != null) {
      millis += Math.max(0, Duration.between(since, now).toMillis());
    }
    return millis / 1000;
  }

  /** Cost in cents of {@code seconds} at {@code pricePerHourCents}, rounded half up to the cent. */
  public static long costCents(long seconds, long pricePerHourCents) {
    return (seconds * pricePerHourCents + 1800) / 3600;
  }
}
