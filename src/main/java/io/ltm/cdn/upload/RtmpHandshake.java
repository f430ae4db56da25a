package io.ltm.cdn.upload;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Proves an RTMP ingest answers: connects and runs the RTMP handshake (C0+C1 out, S0+S1+S2 back, C2 out), the
 * first thing every publisher does. With a stream key it goes on as a publisher does — {@code connect},
 * {@code createStream}, {@code publish} with the key — and closes once the ingest says
 * {@code NetStream.Publish.Start}, before sending any media: an ingest that checks keys (nginx-rtmp's
 * {@code on_publish}, a platform's key check) refuses a wrong one there, by an error status or by hanging up.
 * Replies are recognised by the AMF0 strings in them; nothing else of the ingest's messages is needed.
 */
public final class RtmpHandshake {
  static final int SIZE = 1536;
  static final long TIMEOUT_MS = 5_000;
  private static final int CHUNK_SIZE = 4096;

  private RtmpHandshake() {
  }

  /** The handshake only. */
  public static Future<Void> check(Vertx vertx, String rtmpUrl) {
    return check(vertx, rtmpUrl, null);
  }

  /** The handshake, then a publish with {@code streamKey} when it is not null. */
  public static Future<Void> check(Vertx vertx, String rtmpUrl, String streamKey) {
    URI uri;
    try {
      uri = URI.create(rtmpUrl);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new UploadException(UploadException.RTMP_HANDSHAKE, "not an RTMP URL: " + rtmpUrl, "url"));
    }
    String host = uri.getHost();
    int port = uri.getPort() > 0 ? uri.getPort() : "rtmps".equals(uri.getScheme()) ? 443 : 1935;
    String where = "rtmp://" + host + ":" + port;
    NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) TIMEOUT_MS)
      .setSsl("rtmps".equals(uri.getScheme())));
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(TIMEOUT_MS, id -> done.tryFail(new UploadException(UploadException.TIMEOUT,
      where + (streamKey == null ? " did not finish the RTMP handshake in time" : " did not answer the publish in time"),
      "url")));
    client.connect(port, host).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(new UploadException(UploadException.UNREACHABLE, where + " cannot be reached ("
          + ar.cause().getMessage() + ")", "url"));
        return;
      }
      new Session(ar.result(), uri, where, streamKey, done).begin();
    });
    return done.future().eventually(() -> {
      vertx.cancelTimer(timer);
      return client.close();
    });
  }

  /** One check's conversation: handshake, then (with a key) connect, createStream and publish, one after another. */
  private static final class Session {
    private final NetSocket socket;
    private final URI uri;
    private final String where;
    private final String streamKey;
    private final Promise<Void> done;
    private final Buffer received = Buffer.buffer();
    /** 0 handshake, 1 connect sent, 2 createStream sent, 3 publish sent. */
    private int step;
    private int repliesFrom;

    Session(NetSocket socket, URI uri, String where, String streamKey, Promise<Void> done) {
      this.socket = socket;
      this.uri = uri;
      this.where = where;
      this.streamKey = streamKey;
      this.done = done;
    }

    void begin() {
      socket.handler(this::received);
      socket.closeHandler(v -> done.tryFail(step < 1
        ? new UploadException(UploadException.RTMP_HANDSHAKE, where + " closed the connection during the RTMP handshake", "url")
        : step < 3 ? new UploadException(UploadException.NOT_FOUND, where + " closed the connection on connect to "
          + "application '" + app() + "'", "url")
        : new UploadException(UploadException.UNAUTHORIZED, where + " refused the stream key (it hung up on the "
          + "publish)", "streamKey")));
      byte[] c1 = new byte[SIZE];
      ThreadLocalRandom.current().nextBytes(c1);
      for (int i = 0; i < 8; i++) {
        c1[i] = 0; // time and zero fields
      }
      socket.write(Buffer.buffer().appendByte((byte) 3).appendBytes(c1));
    }

    private void received(Buffer data) {
      received.appendBuffer(data);
      if (received.getByte(0) != 3) {
        fail(new UploadException(UploadException.RTMP_HANDSHAKE, where + " answered something that is not RTMP "
          + "(version byte " + received.getByte(0) + ")", "url"));
        return;
      }
      if (step == 0 && received.length() >= 1 + 2 * SIZE) {
        // C2 echoes S1.
        Buffer c2 = received.getBuffer(1, 1 + SIZE);
        repliesFrom = 1 + 2 * SIZE;
        if (streamKey == null) {
          socket.write(c2).onComplete(w -> succeed());
          return;
        }
        step = 1;
        socket.write(c2.appendBuffer(message(2, 1, 0, Buffer.buffer().appendInt(CHUNK_SIZE)))
          .appendBuffer(command(0, new Amf().string("connect").number(1).object(Map.of("app", app(), "type", "nonprivate",
            "flashVer", "FMLE/3.0 (compatible; LTM check)", "tcUrl", uri.toString())))));
        return;
      }
      String replies = received.getString(repliesFrom, received.length(), StandardCharsets.ISO_8859_1.name());
      if (step >= 1 && step < 3 && replies.contains("_error")) {
        fail(new UploadException(UploadException.NOT_FOUND, where + " refused to connect to application '" + app()
          + "'", "url"));
      } else if (step == 1 && replies.contains("_result")) {
        step = 2;
        socket.write(command(0, new Amf().string("createStream").number(2).nul()));
      } else if (step == 2 && replies.indexOf("_result") != replies.lastIndexOf("_result")) {
        int at = repliesFrom + replies.lastIndexOf("_result") + "_result".length();
        // _result, transaction id (number), null, stream id (number)
        if (received.length() < at + 18) {
          return;
        }
        int stream = received.getByte(at + 9) == 5 && received.getByte(at + 10) == 0
          ? (int) received.getDouble(at + 11) : 1;
        step = 3;
        socket.write(command(stream, new Amf().string("publish").number(3).nul().string(streamKey).string("live")));
      } else if (step == 3 && replies.contains("NetStream.Publish.Start")) {
        succeed();
      } else if (step == 3 && replies.matches("(?s).*NetStream\\.Publish\\.(BadName|Denied|Rejected|Failed|Unauthorized).*")) {
        fail(new UploadException(UploadException.UNAUTHORIZED, where + " refused the stream key", "streamKey"));
      }
    }

    private String app() {
      String path = uri.getPath() == null ? "" : uri.getPath();
      return path.startsWith("/") ? path.substring(1) : path;
    }

    private void succeed() {
      done.tryComplete();
      socket.close();
    }

    private void fail(UploadException e) {
      done.tryFail(e);
      socket.close();
    }

    /** A command message (AMF0, type 20) on chunk stream 3, or 8 for a stream's own commands. */
    private static Buffer command(int messageStream, Amf amf) {
      return message(messageStream == 0 ? 3 : 8, 20, messageStream, amf.out);
    }

    /** One whole message as a single type-0 chunk: ours stay under the chunk size we announce first. */
    private static Buffer message(int chunkStream, int type, int messageStream, Buffer payload) {
      return Buffer.buffer().appendByte((byte) chunkStream)
        .appendMedium(0).appendMedium(payload.length()).appendByte((byte) type).appendIntLE(messageStream)
        .appendBuffer(payload);
    }
  }

  /** Just enough AMF0 to speak as a publisher. */
  private static final class Amf {
    final Buffer out = Buffer.buffer();

    Amf string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.appendByte((byte) 2).appendUnsignedShort(b.length).appendBytes(b);
      return this;
    }

    Amf number(double n) {
      out.appendByte((byte) 0).appendDouble(n);
      return this;
    }

    Amf nul() {
      out.appendByte((byte) 5);
      return this;
    }

    Amf object(Map<String, String> properties) {
      out.appendByte((byte) 3);
      properties.forEach((k, v) -> {
        byte[] key = k.getBytes(StandardCharsets.UTF_8);
        out.appendUnsignedShort(key.length).appendBytes(key);
        string(v);
      });
      out.appendUnsignedShort(0).appendByte((byte) 9);
      return this;
    }
  }
}
