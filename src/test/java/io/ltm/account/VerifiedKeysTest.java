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
    keys.put("hash-a", "key_a", alice, keys.revocations());
    now.addAndGet(VerifiedKeys.TTL_MS - 1);
    assertThat(keys.get("hash-a")).isEqualTo(alice);
    now.addAndGet(1);
    assertThat(keys.get("hash-a")).as("expired: looked up in MySQL again").isNull();
  }

  @Test
  void aRevokedKeyIsForgottenAtOnceAndOnlyIt() {
    keys.put("hash-a", "key_a", alice, keys.revocations());
    keys.put("hash-b", "key_b", alice, keys.revocations());
    keys.forget("key_a");
    assertThat(keys.get("hash-a")).isNull();
    assertThat(keys.get("hash-b")).isEqualTo(alice);
  }

  @Test
  void aKeyRevokedWhileItsLookupWasOnItsWayIsNotKept() {
    // The lookup (one event loop) read the key as valid; the revocation (another loop, or its message) came before
    // the lookup's answer: the key must be looked up (and refused) next time, not served from here for TTL_MS.
    long seen = keys.revocations();
    keys.forget("key_a");
    keys.put("hash-a", "key_a", alice, seen);
    assertThat(keys.get("hash-a")).isNull();
    keys.put("hash-b", "key_b", alice, keys.revocations());
    assertThat(keys.get("hash-b")).as("a lookup begun after the revocation is kept").isEqualTo(alice);
  }

  @Test
  void anUnknownHashIsNotKnown() {
    assertThat(keys.get("never-seen")).isNull();
  }

  @Test
  void theMapNeverGrowsPastItsBound() {
    for (int i = 0; i < VerifiedKeys.MAX_KEYS + 5; i++) {
      keys.put("hash-" + i, "key_" + i, alice, keys.revocations());
    }
    assertThat(keys.get("hash-" + (VerifiedKeys.MAX_KEYS + 4))).isEqualTo(alice);
    assertThat(keys.get("hash-0")).as("dropped when the bound was reached").isNull();
  }
}
