package io.ltm.stream.domain;

/** A stream configuration a customer sent that cannot be run; {@code field} names the offending value. */
public class InvalidConfigException extends RuntimeException {
  private final String code;
  private final String field;

  public InvalidConfigException(String code, String field, String message) {
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
}
