package io.ltm.agent;

import io.ltm.ingest.domain.Cidr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine's side of a listening input (RTMP, SRT): the loopback port ffmpeg listens on, the public
 * {@link IngestFront} before it, and the stream keys valid now. Test pattern and pull listen on nothing; then
 * this holds no front and counts nothing. Touched only on the agent's context.
 */
final class AgentIngest {
  private final Pipeline.Input input;
  private final int inputPort;
  private IngestFront front;
  private List<Pipeline.StreamKey> streamKeys;

  private AgentIngest(Pipeline.Input input, int inputPort) {
    this.input = input;
    this.inputPort = inputPort;
    this.streamKeys = input.streamKeys() == null ? List.of() : input.streamKeys();
  }

  static Future<AgentIngest> start(Vertx vertx, Pipeline.Input input) {
    if (!input.listens()) {
      return Future.succeededFuture(new AgentIngest(input, 0));
    }
    List<Cidr> allow = input.allowCidrs() == null ? List.of() : input.allowCidrs().stream().map(Cidr::parse).toList();
    return pickLoopbackPort(vertx, Pipeline.Input.SRT.equals(input.kind())).compose(port -> {
      AgentIngest ingest = new AgentIngest(input, port);
      Future<IngestFront> front = Pipeline.Input.RTMP.equals(input.kind())
        ? IngestFront.rtmp(vertx, port, allow, ingest::validKey)
        : IngestFront.srt(vertx, port, allow);
      return front.map(f -> {
        ingest.front = f;
        return ingest;
      });
    });
  }

  /** A loopback port for ffmpeg (TCP for RTMP, UDP for SRT); a bind is a syscall, so off the event loop. */
  private static Future<Integer> pickLoopbackPort(Vertx vertx, boolean udp) {
    return vertx.executeBlocking(() -> {
      if (udp) {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
          return socket.getLocalPort();
        }
      }
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      }
    });
  }

  /** The current key always; a rotated-out key until its grace period ends (the agent's clock decides). */
  boolean validKey(String key) {
    long now = System.currentTimeMillis();
    return streamKeys.stream().anyMatch(k -> k.key().equals(key) && k.validAt(now));
  }

  /** A heartbeat answer lists the keys valid now: a rotation reaches a running machine this way. */
  void adoptKeys(JsonObject heartbeatAnswer) {
    JsonArray keys = heartbeatAnswer == null ? null : heartbeatAnswer.getJsonArray("streamKeys");
    if (keys == null) {
      return;
    }
    List<Pipeline.StreamKey> adopted = new ArrayList<>();
    keys.forEach(k -> adopted.add(PipelineJson.streamKey((JsonObject) k)));
    streamKeys = List.copyOf(adopted);
  }

  boolean listens() {
    return front != null;
  }

  int inputPort() {
    return inputPort;
  }

  long bytesIn() {
    return front == null ? 0 : front.bytesIn();
  }

  long refusals() {
    return front == null ? 0 : front.refusals();
  }

  /** ffmpeg is about to listen afresh: sessions relayed to the old one are over. */
  void reset() {
    if (front != null) {
      front.reset();
    }
  }

  /** Where the encoder sends to: the front's public port; null when nothing listens. No SRT passphrase in it. */
  String ingestUrl(String host) {
    if (front == null) {
      return null;
    }
    if (Pipeline.Input.SRT.equals(input.kind())) {
      return "srt://" + host + ":" + front.port();
    }
    return "rtmp://" + host + ":" + front.port() + FfmpegCommand.ingestPath(input.streamKey());
  }

  Future<Void> close() {
    return front == null ? Future.succeededFuture() : front.close();
  }
}
