package io.ltm.account;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class VerifiedKeysTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final VerifiedKeys keys = new VerifiedKeys(now::get);
  private final ApiKeys.Principal alice = new ApiKeys.Principal("acc_alice", "Alice");

  @Test
  void aVerifiedKeyIsKnownUntilItsEntryExpires() {
    keys.put("hash-a", "key_a", alice);
    now.addAndGet(VerifiedKeys.TTL_MS - 1);
    assertThat(keys.get("hash-a")).isEqualTo(alice);
    now.addAndGet(1);
    assertThat(keys.get("hash-a")).as("expired: looked up in MySQL again").isNull();
  }

  @Test
  void aRevokedKeyIsForgottenAtOnceAndOnlyIt() {
    keys.put("hash-a", "key_a", alice);
    keys.put("hash-b", "key_b", alice);
    keys.forget("key_a");
    assertThat(keys.get("hash-a")).isNull();
    assertThat(keys.get("hash-b")).isEqualTo(alice);
  }

  @Test
  void anUnknownHashIsNotKnown() {
    assertThat(keys.get("never-seen")).isNull();
  }

  @Test
  void theMapNeverGrowsPastItsBound() {
    for (int i = 0; i < VerifiedKeys.MAX_KEYS + 5; i++) {
      keys.put("hash-" + i, "key_" + i, alice);
    }
    assertThat(keys.get("hash-" + (VerifiedKeys.MAX_KEYS + 4))).isEqualTo(alice);
    assertThat(keys.get("hash-0")).as("dropped when the bound was reached").isNull();
  }
}
