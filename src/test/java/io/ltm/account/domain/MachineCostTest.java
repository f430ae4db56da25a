package io.ltm.account.domain;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MachineCostTest {

  @Test
  void eachMachineAtItsPriceToTheMillisecondRoundedOnceToTheCent() {
    // An hour of c6i.large (0.085 USD) and half an hour of c6i.2xlarge (0.34 USD): 8.5 + 17 = 25.5 -> 26 cents.
    List<MachineCost.Run> runs = List.of(new MachineCost.Run("c6i.large", 3_600_000, new BigDecimal("0.085")),
      new MachineCost.Run("c6i.2xlarge", 1_800_000, new BigDecimal("0.34")));
    assertThat(MachineCost.cents(runs)).isEqualTo(26);
    assertThat(MachineCost.seconds(runs)).isEqualTo(5400);
  }

  @Test
  void aTypeWithoutAPriceAndNoMachineCostNothing() {
    assertThat(MachineCost.cents(List.of())).isZero();
    assertThat(MachineCost.cents(List.of(new MachineCost.Run("x.large", 60_000, null)))).isZero();
  }
}
