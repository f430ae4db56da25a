package io.ltm.account.domain;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Password hashes: PBKDF2-HMAC-SHA256 with a per-password random salt, stored as
 * {@code pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>} so the iteration count can rise later without
 * invalidating stored hashes. Deliberately slow (hundreds of milliseconds): every call blocks, so callers run it
 * on a worker thread, never on an event loop.
 */
public final class Passwords {
  /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
  public static final int ITERATIONS = 600_000;
  public static final int MIN_LENGTH = 8;
  private static final String SCHEME = "pbkdf2_sha256";
  private static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Verified against when an e-mail is unknown, so a wrong e-mail takes as long as a wrong password. */
  private static final String DECOY = hash("decoy password, never matches", ITERATIONS);

  private Passwords() {
  }

  public static String hash(String password) {
    return hash(password, ITERATIONS);
  }

  static String hash(String password, int iterations) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return SCHEME + "$" + iterations + "$" + b64.encodeToString(salt) + "$"
      + b64.encodeToString(derive(password, salt, iterations));
  }

  /** True when the password matches; false for a wrong password, a null or a malformed stored hash. */
  public static boolean verify(String password, String stored) {
    if (password == null) {
      return false;
    }
    String[] parts = stored == null ? new String[0] : stored.split("\\$");
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      verify(password, DECOY);
      return false;
    }
    try {
      int iterations = Integer.parseInt(parts[1]);
      byte[] salt = Base64.getDecoder().decode(parts[2]);
      byte[] expected = Base64.getDecoder().decode(parts[3]);
      return MessageDigest.isEqual(expected, derive(password, salt, iterations));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] derive(String password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every JDK", e);
    } finally {
      spec.clearPassword();
    }
  }
}
