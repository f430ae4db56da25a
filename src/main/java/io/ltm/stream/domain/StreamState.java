package io.ltm.stream.domain;

/** Where a stream is in its life. {@link StreamLifecycle} says which moves between them are legal. */
public enum StreamState {
  CREATED, PROVISIONING, STARTING, READY, LIVE, STOPPING, STOPPED, FAILED, DELETED;

  /** A machine is (being) started for the stream: it costs money and can fail. */
  public boolean isActive() {
    return this == PROVISIONING || this == STARTING || this == READY || this == LIVE || this == STOPPING;
  }
}
