package io.ltm.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event-bus bridge answers every frame — with what was asked, or with an error — whatever its shape; a socket
 * that keeps sending garbage is closed; and a browser without WebSocket gets its live events over XHR polling.
 */
class EventBridgeInputIT extends LtmTestBase {

  @Test
  void everyMalformedFrameIsAnsweredWithAnErrorAndTheSocketStaysUsable() {
    String key = newAccountKey("bridge-shapes");
    String account = api(key).get("/api/v1/me").json().getString("accountId");
    String bearer = "\"headers\":{\"authorization\":\"Bearer " + key + "\"}";
    List<String> replayFrames = List.of(
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-s\"," + bearer + ",\"body\":{\"after\":\"5\"}}",
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-a\"," + bearer + ",\"body\":{\"after\":[1]}}",
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-o\"," + bearer + ",\"body\":{\"after\":{\"x\":1}}}",
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-n\"," + bearer + ",\"body\":{\"after\":-3}}",
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-f\"," + bearer + ",\"body\":{\"after\":1.5}}",
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-b\"," + bearer + ",\"body\":\"after\"}",
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-h\",\"headers\":\"Bearer " + key + "\"}",
      "{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-z\",\"headers\":{\"authorization\":{\"k\":1}}}");
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      for (String frame : replayFrames) {
        bus.sendRaw(frame);
      }
      for (String address : List.of("reply-s", "reply-a", "reply-o", "reply-n", "reply-f", "reply-b", "reply-h", "reply-z")) {
        JsonObject answer = Await.until("an answer on " + address, Duration.ofSeconds(10), () -> bus.reply(address));
        assertThat(answer.getString("type")).as(answer.encode()).isEqualTo("err");
      }
      // after: null means "from the start", a valid request: it gets the events.
      bus.sendRaw("{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-null\"," + bearer
        + ",\"body\":{\"after\":null}}");
      JsonObject fromStart = Await.until("the replay from null", Duration.ofSeconds(10), () -> bus.reply("reply-null"));
      assertThat(fromStart.getString("type")).isEqualTo("rec");
      assertThat(bus.isClosed()).isFalse();
      assertThat(bus.replay(0, key)).isNotNull();
    }

    List<String> shapeless = List.of("not json", "[1,2]", "\"text\"", "{}", "{\"type\":7}", "{\"type\":\"dance\"}",
      "{\"type\":\"register\"}", "{\"type\":\"register\",\"address\":{\"a\":1}," + bearer + "}",
      "{\"type\":\"register\",\"address\":\"ltm.account." + account + "\",\"headers\":\"x\"}");
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      for (String frame : shapeless) {
        bus.sendRaw(frame);
      }
      Await.until("an error for each of " + shapeless.size() + " frames", Duration.ofSeconds(10),
        () -> bus.errors().size() >= shapeless.size() ? true : null);
      assertThat(bus.errors()).hasSize(shapeless.size());
      assertThat(bus.isClosed()).isFalse();
      // Still usable for what is right.
      bus.register("ltm.account." + account, key);
      assertThat(bus.replay(0, key)).isNotNull();
    }
  }

  @Test
  void aSocketThatKeepsSendingGarbageIsClosed() {
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      for (int i = 0; i < 30; i++) {
        bus.sendRaw("{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"body\":{\"after\":\"" + i + "\"}}");
      }
      Await.until("the bridge to close the socket", Duration.ofSeconds(15), () -> bus.isClosed() ? true : null);
      assertThat(bus.errors()).anyMatch(e -> e.contains("too_many_invalid_frames"));
    }
    String key = newAccountKey("bridge-refused");
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      // Well-formed, but refused: someone else's address, again and again.
      for (int i = 0; i < 30; i++) {
        bus.register("ltm.account.acc_someoneelse" + i, key);
      }
      Await.until("the bridge to close the socket", Duration.ofSeconds(15), () -> bus.isClosed() ? true : null);
    }
  }

  @Test
  void aBrowserWithoutWebSocketGetsLiveEventsOverXhrPolling() {
    String key = newAccountKey("xhr");
    String account = api(key).get("/api/v1/me").json().getString("accountId");
    SockJsXhrClient xhr = new SockJsXhrClient(port);
    assertThat(xhr.open()).isEqualTo("o");
    int status = xhr.send(new JsonObject().put("type", "register").put("address", "ltm.account." + account)
      .put("headers", new JsonObject().put("authorization", "Bearer " + key)).encode());
    assertThat(status).isEqualTo(204);

    JsonObject stream = buy(api(key), "mobile", "test-pattern");
    List<JsonObject> received = new ArrayList<>();
    Await.until("the purchase's events over XHR polling", Duration.ofSeconds(60), () -> {
      xhr.poll().stream().filter(f -> "rec".equals(f.getString("type"))).forEach(f -> received.add(f.getJsonObject("body")));
      return received.stream().anyMatch(e -> stream.getString("id").equals(e.getString("streamId"))
        && "stream.state".equals(e.getString("type"))) ? true : null;
    });

    // Replay over the same transport: request up, answer down.
    xhr.send(new JsonObject().put("type", "send").put("address", "ltm.events.replay").put("replyAddress", "reply-x1")
      .put("headers", new JsonObject().put("authorization", "Bearer " + key))
      .put("body", new JsonObject().put("after", 0)).encode());
    JsonObject reply = Await.until("the replay answer over XHR", Duration.ofSeconds(30), () -> xhr.poll().stream()
      .filter(f -> "reply-x1".equals(f.getString("address"))).findFirst().orElse(null));
    JsonArray items = reply.getJsonObject("body").getJsonArray("items");
    assertThat(items).isNotEmpty();

    // And a malformed frame over XHR is answered too.
    assertThat(xhr.send("{\"type\":\"send\",\"address\":\"ltm.events.replay\",\"replyAddress\":\"reply-x2\","
      + "\"body\":{\"after\":\"soon\"}}")).isEqualTo(204);
    JsonObject error = Await.until("the error over XHR", Duration.ofSeconds(30), () -> xhr.poll().stream()
      .filter(f -> "reply-x2".equals(f.getString("address"))).findFirst().orElse(null));
    assertThat(error.getString("type")).isEqualTo("err");
  }
}
