package io.ltm.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import com.fasterxml.jackson.databind.node.ArrayNode;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * All of LTM's configuration, read once at start: defaults from {@code ltm.yaml} (in the jar, or the
 * file named by {@code LTM_CONFIG}), then environment variables on top. Nothing deeper in the code
 * reads raw config keys.
 */
public record LtmConfig(HttpConfig http, MysqlConfig mysql, RabbitConfig rabbitmq, CloudConfig cloud, DevConfig dev,
                        AgentConfig agent, CdnConfig cdn, LimitsConfig limits, Ec2Config ec2,
                        MachinesConfig machines, PoolsConfig pools, OperatorConfig operator) {

  /**
   * The HTTP server. {@code sendBufferBytes} is each connection's kernel send buffer (0: the kernel sizes it);
   * {@code eventSocketQueueBytes} bounds the event frames one browser's socket may have waiting in LTM before its
   * frames are dropped and it is told to resync. Together they bound what a browser that stops reading costs.
   * {@code instances} is how many copies of the HTTP server run, each on its own event loop, all on the one port (0:
   * one per core); see {@link #serverInstances()}.
   */
  public record HttpConfig(String host, int port, String publicUrl, long maxBodyBytes, int sendBufferBytes,
                           int eventSocketQueueBytes, int instances) {
    public HttpConfig withPort(int newPort) {
      return new HttpConfig(host, newPort, publicUrl, maxBodyBytes, sendBufferBytes, eventSocketQueueBytes, instances);
    }

    /**
     * HTTP server instances to deploy: {@code instances}, or with 0 one per core. One instance put every request,
     * heartbeat and browser socket of a node on a single event loop, i.e. one core.
     */
    public int serverInstances() {
      return instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
    }
  }

  /**
   * @param poolSize          connections for everything but heartbeats
   * @param heartbeatPoolSize connections of the fleet's heartbeats alone, so a burst of purchases never makes
   *                          machines wait to report (and a fleet's heartbeats never take a customer's connection)
   */
  public record MysqlConfig(String host, int port, String database, String user, String password, int poolSize,
                            int heartbeatPoolSize) {
    public String jdbcUrl() {
      return "jdbc:mariadb://" + host + ":" + port + "/" + database;
    }
  }

  public record RabbitConfig(String uri, int prefetch, int deliveryLimit) {
  }

  /**
   * @param reconcileSeconds   how often the reconciler compares the provider's machines (found by tag) with MySQL
   * @param orphanGraceSeconds a machine younger than this is never judged an orphan or gone: its launch may be
   *                           in flight, or the cloud's listing not yet caught up with it
   * @param provisioningTimeoutSeconds a stream PROVISIONING this long with no machine being launched for it (its job
   *                           lost, or still not taken) FAILS, so none is left waiting for ever
   */
  public record CloudConfig(String provider, String env, String advertisedHost, String workDir, int heartbeatSeconds,
                            int heartbeatTimeoutSeconds, int launchTimeoutSeconds, String x264Preset,
                            int reconcileSeconds, int orphanGraceSeconds, int provisioningTimeoutSeconds) {
  }

  /**
   * The {@code ec2} provider. Credentials are not here: they come from the AWS default provider chain
   * (environment, profile, instance role).
   *
   * @param endpoint     empty for AWS itself; a URL for an EC2-compatible API (and SSM beside it)
   * @param image        an AMI id, or an SSM parameter name ({@code /…} or {@code resolve:ssm:/…}) read at start
   * @param purchase     {@code on-demand}, or {@code spot} (falling back to on-demand when spot has no capacity)
   */
  public record Ec2Config(String region, String endpoint, String image, List<String> subnets,
                          List<String> securityGroups, String instanceProfile, String keyName, int rootVolumeGb,
                          Map<String, String> extraTags, String purchase) {
  }

  /**
   * What a stream's machine is and costs, whatever the provider.
   *
   * @param instanceTypes per offer id (or {@code default}), the instance types its machines may be, preferred first
   * @param hourlyPrices  per instance type, what one hour of it costs the operator, in USD
   */
  public record MachinesConfig(Map<String, List<String>> instanceTypes, Map<String, BigDecimal> hourlyPrices) {
    public static final String DEFAULT_OFFER = "default";

    /** The instance types allowed for an offer, preferred first. */
    public List<String> instanceTypesFor(String offerId) {
      List<String> types = offerId == null ? null : instanceTypes.get(offerId);
      return types != null && !types.isEmpty() ? types : instanceTypes.getOrDefault(DEFAULT_OFFER, List.of());
    }

    /** USD per hour, or null when the type has no price. */
    public BigDecimal hourlyPrice(String instanceType) {
      return instanceType == null ? null : hourlyPrices.get(instanceType);
    }
  }

  /**
   * Warm pools, per machine class: for the {@code local} provider an offer id, for {@code ec2} an instance type (the
   * first of an offer's list). A class named nowhere has no pool: its starts are cold, exactly as without pools.
   *
   * @param minIdle        booted, registered machines with no stream to keep ready (running tier)
   * @param maxIdle        never more idle (and booting) running machines than this; default: minIdle
   * @param stoppedIdle    ec2: machines booted once, then stopped (disk cost only), resumed when claimed
   * @param idleTtlSeconds an idle machine older than this is terminated (and replaced while under minIdle); 0: never
   * @param maxHourlyUsd   what a class's idle and booting running machines may cost per hour, at machines.hourlyPrices
   * @param checkSeconds   how often the pool keeper sizes its pools (a claim on its node also wakes it)
   */
  public record PoolsConfig(Map<String, Integer> minIdle, Map<String, Integer> maxIdle,
                            Map<String, Integer> stoppedIdle, Map<String, Integer> idleTtlSeconds,
                            Map<String, BigDecimal> maxHourlyUsd, int checkSeconds) {
    /** Every class the configuration names. */
    public java.util.Set<String> classes() {
      java.util.Set<String> all = new java.util.TreeSet<>();
      for (Map<String, ?> m : List.of(minIdle, maxIdle, stoppedIdle, idleTtlSeconds, maxHourlyUsd)) {
        all.addAll(m.keySet());
      }
      return all;
    }
  }

  /**
   * The operator's side door ({@code /operator/v1}, {@code ltm pool}): a bearer token of its own, never a customer
   * API key. Empty: the operator endpoints answer 404.
   */
  public record OperatorConfig(String token) {
    @Override
    public String toString() {
      return "OperatorConfig[token=" + (token == null || token.isEmpty() ? "(none)" : "***") + "]";
    }
  }

  public record DevConfig(String accountName, String accountEmail) {
  }

  /**
   * What every agent is told about watching its stream: thumbnail interval, how often a heartbeat becomes a
   * stored {@code stream.health} event, how long a lost input may stay away before the stream FAILS, and the
   * floor of the unreachable-server fence; and how long stored {@code stream.health} events are kept.
   */
  public record AgentConfig(int thumbnailSeconds, int healthEventSeconds, int reconnectWindowSeconds,
                            int fenceMinSeconds, int healthRetentionHours) {
  }

  /**
   * CDN delivery: the AES-GCM key CDN secrets are encrypted with at rest (base64 of 32 bytes; empty: `ltm dev`
   * makes one, other roles refuse to store secrets), how long a failing primary CDN is given before the backup
   * takes over, and how long it must then be healthy before LTM switches back to it.
   */
  public record CdnConfig(String secretKey, int failoverSeconds, int failbackSeconds) {
    @Override
    public String toString() {
      return "CdnConfig[secretKey=" + (secretKey == null || secretKey.isEmpty() ? "(none)" : "***")
        + ", failoverSeconds=" + failoverSeconds + ", failbackSeconds=" + failbackSeconds + "]";
    }
  }

  /**
   * What protects accounts. {@code apiRequests} per API key (or browser session) every {@code apiWindowSeconds}, per
   * server node; 0 turns the limit off. {@code signInAttempts} password checks per e-mail every
   * {@code signInWindowSeconds}, counted in MySQL, so shared by every server node.
   */
  public record LimitsConfig(int apiRequests, int apiWindowSeconds, int signInAttempts, int signInWindowSeconds) {
  }

  /** Environment variable → path in the YAML tree. One table, so the README can list it verbatim. */
  static final Map<String, String> ENV_OVERRIDES = Map.ofEntries(
    Map.entry("LTM_HTTP_HOST", "http.host"),
    Map.entry("LTM_HTTP_PORT", "http.port"),
    Map.entry("LTM_PUBLIC_URL", "http.publicUrl"),
    Map.entry("LTM_HTTP_MAX_BODY_BYTES", "http.maxBodyBytes"),
    Map.entry("LTM_HTTP_SEND_BUFFER_BYTES", "http.sendBufferBytes"),
    Map.entry("LTM_EVENT_SOCKET_QUEUE_BYTES", "http.eventSocketQueueBytes"),
    Map.entry("LTM_HTTP_INSTANCES", "http.instances"),
    Map.entry("LTM_MYSQL_HOST", "mysql.host"),
    Map.entry("LTM_MYSQL_PORT", "mysql.port"),
    Map.entry("LTM_MYSQL_DATABASE", "mysql.database"),
    Map.entry("LTM_MYSQL_USER", "mysql.user"),
    Map.entry("LTM_MYSQL_PASSWORD", "mysql.password"),
    Map.entry("LTM_MYSQL_POOL_SIZE", "mysql.poolSize"),
    Map.entry("LTM_MYSQL_HEARTBEAT_POOL_SIZE", "mysql.heartbeatPoolSize"),
    Map.entry("LTM_RABBITMQ_URI", "rabbitmq.uri"),
    Map.entry("LTM_RABBITMQ_PREFETCH", "rabbitmq.prefetch"),
    Map.entry("LTM_RABBITMQ_DELIVERY_LIMIT", "rabbitmq.deliveryLimit"),
    Map.entry("LTM_CLOUD_PROVIDER", "cloud.provider"),
    Map.entry("LTM_ENV", "cloud.env"),
    Map.entry("LTM_ADVERTISED_HOST", "cloud.advertisedHost"),
    Map.entry("LTM_AGENT_WORK_DIR", "cloud.workDir"),
    Map.entry("LTM_HEARTBEAT_SECONDS", "cloud.heartbeatSeconds"),
    Map.entry("LTM_HEARTBEAT_TIMEOUT_SECONDS", "cloud.heartbeatTimeoutSeconds"),
    Map.entry("LTM_LAUNCH_TIMEOUT_SECONDS", "cloud.launchTimeoutSeconds"),
    Map.entry("LTM_X264_PRESET", "cloud.x264Preset"),
    Map.entry("LTM_RECONCILE_SECONDS", "cloud.reconcileSeconds"),
    Map.entry("LTM_ORPHAN_GRACE_SECONDS", "cloud.orphanGraceSeconds"),
    Map.entry("LTM_PROVISIONING_TIMEOUT_SECONDS", "cloud.provisioningTimeoutSeconds"),
    Map.entry("LTM_EC2_REGION", "ec2.region"),
    Map.entry("LTM_EC2_ENDPOINT", "ec2.endpoint"),
    Map.entry("LTM_EC2_IMAGE", "ec2.image"),
    Map.entry("LTM_EC2_SUBNETS", "ec2.subnets"),
    Map.entry("LTM_EC2_SECURITY_GROUPS", "ec2.securityGroups"),
    Map.entry("LTM_EC2_INSTANCE_PROFILE", "ec2.instanceProfile"),
    Map.entry("LTM_EC2_KEY_NAME", "ec2.keyName"),
    Map.entry("LTM_EC2_ROOT_VOLUME_GB", "ec2.rootVolumeGb"),
    Map.entry("LTM_EC2_EXTRA_TAGS", "ec2.extraTags"),
    Map.entry("LTM_EC2_PURCHASE", "ec2.purchase"),
    Map.entry("LTM_INSTANCE_TYPES", "machines.instanceTypes"),
    Map.entry("LTM_INSTANCE_PRICES", "machines.hourlyPrices"),
    Map.entry("LTM_POOL_MIN_IDLE", "pools.minIdle"),
    Map.entry("LTM_POOL_MAX_IDLE", "pools.maxIdle"),
    Map.entry("LTM_POOL_STOPPED_IDLE", "pools.stoppedIdle"),
    Map.entry("LTM_POOL_IDLE_TTL_SECONDS", "pools.idleTtlSeconds"),
    Map.entry("LTM_POOL_MAX_HOURLY_USD", "pools.maxHourlyUsd"),
    Map.entry("LTM_POOL_CHECK_SECONDS", "pools.checkSeconds"),
    Map.entry("LTM_OPERATOR_TOKEN", "operator.token"),
    Map.entry("LTM_THUMBNAIL_SECONDS", "agent.thumbnailSeconds"),
    Map.entry("LTM_HEALTH_EVENT_SECONDS", "agent.healthEventSeconds"),
    Map.entry("LTM_RECONNECT_WINDOW_SECONDS", "agent.reconnectWindowSeconds"),
    Map.entry("LTM_FENCE_MIN_SECONDS", "agent.fenceMinSeconds"),
    Map.entry("LTM_HEALTH_RETENTION_HOURS", "agent.healthRetentionHours"),
    Map.entry("LTM_CDN_SECRET_KEY", "cdn.secretKey"),
    Map.entry("LTM_CDN_FAILOVER_SECONDS", "cdn.failoverSeconds"),
    Map.entry("LTM_CDN_FAILBACK_SECONDS", "cdn.failbackSeconds"),
    Map.entry("LTM_API_RATE_LIMIT", "limits.apiRequests"),
    Map.entry("LTM_API_RATE_WINDOW_SECONDS", "limits.apiWindowSeconds"),
    Map.entry("LTM_SIGN_IN_ATTEMPTS", "limits.signInAttempts"),
    Map.entry("LTM_SIGN_IN_WINDOW_SECONDS", "limits.signInWindowSeconds"));

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Reads the defaults and applies the process environment. Blocking: call before Vert.x starts. */
  public static LtmConfig load() {
    return load(System.getenv());
  }

  public static LtmConfig load(Map<String, String> env) {
    try {
      ObjectNode tree = (ObjectNode) readDefaults(env.get("LTM_CONFIG"));
      ENV_OVERRIDES.forEach((name, path) -> {
        String value = env.get(name);
        if (value != null) {
          set(tree, path, value);
        }
      });
      return YAML.treeToValue(tree, LtmConfig.class);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read LTM configuration: " + e.getMessage(), e);
    }
  }

  /** The built-in defaults, with the file named by {@code LTM_CONFIG} (if any) laid over them key by key. */
  private static JsonNode readDefaults(String file) throws IOException {
    JsonNode defaults;
    try (InputStream in = LtmConfig.class.getResourceAsStream("/ltm.yaml")) {
      if (in == null) {
        throw new IOException("ltm.yaml is missing from the classpath");
      }
      defaults = YAML.readTree(in);
    }
    if (file != null && !file.isBlank()) {
      JsonNode overrides = YAML.readTree(Files.readString(Path.of(file)));
      if (overrides instanceof ObjectNode overrideTree) {
        merge((ObjectNode) defaults, overrideTree);
      }
    }
    return defaults;
  }

  private static void merge(ObjectNode into, ObjectNode from) {
    from.properties().forEach(entry -> {
      JsonNode existing = into.get(entry.getKey());
      if (existing instanceof ObjectNode existingTree && entry.getValue() instanceof ObjectNode fromTree) {
        merge(existingTree, fromTree);
      } else {
        into.set(entry.getKey(), entry.getValue());
      }
    });
  }

  /**
   * Sets one key from a variable. The default's shape says how to read it: a list is comma-separated
   * ({@code a,b}); a map is {@code key=value} pairs, comma-separated, laid over the default map key by key, and a
   * list value inside it is {@code |}-separated ({@code hd-abr=c6i.2xlarge|c5.2xlarge,mobile=c6i.large}).
   */
  static void set(ObjectNode tree, String path, String value) {
    String[] parts = path.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.withObjectProperty(parts[i]);
    }
    String key = parts[parts.length - 1];
    JsonNode current = node.get(key);
    if (current instanceof ArrayNode) {
      node.set(key, list(value, ","));
    } else if (current instanceof ObjectNode map) {
      for (String pair : value.split(",")) {
        if (pair.isBlank()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new InvalidConfigurationException(path, "'" + pair.trim() + "' is not key=value");
        }
        String k = pair.substring(0, eq).trim();
        String v = pair.substring(eq + 1).trim();
        boolean listValues = v.contains("|") || map.get(k) instanceof ArrayNode
          || map.valueStream().anyMatch(JsonNode::isArray);
        if (listValues) {
          map.set(k, list(v, "\\|"));
        } else {
          map.put(k, v);
        }
      }
    } else {
      node.put(key, value);
    }
  }

  private static ArrayNode list(String value, String separator) {
    ArrayNode array = YAML.createArrayNode();
    for (String item : value.split(separator)) {
      if (!item.isBlank()) {
        array.add(item.trim());
      }
    }
    return array;
  }

  /** The environment variable that overrides a key, for error messages; null when there is none. */
  public static String variableFor(String path) {
    return ENV_OVERRIDES.entrySet().stream().filter(e -> e.getValue().equals(path)).map(Map.Entry::getKey)
      .findFirst().orElse(null);
  }
}
