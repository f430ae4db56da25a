package io.ltm.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * All of LTM's configuration, read once at start: defaults from {@code ltm.yaml} (in the jar, or the
 * file named by {@code LTM_CONFIG}), then environment variables on top. Nothing deeper in the code
 * reads raw config keys.
 */
public record LtmConfig(HttpConfig http, MysqlConfig mysql, RabbitConfig rabbitmq, CloudConfig cloud, DevConfig dev,
                        AgentConfig agent, CdnConfig cdn, LimitsConfig limits) {

  /**
   * The HTTP server. {@code sendBufferBytes} is each connection's kernel send buffer (0: the kernel sizes it);
   * {@code eventSocketQueueBytes} bounds the event frames one browser's socket may have waiting in LTM before its
   * frames are dropped and it is told to resync. Together they bound what a browser that stops reading costs.
   */
  public record HttpConfig(String host, int port, String publicUrl, long maxBodyBytes, int sendBufferBytes,
                           int eventSocketQueueBytes) {
    public HttpConfig withPort(int newPort) {
      return new HttpConfig(host, newPort, publicUrl, maxBodyBytes, sendBufferBytes, eventSocketQueueBytes);
    }
  }

  public record MysqlConfig(String host, int port, String database, String user, String password, int poolSize) {
    public String jdbcUrl() {
      return "jdbc:mariadb://" + host + ":" + port + "/" + database;
    }
  }

  public record RabbitConfig(String uri, int prefetch, int deliveryLimit) {
  }

  public record CloudConfig(String provider, String env, String advertisedHost, String workDir, int heartbeatSeconds,
                            int heartbeatTimeoutSeconds, int launchTimeoutSeconds, String x264Preset) {
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
    Map.entry("LTM_MYSQL_HOST", "mysql.host"),
    Map.entry("LTM_MYSQL_PORT", "mysql.port"),
    Map.entry("LTM_MYSQL_DATABASE", "mysql.database"),
    Map.entry("LTM_MYSQL_USER", "mysql.user"),
    Map.entry("LTM_MYSQL_PASSWORD", "mysql.password"),
    Map.entry("LTM_MYSQL_POOL_SIZE", "mysql.poolSize"),
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

  private static void set(ObjectNode tree, String path, String value) {
    String[] parts = path.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.with(parts[i]);
    }
    node.put(parts[parts.length - 1], value);
  }
}
