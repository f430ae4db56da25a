package io.ltm.cloud.ec2;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UserDataTest {
  static final String SCRIPT = UserData.script("mch_abc123", "https://ltm.example.com:8443", "T0ken0123456789");

  @Test
  void carriesTheMachineTheHomeUrlAndTheOneTimeTokenAndNothingElseSecret() {
    assertThat(SCRIPT).startsWith("#!/bin/sh\n")
      .contains("LTM_MACHINE_ID='mch_abc123'")
      .contains("LTM_SERVER_URL='https://ltm.example.com:8443'")
      .contains("LTM_AGENT_TOKEN='T0ken0123456789'")
      .doesNotContain("AWS_", "aws_access", "SECRET");
  }

  @Test
  void startsTheUnitOnTheImageAndTheSameStartScriptWithoutSystemd() throws Exception {
    String unit = Files.readString(Path.of("deploy", "ami", "ltm-agent.service"));
    assertThat(unit).contains("ExecStart=/opt/ltm/bin/ltm-agent-start /run/ltm/agent.env");
    assertThat(SCRIPT).contains("systemctl start --no-block ltm-agent.service")
      .contains("exec \"$root/opt/ltm/bin/ltm-agent-start\" \"$root/run/ltm/agent.env\"");
    assertThat(Files.isExecutable(Path.of("deploy", "ami", "ltm-agent-start"))).isTrue();
  }

  @Test
  void isValidShell() throws Exception {
    Path file = Files.createTempFile("user-data", ".sh");
    Files.writeString(file, SCRIPT);
    Process sh = new ProcessBuilder("sh", "-n", file.toString()).redirectErrorStream(true).start();
    String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(sh.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(sh.exitValue()).as(out).isZero();
    Files.delete(file);
  }

  @Test
  void refusesValuesAShellWouldReadAndWhatEc2WouldRefuse() {
    assertThatThrownBy(() -> UserData.script("mch_1", "http://x/'; rm -rf /", "t"))
      .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UserData.script("mch_1", "http://x", "$(id)")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UserData.base64("#".repeat(UserData.MAX_BYTES + 1)))
      .isInstanceOf(IllegalArgumentException.class);
    assertThat(new String(Base64.getDecoder().decode(UserData.base64(SCRIPT)), StandardCharsets.UTF_8)).isEqualTo(SCRIPT);
  }
}
