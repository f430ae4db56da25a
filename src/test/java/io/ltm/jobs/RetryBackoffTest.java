package io.ltm.jobs;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RetryBackoffTest {

  @Test
  void delayDoublesWithEachDeliveryUpToTheCapAndKeepsHalfAsAFloor() {
    assertThat(RetryBackoff.delayMs(0, bound -> 0)).isEqualTo(250);
    assertThat(RetryBackoff.delayMs(0, bound -> bound - 1)).isEqualTo(500);
    assertThat(RetryBackoff.delayMs(1, bound -> 0)).isEqualTo(500);
    assertThat(RetryBackoff.delayMs(3, bound -> bound - 1)).isEqualTo(4000);
    assertThat(RetryBackoff.delayMs(20, bound -> bound - 1)).isEqualTo(10_000);
    assertThat(RetryBackoff.delayMs(20, bound -> 0)).isEqualTo(5_000);
  }

  @Test
  void jobsThrottledTogetherComeBackAtDifferentMoments() {
    Random random = new Random(7);
    Set<Long> delays = new HashSet<>();
    for (int job = 0; job < 20; job++) {
      long delay = RetryBackoff.delayMs(2, random::nextLong);
      assertThat(delay).isBetween(1000L, 2000L);
      delays.add(delay);
    }
    assertThat(delays).hasSizeGreaterThan(15);
  }
}
