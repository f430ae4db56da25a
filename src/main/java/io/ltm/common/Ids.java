package io.ltm.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Identifiers and secrets: prefixed random ids, tokens, and the one hash used to store secrets. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final java.util.regex.Pattern CANONICAL =
    java.util.regex.Pattern.compile("[a-z]{2,8}_[0-9abcdefghjkmnpqrstvwxyz]{20}");

  private Ids() {
  }

  /** {@code prefix_} + 20 random base32 characters (100 bits): unguessable, so a 404 leaks nothing. */
  public static String newId(String prefix) {
    return prefix + "_" + random(20);
  }

  /**
   * True when {@code id} has exactly the shape {@link #newId} gives: a lowercase prefix, {@code _} and 20 characters
   * of the id alphabet. Stored ids are all of that shape and MySQL's default collation ignores case and trailing
   * spaces, so checking the shape first is what makes {@code STR_…} or {@code "str_… "} miss instead of finding
   * {@code str_…}.
   */
  public static boolean isCanonical(String id) {
    return id != null && CANONICAL.matcher(id).matches();
  }

  public static String random(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
    }
    return sb.toString();
  }

  /** SHA-256 in hex. Enough for high-entropy secrets (API keys, tokens), which need no slow hash. */
  public static String sha256(String value) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Compares secrets' hashes in constant time. */
  public static boolean sameHash(String a, String b) {
    return a != null && b != null
      && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
