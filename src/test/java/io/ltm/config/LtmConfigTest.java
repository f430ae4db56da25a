package io.ltm.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ltm.config.LtmConfig.CloudConfig;
import io.ltm.config.LtmConfig.DevConfig;
import io.ltm.config.LtmConfig.AgentConfig;
import io.ltm.config.LtmConfig.CdnConfig;
import io.ltm.config.LtmConfig.Ec2Config;
import io.ltm.config.LtmConfig.LimitsConfig;
import io.ltm.config.LtmConfig.MachinesConfig;
import io.ltm.config.LtmConfig.OperatorConfig;
import io.ltm.config.LtmConfig.PoolsConfig;
import io.ltm.config.LtmConfig.HttpConfig;
import io.ltm.config.LtmConfig.MysqlConfig;
import io.ltm.config.LtmConfig.RabbitConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LtmConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** conf/ltm.yaml, value by value. */
  private static final LtmConfig DEFAULTS = new LtmConfig(
    new HttpConfig("0.0.0.0", 8080, "http://127.0.0.1:8080", 65536, 0, 262144, 0),
    new MysqlConfig("127.0.0.1", 3306, "test", "root", "", 8, 2),
    new RabbitConfig("amqp://guest:guest@127.0.0.1:5672", 32, 5),
    new CloudConfig("local", "dev", "localhost", "/tmp/ltm-agents", 2, 15, 90, "veryfast", 5, 60, 300),
    new DevConfig("Demo account", "demo@ltm.local"),
    new AgentConfig(10, 5, 60, 30, 24),
    new CdnConfig("", 10, 30),
    new LimitsConfig(600, 60, 10, 900),
    new Ec2Config("us-east-1", "", "", List.of(), List.of(), "", "", 16, Map.of(), "on-demand"),
    new MachinesConfig(Map.of("default", List.of("c6i.large", "c5.large"),
      "hd-abr", List.of("c6i.2xlarge", "c5.2xlarge"), "sd-abr", List.of("c6i.xlarge", "c5.xlarge"),
      "mobile", List.of("c6i.large", "c5.large")),
      Map.of("c6i.large", new BigDecimal("0.085"), "c6i.xlarge", new BigDecimal("0.17"),
        "c6i.2xlarge", new BigDecimal("0.34"), "c5.large", new BigDecimal("0.085"),
        "c5.xlarge", new BigDecimal("0.17"), "c5.2xlarge", new BigDecimal("0.34"))),
    new PoolsConfig(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), 2), new OperatorConfig(""));

  @Test
  void emptyEnvironmentGivesTheDefaultsOfLtmYaml() {
    assertThat(LtmConfig.load(Map.of())).isEqualTo(DEFAULTS);
  }

  @Test
  void httpPortFromEnvironment() {
    assertThat(LtmConfig.load(Map.of("LTM_HTTP_PORT", "9090")).http().port()).isEqualTo(9090);
  }

  @Test
  void httpInstancesFromEnvironmentElseOnePerCore() {
    assertThat(LtmConfig.load(Map.of("LTM_HTTP_INSTANCES", "3")).http().serverInstances()).isEqualTo(3);
    assertThat(LtmConfig.load(Map.of()).http().serverInstances())
      .isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void mysqlHostFromEnvironmentAlsoChangesTheJdbcUrl() {
    LtmConfig config = LtmConfig.load(Map.of("LTM_MYSQL_HOST", "db.internal"));
    assertThat(config.mysql().host()).isEqualTo("db.internal");
    assertThat(config.mysql().jdbcUrl()).isEqualTo("jdbc:mariadb://db.internal:3306/test");
  }

  @Test
  void rabbitUriFromEnvironment() {
    String uri = "amqps://ltm:s3cret@mq.example:5671/ltm";
    assertThat(LtmConfig.load(Map.of("LTM_RABBITMQ_URI", uri)).rabbitmq().uri()).isEqualTo(uri);
  }

  @Test
  void cloudProviderFromEnvironment() {
    assertThat(LtmConfig.load(Map.of("LTM_CLOUD_PROVIDER", "aws")).cloud().provider()).isEqualTo("aws");
  }

  @Test
  void emptyPasswordFromEnvironmentStaysEmpty() {
    assertThat(LtmConfig.load(Map.of("LTM_MYSQL_PASSWORD", "")).mysql().password()).isEmpty();
  }

  @Test
  void unrelatedEnvironmentVariablesAreIgnored() {
    assertThat(LtmConfig.load(Map.of("PATH", "/usr/bin", "LTM_UNKNOWN", "x"))).isEqualTo(DEFAULTS);
  }

  static Stream<Arguments> everyOverride() {
    return LtmConfig.ENV_OVERRIDES.entrySet().stream().sorted(Map.Entry.comparingByKey())
      .map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("everyOverride")
  void eachEnvironmentVariableOverridesItsKeyAndNothingElse(String name, String path) {
    JsonNode defaults = JSON.valueToTree(DEFAULTS);
    JsonNode current = at(defaults, path);
    assertThat(current.isMissingNode()).as("%s names a key that the config does not have", path).isFalse();
    String value = current.isNumber() ? String.valueOf(current.asLong() + 4242)
      : current.isArray() ? "from-" + name + ",second"
      : current.isObject() ? "from-" + name + "=" + (decimalMap(path) ? "1.5" : path.startsWith("pools.") ? "3" : "x")
      : "from-" + name;

    JsonNode loaded = JSON.valueToTree(LtmConfig.load(Map.of(name, value)));

    ObjectNode expected = defaults.deepCopy();
    String[] parts = path.split("\\.");
    ObjectNode section = (ObjectNode) expected.get(parts[0]);
    if (current.isArray()) {
      section.putArray(parts[1]).add("from-" + name).add("second");
    } else if (current.isObject()) {
      // A map variable lays its pairs over the default map: the defaults stay, the named key is added.
      ObjectNode map = (ObjectNode) section.get(parts[1]);
      if (decimalMap(path)) {
        map.put("from-" + name, new BigDecimal("1.5"));
      } else if (path.startsWith("pools.")) {
        map.put("from-" + name, 3);
      } else if (path.equals("machines.instanceTypes")) {
        map.putArray("from-" + name).add("x");
      } else {
        map.put("from-" + name, "x");
      }
    } else if (current.isInt()) {
      section.put(parts[1], Integer.parseInt(value));
    } else if (current.isLong()) {
      section.put(parts[1], Long.parseLong(value));
    } else {
      section.put(parts[1], value);
    }
    assertThat(loaded).isEqualTo(expected);
  }

  private static boolean decimalMap(String path) {
    return path.equals("machines.hourlyPrices") || path.equals("pools.maxHourlyUsd");
  }

  @Test
  void everyVariableNamedInLtmYamlIsInTheOverrideTable() throws IOException {
    Set<String> named = namedInYaml();
    assertThat(named).isNotEmpty();
    assertThat(LtmConfig.ENV_OVERRIDES.keySet()).containsExactlyInAnyOrderElementsOf(named);
  }

  @Test
  void badNumberFailsAtLoadNamingTheProblem() {
    assertThatThrownBy(() -> LtmConfig.load(Map.of("LTM_HTTP_PORT", "eighty")))
      .isInstanceOf(IllegalStateException.class)
      .hasMessageContaining("cannot read LTM configuration")
      .hasMessageContaining("eighty");
  }

  @Test
  void configFileReplacesTheDefaults(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("prod.yaml");
    Files.writeString(file, """
      http:
        host: 127.0.0.2
        port: 18080
        publicUrl: https://ltm.example
        maxBodyBytes: 1024
      mysql:
        host: db
        port: 3307
        database: ltm
        user: ltm
        password: pw
        poolSize: 4
      rabbitmq:
        uri: amqp://mq:5672
        prefetch: 2
        deliveryLimit: 3
      cloud:
        provider: aws
        env: prod
        advertisedHost: ltm.example
        workDir: /var/lib/ltm
        heartbeatSeconds: 5
        heartbeatTimeoutSeconds: 30
        launchTimeoutSeconds: 300
        x264Preset: faster
      dev:
        accountName: Nobody
        accountEmail: nobody@example.com
      """);

    assertThat(LtmConfig.load(Map.of("LTM_CONFIG", file.toString()))).isEqualTo(new LtmConfig(
      new HttpConfig("127.0.0.2", 18080, "https://ltm.example", 1024, 0, 262144, 0),
      new MysqlConfig("db", 3307, "ltm", "ltm", "pw", 4, 2),
      new RabbitConfig("amqp://mq:5672", 2, 3),
      new CloudConfig("aws", "prod", "ltm.example", "/var/lib/ltm", 5, 30, 300, "faster", 5, 60, 300),
      new DevConfig("Nobody", "nobody@example.com"),
      new AgentConfig(10, 5, 60, 30, 24),
      new CdnConfig("", 10, 30),
      new LimitsConfig(600, 60, 10, 900), DEFAULTS.ec2(), DEFAULTS.machines(), DEFAULTS.pools(),
      DEFAULTS.operator()));
  }

  @Test
  void environmentStillOverridesTheConfigFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("ltm.yaml");
    Files.writeString(file, new String(defaultsYaml(), StandardCharsets.UTF_8).replace("port: 8080", "port: 18080"));

    LtmConfig fromFile = LtmConfig.load(Map.of("LTM_CONFIG", file.toString()));
    LtmConfig overridden = LtmConfig.load(Map.of("LTM_CONFIG", file.toString(), "LTM_HTTP_PORT", "9090"));

    assertThat(fromFile.http().port()).isEqualTo(18080);
    assertThat(overridden.http().port()).isEqualTo(9090);
  }

  @Test
  void partialConfigFileKeepsEveryDefaultItDoesNotName(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("partial.yaml");
    Files.writeString(file, "http:\n  port: 9000\n");
    LtmConfig partial = LtmConfig.load(Map.of("LTM_CONFIG", file.toString()));
    assertThat(partial.http().port()).isEqualTo(9000);
    assertThat(partial.http().maxBodyBytes()).isEqualTo(DEFAULTS.http().maxBodyBytes());
    assertThat(partial.mysql()).isEqualTo(DEFAULTS.mysql());
    assertThat(partial.cloud()).isEqualTo(DEFAULTS.cloud());
  }

  @Test
  void blankConfigVariableMeansTheDefaults() {
    assertThat(LtmConfig.load(Map.of("LTM_CONFIG", " "))).isEqualTo(DEFAULTS);
  }

  @Test
  void missingConfigFileFailsAtLoad(@TempDir Path dir) {
    String missing = dir.resolve("absent.yaml").toString();
    assertThatThrownBy(() -> LtmConfig.load(Map.of("LTM_CONFIG", missing)))
      .isInstanceOf(IllegalStateException.class)
      .hasMessageContaining("absent.yaml");
  }

  @Test
  void misspelledKeyInConfigFileFailsAtLoad(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("typo.yaml");
    Files.writeString(file, new String(defaultsYaml(), StandardCharsets.UTF_8).replace("poolSize:", "poolsize:"));
    assertThatThrownBy(() -> LtmConfig.load(Map.of("LTM_CONFIG", file.toString())))
      .isInstanceOf(IllegalStateException.class)
      .hasMessageContaining("poolsize");
  }

  private static JsonNode at(JsonNode tree, String dottedPath) {
    return tree.at("/" + dottedPath.replace('.', '/'));
  }

  private static byte[] defaultsYaml() throws IOException {
    try (InputStream in = LtmConfig.class.getResourceAsStream("/ltm.yaml")) {
      assertThat(in).as("ltm.yaml on the classpath").isNotNull();
      return in.readAllBytes();
    }
  }

  /** The {@code # LTM_…} names that ltm.yaml's comments promise. */
  private static Set<String> namedInYaml() throws IOException {
    Matcher m = Pattern.compile("#\\s*(LTM_[A-Z0-9_]+)").matcher(new String(defaultsYaml(), StandardCharsets.UTF_8));
    return m.results().map(r -> r.group(1)).collect(Collectors.toSet());
  }
}
