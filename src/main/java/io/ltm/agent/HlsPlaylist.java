package io.ltm.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * An HLS media playlist as ffmpeg writes it: its media sequence, its segments (duration and URI) and the init
 * section of fMP4. Only what delivery and health need; the text itself is what gets uploaded.
 *
 * @param mediaSequence {@code #EXT-X-MEDIA-SEQUENCE}, the sequence number of the first segment listed
 * @param initUri       {@code #EXT-X-MAP} URI (fMP4), or null
 * @param ended         {@code #EXT-X-ENDLIST} present
 */
public record HlsPlaylist(long mediaSequence, List<Segment> segments, String initUri, boolean ended) {

  /** @param uri as written in the playlist, relative to it */
  public record Segment(long sequence, double durationSeconds, String uri) {
  }

  public static HlsPlaylist parse(String text) {
    long sequence = 0;
    double duration = -1;
    String init = null;
    boolean ended = false;
    List<String[]> entries = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.trim();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        sequence = parseLong(line.substring(line.indexOf(':') + 1));
      } else if (line.startsWith("#EXTINF:")) {
        String value = line.substring(line.indexOf(':') + 1);
        int comma = value.indexOf(',');
        duration = parseDouble(comma >= 0 ? value.substring(0, comma) : value);
      } else if (line.startsWith("#EXT-X-MAP:")) {
        init = attribute(line, "URI");
      } else if (line.startsWith("#EXT-X-ENDLIST")) {
        ended = true;
      } else if (!line.startsWith("#") && duration >= 0) {
        entries.add(new String[] {String.valueOf(duration), line});
        duration = -1;
      }
    }
    List<Segment> segments = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      segments.add(new Segment(sequence + i, Double.parseDouble(entries.get(i)[0]), entries.get(i)[1]));
    }
    return new HlsPlaylist(sequence, List.copyOf(segments), init, ended);
  }

  /**
   * The playlist text without its first {@code drop} segments: the media sequence moves on by as many, so every
   * remaining segment keeps its number. Used when older segments never reached a CDN.
   */
  public static String dropFirst(String text, int drop) {
    if (drop <= 0) {
      return text;
    }
    StringBuilder out = new StringBuilder();
    int seen = 0;
    boolean skippingTags = false;
    List<String> pendingTags = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.trim();
      if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        out.append("#EXT-X-MEDIA-SEQUENCE:").append(parseLong(line.substring(line.indexOf(':') + 1)) + drop).append('\n');
      } else if (line.startsWith("#EXTINF:") || line.startsWith("#EXT-X-PROGRAM-DATE-TIME")
        || line.startsWith("#EXT-X-DISCONTINUITY") && !line.startsWith("#EXT-X-DISCONTINUITY-SEQUENCE")) {
        pendingTags.add(line);
        skippingTags = true;
      } else if (!line.isEmpty() && !line.startsWith("#") && skippingTags) {
        if (seen >= drop) {
          pendingTags.forEach(t -> out.append(t).append('\n'));
          out.append(line).append('\n');
        }
        seen++;
        pendingTags.clear();
        skippingTags = false;
      } else if (!line.isEmpty()) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  private static String attribute(String line, String name) {
    int at = line.indexOf(name + "=\"");
    if (at < 0) {
      return null;
    }
    int start = at + name.length() + 2;
    int end = line.indexOf('"', start);
    return end < 0 ? null : line.substring(start, end);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static double parseDouble(String s) {
    try {
      return Double.parseDouble(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
