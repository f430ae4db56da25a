package io.ltm.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limiter is shared by every HTTP server instance of a node, so {@link RateLimiter#take} is called from several
 * event loops at once.
 */
class RateLimiterTest {

  @Test
  void theNPlusFirstRequestOfAWindowIsRefusedAndTheNextWindowIsFull() {
    AtomicLong now = new AtomicLong(1_000);
    RateLimiter limiter = new RateLimiter(3, 60, now::get);
    for (int i = 2; i >= 0; i--) {
      RateLimiter.Decision d = limiter.take("key");
      assertThat(d.allowed()).isTrue();
      assertThat(d.remaining()).isEqualTo(i);
    }
    assertThat(limiter.take("key").allowed()).isFalse();
    assertThat(limiter.take("key").resetSeconds()).isEqualTo(60);
    now.addAndGet(60_000);
    assertThat(limiter.take("key").remaining()).isEqualTo(2);
  }

  @Test
  void threadsTakingFromOneKeyAtOnceGetExactlyTheLimit() throws Exception {
    int limit = 5_000;
    AtomicLong now = new AtomicLong(1_000);
    RateLimiter limiter = new RateLimiter(limit, 3600, now::get);
    // Past the sweep threshold, so every take also sweeps while the others take: with other callers' windows over.
    for (int i = 0; i < 10_050; i++) {
      limiter.take("old-" + i);
    }
    now.set(1_000 + 3_600_000L);
    int threads = 8;
    int each = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Integer>> allowed = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        allowed.add(pool.submit(() -> {
          start.await();
          int n = 0;
          for (int i = 0; i < each; i++) {
            if (limiter.take("shared").allowed()) {
              n++;
            }
          }
          return n;
        }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> f : allowed) {
        total += f.get();
      }
      assertThat(total).isEqualTo(limit);
    } finally {
      pool.shutdownNow();
    }
  }
}
