package io.ltm.agent;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class RtmpPublishSnifferTest {

  static byte[] handshake() {
    byte[] h = new byte[RtmpPublishSniffer.HANDSHAKE_BYTES];
    h[0] = 3;
    return h;
  }

  static byte[] amfString(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[3 + b.length];
    out[0] = 2;
    out[1] = (byte) (b.length >> 8);
    out[2] = (byte) b.length;
    System.arraycopy(b, 0, out, 3, b.length);
    return out;
  }

  static byte[] command(String name, String arg) {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    m.writeBytes(amfString(name));
    m.writeBytes(new byte[] {0, 0x40, 0x08, 0, 0, 0, 0, 0, 0});
    m.write(5);
    m.writeBytes(amfString(arg));
    return m.toByteArray();
  }

  /** One message as chunks of {@code chunkSize} on chunk stream 3: a type-0 header, then type-3 continuations. */
  static byte[] chunks(int type, byte[] payload, int chunkSize) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x03);
    out.writeBytes(new byte[] {0, 0, 0, (byte) (payload.length >> 16), (byte) (payload.length >> 8),
      (byte) payload.length, (byte) type, 1, 0, 0, 0});
    for (int i = 0; i < payload.length; i += chunkSize) {
      if (i > 0) {
        out.write(0xC3);
      }
      out.write(payload, i, Math.min(chunkSize, payload.length - i));
    }
    return out.toByteArray();
  }

  @Test
  void findsThePublishNameAcrossChunksAndSplitReadsAndHoldsItsChunkBack() {
    byte[] connect = chunks(20, command("connect", "x".repeat(300)), 128);
    byte[] setChunk = chunks(1, new byte[] {0, 0, 0x10, 0}, 128);
    byte[] publish = chunks(20, command("publish", "sk_secret?foo=bar"), 4096);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(handshake());
    all.writeBytes(connect);
    all.writeBytes(setChunk);
    all.writeBytes(publish);
    byte[] bytes = all.toByteArray();

    RtmpPublishSniffer sniffer = new RtmpPublishSniffer();
    ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
    RtmpPublishSniffer.Result last = null;
    for (int i = 0; i < bytes.length; i += 7) {
      last = sniffer.feed(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 7)));
      forwarded.writeBytes(last.forward());
      assertThat(last.protocolError()).isNull();
      if (last.publishName() != null) {
        break;
      }
    }
    assertThat(last.publishName()).isEqualTo("sk_secret");
    // Everything before the publish went through; the publish itself waits for the verdict.
    assertThat(forwarded.size()).isEqualTo(bytes.length - publish.length);
    assertThat(forwarded.size() + last.held().length + last.rest().length).isEqualTo(bytes.length);
  }

  @Test
  void otherCommandsAreNotPublishes() {
    assertThat(RtmpPublishSniffer.publishName(command("FCPublish", "sk"))).isNull();
    assertThat(RtmpPublishSniffer.publishName(command("publish", "sk"))).isEqualTo("sk");
  }

  @Test
  void somethingThatIsNotRtmpIsAProtocolError() {
    assertThat(new RtmpPublishSniffer().feed("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)).protocolError())
      .isNotNull();
  }
}
