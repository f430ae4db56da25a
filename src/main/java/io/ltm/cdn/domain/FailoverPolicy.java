package io.ltm.cdn.domain;

/**
 * Which of a stream's CDNs viewers should use, from how each has fared: the primary until it has been failing for
 * {@code failoverMs} (and the backup is not failing too), then the backup; back to the primary once it has been
 * healthy for {@code failbackMs}, if the stream asks for that, or at once when the backup fails while the primary
 * is healthy. Pure: the agent feeds it times and results.
 */
public final class FailoverPolicy {

  /** A change of active CDN: to index {@code to} (0 primary, 1 backup), and why, in words a customer reads. */
  public record Switch(int to, int from, String reason) {
  }

  private final long failoverMs;
  private final long failbackMs;
  private final boolean failback;
  private final long[] failingSince;
  private final long[] healthySince;
  private final String[] lastError;
  private int active;

  public FailoverPolicy(int targets, long failoverMs, long failbackMs, boolean failback) {
    this.failoverMs = failoverMs;
    this.failbackMs = failbackMs;
    this.failback = failback;
    this.failingSince = new long[targets];
    this.healthySince = new long[targets];
    this.lastError = new String[targets];
    for (int i = 0; i < targets; i++) {
      failingSince[i] = -1;
      healthySince[i] = -1;
    }
  }

  public int active() {
    return active;
  }

  /** Start on another CDN than the primary (the primary's check failed at start). */
  public void startOn(int index) {
    active = index;
  }

  public void succeeded(int index, long nowMs) {
    failingSince[index] = -1;
    if (healthySince[index] < 0) {
      healthySince[index] = nowMs;
    }
  }

  public void failed(int index, long nowMs, String error) {
    healthySince[index] = -1;
    lastError[index] = error;
    if (failingSince[index] < 0) {
      failingSince[index] = nowMs;
    }
  }

  public boolean failing(int index) {
    return failingSince[index] >= 0;
  }

  /** How long a CDN has been failing, in ms; 0 when it is not. */
  public long failingForMs(int index, long nowMs) {
    return failingSince[index] < 0 ? 0 : nowMs - failingSince[index];
  }

  /** The switch to make now, or null. The caller announces it; the policy has already moved. */
  public Switch evaluate(long nowMs) {
    if (failingSince.length < 2) {
      return null;
    }
    int other = 1 - active;
    boolean activeFailedLongEnough = failingSince[active] >= 0 && nowMs - failingSince[active] >= failoverMs;
    boolean otherUsable = failingSince[other] < 0;
    if (activeFailedLongEnough && otherUsable) {
      Switch s = new Switch(other, active, (active == 0 ? "primary" : "backup") + " CDN failing for "
        + (nowMs - failingSince[active]) / 1000 + " s" + (lastError[active] == null ? "" : " (" + lastError[active] + ")"));
      active = other;
      return s;
    }
    if (active == 1 && failback && healthySince[0] >= 0 && nowMs - healthySince[0] >= failbackMs) {
      active = 0;
      return new Switch(0, 1, "primary CDN healthy again for " + (nowMs - healthySince[0]) / 1000 + " s");
    }
    return null;
  }
}
