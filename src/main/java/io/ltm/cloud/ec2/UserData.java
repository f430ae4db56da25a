package io.ltm.cloud.ec2;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The cloud-init user-data of a transcoder machine: a shell script that writes the machine id, the home URL and
 * the one-time bootstrap token to a file only root can read, then starts the agent. On the image
 * (deploy/ami/) systemd's {@code ltm-agent.service} runs {@code /opt/ltm/bin/ltm-agent-start}; where there is no
 * systemd (the test-side instance runner, which sets {@code LTM_ROOT} to its sandbox) the script runs that same
 * start script itself. No AWS credential and no long-lived secret is in it: the token is worthless once the
 * agent has called home.
 */
public final class UserData {
  /** EC2 refuses user-data above 16 KB before base64. */
  static final int MAX_BYTES = 16 * 1024;
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_.:/@%+=,~-]+");

  private UserData() {
  }

  public static String script(String machineId, String serverUrl, String bootstrapToken) {
    for (String value : new String[] {machineId, serverUrl, bootstrapToken}) {
      if (value == null || !SAFE.matcher(value).matches()) {
        throw new IllegalArgumentException("user-data value with characters a shell would read: " + value);
      }
    }
    return """
      #!/bin/sh
      # LTM transcoder machine %1$s: cloud-init runs this once at first boot.
      set -eu
      umask 077
      root="${LTM_ROOT:-}"
      mkdir -p "$root/run/ltm"
      cat > "$root/run/ltm/agent.env" <<'LTM_ENV'
      LTM_MACHINE_ID='%1$s'
      LTM_SERVER_URL='%2$s'
      LTM_AGENT_TOKEN='%3$s'
      LTM_ENV
      if [ -z "$root" ] && [ -d /run/systemd/system ]; then
        chown -R ltm:ltm /run/ltm
        exec systemctl start --no-block ltm-agent.service
      fi
      exec "$root/opt/ltm/bin/ltm-agent-start" "$root/run/ltm/agent.env"
      """.formatted(machineId, serverUrl, bootstrapToken);
  }

  /** The script as RunInstances wants it; fails when EC2 would refuse its size. */
  static String base64(String script) {
    byte[] bytes = script.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_BYTES) {
      throw new IllegalArgumentException("user-data is " + bytes.length + " bytes; EC2 takes " + MAX_BYTES);
    }
    return Base64.getEncoder().encodeToString(bytes);
  }
}
