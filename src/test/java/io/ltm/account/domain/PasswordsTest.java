package io.ltm.account.domain;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PasswordsTest {

  @Test
  void aHashVerifiesItsPasswordOnlyAndIsSaltedPerPassword() {
    String hash = Passwords.hash("s3cret-enough", 1000);
    assertThat(hash).startsWith("pbkdf2_sha256$1000$");
    assertThat(Passwords.verify("s3cret-enough", hash)).isTrue();
    assertThat(Passwords.verify("s3cret-enougH", hash)).isFalse();
    assertThat(Passwords.hash("s3cret-enough", 1000)).isNotEqualTo(hash);
  }

  @Test
  void theDefaultIsSlowPbkdf2() {
    assertThat(Passwords.ITERATIONS).isGreaterThanOrEqualTo(600_000);
    assertThat(Passwords.hash("x")).startsWith("pbkdf2_sha256$" + Passwords.ITERATIONS + "$");
  }

  @Test
  void missingOrMalformedHashesNeverMatch() {
    assertThat(Passwords.verify("x", null)).isFalse();
    assertThat(Passwords.verify("x", "plain")).isFalse();
    assertThat(Passwords.verify("x", "pbkdf2_sha256$abc$$")).isFalse();
    assertThat(Passwords.verify(null, Passwords.hash("x", 1000))).isFalse();
  }
}
