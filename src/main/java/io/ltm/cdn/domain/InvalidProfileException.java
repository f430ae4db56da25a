package io.ltm.cdn.domain;

import io.ltm.stream.domain.InvalidConfigException;

/**
 * A CDN profile or a stream's CDN choice breaks a rule; {@code field} is the request field at fault. A kind of
 * invalid configuration, so the one failure handler answers it as a 400 naming the field.
 */
public class InvalidProfileException extends InvalidConfigException {
  public InvalidProfileException(String code, String field, String message) {
    super(code, field, message);
  }
}
