package io.ltm.stream.domain;

import java.util.ArrayList;
import java.util.List;

/**
 * The hourly price of a configuration. Half of the offer's catalog price pays for the machine and the input;
 * the other half scales with the work the ladder asks for, relative to the offer's own ladder: each rendition
 * weighs its pixels per second (width × height × fps; height-only renditions count 16:9) times its codec's
 * factor (h264 1, hevc 2, vp9 2, av1 3). Audio-only renditions weigh nothing. DASH and an RTMP re-stream each add
 * 10% of the catalog price. Every line is rounded to the nearest cent; the total is the sum of the lines, so the
 * offer's own ladder costs its catalog price give or take a cent of rounding.
 */
public final class Pricing {

  public record Line(String item, int cents) {
  }

  public record Quote(int pricePerHourCents, List<Line> lines) {
  }

  private Pricing() {
  }

  public static Quote quote(int offerPricePerHourCents, List<Rendition> offerLadder, StreamConfig config) {
    double reference = offerLadder.stream().mapToDouble(r -> weight(r.withDefaults())).sum();
    List<Line> lines = new ArrayList<>();
    int machine = (offerPricePerHourCents + 1) / 2;
    lines.add(new Line("machine", machine));
    double share = offerPricePerHourCents - machine;
    for (Rendition r : config.renditions()) {
      double w = reference == 0 ? 0 : weight(r) / reference;
      lines.add(new Line("rendition " + r.name(), (int) Math.round(share * w)));
    }
    if (config.outputs().dash()) {
      lines.add(new Line("dash", (int) Math.round(offerPricePerHourCents * 0.1)));
    }
    if (config.outputs().restream() != null) {
      lines.add(new Line("rtmp re-stream", (int) Math.round(offerPricePerHourCents * 0.1)));
    }
    return new Quote(lines.stream().mapToInt(Line::cents).sum(), List.copyOf(lines));
  }

  static double weight(Rendition r) {
    if (!r.carriesVideo()) {
      return 0;
    }
    double width = r.width() > 0 ? r.width() : r.height() * 16.0 / 9.0;
    return width * r.height() * r.fps() * Codecs.priceFactor(r.videoCodec());
  }
}
