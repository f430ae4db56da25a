package io.ltm.cdn.upload;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

import java.net.URI;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Proves an RTMP ingest answers: connects and runs the RTMP handshake (C0+C1 out, S0+S1+S2 back, C2 out), the
 * first thing every publisher does. RTMP has no way to test a stream key without publishing, so this is as far as
 * a check goes before an event.
 */
public final class RtmpHandshake {
  static final int SIZE = 1536;
  static final long TIMEOUT_MS = 5_000;

  private RtmpHandshake() {
  }

  public static Future<Void> check(Vertx vertx, String rtmpUrl) {
    URI uri;
    try {
      uri = URI.create(rtmpUrl);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new UploadException(UploadException.RTMP_HANDSHAKE, "not an RTMP URL: " + rtmpUrl, "url"));
    }
    String host = uri.getHost();
    int port = uri.getPort() > 0 ? uri.getPort() : "rtmps".equals(uri.getScheme()) ? 443 : 1935;
    NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) TIMEOUT_MS)
      .setSsl("rtmps".equals(uri.getScheme())));
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(TIMEOUT_MS, id -> done.tryFail(new UploadException(UploadException.TIMEOUT,
      "rtmp://" + host + ":" + port + " did not finish the RTMP handshake in time", "url")));
    client.connect(port, host).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(new UploadException(UploadException.UNREACHABLE, "rtmp://" + host + ":" + port
          + " cannot be reached (" + ar.cause().getMessage() + ")", "url"));
        return;
      }
      var socket = ar.result();
      Buffer received = Buffer.buffer();
      socket.handler(data -> {
        received.appendBuffer(data);
        if (received.length() >= 1 && received.getByte(0) != 3) {
          done.tryFail(new UploadException(UploadException.RTMP_HANDSHAKE, "rtmp://" + host + ":" + port
            + " answered something that is not RTMP (version byte " + received.getByte(0) + ")", "url"));
          socket.close();
        } else if (received.length() >= 1 + 2 * SIZE) {
          // C2 echoes S1.
          socket.write(received.getBuffer(1, 1 + SIZE)).onComplete(w -> {
            done.tryComplete();
            socket.close();
          });
        }
      });
      socket.closeHandler(v -> done.tryFail(new UploadException(UploadException.RTMP_HANDSHAKE, "rtmp://" + host + ":"
        + port + " closed the connection during the RTMP handshake", "url")));
      byte[] c1 = new byte[SIZE];
      ThreadLocalRandom.current().nextBytes(c1);
      for (int i = 0; i < 8; i++) {
        c1[i] = 0; // time and zero fields
      }
      socket.write(Buffer.buffer().appendByte((byte) 3).appendBytes(c1));
    });
    return done.future().eventually(() -> {
      vertx.cancelTimer(timer);
      return client.close();
    });
  }
}
