package io.ltm.cdn.domain;

import java.util.Map;

/**
 * One CDN a stream delivers to, as the agent receives it in its pipeline: the profile's kind, its public
 * settings and its decrypted secrets. The built-in origin is {@link #ORIGIN}: the agent serves HLS itself.
 *
 * @param id       the profile id, or {@code origin}
 * @param settings public settings by name (url, bucket, region, …); see {@link ProfileRules} for each kind
 * @param secrets  secret settings by name (password, token, secretAccessKey, streamKey); never logged
 */
public record CdnTarget(String id, String name, String kind, Map<String, String> settings, Map<String, String> secrets) {
  public static final String ORIGIN_ID = "origin";
  public static final CdnTarget ORIGIN = new CdnTarget(ORIGIN_ID, "built-in origin", CdnKind.ORIGIN, Map.of(), Map.of());

  public CdnTarget {
    settings = settings == null ? Map.of() : Map.copyOf(settings);
    secrets = secrets == null ? Map.of() : Map.copyOf(secrets);
  }

  public String setting(String key) {
    return settings.get(key);
  }

  public String secret(String key) {
    return secrets.get(key);
  }

  /** Uploaded to by the agent (http-put, s3), not served by it (origin) nor pushed as a live stream (rtmp). */
  public boolean uploads() {
    return CdnKind.HTTP_PUT.equals(kind) || CdnKind.S3.equals(kind);
  }

  @Override
  public String toString() {
    // Never the secrets: this may end up in a log line.
    return "CdnTarget[" + id + ", " + kind + ", " + name + "]";
  }
}
