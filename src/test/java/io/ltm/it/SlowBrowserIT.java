package io.ltm.it;

import io.ltm.events.EventTypes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A browser that stops reading its event socket (a frozen tab, a stalled link) while its account keeps changing:
 * LTM drops its frames once its bounded queue is full instead of holding the others up, tells it to resync when it
 * reads again, and its replay from its last seq brings back every event it missed; another browser of the same
 * account meanwhile gets every event as it happens.
 *
 * <p>LTM runs with a 16 KB kernel send buffer and a 16 KB event queue per socket (the defaults let a stalled
 * socket hold a few MB on loopback), so a few hundred events fill them.
 */
class SlowBrowserIT extends LtmTestBase {
  private static final int STREAMS_PER_ORDER = 10;
  /** An order of ten: its PENDING, ten stream.state CREATED, and its ACTIVE from the worker. */
  private static final int EVENTS_PER_ORDER = STREAMS_PER_ORDER + 2;
  private static final int MAX_ORDERS = 150;

  @BeforeAll
  static void smallBuffers() throws Exception {
    redeploy(Map.of("LTM_HTTP_SEND_BUFFER_BYTES", "16384", "LTM_EVENT_SOCKET_QUEUE_BYTES", "16384"));
  }

  @Test
  void aBrowserThatStopsReadingIsToldToResyncAndItsReplayHasEveryEventWhileAnotherKeepsUp() {
    String key = newAccountKey("slow browser");
    ApiClient api = api(key);
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    String address = EventTypes.accountAddress(accountId);
    try (SockJsBrowser stalled = new SockJsBrowser(vertx, port, 4096);
         SockJsBrowser healthy = new SockJsBrowser(vertx, port, 0)) {
      stalled.register(address, key);
      healthy.register(address, key);
      int orders = 1;
      buyAndAwait(api, healthy, orders);
      Await.until("the first order's events on the browser about to stall", Duration.ofSeconds(30),
        () -> stalled.events().size() == EVENTS_PER_ORDER ? true : null);

      stalled.pause();
      double droppedBefore = framesDropped(api);
      // Keep buying until LTM reports frames it could not queue for the stalled browser; after each order the
      // healthy browser already has all of its events.
      while (framesDropped(api) == droppedBefore) {
        assertThat(orders).as("orders bought without the stalled browser's queue filling").isLessThan(MAX_ORDERS);
        buyAndAwait(api, healthy, ++orders);
      }
      for (int i = 0; i < 3; i++) {
        buyAndAwait(api, healthy, ++orders);
      }
      long last = (long) orders * EVENTS_PER_ORDER;
      assertThat(healthy.seqs()).as("the healthy browser: every event once, in order, and no resync")
        .containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
      assertThat(healthy.resyncs()).isZero();

      stalled.resume();
      Await.until("the stalled browser to be told to resync once it reads again", Duration.ofSeconds(60),
        () -> stalled.resyncs() > 0 ? true : null);
      List<Long> live = stalled.seqs();
      long applied = contiguousFromOne(live);
      assertThat(applied).as("frames were dropped for the stalled browser (live seqs %s…)", head(live))
        .isLessThan(last);
      // What the page does on a resync: replay from the last seq it applied without a gap.
      TreeSet<Long> seen = new TreeSet<>(live);
      stalled.replay(applied, key).forEach(e -> seen.add(e.getLong("seq")));
      assertThat(seen).as("live events and the replay together: every event of the account")
        .containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
    }
  }

  /** Buys ten streams and waits until the healthy browser has every event up to that order's ACTIVE. */
  private static void buyAndAwait(ApiClient api, SockJsBrowser healthy, int orders) {
    ApiClient.Reply reply = api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile")
      .put("quantity", STREAMS_PER_ORDER));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    int expected = orders * EVENTS_PER_ORDER;
    Await.until("the healthy browser to receive event " + expected + " while the other is stalled",
      Duration.ofSeconds(30), () -> healthy.events().size() >= expected ? true : null);
  }

  private static double framesDropped(ApiClient api) {
    String text = api.withKey(null).get("/metrics").body();
    return text.lines().filter(l -> l.startsWith("ltm_eventbus_frames_dropped_total"))
      .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** The highest n such that 1..n all arrived: where a page applying events in order would stand. */
  private static long contiguousFromOne(List<Long> seqs) {
    TreeSet<Long> set = new TreeSet<>(seqs);
    long n = 0;
    while (set.contains(n + 1)) {
      n++;
    }
    return n;
  }

  private static List<Long> head(List<Long> seqs) {
    return new ArrayList<>(seqs.subList(0, Math.min(20, seqs.size())));
  }
}
