package io.ltm.stream.domain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The codecs a customer can name, the ffmpeg encoder behind each, and how to read what a build has. */
public final class Codecs {
  /** Customer-facing video codec → ffmpeg encoder. Insertion order is the order the API lists them in. */
  public static final Map<String, String> VIDEO = ordered("h264", "libx264", "hevc", "libx265", "vp9", "libvpx-vp9",
    "av1", "libsvtav1");
  public static final Map<String, String> AUDIO = ordered("aac", "aac", "opus", "libopus", "mp3", "libmp3lame");

  // " V....D libx264   libx264 H.264 ..." : six flag characters, then the encoder's name.
  private static final Pattern ENCODER_LINE = Pattern.compile("^\\s*[VAS][F.][S.][X.][B.][D.]\\s+(\\S+)\\s");

  private Codecs() {
  }

  /** The encoder names in the output of {@code ffmpeg -hide_banner -encoders}. */
  public static Set<String> parseEncoders(String ffmpegOutput) {
    Set<String> names = new TreeSet<>();
    for (String line : ffmpegOutput.split("\n")) {
      Matcher m = ENCODER_LINE.matcher(line);
      if (m.find() && !m.group(1).equals("=")) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** Cost of encoding a pixel in this codec relative to H.264, as the quote counts it. */
  public static double priceFactor(String videoCodec) {
    return switch (videoCodec) {
      case "hevc", "vp9" -> 2.0;
      case "av1" -> 3.0;
      default -> 1.0;
    };
  }

  private static Map<String, String> ordered(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(map);
  }
}
