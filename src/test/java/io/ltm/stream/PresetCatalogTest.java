package io.ltm.stream;

import io.ltm.stream.domain.ConfigRules;
import io.ltm.stream.domain.StreamConfig;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class PresetCatalogTest {
  static final Set<String> X264_AAC = Set.of("libx264", "aac");

  @Test
  void presetFilesAreLoadedFromTheClassPath() {
    PresetCatalog catalog = PresetCatalog.load();
    assertThat(catalog.all()).extracting(PresetCatalog.Preset::id).contains("hd-abr", "sd-abr", "mobile", "radio");
    assertThat(catalog.find("hd-abr").config().renditions()).extracting(r -> r.height())
      .containsExactly(1080, 720, 480, 360, 240);
    assertThat(catalog.find("radio").config().renditions()).allMatch(r -> !r.carriesVideo());
    assertThat(catalog.find("mobile").config().outputs().dash()).isTrue();
  }

  @Test
  void everyPresetIsValidOnAnOfferLargeEnoughWithOnlyX264AndAac() {
    ConfigRules.Limits hd = new ConfigRules.Limits(1920, 1080, 30, ConfigRules.MAX_RENDITIONS);
    for (PresetCatalog.Preset p : PresetCatalog.load().all()) {
      StreamConfig config = p.config();
      assertThatCode(() -> ConfigRules.check(config, hd, X264_AAC)).as(p.id()).doesNotThrowAnyException();
      assertThat(config.preset()).isEqualTo(p.id());
    }
  }
}
