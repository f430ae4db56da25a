package io.ltm.agent;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One block of ffmpeg's {@code -progress} output: what the heartbeat reports as the stream's health.
 * Values ffmpeg prints as {@code N/A} (no output written yet) read as zero.
 *
 * @param ended true for the last block ({@code progress=end}), written when ffmpeg finishes
 */
public record FfmpegProgress(long frame, double fps, double bitrateKbps, double speed, long dropFrames,
                             long dupFrames, boolean ended) {

  public static final FfmpegProgress NONE = new FfmpegProgress(0, 0, 0, 0, 0, 0, false);

  /**
   * Collects {@code key=value} lines; ffmpeg ends every block with a {@code progress=} line, so that line is
   * where a block becomes a value. Not thread-safe: feed it from one thread (the agent's context).
   */
  public static final class Parser {
    private final Map<String, String> block = new HashMap<>();

    /** Returns the finished block when {@code line} closes one, empty otherwise. */
    public Optional<FfmpegProgress> accept(String line) {
      int eq = line.indexOf('=');
      if (eq <= 0) {
        return Optional.empty();
      }
      String key = line.substring(0, eq).trim();
      String value = line.substring(eq + 1).trim();
      if (!key.equals("progress")) {
        block.put(key, value);
        return Optional.empty();
      }
      FfmpegProgress progress = new FfmpegProgress(
        longOf(block.get("frame")),
        doubleOf(block.get("fps")),
        kbpsOf(block.get("bitrate")),
        doubleOf(stripSuffix(block.get("speed"), "x")),
        longOf(block.get("drop_frames")),
        longOf(block.get("dup_frames")),
        value.equals("end"));
      block.clear();
      return Optional.of(progress);
    }
  }

  /** ffmpeg writes bitrate as {@code 141.8kbits/s}; the heartbeat carries kbps. */
  static double kbpsOf(String bitrate) {
    if (bitrate == null) {
      return 0;
    }
    if (bitrate.endsWith("kbits/s")) {
      return doubleOf(stripSuffix(bitrate, "kbits/s"));
    }
    if (bitrate.endsWith("Mbits/s")) {
      return doubleOf(stripSuffix(bitrate, "Mbits/s")) * 1000;
    }
    if (bitrate.endsWith("bits/s")) {
      return doubleOf(stripSuffix(bitrate, "bits/s")) / 1000;
    }
    return doubleOf(bitrate);
  }

  private static String stripSuffix(String value, String suffix) {
    return value != null && value.endsWith(suffix) ? value.substring(0, value.length() - suffix.length()) : value;
  }

  private static long longOf(String value) {
    try {
      return value == null ? 0 : Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static double doubleOf(String value) {
    try {
      double parsed = value == null ? 0 : Double.parseDouble(value.trim());
      return Double.isFinite(parsed) ? parsed : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
