package io.ltm.stream.domain;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PricingTest {
  static final List<Rendition> MOBILE = List.of(new Rendition("240p", 426, 240, 400, 25, 64),
    new Rendition("144p", 256, 144, 180, 15, 48));

  static StreamConfig config(List<Rendition> ladder, boolean dash, StreamConfig.Restream restream) {
    return new StreamConfig(null, ladder, new StreamConfig.Outputs(StreamConfig.Hls.DEFAULT, dash, restream))
      .withDefaults();
  }

  @Test
  void theOffersOwnLadderCostsTheCatalogPrice() {
    Pricing.Quote quote = Pricing.quote(60, MOBILE, config(MOBILE, false, null));
    assertThat(quote.pricePerHourCents()).isEqualTo(60);
    assertThat(quote.lines()).extracting(Pricing.Line::item).containsExactly("machine", "rendition 240p", "rendition 144p");
    assertThat(quote.lines().get(0).cents()).isEqualTo(30);
  }

  @Test
  void costlierCodecsAndExtraOutputsRaiseThePrice() {
    List<Rendition> hevc = MOBILE.stream().map(r -> new Rendition(r.name(), r.width(), r.height(),
      r.videoBitrateKbps(), 0, 0, r.fps(), 2, "hevc", "aac", 64)).toList();
    assertThat(Pricing.quote(60, MOBILE, config(hevc, false, null)).pricePerHourCents()).isEqualTo(30 + 60);
    Pricing.Quote extras = Pricing.quote(60, MOBILE, config(MOBILE, true, new StreamConfig.Restream("144p", "rtmp://x/y")));
    assertThat(extras.pricePerHourCents()).isEqualTo(60 + 6 + 6);
  }

  @Test
  void smallerLadderCostsLessButNeverLessThanTheMachine() {
    List<Rendition> one = List.of(new Rendition("90p", 160, 90, 100, 15, 32));
    int price = Pricing.quote(60, MOBILE, config(one, false, null)).pricePerHourCents();
    assertThat(price).isBetween(30, 59);
    Rendition radio = new Rendition("a", 0, 0, 0, 0, 0, 0, 0, "none", "aac", 128);
    assertThat(Pricing.quote(60, MOBILE, config(List.of(radio), false, null)).pricePerHourCents()).isEqualTo(30);
  }
}
