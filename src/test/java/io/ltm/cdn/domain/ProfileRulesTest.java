package io.ltm.cdn.domain;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProfileRulesTest {

  @Test
  void anHttpPutProfileKeepsItsPasswordApartFromItsPublicSettings() {
    ProfileRules.Checked c = ProfileRules.check("dav", "http-put", Map.of("url", "https://ingest.example/live",
      "authType", "basic", "username", "u", "password", "p"), Map.of());
    assertThat(c.settings()).containsEntry("url", "https://ingest.example/live").doesNotContainKey("password");
    assertThat(c.secrets()).containsOnly(Map.entry("password", "p"));
  }

  @Test
  void eachMistakeNamesItsField() {
    assertThatThrownBy(() -> ProfileRules.check("x", "http-put", Map.of("url", "ftp://x"), Map.of()))
      .hasFieldOrPropertyWithValue("field", "url");
    assertThatThrownBy(() -> ProfileRules.check("x", "http-put", Map.of("url", "http://x", "authType", "basic",
      "username", "u"), Map.of())).hasFieldOrPropertyWithValue("field", "password");
    assertThatThrownBy(() -> ProfileRules.check("x", "s3", Map.of("bucket", "Bad_Bucket", "accessKeyId", "a",
      "secretAccessKey", "s"), Map.of())).hasFieldOrPropertyWithValue("field", "bucket");
    assertThatThrownBy(() -> ProfileRules.check("x", "s3", Map.of("bucket", "ok-bucket", "accessKeyId", "a"), Map.of()))
      .hasFieldOrPropertyWithValue("field", "secretAccessKey");
    assertThatThrownBy(() -> ProfileRules.check("x", "rtmp", Map.of("url", "http://not-rtmp"), Map.of()))
      .hasFieldOrPropertyWithValue("field", "url");
    assertThatThrownBy(() -> ProfileRules.check("x", "origin", Map.of(), Map.of()))
      .hasFieldOrPropertyWithValue("field", "kind");
    assertThatThrownBy(() -> ProfileRules.check(" ", "rtmp", Map.of("url", "rtmp://h/app"), Map.of()))
      .hasFieldOrPropertyWithValue("field", "name");
  }

  @Test
  void anS3ProfileDefaultsItsRegion() {
    ProfileRules.Checked c = ProfileRules.check("s3", "s3", Map.of("bucket", "live-bucket", "accessKeyId", "AKIA",
      "secretAccessKey", "s"), Map.of());
    assertThat(c.settings()).containsEntry("region", "us-east-1");
  }
}
