package io.ltm.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Schema errors and the ladder rules name fields the same way: dots for properties, brackets for indices. */
class FailureHandlerFieldTest {

  @Test
  void schemaLocationsBecomeFieldPaths() {
    assertThat(FailureHandler.fieldOf("#/input/kind")).isEqualTo("input.kind");
    assertThat(FailureHandler.fieldOf("#/renditions/1/height")).isEqualTo("renditions[1].height");
    assertThat(FailureHandler.fieldOf("#/renditions/12")).isEqualTo("renditions[12]");
    assertThat(FailureHandler.fieldOf("#/outputs/rtmp/url")).isEqualTo("outputs.rtmp.url");
    assertThat(FailureHandler.fieldOf("#")).isNull();
  }
}
