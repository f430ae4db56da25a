package io.ltm.config;

import io.ltm.config.LtmConfig.Ec2Config;
import io.ltm.config.LtmConfig.MachinesConfig;
import software.amazon.awssdk.regions.Region;

import java.math.BigDecimal;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks, before anything starts, the values a bad deployment gets wrong: the provider, and for {@code ec2} the
 * region, image, subnets, security groups, instance types and their prices. The first problem found is thrown
 * as an {@link InvalidConfigurationException} naming its key.
 */
public final class ConfigValidation {
  public static final Set<String> PROVIDERS = Set.of("local", "ec2");
  private static final Pattern AMI = Pattern.compile("ami-([0-9a-f]{8}|[0-9a-f]{17})");
  private static final Pattern SSM_NAME = Pattern.compile("(resolve:ssm:)?/[A-Za-z0-9_.\\-/]+(:[0-9]+)?");
  private static final Pattern SUBNET = Pattern.compile("subnet-([0-9a-f]{8}|[0-9a-f]{17})");
  private static final Pattern GROUP = Pattern.compile("sg-([0-9a-f]{8}|[0-9a-f]{17})");
  private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z][a-z0-9-]*\\.[a-z0-9]+");
  private static final Pattern PROFILE = Pattern.compile("[\\w+=,.@-]{1,128}|arn:aws[a-z-]*:iam::\\d{12}:instance-profile/.+");
  private static final Set<String> PURCHASES = Set.of("on-demand", "spot");

  private ConfigValidation() {
  }

  public static void validate(LtmConfig config) {
    String provider = config.cloud().provider();
    if (!PROVIDERS.contains(provider)) {
      throw new InvalidConfigurationException("cloud.provider", "'" + provider + "' is not a provider (local, ec2)");
    }
    if (config.http().instances() < 0) {
      throw new InvalidConfigurationException("http.instances", config.http().instances()
        + " must not be negative (0: one per core)");
    }
    positive("mysql.poolSize", config.mysql().poolSize());
    positive("mysql.heartbeatPoolSize", config.mysql().heartbeatPoolSize());
    positive("cloud.reconcileSeconds", config.cloud().reconcileSeconds());
    positive("cloud.provisioningTimeoutSeconds", config.cloud().provisioningTimeoutSeconds());
    if (config.cloud().orphanGraceSeconds() < 0) {
      throw new InvalidConfigurationException("cloud.orphanGraceSeconds", "must not be negative");
    }
    machines(config.machines());
    pools(config.pools(), provider);
    if (provider.equals("ec2")) {
      ec2(config.ec2());
    }
  }

  private static void pools(LtmConfig.PoolsConfig pools, String provider) {
    positive("pools.checkSeconds", pools.checkSeconds());
    for (String poolClass : pools.classes()) {
      io.ltm.pool.PoolSettings s = io.ltm.pool.PoolSettings.configured(pools, poolClass);
      String problem = s.problem();
      if (problem != null) {
        throw new InvalidConfigurationException("pools.maxIdle", "pool " + poolClass + ": " + problem);
      }
      if (s.stoppedIdle() > 0 && provider.equals("local")) {
        throw new InvalidConfigurationException("pools.stoppedIdle",
          "pool " + poolClass + ": the local provider has no stopped tier (its machines cannot be stopped and kept)");
      }
    }
  }

  private static void machines(MachinesConfig machines) {
    if (machines.instanceTypesFor(null).isEmpty()) {
      throw new InvalidConfigurationException("machines.instanceTypes",
        "needs a 'default' entry: the instance types of an offer that has none of its own");
    }
    machines.instanceTypes().forEach((offer, types) -> {
      for (String type : types) {
        if (!INSTANCE_TYPE.matcher(type).matches()) {
          throw new InvalidConfigurationException("machines.instanceTypes",
            "'" + type + "' (offer " + offer + ") is not an instance type such as c6i.large");
        }
        BigDecimal price = machines.hourlyPrice(type);
        if (price == null) {
          throw new InvalidConfigurationException("machines.hourlyPrices",
            "no hourly price for " + type + " (offer " + offer + "): the margin of its streams could not be shown");
        }
      }
    });
    machines.hourlyPrices().forEach((type, price) -> {
      if (price.signum() < 0) {
        throw new InvalidConfigurationException("machines.hourlyPrices", type + " costs " + price + ": not a price");
      }
    });
  }

  private static void ec2(Ec2Config ec2) {
    String region = ec2.region() == null ? "" : ec2.region().trim();
    if (!Region.regions().contains(Region.of(region.isEmpty() ? "none" : region))) {
      throw new InvalidConfigurationException("ec2.region", "'" + region + "' is not an AWS region (e.g. us-east-1)");
    }
    if (ec2.endpoint() != null && !ec2.endpoint().isBlank()) {
      try {
        URI uri = URI.create(ec2.endpoint().trim());
        if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
          throw new IllegalArgumentException();
        }
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigurationException("ec2.endpoint", "'" + ec2.endpoint() + "' is not an http(s) URL");
      }
    }
    String image = ec2.image() == null ? "" : ec2.image().trim();
    if (image.isEmpty()) {
      throw new InvalidConfigurationException("ec2.image", "is empty: give an AMI id (ami-…) or an SSM parameter name");
    }
    if (!AMI.matcher(image).matches() && !SSM_NAME.matcher(image).matches()) {
      throw new InvalidConfigurationException("ec2.image", "'" + image
        + "' is neither an AMI id (ami- and 8 or 17 hex digits) nor an SSM parameter name (/…)");
    }
    ids("ec2.subnets", ec2.subnets(), SUBNET, "subnet id (subnet-…)");
    ids("ec2.securityGroups", ec2.securityGroups(), GROUP, "security group id (sg-…)");
    if (notBlank(ec2.instanceProfile()) && !PROFILE.matcher(ec2.instanceProfile().trim()).matches()) {
      throw new InvalidConfigurationException("ec2.instanceProfile", "'" + ec2.instanceProfile()
        + "' is neither an instance profile name nor its ARN");
    }
    if (ec2.rootVolumeGb() < 8 || ec2.rootVolumeGb() > 16384) {
      throw new InvalidConfigurationException("ec2.rootVolumeGb", ec2.rootVolumeGb() + " is not between 8 and 16384");
    }
    if (!PURCHASES.contains(ec2.purchase())) {
      throw new InvalidConfigurationException("ec2.purchase", "'" + ec2.purchase() + "' is not on-demand or spot");
    }
    for (Map.Entry<String, String> tag : ec2.extraTags().entrySet()) {
      String key = tag.getKey();
      if (key.startsWith("aws:") || key.startsWith("ltm:") || key.length() > 128 || tag.getValue().length() > 256) {
        throw new InvalidConfigurationException("ec2.extraTags", "'" + key
          + "' cannot be used: aws: and ltm: are reserved, keys hold 128 characters and values 256");
      }
    }
  }

  private static void ids(String key, List<String> values, Pattern pattern, String what) {
    if (values == null || values.isEmpty()) {
      throw new InvalidConfigurationException(key, "is empty: give at least one " + what);
    }
    Set<String> seen = new LinkedHashSet<>();
    for (String value : values) {
      if (!pattern.matcher(value).matches()) {
        throw new InvalidConfigurationException(key, "'" + value + "' is not a " + what);
      }
      if (!seen.add(value)) {
        throw new InvalidConfigurationException(key, value + " is listed twice");
      }
    }
  }

  private static void positive(String key, int value) {
    if (value <= 0) {
      throw new InvalidConfigurationException(key, value + " must be more than 0");
    }
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }
}
