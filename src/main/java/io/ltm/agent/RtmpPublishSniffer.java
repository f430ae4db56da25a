package io.ltm.agent;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads an RTMP publisher's bytes (client to server) far enough to learn the stream name of its
 * {@code publish} command, so the ingest front can check the stream key before ffmpeg gets any media. ffmpeg in
 * {@code -listen 1} mode only warns about a wrong key; this is where the key is enforced.
 *
 * <p>Bytes are released to the caller chunk by chunk, once parsed: everything before the publish goes through
 * (ffmpeg must answer connect and createStream), the chunk that completes the publish is held until
 * {@link Result#publishName()} is judged. Pure and single-threaded; unit tested byte by byte.
 */
final class RtmpPublishSniffer {

  /** C0 + C1 + C2, all the client sends during the handshake. */
  static final int HANDSHAKE_BYTES = 1 + 1536 + 1536;
  /** A publisher that has not published after this much is not a publisher. */
  static final int MAX_BYTES_BEFORE_PUBLISH = 64 * 1024;
  private static final int TYPE_SET_CHUNK_SIZE = 1;
  private static final int TYPE_AMF3_COMMAND = 17;
  private static final int TYPE_AMF0_COMMAND = 20;

  /**
   * @param forward      bytes that may go on to ffmpeg now
   * @param publishName  non-null when the held-back chunk completed a {@code publish}; its bytes are
   *                     {@link #held}, and anything after it is {@link #rest}
   * @param protocolError non-null when the bytes are not RTMP this front accepts
   */
  record Result(byte[] forward, String publishName, byte[] held, byte[] rest, String protocolError) {
  }

  private static final class ChunkStream {
    int length;
    int type;
    boolean extendedTimestamp;
    ByteArrayOutputStream message = new ByteArrayOutputStream();
  }

  private final Map<Integer, ChunkStream> streams = new HashMap<>();
  private byte[] pending = new byte[0];
  private long seen;
  private int chunkSize = 128;

  Result feed(byte[] data) {
    seen += data.length;
    pending = concat(pending, data);
    ByteArrayOutputStream forward = new ByteArrayOutputStream();
    long parsedBefore = seen - pending.length;
    if (parsedBefore < HANDSHAKE_BYTES) {
      int take = (int) Math.min(pending.length, HANDSHAKE_BYTES - parsedBefore);
      if (parsedBefore == 0 && take > 0 && pending[0] != 3) {
        return new Result(new byte[0], null, null, null, "not an RTMP handshake");
      }
      forward.write(pending, 0, take);
      pending = Arrays.copyOfRange(pending, take, pending.length);
    }
    while (seen - pending.length >= HANDSHAKE_BYTES) {
      int used;
      String published;
      try {
        int[] out = new int[1];
        published = parseChunk(out);
        used = out[0];
      } catch (IllegalStateException e) {
        return new Result(forward.toByteArray(), null, null, null, e.getMessage());
      }
      if (used == 0) {
        break;
      }
      byte[] chunk = Arrays.copyOfRange(pending, 0, used);
      pending = Arrays.copyOfRange(pending, used, pending.length);
      if (published != null) {
        byte[] rest = pending;
        pending = new byte[0];
        return new Result(forward.toByteArray(), published, chunk, rest, null);
      }
      forward.write(chunk, 0, chunk.length);
    }
    if (seen > HANDSHAKE_BYTES + MAX_BYTES_BEFORE_PUBLISH) {
      return new Result(forward.toByteArray(), null, null, null, "no publish command");
    }
    return new Result(forward.toByteArray(), null, null, null, null);
  }

  /**
   * Parses one chunk at the start of {@code pending}. Sets {@code used[0]} to its length (0 when incomplete);
   * returns the stream name when it completes a publish command.
   */
  private String parseChunk(int[] used) {
    byte[] p = pending;
    if (p.length < 1) {
      return null;
    }
    int fmt = (p[0] & 0xFF) >> 6;
    int csid = p[0] & 0x3F;
    int pos = 1;
    if (csid == 0) {
      if (p.length < 2) {
        return null;
      }
      csid = 64 + (p[1] & 0xFF);
      pos = 2;
    } else if (csid == 1) {
      if (p.length < 3) {
        return null;
      }
      csid = 64 + (p[1] & 0xFF) + (p[2] & 0xFF) * 256;
      pos = 3;
    }
    int headerLength = switch (fmt) {
      case 0 -> 11;
      case 1 -> 7;
      case 2 -> 3;
      default -> 0;
    };
    if (p.length < pos + headerLength) {
      return null;
    }
    ChunkStream cs = streams.get(csid);
    if (cs == null) {
      if (fmt != 0) {
        throw new IllegalStateException("chunk stream " + csid + " starts without a full header");
      }
      cs = new ChunkStream();
    }
    boolean extended = cs.extendedTimestamp;
    int length = cs.length;
    int type = cs.type;
    if (fmt <= 2) {
      extended = u24(p, pos) == 0xFFFFFF;
    }
    if (fmt <= 1) {
      length = u24(p, pos + 3);
      type = p[pos + 6] & 0xFF;
    }
    pos += headerLength;
    if (extended) {
      pos += 4;
    }
    if (fmt != 3 && cs.message.size() > 0) {
      throw new IllegalStateException("a new message starts inside another on chunk stream " + csid);
    }
    int remaining = length - cs.message.size();
    int payload = Math.min(chunkSize, remaining);
    if (payload < 0 || length > 1 << 20) {
      throw new IllegalStateException("implausible message length " + length);
    }
    if (p.length < pos + payload) {
      return null;
    }
    // Complete: commit the header state and the payload.
    streams.put(csid, cs);
    cs.extendedTimestamp = extended;
    cs.length = length;
    cs.type = type;
    cs.message.write(p, pos, payload);
    used[0] = pos + payload;
    if (cs.message.size() < cs.length) {
      return null;
    }
    byte[] message = cs.message.toByteArray();
    cs.message = new ByteArrayOutputStream();
    if (type == TYPE_SET_CHUNK_SIZE && message.length >= 4) {
      chunkSize = (int) (u32(message, 0) & 0x7FFFFFFF);
      if (chunkSize < 1) {
        throw new IllegalStateException("chunk size " + chunkSize);
      }
      return null;
    }
    if (type == TYPE_AMF0_COMMAND || type == TYPE_AMF3_COMMAND) {
      return publishName(type == TYPE_AMF3_COMMAND ? Arrays.copyOfRange(message, 1, message.length) : message);
    }
    return null;
  }

  /** The stream name of an AMF0 {@code publish} command (query string dropped), or null for any other command. */
  static String publishName(byte[] amf) {
    int[] pos = {0};
    String command = amfString(amf, pos);
    if (!"publish".equals(command)) {
      return null;
    }
    if (pos[0] >= amf.length || amf[pos[0]] != 0x00) {
      throw new IllegalStateException("publish without a transaction id");
    }
    pos[0] += 9;
    if (pos[0] < amf.length && amf[pos[0]] == 0x05) {
      pos[0]++;
    }
    String name = amfString(amf, pos);
    if (name == null) {
      throw new IllegalStateException("publish without a stream name");
    }
    int query = name.indexOf('?');
    return query < 0 ? name : name.substring(0, query);
  }

  private static String amfString(byte[] amf, int[] pos) {
    int i = pos[0];
    if (i + 3 > amf.length || amf[i] != 0x02) {
      return null;
    }
    int len = ((amf[i + 1] & 0xFF) << 8) | (amf[i + 2] & 0xFF);
    if (i + 3 + len > amf.length) {
      return null;
    }
    pos[0] = i + 3 + len;
    return new String(amf, i + 3, len, StandardCharsets.UTF_8);
  }

  private static int u24(byte[] b, int i) {
    return ((b[i] & 0xFF) << 16) | ((b[i + 1] & 0xFF) << 8) | (b[i + 2] & 0xFF);
  }

  private static long u32(byte[] b, int i) {
    return ((long) (b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
