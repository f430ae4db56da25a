package io.ltm.cloud;

/**
 * The cloud refused a launch for a reason a retry will not mend (no permission, an unknown image or subnet, bad
 * user-data, no capacity anywhere allowed): the stream fails at once with {@link #getMessage()}, which is written
 * for the customer, while {@link #code()} (the cloud's own error code) goes to the operator's log.
 */
public class LaunchRefusedException extends RuntimeException {
  private final String code;

  public LaunchRefusedException(String message, String code) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
