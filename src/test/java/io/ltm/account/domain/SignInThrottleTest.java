package io.ltm.account.domain;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class SignInThrottleTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  @Test
  void refusesAnEmailAfterTooManyFailuresUntilTheOldestLeavesTheWindow() {
    SignInThrottle throttle = new SignInThrottle(3, Duration.ofMinutes(10));
    for (int i = 0; i < 3; i++) {
      assertThat(throttle.retryAfter("a@x.test", T0.plusSeconds(i))).isNull();
      throttle.failed("A@x.test ", T0.plusSeconds(i));
    }
    assertThat(throttle.retryAfter("a@x.test", T0.plusSeconds(60))).isEqualTo(Duration.ofSeconds(540));
    assertThat(throttle.retryAfter("b@x.test", T0.plusSeconds(60))).isNull();
    assertThat(throttle.retryAfter("a@x.test", T0.plusSeconds(600))).isNull();
  }

  @Test
  void aSuccessForgetsTheFailures() {
    SignInThrottle throttle = new SignInThrottle(2, Duration.ofMinutes(10));
    throttle.failed("a@x.test", T0);
    throttle.succeeded("a@x.test");
    throttle.failed("a@x.test", T0);
    assertThat(throttle.retryAfter("a@x.test", T0)).isNull();
  }
}
