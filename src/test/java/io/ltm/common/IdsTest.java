package io.ltm.common;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class IdsTest {

  @Test
  void idIsPrefixUnderscoreAndTwentyCharactersOfTheAlphabet() {
    assertThat(Ids.newId("str")).matches("str_[0-9a-hjkmnp-tv-z]{20}");
    assertThat(Ids.newId("ord")).startsWith("ord_").hasSize(24);
  }

  @Test
  void idsAreUniqueOverManyDraws() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      assertThat(seen.add(Ids.newId("m"))).as("draw %d repeated an id", i).isTrue();
    }
  }

  @Test
  void randomHasTheAskedLengthAndAvoidsLookalikeLetters() {
    assertThat(Ids.random(0)).isEmpty();
    String many = Ids.random(10_000);
    assertThat(many).hasSize(10_000).doesNotContain("i", "l", "o", "u");
    // Over 10,000 draws every one of the 32 characters turns up.
    assertThat(many.chars().distinct().count()).isEqualTo(32);
  }

  @Test
  void sha256MatchesKnownVectors() {
    assertThat(Ids.sha256("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assertThat(Ids.sha256("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void sha256HashesTheUtf8Bytes() {
    // "é" is C3 A9 in UTF-8; in Latin-1 it would be the single byte E9 and hash differently.
    assertThat(Ids.sha256("é")).isEqualTo("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  }

  @Test
  void sameHashIsTrueOnlyForEqualNonNullHashes() {
    String h = Ids.sha256("key");
    assertThat(Ids.sameHash(h, Ids.sha256("key"))).isTrue();
    assertThat(Ids.sameHash(h, Ids.sha256("kez"))).isFalse();
    assertThat(Ids.sameHash(h, h.substring(1))).isFalse();
    assertThat(Ids.sameHash(h, null)).isFalse();
    assertThat(Ids.sameHash(null, h)).isFalse();
    assertThat(Ids.sameHash(null, null)).isFalse();
  }
}
