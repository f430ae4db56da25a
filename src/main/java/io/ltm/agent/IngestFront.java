package io.ltm.agent;

import io.ltm.ingest.domain.Cidr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The machine's public ingest port, in front of ffmpeg (which listens on 127.0.0.1 only). It refuses a source
 * outside the stream's allow-list before a byte reaches ffmpeg and, for RTMP, a publish whose stream name is
 * not a valid stream key. It also counts input bytes, which the heartbeat reports as the input bitrate. Runs on
 * the agent's context; nothing here blocks.
 */
abstract class IngestFront {

  private static final Logger LOG = LoggerFactory.getLogger(IngestFront.class);
  /** How long an encoder that arrives before ffmpeg listens is held. */
  static final long INNER_CONNECT_MS = 10_000;
  static final long INNER_RETRY_MS = 200;

  protected final Vertx vertx;
  protected final int innerPort;
  private final List<Cidr> allow;
  private long bytesIn;
  private long refusals;

  IngestFront(Vertx vertx, int innerPort, List<Cidr> allow) {
    this.vertx = vertx;
    this.innerPort = innerPort;
    this.allow = allow;
  }

  abstract int port();

  abstract Future<Void> close();

  /** Forget open sessions: ffmpeg was restarted and listens afresh. */
  void reset() {
  }

  long bytesIn() {
    return bytesIn;
  }

  /** How many sources or publishes were refused so far; an ffmpeg exit that follows one is not ffmpeg's fault. */
  long refusals() {
    return refusals;
  }

  protected void count(int bytes) {
    bytesIn += bytes;
  }

  protected boolean allowed(String host) {
    // The peer's literal address, parsed without any resolver call (this runs on the event loop).
    boolean ok = Cidr.allows(allow, host);
    if (!ok) {
      refuse("source " + host + " is not in the ingest allow-list");
    }
    return ok;
  }

  protected void refuse(String why) {
    refusals++;
    LOG.warn("ingest refused: {}", why);
  }

  /** RTMP over TCP: allow-list at accept, stream key at publish. */
  static Future<IngestFront> rtmp(Vertx vertx, int innerPort, List<Cidr> allow, Predicate<String> validKey) {
    Rtmp front = new Rtmp(vertx, innerPort, allow, validKey);
    return front.listen().map(front);
  }

  /** SRT over UDP: a relay per source address, allow-list on every packet (SRT checks the passphrase itself). */
  static Future<IngestFront> srt(Vertx vertx, int innerPort, List<Cidr> allow) {
    Srt front = new Srt(vertx, innerPort, allow);
    return front.listen().map(front);
  }

  private static final class Rtmp extends IngestFront {
    private final Predicate<String> validKey;
    private final NetClient client;
    private NetServer server;

    Rtmp(Vertx vertx, int innerPort, List<Cidr> allow, Predicate<String> validKey) {
      super(vertx, innerPort, allow);
      this.validKey = validKey;
      this.client = vertx.createNetClient();
    }

    Future<Void> listen() {
      server = vertx.createNetServer(new NetServerOptions().setHost("0.0.0.0").setPort(0));
      server.connectHandler(this::accept);
      return server.listen().mapEmpty();
    }

    private void accept(NetSocket publisher) {
      if (!allowed(publisher.remoteAddress().hostAddress())) {
        publisher.close();
        return;
      }
      publisher.pause();
      boolean[] gone = {false};
      publisher.closeHandler(v -> gone[0] = true);
      connectInner(publisher, gone, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INNER_CONNECT_MS));
    }

    /**
     * The stream is READY as soon as ffmpeg is forked, but ffmpeg needs a moment (seconds on a busy machine) before
     * it listens: an encoder that arrives first is held, not hung up on, until ffmpeg listens or the wait runs out
     * (then ffmpeg is busy with another publisher or restarting, and the encoder retries).
     */
    private void connectInner(NetSocket publisher, boolean[] gone, long deadlineNanos) {
      client.connect(innerPort, "127.0.0.1").onComplete(ar -> {
        if (gone[0]) {
          // The encoder hung up while it waited.
          if (ar.succeeded()) {
            ar.result().close();
          }
        } else if (ar.succeeded()) {
          relay(publisher, ar.result());
        } else if (System.nanoTime() < deadlineNanos) {
          vertx.setTimer(INNER_RETRY_MS, id -> connectInner(publisher, gone, deadlineNanos));
        } else {
          publisher.close();
        }
      });
    }

