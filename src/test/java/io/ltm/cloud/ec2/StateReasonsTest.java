package io.ltm.cloud.ec2;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StateReasonsTest {

  @Test
  void ec2sOwnReasonInPlainWordsWithItsCode() {
    assertThat(StateReasons.ended("i-1", "terminated", "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: x"))
      .isEqualTo("the transcoder machine (EC2 instance i-1) was terminated: it was stopped or terminated from outside "
        + "LTM (console, API or CLI) (Client.UserInitiatedShutdown)");
    assertThat(StateReasons.ended("i-2", "terminated", "Server.SpotInstanceTermination", null))
      .contains("took back its spot capacity");
    assertThat(StateReasons.ended("i-3", "stopped", "Client.InstanceInitiatedShutdown", null))
      .contains("i-3) stopped: it shut itself down");
    assertThat(StateReasons.ended("i-4", "terminated", "Server.Unheard", "Server.Unheard: a new reason"))
      .endsWith("Server.Unheard: a new reason");
    assertThat(StateReasons.impaired("i-5", "impaired", "ok")).contains("failed EC2's status checks");
  }
}
