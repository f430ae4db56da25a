package io.ltm.it;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Supplier;

/**
 * A browser tab kept open on one server node through the chaos, as the console's page behaves: SockJS to that node,
 * registered on its account's address with the API key; when the node dies the tab reconnects as soon as it is back
 * and replays from the last seq it had without a hole before it, and it replays likewise when told to resync or when
 * a seq arrives past a hole (bus.js does the same). It keeps every seq it received.
 */
final class ChaosBrowser implements AutoCloseable {
  private final Vertx vertx;
  private final int port;
  private final String address;
  private final String apiKey;
  private final ChaosCluster.Role server;
  private final Set<Long> seqs = new ConcurrentSkipListSet<>();
  private final Thread loop;
  private volatile boolean closing;
  private volatile SockJsBrowser current;
  private int reconnects;

  ChaosBrowser(Vertx vertx, int port, String accountId, String apiKey, ChaosCluster.Role server) {
    this.vertx = vertx;
    this.port = port;
    this.address = "ltm.account." + accountId;
    this.apiKey = apiKey;
    this.server = server;
    this.loop = new Thread(this::run, "chaos-browser");
    loop.setDaemon(true);
    loop.start();
  }

  Vertx vertx() {
    return vertx;
  }

  private void run() {
    int resyncsSeen = 0;
    while (!closing) {
      SockJsBrowser b = current;
      try {
        if (b == null || b.isClosed()) {
          if (b != null) {
            b.close();
            current = null;
            reconnects++;
          }
          if (server.alive() && PrivateProcesses.answers(port)) {
            b = new SockJsBrowser(vertx, port, 0);
            b.register(address, apiKey);
            current = b;
            resyncsSeen = 0;
            replay(b);
          }
        } else {
          b.seqs().forEach(seqs::add);
          if (b.resyncs() > resyncsSeen) {
            resyncsSeen = b.resyncs();
            replay(b);
          } else if (hasGap()) {
            // As the console's bus.js does: a seq past a hole asks for the replay that fills it (events of one
            // account can arrive out of order when several relays publish them).
            replay(b);
          }
        }
      } catch (Throwable lost) {
        // The node died under the handshake or the replay: the next round connects again.
        if (b != null) {
          b.close();
        }
        current = null;
      }
      PrivateProcesses.sleep(300);
    }
  }

  /** The last seq before the first hole, as the console's {@code lastSeq}: a replay asks for what follows it. */
  private long contiguous() {
    long last = 0;
    for (long seq : seqs) {
      if (seq > last + 1) {
        break;
      }
      last = Math.max(last, seq);
    }
    return last;
  }

  private boolean hasGap() {
    return !seqs.isEmpty() && ((ConcurrentSkipListSet<Long>) seqs).last() > contiguous();
  }

  private void replay(SockJsBrowser b) {
    long last = contiguous();
    for (JsonObject e : b.replay(last, apiKey)) {
      seqs.add(e.getLong("seq"));
    }
  }

  /** Waits (at most 30 s) until every seq {@code expected} gives has been received; returns those still missing. */
  List<Long> awaitAll(Supplier<List<Long>> expected) {
    long deadline = System.currentTimeMillis() + 30_000;
    TreeSet<Long> missing = new TreeSet<>();
    do {
      List<Long> all = expected.get();
      if (all != null) {
        missing.clear();
        all.stream().filter(s -> !seqs.contains(s)).forEach(missing::add);
        if (missing.isEmpty()) {
          return List.of();
        }
      }
      PrivateProcesses.sleep(500);
    } while (System.currentTimeMillis() < deadline);
    return List.copyOf(missing);
  }

  int received() {
    return seqs.size();
  }

  int reconnects() {
    return reconnects;
  }

  @Override
  public void close() throws InterruptedException {
    closing = true;
    loop.join(10_000);
    SockJsBrowser b = current;
    if (b != null) {
      b.close();
    }
  }
}
