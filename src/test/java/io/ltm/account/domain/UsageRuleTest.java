package io.ltm.account.domain;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class UsageRuleTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private static UsageRule.Change at(String state, long seconds) {
    return new UsageRule.Change(state, T0.plusSeconds(seconds));
  }

  @Test
  void billsFromStartingUntilStoppedAndNotTheQueue() {
    List<UsageRule.Change> run = List.of(at("CREATED", 0), at("PROVISIONING", 10), at("STARTING", 70),
      at("READY", 80), at("LIVE", 90), at("READY", 100), at("LIVE", 110), at("STOPPING", 670), at("STOPPED", 670 + 5));
    assertThat(UsageRule.billedSeconds(run, T0.plusSeconds(10_000))).isEqualTo(605);
  }

  @Test
  void aRunningStreamCountsUpToNowAndEachStartAddsUp() {
    List<UsageRule.Change> runs = List.of(at("PROVISIONING", 0), at("STARTING", 0), at("FAILED", 30),
      at("PROVISIONING", 100), at("STARTING", 100), at("LIVE", 110));
    assertThat(UsageRule.billedSeconds(runs, T0.plusSeconds(200))).isEqualTo(130);
  }

  @Test
  void neverStartedCostsNothing() {
    assertThat(UsageRule.billedSeconds(List.of(at("CREATED", 0)), T0.plusSeconds(500))).isZero();
    assertThat(UsageRule.costCents(0, 240)).isZero();
  }

  @Test
  void costIsPricePerHourToTheSecondRoundedHalfUp() {
    assertThat(UsageRule.costCents(3600, 240)).isEqualTo(240);
    assertThat(UsageRule.costCents(90, 60)).isEqualTo(2);   // 1.5 cents
    assertThat(UsageRule.costCents(89, 60)).isEqualTo(1);   // 1.48 cents
  }
}
