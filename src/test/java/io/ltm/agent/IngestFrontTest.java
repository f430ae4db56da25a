package io.ltm.agent;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The RTMP ingest front against real sockets: an encoder and a stand-in for ffmpeg's loopback listener. */
class IngestFrontTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /**
   * The stream is READY as soon as ffmpeg is forked; on a busy machine ffmpeg listens only a few seconds later. An
   * encoder that connects in between is held and relayed once ffmpeg listens, not hung up on.
   */
  @Test
  void anEncoderArrivingBeforeFfmpegListensIsRelayedOnceItDoes() throws Exception {
    int inner;
    try (ServerSocket probe = new ServerSocket(0)) {
      inner = probe.getLocalPort();
    }
    IngestFront front = IngestFront.rtmp(vertx, inner, List.of(), key -> true)
      .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try (Socket encoder = new Socket("127.0.0.1", front.port())) {
      OutputStream out = encoder.getOutputStream();
      out.write(3); // RTMP C0: the handshake passes through to ffmpeg before any publish
      out.write(new byte[1536]);
      out.flush();
      // The front has tried ffmpeg's port and found nothing listening by now.
      TimeUnit.MILLISECONDS.sleep(1_000);
      try (ServerSocket ffmpeg = new ServerSocket(inner, 1, java.net.InetAddress.getLoopbackAddress())) {
        // ffmpeg starts listening only now, after the encoder connected.
        ffmpeg.setSoTimeout(15_000);
        try (Socket relayed = ffmpeg.accept()) {
          relayed.setSoTimeout(5_000);
          InputStream in = relayed.getInputStream();
          assertThat(in.read()).as("the encoder's first byte reaches ffmpeg").isEqualTo(3);
        }
      }
    } finally {
      front.close();
    }
  }
}
