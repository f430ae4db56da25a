package io.ltm.cdn;

import io.vertx.core.json.JsonObject;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Encrypts a CDN profile's secrets at rest with AES-256-GCM: a fresh 12-byte nonce per value, the profile id as
 * associated data (a ciphertext copied onto another profile does not decrypt), stored as
 * {@code v1:base64(nonce || ciphertext+tag)}. The key comes from {@code cdn.secretKey} / {@code LTM_CDN_SECRET_KEY}.
 */
public final class SecretBox {
  private static final String VERSION = "v1:";
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  /** @param base64Key 32 bytes, base64 */
  public SecretBox(String base64Key) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64Key.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cdn.secretKey (LTM_CDN_SECRET_KEY) is not base64");
    }
    if (raw.length != 32) {
      throw new IllegalArgumentException("cdn.secretKey (LTM_CDN_SECRET_KEY) must be 32 bytes (base64 of 32 random "
        + "bytes, e.g. `openssl rand -base64 32`); it has " + raw.length);
    }
    this.key = new SecretKeySpec(raw, "AES");
  }

  /** A new random key, base64: what `ltm dev` writes when none is configured. */
  public static String newKey() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    return Base64.getEncoder().encodeToString(raw);
  }

  public String seal(String profileId, JsonObject secrets) {
    try {
      byte[] nonce = new byte[NONCE];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(profileId.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(secrets.encode().getBytes(StandardCharsets.UTF_8));
      return VERSION + Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE + sealed.length)
        .put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt CDN secrets: " + e.getMessage(), e);
    }
  }

  public JsonObject open(String profileId, String box) {
    if (box == null || box.isEmpty()) {
      return new JsonObject();
    }
    if (!box.startsWith(VERSION)) {
      throw new IllegalStateException("CDN secrets of " + profileId + " are in an unknown format");
    }
    try {
      byte[] all = Base64.getDecoder().decode(box.substring(VERSION.length()));
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE));
      cipher.updateAAD(profileId.getBytes(StandardCharsets.UTF_8));
      return new JsonObject(new String(cipher.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("CDN secrets of " + profileId + " cannot be decrypted with the configured "
        + "cdn.secretKey (was the key changed?)", e);
    }
  }
}
