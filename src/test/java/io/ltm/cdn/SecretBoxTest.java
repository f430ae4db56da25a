package io.ltm.cdn;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretBoxTest {
  private final SecretBox box = new SecretBox(SecretBox.newKey());

  @Test
  void sealedSecretsOpenWithTheSameKeyAndProfileAndShowNoPlainText() {
    String sealed = box.seal("cdn_1", new JsonObject().put("password", "hunter2"));
    assertThat(sealed).startsWith("v1:").doesNotContain("hunter2");
    assertThat(box.open("cdn_1", sealed).getString("password")).isEqualTo("hunter2");
  }

  @Test
  void everySealIsDifferentForTheSameSecret() {
    JsonObject s = new JsonObject().put("token", "t");
    assertThat(box.seal("cdn_1", s)).isNotEqualTo(box.seal("cdn_1", s));
  }

  @Test
  void secretsCopiedOntoAnotherProfileOrOpenedWithAnotherKeyDoNotDecrypt() {
    String sealed = box.seal("cdn_1", new JsonObject().put("password", "p"));
    assertThatThrownBy(() -> box.open("cdn_2", sealed)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new SecretBox(SecretBox.newKey()).open("cdn_1", sealed))
      .hasMessageContaining("cannot be decrypted");
  }

  @Test
  void aKeyThatIsNot32BytesIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> new SecretBox("c2hvcnQ=")).hasMessageContaining("LTM_CDN_SECRET_KEY").hasMessageContaining("32 bytes");
  }
}
