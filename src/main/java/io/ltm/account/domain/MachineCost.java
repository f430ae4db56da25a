package io.ltm.account.domain;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * What a stream's machines cost the operator: each machine from its launch until it was terminated (or now), at
 * its instance type's hourly price as configured when it was launched, to the millisecond; the sum is rounded half
 * up to the cent once. Beside the customer's price it gives the stream's margin.
 */
public final class MachineCost {
  private static final BigDecimal MS_PER_HOUR = BigDecimal.valueOf(3_600_000);
  private static final BigDecimal CENTS = BigDecimal.valueOf(100);

  private MachineCost() {
  }

  /** One machine's run: how long it ran and what an hour of it costs in USD (null when the type had no price). */
  public record Run(String instanceType, long millis, BigDecimal hourlyPriceUsd) {
  }

  public static long cents(List<Run> runs) {
    BigDecimal total = BigDecimal.ZERO;
    for (Run run : runs) {
      if (run.hourlyPriceUsd() != null) {
        total = total.add(run.hourlyPriceUsd().multiply(CENTS).multiply(BigDecimal.valueOf(Math.max(0, run.millis())))
          .divide(MS_PER_HOUR, 10, RoundingMode.HALF_UP));
      }
    }
    return total.setScale(0, RoundingMode.HALF_UP).longValueExact();
  }

  public static long seconds(List<Run> runs) {
    return runs.stream().mapToLong(r -> Math.max(0, r.millis())).sum() / 1000;
  }
}
