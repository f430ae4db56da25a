package io.ltm.jobs;

import java.util.function.LongUnaryOperator;

/**
 * How long a failed job waits before it is handed back: exponential in its delivery count, capped, with jitter.
 * The jitter matters when many jobs fail at one instant (EC2 answering RequestLimitExceeded to a burst of starts):
 * without it they would all come back at the same moment and be throttled again. Half the delay is kept as a
 * floor ("equal jitter"), so a retry is never immediate; the other half is random.
 */
public final class RetryBackoff {
  static final long FIRST_DELAY_MS = 500;
  static final long MAX_DELAY_MS = 10_000;

  private RetryBackoff() {
  }

  /**
   * @param attempt how many times the job was delivered before (0 for the first failure)
   * @param random  a random number in [0, bound) for a given bound
   */
  public static long delayMs(int attempt, LongUnaryOperator random) {
    long cap = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS << Math.min(Math.max(attempt, 0), 10));
    long half = cap / 2;
    return half + random.applyAsLong(cap - half + 1);
  }
}
