package io.ltm.cdn.upload;

/**
 * A CDN refused or could not take an upload, with a stable code a customer can act on ({@code cdn_unauthorized},
 * {@code cdn_not_found}, {@code cdn_unreachable}, {@code cdn_timeout}, {@code cdn_refused},
 * {@code rtmp_handshake_failed}) and the profile field most likely at fault.
 */
public final class UploadException extends RuntimeException {
  public static final String UNAUTHORIZED = "cdn_unauthorized";
  public static final String NOT_FOUND = "cdn_not_found";
  public static final String UNREACHABLE = "cdn_unreachable";
  public static final String TIMEOUT = "cdn_timeout";
  public static final String REFUSED = "cdn_refused";
  public static final String RTMP_HANDSHAKE = "rtmp_handshake_failed";

  private final String code;
  private final String field;

  public UploadException(String code, String message, String field) {
    super(message, null, false, false);
    this.code = code;
    this.field = field;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  /** An upload that failed like this may succeed later: the CDN is down or slow, not refusing us. */
  public boolean transientFailure() {
    return UNREACHABLE.equals(code) || TIMEOUT.equals(code) || REFUSED.equals(code);
  }
}
