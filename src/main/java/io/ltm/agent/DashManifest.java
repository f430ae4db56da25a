package io.ltm.agent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A live DASH manifest as ffmpeg's dash muxer writes it: per representation a {@code SegmentTemplate} (init and
 * media name templates, {@code startNumber}) with a {@code SegmentTimeline}. The template names no file, so the
 * timeline is what says which segments the manifest makes a player fetch. Only what delivery needs; the text
 * itself is what gets uploaded.
 */
public record DashManifest(List<Representation> representations) {

  /** @param initUri the initialization segment, relative to the manifest */
  public record Representation(String id, String initUri, List<Segment> segments) {
  }

  /** @param time start, in the representation's timescale; {@code duration} likewise */
  public record Segment(long number, long time, long duration, String uri) {
  }

  private static final Pattern REPRESENTATION = Pattern.compile("<Representation\\s([^>]*)>(.*?)</Representation>",
    Pattern.DOTALL);
  private static final Pattern TEMPLATE = Pattern.compile("<SegmentTemplate\\s([^>]*?)/?>");
  private static final Pattern TIMELINE = Pattern.compile("(<SegmentTimeline>)(.*?)(</SegmentTimeline>)", Pattern.DOTALL);
  private static final Pattern S = Pattern.compile("<S\\s([^>]*?)/>");
  private static final Pattern NUMBER = Pattern.compile("\\$Number(%0(\\d+)d)?\\$");

  public static DashManifest parse(String text) {
    List<Representation> list = new ArrayList<>();
    Matcher r = REPRESENTATION.matcher(text);
    while (r.find()) {
      String id = attribute(r.group(1), "id");
      Matcher t = TEMPLATE.matcher(r.group(2));
      if (id == null || !t.find()) {
        continue;
      }
      String init = attribute(t.group(1), "initialization");
      String media = attribute(t.group(1), "media");
      long number = parseLong(attribute(t.group(1), "startNumber"), 1);
      List<Segment> segments = new ArrayList<>();
      Matcher timeline = TIMELINE.matcher(r.group(2));
      if (media != null && timeline.find()) {
        long time = 0;
        Matcher s = S.matcher(timeline.group(2));
        while (s.find()) {
          String tAttr = attribute(s.group(1), "t");
          time = tAttr == null ? time : parseLong(tAttr, time);
          long d = parseLong(attribute(s.group(1), "d"), 0);
          long repeat = Math.max(0, parseLong(attribute(s.group(1), "r"), 0));
          for (long i = 0; i <= repeat; i++) {
            segments.add(new Segment(number, time, d, uri(media, id, number, time)));
            number++;
            time += d;
          }
        }
      }
      list.add(new Representation(id, init == null ? null : uri(init, id, 0, 0), List.copyOf(segments)));
    }
    return new DashManifest(List.copyOf(list));
  }

  /**
   * The manifest without the first {@code drop.get(id)} segments of each representation: its {@code startNumber}
   * moves on by as many and its timeline starts at the first one kept, so every segment keeps its number and time.
   * Used when older segments never reached a CDN.
   */
  public static String dropFirst(String text, Map<String, Integer> drop) {
    DashManifest parsed = parse(text);
    Matcher r = REPRESENTATION.matcher(text);
    StringBuilder out = new StringBuilder();
    while (r.find()) {
      String id = attribute(r.group(1), "id");
      int n = id == null ? 0 : drop.getOrDefault(id, 0);
      Representation rep = parsed.representations().stream().filter(p -> p.id().equals(id)).findFirst().orElse(null);
      if (n <= 0 || rep == null || rep.segments().isEmpty()) {
        r.appendReplacement(out, Matcher.quoteReplacement(r.group()));
        continue;
      }
      List<Segment> kept = rep.segments().subList(Math.min(n, rep.segments().size()), rep.segments().size());
      String body = r.group(2);
      Matcher t = TEMPLATE.matcher(body);
      t.find();
      String attrs = t.group(1);
      String start = "startNumber=\"" + (kept.isEmpty() ? rep.segments().get(rep.segments().size() - 1).number() + 1
        : kept.get(0).number()) + "\"";
      String newAttrs = attrs.contains("startNumber=\"") ? attrs.replaceFirst("startNumber=\"[^\"]*\"", start)
        : attrs + " " + start;
      body = body.substring(0, t.start(1)) + newAttrs + body.substring(t.end(1));
      Matcher timeline = TIMELINE.matcher(body);
      if (timeline.find()) {
        body = body.substring(0, timeline.start(2)) + timeline(kept, timeline.group(2)) + body.substring(timeline.end(2));
      }
      String whole = r.group();
      int bodyAt = r.start(2) - r.start();
      r.appendReplacement(out, Matcher.quoteReplacement(whole.substring(0, bodyAt) + body
        + whole.substring(bodyAt + r.group(2).length())));
    }
    r.appendTail(out);
    return out.toString();
  }

  /**
   * The manifest as a CDN that has only some of its segments may publish it: each representation's timeline starts
   * after the newest segment the CDN lacks ({@link #dropFirst}); null when a representation has no init segment or no
   * segment at all there, as a player could play nothing from it.
   *
   * @param has whether the CDN has a representation's segment of that number ({@link Long#MIN_VALUE}: its init)
   */
  public static String publishable(String text, DashManifest parsed, BiPredicate<Representation, Long> has) {
    Map<String, Integer> drop = new HashMap<>();
    for (Representation r : parsed.representations()) {
      if (r.initUri() == null || r.segments().isEmpty() || !has.test(r, Long.MIN_VALUE)) {
        return null;
      }
      int missingUpTo = -1;
      for (int i = 0; i < r.segments().size(); i++) {
        if (!has.test(r, r.segments().get(i).number())) {
          missingUpTo = i;
        }
      }
      if (missingUpTo == r.segments().size() - 1) {
        return null;
      }
      if (missingUpTo >= 0) {
        drop.put(r.id(), missingUpTo + 1);
      }
    }
    return drop.isEmpty() ? text : dropFirst(text, drop);
  }

  /** {@code <S>} elements for these segments, runs of one duration folded into {@code r}, as ffmpeg writes them. */
  private static String timeline(List<Segment> segments, String old) {
    Matcher first = Pattern.compile("\\n(\\s*)<S").matcher(old);
    String indent = first.find() ? first.group(1) : "";
    String closing = old.substring(old.lastIndexOf('>') + 1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < segments.size(); ) {
      Segment s = segments.get(i);
      int j = i + 1;
      while (j < segments.size() && segments.get(j).duration() == s.duration()) {
        j++;
      }
      out.append('\n').append(indent).append("<S ").append(i == 0 ? "t=\"" + s.time() + "\" " : "")
        .append("d=\"").append(s.duration()).append('"').append(j - i > 1 ? " r=\"" + (j - i - 1) + "\"" : "")
        .append(" />");
      i = j;
    }
    return out.append(closing).toString();
  }

  private static String uri(String template, String id, long number, long time) {
    Matcher m = NUMBER.matcher(template.replace("$RepresentationID$", id).replace("$Time$", String.valueOf(time)));
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = m.group(2) == null ? String.valueOf(number)
        : String.format("%0" + Integer.parseInt(m.group(2)) + "d", number);
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString().replace("$$", "$");
  }

  private static String attribute(String attrs, String name) {
    Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(attrs);
    return m.find() ? m.group(1) : null;
  }

  private static long parseLong(String s, long otherwise) {
    if (s == null) {
      return otherwise;
    }
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }
}
