package io.ltm.ingest.domain;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CidrTest {

  @Test
  void parsesIpv4AndIpv6LiteralsAndNetworks() throws Exception {
    assertThat(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByAddress(new byte[] {10, 1, 2, 3}))).isTrue();
    assertThat(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByAddress(new byte[] {11, 1, 2, 3}))).isFalse();
    assertThat(Cidr.parse("192.0.2.7").prefix()).isEqualTo(32);
    assertThat(Cidr.parse("0.0.0.0/0").contains(new byte[] {(byte) 203, 0, 113, 9})).isTrue();
    assertThat(Cidr.parse("2001:db8::/32").contains(Cidr.parseAddress("2001:db8:ffff::1"))).isTrue();
    assertThat(Cidr.parse("2001:db8::/32").contains(Cidr.parseAddress("2001:db9::1"))).isFalse();
    assertThat(Cidr.parse("::1").prefix()).isEqualTo(128);
    assertThat(Cidr.parseAddress("::")).hasSize(16).containsOnly(0);
    assertThat(Cidr.parseAddress("1:2:3:4:5:6:7:8")).hasSize(16);
    assertThat(Cidr.parseAddress("1:2:3:4:5:6:7::")).hasSize(16);
    assertThat(Cidr.parseAddress("64:ff9b::192.0.2.33")).hasSize(16);
    assertThat(Cidr.parseAddress("::ffff:10.0.0.1")).containsExactly(10, 0, 0, 1);
    assertThat(Cidr.parseAddress("FE80::AbCd")).isEqualTo(InetAddress.getByName("fe80::abcd").getAddress());
  }

  @Test
  void refusesWhatIsNoAddressWithoutLookingItUp() {
    for (String bad : List.of("999.1.1.1", "1.2.3.4.5", "1.2.3", "256.0.0.1", "010.0.0.1", "1..2.3", "1.2.3.4.",
      "localhost", "example.com", "ltm.example", "1.2.3.4/33", "10.0.0.0/-1", "10.0.0.0/x", "::1/129", "1:2:3",
      "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "::1.2.3.999", "fe80::1%eth0", " ", "/8", "1.2.3.4/ 8")) {
      assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void anAllowListChecksPeerAddressesAsLiterals() {
    List<Cidr> allow = List.of(Cidr.parse("192.0.2.0/24"), Cidr.parse("2001:db8::/32"));
    assertThat(Cidr.allows(allow, "192.0.2.10")).isTrue();
    assertThat(Cidr.allows(allow, "198.51.100.1")).isFalse();
    assertThat(Cidr.allows(allow, "2001:db8:0:0:0:0:0:1")).isTrue();
    assertThat(Cidr.allows(allow, "0:0:0:0:0:ffff:c000:20a")).isTrue();
    assertThat(Cidr.allows(allow, "not-an-address")).isFalse();
    assertThat(Cidr.allows(List.of(), "anything")).isTrue();
  }

  /**
   * InetAddress asks the security manager for permission ({@code checkConnect(host, -1)}) before it resolves a
   * name: a manager that records those calls sees every lookup this JVM would make — what strace showed before.
   */
  @Test
  @SuppressWarnings("removal")
  void parsingNeverAsksForAResolution() {
    List<String> lookups = new ArrayList<>();
    SecurityManager recorder = new SecurityManager() {
      @Override
      public void checkConnect(String host, int port) {
        if (port == -1) {
          lookups.add(host);
        }
      }

      @Override
      public void checkPermission(java.security.Permission perm) {
      }
    };
    try {
      System.setSecurityManager(recorder);
    } catch (UnsupportedOperationException disallowed) {
      assumeTrue(false, "this JVM allows no security manager (Java 18+ by default); ArchitectureTest covers it");
    }
    try {
      for (String text : List.of("999.1.1.1", "1.2.3.4.5", "localhost", "example.com", "10.0.0.0/8", "2001:db8::/32")) {
        try {
          Cidr.parse(text);
        } catch (IllegalArgumentException expected) {
          // refused, as it should be: the point is how
        }
      }
      Cidr.allows(List.of(Cidr.parse("10.0.0.0/8")), "example.org");
    } finally {
      System.setSecurityManager(null);
    }
    assertThat(lookups).isEmpty();
  }
}
