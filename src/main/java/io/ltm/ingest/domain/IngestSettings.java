package io.ltm.ingest.domain;

import io.ltm.stream.domain.InvalidConfigException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where a stream's picture comes from, validated: {@code test-pattern}, {@code rtmp} (push with the stream key),
 * {@code srt} (listener with a passphrase) or {@code pull} (from a URL), plus an optional allow-list of source
 * networks enforced on the machine. Plain Java, so every rule is unit tested.
 */
public record IngestSettings(String kind, String pullUrl, String srtPassphrase, List<String> allowCidrs,
                             Integer reconnectWindowSeconds) {

  public static final String TEST_PATTERN = "test-pattern";
  public static final String RTMP = "rtmp";
  public static final String SRT = "srt";
  public static final String PULL = "pull";
  public static final Set<String> KINDS = Set.of(TEST_PATTERN, RTMP, SRT, PULL);
  public static final Set<String> PULL_SCHEMES = Set.of("http", "https", "rtmp", "rtmps");
  public static final int MAX_CIDRS = 32;
  public static final int MIN_RECONNECT_WINDOW = 2;
  public static final int MAX_RECONNECT_WINDOW = 3600;

  /**
   * Checks every rule and normalises (CIDRs trimmed). {@code prefix} names the object in the request
   * ({@code input} in a purchase, empty for {@code PUT …/ingest}).
   */
  public static IngestSettings validate(String prefix, String kind, String pullUrl, String srtPassphrase,
                                        List<String> allowCidrs, Integer reconnectWindowSeconds) {
    String p = prefix == null || prefix.isEmpty() ? "" : prefix + ".";
    String k = kind == null ? TEST_PATTERN : kind;
    if (!KINDS.contains(k)) {
      throw new InvalidConfigException("invalid_input_kind", p + "kind", "kind must be one of test-pattern, rtmp, srt, pull");
    }
    if (PULL.equals(k)) {
      checkPullUrl(p + "url", pullUrl);
    } else if (pullUrl != null) {
      throw new InvalidConfigException("invalid_field", p + "url", "url is only for kind 'pull'");
    }
    if (SRT.equals(k)) {
      if (srtPassphrase == null || srtPassphrase.length() < 10 || srtPassphrase.length() > 79
        || srtPassphrase.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new InvalidConfigException("invalid_passphrase", p + "passphrase",
          "an SRT passphrase has 10 to 79 characters, none of them a control character");
      }
    } else if (srtPassphrase != null) {
      throw new InvalidConfigException("invalid_field", p + "passphrase", "passphrase is only for kind 'srt'");
    }
    List<String> cidrs = new ArrayList<>();
    if (allowCidrs != null) {
      if (allowCidrs.size() > MAX_CIDRS) {
        throw new InvalidConfigException("too_many_cidrs", p + "allowCidrs", "at most " + MAX_CIDRS + " networks");
      }
      for (int i = 0; i < allowCidrs.size(); i++) {
        try {
          String c = allowCidrs.get(i);
          Cidr.parse(c);
          cidrs.add(c.trim());
        } catch (IllegalArgumentException e) {
          throw new InvalidConfigException("invalid_cidr", p + "allowCidrs[" + i + "]", e.getMessage());
        }
      }
    }
    if (reconnectWindowSeconds != null && (reconnectWindowSeconds < MIN_RECONNECT_WINDOW
      || reconnectWindowSeconds > MAX_RECONNECT_WINDOW)) {
      throw new InvalidConfigException("invalid_reconnect_window", p + "reconnectWindowSeconds", "reconnectWindowSeconds must be "
        + MIN_RECONNECT_WINDOW + " to " + MAX_RECONNECT_WINDOW);
    }
    return new IngestSettings(k, pullUrl, srtPassphrase, List.copyOf(cidrs), reconnectWindowSeconds);
  }

  private static void checkPullUrl(String field, String url) {
    if (url == null || url.isBlank()) {
      throw new InvalidConfigException("missing_field", field, "kind 'pull' needs a url");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new InvalidConfigException("invalid_url", field, "url is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!PULL_SCHEMES.contains(scheme)) {
      // file:, concat:, subfile: and friends would read the machine's own files: only network sources.
      throw new InvalidConfigException("invalid_url_scheme", field, "url scheme must be http, https, rtmp or rtmps");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new InvalidConfigException("invalid_url", field, "url has no host");
    }
  }
}
