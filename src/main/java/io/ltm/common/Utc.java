package io.ltm.common;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * The one way LTM writes a time: ISO-8601 in UTC with millisecond precision ({@code 2026-01-02T03:04:05.678Z}).
 * MySQL {@code TIMESTAMP(3)} columns come back as {@link LocalDateTime} in the session's zone, which LTM keeps at
 * UTC, so they are read as UTC here.
 */
public final class Utc {

  private Utc() {
  }

  /** Now, truncated to the millisecond so what is stored and what is shown agree. */
  public static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  /** {@link #now()} as text. */
  public static String nowText() {
    return format(now());
  }

  public static String format(Instant time) {
    return time == null ? null : time.truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /** A database time (UTC) as text; null stays null. */
  public static String format(LocalDateTime utc) {
    return utc == null ? null : format(toInstant(utc));
  }

  public static Instant toInstant(LocalDateTime utc) {
    return utc == null ? null : utc.toInstant(ZoneOffset.UTC);
  }
}
