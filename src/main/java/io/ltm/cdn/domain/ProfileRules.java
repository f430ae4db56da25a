package io.ltm.cdn.domain;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a CDN profile of each kind needs, checked before anything is stored. The first mistake is thrown as an
 * {@link InvalidProfileException} naming the request field. Public settings and secrets are told apart here: a
 * secret is write-only in the API and encrypted at rest.
 */
public final class ProfileRules {
  public static final int MAX_NAME = 100;
  private static final Pattern HTTP_URL = Pattern.compile("https?://[^\\s/?#]+(/[^\\s?#]*)?");
  private static final Pattern RTMP_URL = Pattern.compile("rtmps?://[^\\s/?#]+(/[^\\s?#]*)?");
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");
  private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final Pattern RENDITION = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  /** Secret fields of each kind: write-only, encrypted. */
  public static final Map<String, List<String>> SECRETS = Map.of(
    CdnKind.HTTP_PUT, List.of("password", "token"),
    CdnKind.S3, List.of("secretAccessKey"),
    CdnKind.RTMP, List.of("streamKey"));

  /** Public fields of each kind, in the order the API shows them. */
  public static final Map<String, List<String>> SETTINGS = Map.of(
    CdnKind.HTTP_PUT, List.of("url", "playbackUrl", "authType", "username", "headerName"),
    CdnKind.S3, List.of("bucket", "prefix", "region", "endpoint", "accessKeyId", "publicBaseUrl"),
    CdnKind.RTMP, List.of("url", "rendition", "playbackUrl"));

  /** A validated profile: its public settings and its secrets (null values left out). */
  public record Checked(String name, String kind, Map<String, String> settings, Map<String, String> secrets) {
  }

  private ProfileRules() {
  }

  /**
   * @param values every field of the request by name (strings), public and secret alike
   * @param keptSecrets secrets already stored, for an update that leaves a secret out; empty for a new profile
   */
  public static Checked check(String name, String kind, Map<String, String> values, Map<String, String> keptSecrets) {
    if (name == null || name.isBlank() || name.length() > MAX_NAME) {
      throw new InvalidProfileException("invalid_field", "name", "a profile name is 1 to " + MAX_NAME + " characters");
    }
    if (kind == null || !CdnKind.PROFILE_KINDS.contains(kind)) {
      throw new InvalidProfileException("invalid_field", "kind", "kind is one of " + String.join(", ", CdnKind.PROFILE_KINDS)
        + " (origin is built in and needs no profile)");
    }
    Map<String, String> settings = new LinkedHashMap<>();
    for (String f : SETTINGS.get(kind)) {
      String v = values.get(f);
      if (v != null && !v.isBlank()) {
        settings.put(f, v.trim());
      }
    }
    Map<String, String> secrets = new LinkedHashMap<>(keptSecrets);
    for (String f : SECRETS.get(kind)) {
      String v = values.get(f);
      if (v != null && !v.isEmpty()) {
        if (v.length() > 500) {
          throw new InvalidProfileException("invalid_field", f, f + " is at most 500 characters");
        }
        secrets.put(f, v);
      }
    }
    switch (kind) {
      case CdnKind.HTTP_PUT -> checkHttpPut(settings, secrets);
      case CdnKind.S3 -> checkS3(settings, secrets);
      default -> checkRtmp(settings);
    }
    return new Checked(name.trim(), kind, Map.copyOf(settings), Map.copyOf(secrets));
  }

  private static void checkHttpPut(Map<String, String> s, Map<String, String> secrets) {
    url(s, "url", HTTP_URL, true, "an http:// or https:// URL that accepts PUT and DELETE");
    url(s, "playbackUrl", HTTP_URL, false, "the http(s) URL viewers read the same files from");
    String auth = s.getOrDefault("authType", "none");
    s.put("authType", auth);
    switch (auth) {
      case "none" -> { }
      case "basic" -> {
        if (s.get("username") == null) {
          throw new InvalidProfileException("missing_field", "username", "basic auth needs a user name");
        }
        if (secrets.get("password") == null) {
          throw new InvalidProfileException("missing_field", "password", "basic auth needs a password");
        }
      }
      case "token" -> {
        if (s.get("headerName") != null && !HEADER.matcher(s.get("headerName")).matches()) {
          throw new InvalidProfileException("invalid_field", "headerName", "a header name is letters, digits and '-'");
        }
        if (secrets.get("token") == null) {
          throw new InvalidProfileException("missing_field", "token", "token auth needs a token");
        }
      }
      default -> throw new InvalidProfileException("invalid_field", "authType", "authType is none, basic or token");
    }
  }

  private static void checkS3(Map<String, String> s, Map<String, String> secrets) {
    String bucket = s.get("bucket");
    if (bucket == null || !BUCKET.matcher(bucket).matches()) {
      throw new InvalidProfileException(bucket == null ? "missing_field" : "invalid_field", "bucket",
        "a bucket name is 3 to 63 lower-case letters, digits, '.' and '-'");
    }
    s.putIfAbsent("region", "us-east-1");
    if (!REGION.matcher(s.get("region")).matches()) {
      throw new InvalidProfileException("invalid_field", "region", "region looks like us-east-1");
    }
    url(s, "endpoint", HTTP_URL, false, "an http(s) URL of an S3-compatible endpoint (empty for AWS)");
    url(s, "publicBaseUrl", HTTP_URL, false, "the http(s) URL viewers read the bucket through (a CloudFront domain)");
    if (s.get("prefix") != null && (s.get("prefix").length() > 200 || s.get("prefix").contains(".."))) {
      throw new InvalidProfileException("invalid_field", "prefix", "a prefix is at most 200 characters, without '..'");
    }
    if (s.get("accessKeyId") == null) {
      throw new InvalidProfileException("missing_field", "accessKeyId", "an access key id is needed");
    }
    if (secrets.get("secretAccessKey") == null) {
      throw new InvalidProfileException("missing_field", "secretAccessKey", "a secret access key is needed");
    }
  }

  private static void checkRtmp(Map<String, String> s) {
    url(s, "url", RTMP_URL, true, "an rtmp:// or rtmps:// ingest URL (rtmp://host/app)");
    url(s, "playbackUrl", Pattern.compile("(https?|rtmps?)://\\S+"), false, "the URL viewers watch the stream at");
    if (s.get("rendition") != null && !RENDITION.matcher(s.get("rendition")).matches()) {
      throw new InvalidProfileException("invalid_field", "rendition", "a rendition name is letters, digits, '-' or '_'");
    }
  }

  private static void url(Map<String, String> s, String field, Pattern pattern, boolean required, String what) {
    String v = s.get(field);
    if (v == null) {
      if (required) {
        throw new InvalidProfileException("missing_field", field, field + " is needed: " + what);
      }
      return;
    }
    if (v.length() > 1000 || !pattern.matcher(v).matches()) {
      throw new InvalidProfileException("invalid_field", field, field + " must be " + what);
    }
  }
}
