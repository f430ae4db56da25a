package io.ltm.agent;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentOptionsTest {

  static final Map<String, String> ENV = Map.of(AgentOptions.TOKEN_ENV, "boot");

  @Test
  void readsSpaceAndEqualsFormsAndTakesTheTokenFromTheEnvironment() {
    AgentOptions options = AgentOptions.parse(
      new String[] {"--machine-id", "mch_1", "--server=http://h:8080", "--work-dir", "/tmp/w"}, ENV);
    assertThat(options).isEqualTo(new AgentOptions("mch_1", "http://h:8080", Path.of("/tmp/w"), "boot"));
  }

  @Test
  void missingTokenIsAnError() {
    assertThatThrownBy(() -> AgentOptions.parse(
      new String[] {"--machine-id", "m", "--server", "s", "--work-dir", "w"}, Map.of()))
      .hasMessageContaining(AgentOptions.TOKEN_ENV);
  }

  @Test
  void missingOptionIsNamed() {
    assertThatThrownBy(() -> AgentOptions.parse(new String[] {"--machine-id", "m", "--work-dir", "w"}, ENV))
      .hasMessageContaining("--server");
  }

  @Test
  void tokenNeverAppearsInTheLoggedForm() {
    AgentOptions options = AgentOptions.parse(
      new String[] {"--machine-id", "m", "--server", "s", "--work-dir", "w"}, ENV);
    assertThat(options.toString()).doesNotContain("boot");
  }
}
