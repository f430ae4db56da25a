package io.ltm;

import io.ltm.cdn.SecretBox;
import io.ltm.config.LtmConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code ltm dev} with no {@code cdn.secretKey}: a key of its own, made once and kept (owner-only) in
 * {@code <cloud.workDir>/dev-cdn-secret.key}, so CDN profiles created in one dev run still decrypt in the next.
 * Production roles get no such fallback: their key comes from configuration. Runs before Vert.x starts.
 */
final class DevSecretKey {
  private static final Logger LOG = LoggerFactory.getLogger(DevSecretKey.class);

  private DevSecretKey() {
  }

  static LtmConfig ensure(LtmConfig config) {
    if (config.cdn().secretKey() != null && !config.cdn().secretKey().isBlank()) {
      return config;
    }
    Path file = Path.of(config.cloud().workDir()).resolve("dev-cdn-secret.key");
    try {
      String key;
      if (Files.exists(file)) {
        key = Files.readString(file).trim();
      } else {
        Files.createDirectories(file.getParent());
        key = SecretBox.newKey();
        Files.writeString(file, key + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      }
      LOG.info("CDN secrets are encrypted with the development key in {} (set LTM_CDN_SECRET_KEY in production)", file);
      return new LtmConfig(config.http(), config.mysql(), config.rabbitmq(), config.cloud(), config.dev(),
        config.agent(), new LtmConfig.CdnConfig(key, config.cdn().failoverSeconds(), config.cdn().failbackSeconds()),
        config.limits(), config.ec2(), config.machines(), config.pools(), config.operator());
    } catch (IOException e) {
      throw new IllegalStateException("cannot keep the development CDN key in " + file + ": " + e.getMessage(), e);
    }
  }
}
