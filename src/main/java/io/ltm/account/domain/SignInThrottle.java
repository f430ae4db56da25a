package io.ltm.account.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing: after {@code maxFailures} failed sign-ins for one e-mail within {@code window}, that
 * e-mail is refused until the oldest failure leaves the window — before any (slow) hash is computed, so a
 * guesser burns no server CPU either. Kept per server node, in memory: across N nodes the limit is N times
 * looser, which still turns millions of guesses into a handful.
 */
public final class SignInThrottle {
  private static final int MAX_TRACKED = 100_000;

  private final int maxFailures;
  private final Duration window;
  private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

  public SignInThrottle(int maxFailures, Duration window) {
    this.maxFailures = maxFailures;
    this.window = window;
  }

  /** Null when a sign-in for this e-mail may be tried now, else how long until it may. */
  public Duration retryAfter(String email, Instant now) {
    Deque<Instant> list = failures.get(key(email));
    if (list == null) {
      return null;
    }
    synchronized (list) {
      prune(list, now);
      if (list.size() < maxFailures) {
        return null;
      }
      return Duration.between(now, list.peekFirst().plus(window));
    }
  }

  public void failed(String email, Instant now) {
    if (failures.size() >= MAX_TRACKED) {
      failures.clear();
    }
    Deque<Instant> list = failures.computeIfAbsent(key(email), k -> new ArrayDeque<>());
    synchronized (list) {
      prune(list, now);
      list.addLast(now);
    }
  }

  public void succeeded(String email) {
    failures.remove(key(email));
  }

  private void prune(Deque<Instant> list, Instant now) {
    while (!list.isEmpty() && !list.peekFirst().plus(window).isAfter(now)) {
      list.removeFirst();
    }
  }

  private static String key(String email) {
    return email.trim().toLowerCase(Locale.ROOT);
  }
}
