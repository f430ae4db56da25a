package io.ltm.pool;

import io.ltm.config.LtmConfig.MachinesConfig;
import io.ltm.config.LtmConfig.PoolsConfig;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * One pool's sizes, as configured and as an operator changed them at run time (a change wins over the file).
 *
 * @param maxHourlyUsd null: no ceiling
 */
public record PoolSettings(String poolClass, int minIdle, int maxIdle, int stoppedIdle, int idleTtlSeconds,
                           BigDecimal maxHourlyUsd) {

  /** What the configuration says for a class; a class it does not name has a pool of 0. */
  public static PoolSettings configured(PoolsConfig pools, String poolClass) {
    int min = pools.minIdle().getOrDefault(poolClass, 0);
    Integer max = pools.maxIdle().get(poolClass);
    return new PoolSettings(poolClass, min, max == null ? min : max, pools.stoppedIdle().getOrDefault(poolClass, 0),
      pools.idleTtlSeconds().getOrDefault(poolClass, 0), pools.maxHourlyUsd().get(poolClass));
  }

  /** These settings with an operator's changes (null: keep) laid over them. */
  public PoolSettings with(Integer min, Integer max, Integer stopped, Integer ttl, BigDecimal hourly) {
    int newMin = min != null ? min : minIdle;
    // A max never set on its own follows the min, as in the file.
    int newMax = max != null ? max : Math.max(maxIdle, newMin);
    return new PoolSettings(poolClass, newMin, newMax, stopped != null ? stopped : stoppedIdle,
      ttl != null ? ttl : idleTtlSeconds, hourly != null ? hourly : maxHourlyUsd);
  }

  /** Running machines (idle and booting) the pool may hold: maxIdle, lowered by the cost ceiling. */
  public int runningCap(BigDecimal hourlyPrice) {
    if (maxHourlyUsd == null || hourlyPrice == null || hourlyPrice.signum() <= 0) {
      return maxIdle;
    }
    return Math.min(maxIdle, maxHourlyUsd.divide(hourlyPrice, 0, RoundingMode.FLOOR).intValue());
  }

  /** How many running machines the pool aims at: minIdle, within its cap. */
  public int runningTarget(BigDecimal hourlyPrice) {
    return Math.min(minIdle, runningCap(hourlyPrice));
  }

  /** A problem with these values, in words, or null. */
  public String problem() {
    if (minIdle < 0 || maxIdle < 0 || stoppedIdle < 0 || idleTtlSeconds < 0) {
      return "sizes and the idle time-to-live must not be negative";
    }
    if (maxIdle < minIdle) {
      return "maxIdle (" + maxIdle + ") is below minIdle (" + minIdle + ")";
    }
    if (maxHourlyUsd != null && maxHourlyUsd.signum() < 0) {
      return "maxHourlyUsd must not be negative";
    }
    return null;
  }

  /** The machine class a start of this offer takes from: the offer itself (local), its first instance type (ec2). */
  public static String classFor(String provider, String offerId, MachinesConfig machines) {
    if ("local".equals(provider)) {
      return offerId == null || !machines.instanceTypes().containsKey(offerId) ? MachinesConfig.DEFAULT_OFFER : offerId;
    }
    List<String> types = machines.instanceTypesFor(offerId);
    return types.isEmpty() ? MachinesConfig.DEFAULT_OFFER : types.get(0);
  }

  /** The instance types a pool's machine is launched as. */
  public static List<String> instanceTypesOf(String provider, String poolClass, MachinesConfig machines) {
    return "local".equals(provider) ? machines.instanceTypesFor(poolClass) : List.of(poolClass);
  }
}
