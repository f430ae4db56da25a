package io.ltm.ingest.domain;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/**
 * One IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}; a bare address is a
 * /32 or /128). Parsed here, character by character, from literals only: nothing in this class ever asks a
 * resolver, so a string that is no address ({@code 999.1.1.1}, {@code 1.2.3.4.5}, a host name) is refused
 * without a DNS query, and parsing is safe on an event loop.
 */
public record Cidr(byte[] network, int prefix) {

  public static Cidr parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a CIDR is empty");
    }
    String t = text.trim();
    int slash = t.indexOf('/');
    String address = slash < 0 ? t : t.substring(0, slash);
    byte[] bytes = parseAddress(address);
    if (bytes == null) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or network");
    }
    int max = bytes.length * 8;
    int prefix = max;
    if (slash >= 0) {
      String length = t.substring(slash + 1);
      if (!length.matches("[0-9]{1,3}")) {
        throw new IllegalArgumentException("'" + text + "' has no numeric prefix length");
      }
      prefix = Integer.parseInt(length);
    }
    if (prefix > max) {
      throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0.." + max);
    }
    return new Cidr(bytes, prefix);
  }

  /**
   * The bytes of an IPv4 (4) or IPv6 (16) literal, or null when {@code text} is not one. An IPv4-mapped IPv6
   * address ({@code ::ffff:10.0.0.1}) is its IPv4 address, as {@link InetAddress} reads it. IPv4 is four decimal
   * parts 0–255 without leading zeros (which other parsers read as octal); IPv6 zone ids are not addresses.
   */
  public static byte[] parseAddress(String text) {
    if (text == null || text.isEmpty() || text.length() > 45) {
      return null;
    }
    if (text.indexOf(':') < 0) {
      return parseIpv4(text);
    }
    byte[] v6 = parseIpv6(text);
    if (v6 != null && isV4Mapped(v6)) {
      return Arrays.copyOfRange(v6, 12, 16);
    }
    return v6;
  }

  private static byte[] parseIpv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
        return null;
      }
      int value = 0;
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c < '0' || c > '9') {
          return null;
        }
        value = value * 10 + (c - '0');
      }
      if (value > 255) {
        return null;
      }
      bytes[i] = (byte) value;
    }
    return bytes;
  }

  private static byte[] parseIpv6(String text) {
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    String head = gap < 0 ? text : text.substring(0, gap);
    String tail = gap < 0 ? "" : text.substring(gap + 2);
    int[] left = groups(head, gap < 0);
    int[] right = groups(tail, true);
    if (left == null || right == null) {
      return null;
    }
    int total = left.length + right.length;
    if (gap < 0 ? total != 8 : total > 7) {
      return null;
    }
    byte[] bytes = new byte[16];
    for (int i = 0; i < left.length; i++) {
      bytes[2 * i] = (byte) (left[i] >> 8);
      bytes[2 * i + 1] = (byte) left[i];
    }
    for (int i = 0; i < right.length; i++) {
      int at = 8 - right.length + i;
      bytes[2 * at] = (byte) (right[i] >> 8);
      bytes[2 * at + 1] = (byte) right[i];
    }
    return bytes;
  }

  /**
   * The 16-bit groups of one side of an IPv6 address; the last group of the address may be a dotted IPv4
   * address (two groups). Null when malformed.
   */
  private static int[] groups(String side, boolean mayEndWithIpv4) {
    if (side.isEmpty()) {
      return new int[0];
    }
    String[] parts = side.split(":", -1);
    int[] out = new int[parts.length + 1];
    int n = 0;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (i == parts.length - 1 && mayEndWithIpv4 && p.indexOf('.') >= 0) {
        byte[] v4 = parseIpv4(p);
        if (v4 == null) {
          return null;
        }
        out[n++] = (v4[0] & 0xFF) << 8 | v4[1] & 0xFF;
        out[n++] = (v4[2] & 0xFF) << 8 | v4[3] & 0xFF;
        continue;
      }
      if (p.isEmpty() || p.length() > 4) {
        return null;
      }
      int value = 0;
      for (int j = 0; j < p.length(); j++) {
        int digit = Character.digit(p.charAt(j), 16);
        if (digit < 0) {
          return null;
        }
        value = value << 4 | digit;
      }
      out[n++] = value;
    }
    return Arrays.copyOf(out, n);
  }

  public boolean contains(InetAddress address) {
    return contains(address.getAddress());
  }

  /** Whether the address with these bytes (4 or 16) is in this network. */
  public boolean contains(byte[] address) {
    byte[] a = address;
    if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
      a = Arrays.copyOfRange(a, 12, 16);
    }
    if (a.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (a[full] & mask) == (network[full] & mask);
  }

  /** True when the list is empty (no allow-list: anyone) or one of its networks holds the address. */
  public static boolean allows(List<Cidr> allowList, InetAddress address) {
    return allowList.isEmpty() || allowList.stream().anyMatch(c -> c.contains(address));
  }

  /** As {@link #allows(List, InetAddress)} for a literal address (a socket's peer); false for anything else. */
  public static boolean allows(List<Cidr> allowList, String literal) {
    if (allowList.isEmpty()) {
      return true;
    }
    // A socket's IPv6 peer may carry its interface (fe80::1%eth0); the zone is no part of the address.
    int zone = literal == null ? -1 : literal.indexOf('%');
    byte[] bytes = parseAddress(zone < 0 ? literal : literal.substring(0, zone));
    return bytes != null && allowList.stream().anyMatch(c -> c.contains(bytes));
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
  }
}
