package io.ltm.ingest.domain;

import io.ltm.stream.domain.InvalidConfigException;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestSettingsTest {

  @Test
  void aCidrHoldsItsNetworkAndNothingElse() throws Exception {
    Cidr ten = Cidr.parse("10.0.0.0/8");
    assertThat(ten.contains(InetAddress.getByName("10.200.3.4"))).isTrue();
    assertThat(ten.contains(InetAddress.getByName("127.0.0.1"))).isFalse();
    assertThat(ten.contains(InetAddress.getByName("::1"))).isFalse();
    assertThat(Cidr.parse("192.168.1.0/25").contains(InetAddress.getByName("192.168.1.127"))).isTrue();
    assertThat(Cidr.parse("192.168.1.0/25").contains(InetAddress.getByName("192.168.1.128"))).isFalse();
    assertThat(Cidr.parse("127.0.0.1").contains(InetAddress.getByName("127.0.0.1"))).isTrue();
    assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db8:1::5"))).isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
  }

  @Test
  void anEmptyAllowListAllowsAnyone() throws Exception {
    assertThat(Cidr.allows(List.of(), InetAddress.getByName("203.0.113.9"))).isTrue();
    assertThat(Cidr.allows(List.of(Cidr.parse("10.0.0.0/8")), InetAddress.getByName("203.0.113.9"))).isFalse();
  }

  @Test
  void badCidrsAreRejectedWithTheirIndex() {
    for (String bad : List.of("10.0.0.0/33", "10.0.0/8", "example.com/8", "10.0.0.0/x", "", "::1/129", "300.1.1.1")) {
      assertThatThrownBy(() -> IngestSettings.validate("input", "rtmp", null, null, List.of("10.0.0.0/8", bad), null))
        .as(bad).isInstanceOfSatisfying(InvalidConfigException.class, e -> {
          assertThat(e.field()).isEqualTo("input.allowCidrs[1]");
          assertThat(e.code()).isEqualTo("invalid_cidr");
        });
    }
  }

  @Test
  void pullNeedsANetworkUrl() {
    assertThat(IngestSettings.validate("", "pull", "https://cdn.example/live.m3u8", null, null, null).pullUrl())
      .isEqualTo("https://cdn.example/live.m3u8");
    assertThat(IngestSettings.validate("", "pull", "rtmp://origin.example/app/key", null, null, null).kind())
      .isEqualTo("pull");
    for (String bad : List.of("file:///etc/passwd", "concat:a|b", "ftp://x/y", "http:///nohost", "not a url")) {
      assertThatThrownBy(() -> IngestSettings.validate("input", "pull", bad, null, null, null)).as(bad)
        .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.field()).isEqualTo("input.url"));
    }
    assertThatThrownBy(() -> IngestSettings.validate("input", "pull", null, null, null, null))
      .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.code()).isEqualTo("missing_field"));
  }

  @Test
  void srtPassphraseHasTenToSeventyNineCharacters() {
    assertThat(IngestSettings.validate("", "srt", null, "0123456789", null, null).srtPassphrase()).hasSize(10);
    assertThat(IngestSettings.validate("", "srt", null, "x".repeat(79), null, null).srtPassphrase()).hasSize(79);
    assertThat(IngestSettings.validate("", "srt", null, "it's & #1 é", null, null).srtPassphrase()).isEqualTo("it's & #1 é");
    for (String bad : new String[] {null, "short", "123456789", "x".repeat(80), "0123456789\nfile 'x'", "0123456789\u007f"}) {
      assertThatThrownBy(() -> IngestSettings.validate("input", "srt", null, bad, null, null))
        .isInstanceOfSatisfying(InvalidConfigException.class, e -> {
          assertThat(e.field()).isEqualTo("input.passphrase");
          assertThat(e.code()).isEqualTo("invalid_passphrase");
        });
    }
  }

  @Test
  void optionsOfAnotherKindAreRefusedRatherThanIgnored() {
    assertThatThrownBy(() -> IngestSettings.validate("", "rtmp", "http://x/y", null, null, null))
      .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.field()).isEqualTo("url"));
    assertThatThrownBy(() -> IngestSettings.validate("", "pull", "http://x/y", "0123456789", null, null))
      .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.field()).isEqualTo("passphrase"));
    assertThatThrownBy(() -> IngestSettings.validate("", "rtmp", null, null, null, 1))
      .isInstanceOfSatisfying(InvalidConfigException.class,
        e -> assertThat(e.field()).isEqualTo("reconnectWindowSeconds"));
    assertThat(IngestSettings.validate("", null, null, null, null, null).kind()).isEqualTo("test-pattern");
  }
}
