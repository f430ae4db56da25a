package io.ltm.cdn.domain;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FailoverPolicyTest {

  @Test
  void aPrimaryFailingShorterThanTheFailoverTimeStaysActive() {
    FailoverPolicy p = new FailoverPolicy(2, 10_000, 30_000, true);
    p.succeeded(1, 0);
    p.failed(0, 1_000, "503");
    assertThat(p.evaluate(10_999)).isNull();
    assertThat(p.active()).isZero();
  }

  @Test
  void aPrimaryFailingForTheFailoverTimeHandsOverToTheBackupNamingWhy() {
    FailoverPolicy p = new FailoverPolicy(2, 10_000, 30_000, true);
    p.succeeded(1, 0);
    p.failed(0, 1_000, "connection refused");
    FailoverPolicy.Switch s = p.evaluate(11_000);
    assertThat(s).isNotNull();
    assertThat(s.to()).isEqualTo(1);
    assertThat(s.from()).isZero();
    assertThat(s.reason()).contains("primary CDN failing for 10 s").contains("connection refused");
    assertThat(p.active()).isEqualTo(1);
  }

  @Test
  void aSuccessInBetweenRestartsTheFailoverClock() {
    FailoverPolicy p = new FailoverPolicy(2, 10_000, 30_000, true);
    p.failed(0, 0, "x");
    p.succeeded(0, 9_000);
    p.failed(0, 9_500, "x");
    assertThat(p.evaluate(15_000)).isNull();
  }

  @Test
  void noFailoverToABackupThatFailsToo() {
    FailoverPolicy p = new FailoverPolicy(2, 10_000, 30_000, true);
    p.failed(0, 0, "x");
    p.failed(1, 0, "y");
    assertThat(p.evaluate(60_000)).isNull();
    assertThat(p.active()).isZero();
  }

  @Test
  void thePrimaryIsTakenBackOnlyAfterItWasHealthyForTheFailbackTime() {
    FailoverPolicy p = new FailoverPolicy(2, 10_000, 30_000, true);
    p.succeeded(1, 0);
    p.failed(0, 0, "x");
    assertThat(p.evaluate(10_000).to()).isEqualTo(1);
    p.succeeded(0, 20_000);
    assertThat(p.evaluate(49_999)).isNull();
    FailoverPolicy.Switch back = p.evaluate(50_000);
    assertThat(back.to()).isZero();
    assertThat(back.reason()).contains("healthy again for 30 s");
  }

  @Test
  void withoutFailbackTheBackupStaysActive() {
    FailoverPolicy p = new FailoverPolicy(2, 10_000, 30_000, false);
    p.succeeded(1, 0);
    p.failed(0, 0, "x");
    p.evaluate(10_000);
    p.succeeded(0, 11_000);
    assertThat(p.evaluate(500_000)).isNull();
    assertThat(p.active()).isEqualTo(1);
  }

  @Test
  void aSingleCdnNeverSwitches() {
    FailoverPolicy p = new FailoverPolicy(1, 10_000, 30_000, true);
    p.failed(0, 0, "x");
    assertThat(p.evaluate(100_000)).isNull();
  }
}
