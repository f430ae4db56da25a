package io.ltm.pool;

import io.ltm.config.LtmConfig.MachinesConfig;
import io.ltm.config.LtmConfig.PoolsConfig;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PoolSettingsTest {
  private static final PoolsConfig POOLS = new PoolsConfig(Map.of("mobile", 2, "hd-abr", 1), Map.of("hd-abr", 3),
    Map.of(), Map.of("mobile", 600), Map.of("mobile", new BigDecimal("0.20")), 2);
  private static final MachinesConfig MACHINES = new MachinesConfig(Map.of("default", List.of("c6i.large"),
    "hd-abr", List.of("c6i.2xlarge", "c5.2xlarge")), Map.of("c6i.large", new BigDecimal("0.085")));

  @Test
  void aClassNamedNowhereHasAPoolOfZero() {
    PoolSettings none = PoolSettings.configured(POOLS, "sd-abr");
    assertThat(none.minIdle()).isZero();
    assertThat(none.maxIdle()).isZero();
    assertThat(none.runningTarget(new BigDecimal("0.17"))).isZero();
  }

  @Test
  void maxIdleFollowsMinIdleUnlessSet() {
    assertThat(PoolSettings.configured(POOLS, "mobile").maxIdle()).isEqualTo(2);
    assertThat(PoolSettings.configured(POOLS, "hd-abr").maxIdle()).isEqualTo(3);
    assertThat(PoolSettings.configured(POOLS, "hd-abr").with(5, null, null, null, null).maxIdle())
      .as("a larger min raises a max that was never set above it").isEqualTo(5);
    assertThat(PoolSettings.configured(POOLS, "hd-abr").with(0, null, null, null, null).maxIdle()).isEqualTo(3);
  }

  @Test
  void theHourlyCeilingLowersWhatThePoolMayRun() {
    PoolSettings mobile = PoolSettings.configured(POOLS, "mobile").with(4, 4, null, null, null);
    // 0.20 USD an hour buys two machines at 0.085, not three.
    assertThat(mobile.runningCap(new BigDecimal("0.085"))).isEqualTo(2);
    assertThat(mobile.runningTarget(new BigDecimal("0.085"))).isEqualTo(2);
    assertThat(mobile.runningCap(null)).as("an unpriced type: only maxIdle bounds it").isEqualTo(4);
  }

  @Test
  void badValuesAreNamed() {
    assertThat(PoolSettings.configured(POOLS, "mobile").with(3, 1, null, null, null).problem()).contains("maxIdle");
    assertThat(PoolSettings.configured(POOLS, "mobile").with(-1, null, null, null, null).problem())
      .contains("negative");
    assertThat(PoolSettings.configured(POOLS, "mobile").problem()).isNull();
  }

  @Test
  void aStartTakesFromItsOffersPoolOnLocalAndItsFirstInstanceTypesOnEc2() {
    assertThat(PoolSettings.classFor("local", "hd-abr", MACHINES)).isEqualTo("hd-abr");
    assertThat(PoolSettings.classFor("local", "mobile", MACHINES)).as("an offer without types of its own")
      .isEqualTo("default");
    assertThat(PoolSettings.classFor("ec2", "hd-abr", MACHINES)).isEqualTo("c6i.2xlarge");
    assertThat(PoolSettings.classFor("ec2", "mobile", MACHINES)).isEqualTo("c6i.large");
    assertThat(PoolSettings.instanceTypesOf("ec2", "c6i.2xlarge", MACHINES)).containsExactly("c6i.2xlarge");
    assertThat(PoolSettings.instanceTypesOf("local", "hd-abr", MACHINES)).containsExactly("c6i.2xlarge", "c5.2xlarge");
  }
}
