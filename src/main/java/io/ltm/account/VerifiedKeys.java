package io.ltm.account;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * API keys this node found valid a moment ago, by the hash of the key (never the key). Every API call looked its
 * key up in MySQL: one statement in eight of a purchase (bench/purchase). An entry lasts {@link #TTL_MS} at most;
 * a revocation removes it at once on the node that revoked the key and, through {@code ltm.events}, on every other
 * ({@link ApiKeys#forgetRevoked}). The expiry only bounds how long a revoked key could still work on a node that
 * missed that message (its broker connection down at that moment).
 */
final class VerifiedKeys {
  static final long TTL_MS = 10_000;
  /** Keys kept at most; past it the whole map is dropped (a refill costs one lookup per key). */
  static final int MAX_KEYS = 10_000;

  private record Entry(String keyId, ApiKeys.Principal principal, long until) {
  }

  private final Map<String, Entry> byHash = new ConcurrentHashMap<>();
  /**
   * Revocations heard so far. A lookup notes it before asking MySQL: a revocation heard while the lookup was on its
   * way (another event loop, or the revocation's message, ran {@link #forget} before the lookup's {@link #put}) keeps
   * the key it read as valid out of the map, or the revoked key would work here until its entry expired.
   */
  private final AtomicLong revocations = new AtomicLong();
  private final LongSupplier clock;

  VerifiedKeys() {
    this(System::currentTimeMillis);
  }

  VerifiedKeys(LongSupplier clock) {
    this.clock = clock;
  }

  /** The key's account if it was verified less than {@link #TTL_MS} ago and not revoked since; else null. */
  ApiKeys.Principal get(String keyHash) {
    Entry entry = byHash.get(keyHash);
    if (entry == null) {
      return null;
    }
    if (entry.until() <= clock.getAsLong()) {
      byHash.remove(keyHash, entry);
      return null;
    }
    return entry.principal();
  }

  /** To note before a lookup, and give to {@link #put} with its result. */
  long revocations() {
    return revocations.get();
  }

  /**
   * Keeps a key found valid by a lookup that began when {@link #revocations()} was {@code seenRevocations}. Put,
   * then checked: a {@link #forget} that counted before the check makes this put take its entry back; one that
   * counted after it removes the entry itself.
   */
  void put(String keyHash, String keyId, ApiKeys.Principal principal, long seenRevocations) {
    if (byHash.size() >= MAX_KEYS) {
      byHash.clear();
    }
    Entry entry = new Entry(keyId, principal, clock.getAsLong() + TTL_MS);
    byHash.put(keyHash, entry);
    if (revocations.get() != seenRevocations) {
      byHash.remove(keyHash, entry);
    }
  }

  /** The key was revoked: it is checked in MySQL again (and refused) from now on. */
  void forget(String keyId) {
    revocations.incrementAndGet();
    byHash.values().removeIf(e -> e.keyId().equals(keyId));
  }
}
