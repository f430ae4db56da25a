package io.ltm.config;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigValidationTest {
  static final Map<String, String> EC2 = Map.of("LTM_CLOUD_PROVIDER", "ec2", "LTM_EC2_REGION", "eu-west-1",
    "LTM_EC2_IMAGE", "ami-0123456789abcdef0", "LTM_EC2_SUBNETS", "subnet-0123456789abcdef0,subnet-89abcdef",
    "LTM_EC2_SECURITY_GROUPS", "sg-0123456789abcdef0");

  static void check(Map<String, String> changes) {
    Map<String, String> env = new HashMap<>(EC2);
    env.putAll(changes);
    ConfigValidation.validate(LtmConfig.load(env));
  }

  @Test
  void theDefaultsAndAGoodEc2ConfigurationPass() {
    ConfigValidation.validate(LtmConfig.load(Map.of()));
    check(Map.of());
    check(Map.of("LTM_EC2_IMAGE", "/aws/service/debian/12/ltm", "LTM_EC2_PURCHASE", "spot"));
    check(Map.of("LTM_EC2_IMAGE", "resolve:ssm:/ltm/agent-ami"));
  }

  @Test
  void eachBadValueIsOneLineNamingItsKeyAndVariable() {
    assertThatThrownBy(() -> check(Map.of("LTM_EC2_REGION", "mars-1")))
      .hasMessage("invalid configuration: ec2.region (LTM_EC2_REGION): 'mars-1' is not an AWS region (e.g. us-east-1)");
    assertThatThrownBy(() -> check(Map.of("LTM_EC2_SUBNETS", "")))
      .hasMessageStartingWith("invalid configuration: ec2.subnets (LTM_EC2_SUBNETS): is empty");
    assertThatThrownBy(() -> check(Map.of("LTM_EC2_IMAGE", "ami-xyz")))
      .hasMessageStartingWith("invalid configuration: ec2.image (LTM_EC2_IMAGE): 'ami-xyz' is neither an AMI id");
    assertThatThrownBy(() -> check(Map.of("LTM_EC2_SUBNETS", "subnet-1")))
      .hasMessageContaining("ec2.subnets").hasMessageContaining("not a subnet id");
    assertThatThrownBy(() -> check(Map.of("LTM_EC2_SECURITY_GROUPS", "default")))
      .hasMessageContaining("ec2.securityGroups");
    assertThatThrownBy(() -> check(Map.of("LTM_EC2_PURCHASE", "reserved"))).hasMessageContaining("ec2.purchase");
    assertThatThrownBy(() -> check(Map.of("LTM_EC2_EXTRA_TAGS", "ltm:env=prod"))).hasMessageContaining("ec2.extraTags");
    assertThatThrownBy(() -> check(Map.of("LTM_INSTANCE_TYPES", "mobile=m7i.large")))
      .hasMessageContaining("machines.hourlyPrices (LTM_INSTANCE_PRICES)").hasMessageContaining("m7i.large");
    assertThatThrownBy(() -> check(Map.of("LTM_CLOUD_PROVIDER", "gcp")))
      .hasMessageContaining("cloud.provider (LTM_CLOUD_PROVIDER)");
    assertThatThrownBy(() -> check(Map.of("LTM_MYSQL_HEARTBEAT_POOL_SIZE", "0")))
      .hasMessageContaining("mysql.heartbeatPoolSize (LTM_MYSQL_HEARTBEAT_POOL_SIZE)").hasMessageContaining("more than 0");
    assertThatThrownBy(() -> check(Map.of("LTM_MYSQL_POOL_SIZE", "-1"))).hasMessageContaining("mysql.poolSize");
    assertThatThrownBy(() -> check(Map.of("LTM_HTTP_INSTANCES", "-2")))
      .hasMessageContaining("http.instances (LTM_HTTP_INSTANCES)").hasMessageContaining("must not be negative");
    assertThat(new InvalidConfigurationException("ec2.region", "x").getMessage()).doesNotContain("\n");
  }

  @Test
  void anOperatorChangesAnOffersInstanceTypesAndPricesWithoutCode() {
    LtmConfig config = LtmConfig.load(Map.of("LTM_INSTANCE_TYPES", "mobile=c7i.large|c6i.large",
      "LTM_INSTANCE_PRICES", "c7i.large=0.089"));
    ConfigValidation.validate(config);
    assertThat(config.machines().instanceTypesFor("mobile")).containsExactly("c7i.large", "c6i.large");
    assertThat(config.machines().instanceTypesFor("hd-abr")).containsExactly("c6i.2xlarge", "c5.2xlarge");
    assertThat(config.machines().instanceTypesFor("a-new-offer")).containsExactly("c6i.large", "c5.large");
    assertThat(config.machines().hourlyPrice("c7i.large")).isEqualByComparingTo("0.089");
  }
}
