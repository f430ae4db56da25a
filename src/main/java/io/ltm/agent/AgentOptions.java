package io.ltm.agent;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What {@code ltm agent} is told at start. The bootstrap token comes from the environment because the
 * command line is visible to every user of the machine through {@code ps}.
 */
public record AgentOptions(String machineId, String serverUrl, Path workDir, String bootstrapToken,
                           String advertisedHost, boolean resume) {

  public AgentOptions(String machineId, String serverUrl, Path workDir, String bootstrapToken) {
    this(machineId, serverUrl, workDir, bootstrapToken, null, false);
  }

  public AgentOptions(String machineId, String serverUrl, Path workDir, String bootstrapToken, String advertisedHost) {
    this(machineId, serverUrl, workDir, bootstrapToken, advertisedHost, false);
  }

  /** Where a warm agent keeps what it needs to wait again after its machine was stopped and started (EC2). */
  public static final String STANDBY_FILE = "standby.env";

  public static final String TOKEN_ENV = "LTM_AGENT_TOKEN";

  /** Accepts {@code --name value} and {@code --name=value}; throws with a usage line on anything missing. */
  public static AgentOptions parse(String[] args, Map<String, String> env) {
    Map<String, String> values = new HashMap<>();
    boolean resume = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--resume")) {
        // A warm machine started again after it was stopped: the token is its agent token; it waits, no hello.
        resume = true;
        continue;
      }
      if (!arg.startsWith("--")) {
        throw usage("unexpected argument " + arg);
      }
      int eq = arg.indexOf('=');
      if (eq > 0) {
        values.put(arg.substring(2, eq), arg.substring(eq + 1));
      } else if (i + 1 < args.length) {
        values.put(arg.substring(2), args[++i]);
      } else {
        throw usage(arg + " needs a value");
      }
    }
    String token = env.get(TOKEN_ENV);
    if (token == null || token.isBlank()) {
      throw usage(TOKEN_ENV + " is not set");
    }
    String advertised = values.get("advertised-host");
    return new AgentOptions(required(values, "machine-id"), required(values, "server"),
      Path.of(required(values, "work-dir")), token, advertised == null || advertised.isBlank() ? null : advertised,
      resume);
  }

  private static String required(Map<String, String> values, String name) {
    String value = values.get(name);
    if (value == null || value.isBlank()) {
      throw usage("--" + name + " is required");
    }
    return value;
  }

  private static IllegalArgumentException usage(String problem) {
    return new IllegalArgumentException(problem
      + "; usage: ltm agent --machine-id <id> --server <url> --work-dir <dir> [--advertised-host <host>] [--resume] "
      + "(token in "
      + TOKEN_ENV + ")");
  }

  @Override
  public String toString() {
    // Never log the token.
    return "AgentOptions[machineId=" + machineId + ", serverUrl=" + serverUrl + ", workDir=" + workDir
      + (advertisedHost == null ? "" : ", advertisedHost=" + advertisedHost) + (resume ? ", resume" : "") + "]";
  }
}