    private void relay(NetSocket publisher, NetSocket ffmpeg) {
      RtmpPublishSniffer sniffer = new RtmpPublishSniffer();
      boolean[] through = {false};
      publisher.handler(buf -> {
        count(buf.length());
        if (through[0]) {
          ffmpeg.write(buf);
          if (ffmpeg.writeQueueFull()) {
            // ffmpeg reads slower than the encoder sends: let TCP push back on the encoder.
            publisher.pause();
            ffmpeg.drainHandler(v -> publisher.resume());
          }
          return;
        }
        RtmpPublishSniffer.Result r = sniffer.feed(buf.getBytes());
        if (r.forward().length > 0) {
          ffmpeg.write(Buffer.buffer(r.forward()));
        }
        if (r.protocolError() != null) {
          refuse(r.protocolError() + " from " + publisher.remoteAddress().hostAddress());
          publisher.close();
          ffmpeg.close();
        } else if (r.publishName() != null) {
          if (validKey.test(r.publishName())) {
            through[0] = true;
            ffmpeg.write(Buffer.buffer(r.held()));
            if (r.rest().length > 0) {
              ffmpeg.write(Buffer.buffer(r.rest()));
            }
          } else {
            refuse("wrong stream key from " + publisher.remoteAddress().hostAddress());
            publisher.close();
            ffmpeg.close();
          }
        }
      });
      ffmpeg.handler(publisher::write);
      publisher.closeHandler(v -> ffmpeg.close());
      ffmpeg.closeHandler(v -> publisher.close());
      publisher.resume();
    }

    @Override
    int port() {
      return server.actualPort();
    }

    @Override
    Future<Void> close() {
      return server.close().eventually(client::close);
    }
  }

  private static final class Srt extends IngestFront {
    private final Map<String, DatagramSocket> sessions = new HashMap<>();
    private final Map<String, List<Buffer>> waiting = new HashMap<>();
    private DatagramSocket outer;

    Srt(Vertx vertx, int innerPort, List<Cidr> allow) {
      super(vertx, innerPort, allow);
    }

    Future<Void> listen() {
      outer = vertx.createDatagramSocket();
      outer.handler(packet -> {
        SocketAddress from = packet.sender();
        if (!allowed(from.hostAddress())) {
          return;
        }
        count(packet.data().length());
        String key = from.hostAddress() + ":" + from.port();
        DatagramSocket session = sessions.get(key);
        if (session != null) {
          session.send(packet.data(), innerPort, "127.0.0.1");
          return;
        }
        List<Buffer> queue = waiting.get(key);
        if (queue != null) {
          queue.add(packet.data());
          return;
        }
        queue = new ArrayList<>(List.of(packet.data()));
        waiting.put(key, queue);
        DatagramSocket inner = vertx.createDatagramSocket();
        inner.handler(back -> outer.send(back.data(), from.port(), from.hostAddress()));
        inner.listen(0, "127.0.0.1").onComplete(ar -> {
          List<Buffer> queued = waiting.remove(key);
          if (ar.failed()) {
            return;
          }
          sessions.put(key, inner);
          queued.forEach(data -> inner.send(data, innerPort, "127.0.0.1"));
        });
      });
      return outer.listen(0, "0.0.0.0").mapEmpty();
    }

    @Override
    void reset() {
      sessions.values().forEach(DatagramSocket::close);
      sessions.clear();
    }

    @Override
    int port() {
      return outer.localAddress().port();
    }

    @Override
    Future<Void> close() {
      reset();
      return outer.close();
    }
  }
}
