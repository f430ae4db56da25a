package io.ltm.stream.domain;

import java.util.Locale;

/** What a customer can ask of a stream. */
public enum StreamAction {
  START, STOP, DELETE;

  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
