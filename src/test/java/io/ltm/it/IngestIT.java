package io.ltm.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of input through the real LTM, a real agent and real encoders: the key and the allow-list are
 * enforced on the machine, a rotated key keeps working for its grace period only, SRT with a passphrase and a
 * pulled source go LIVE, thumbnails and health events flow, and a lost input that stays away FAILS the stream.
 */
class IngestIT extends LtmTestBase {

  @Test
  void rtmpPushNeedsAValidKeyAndARotatedKeyWorksOnlyForItsGracePeriod() throws Exception {
    ApiClient api = api(newAccountKey("rtmp-keys"));
    String id = buy(api, "mobile", new JsonObject().put("kind", "rtmp")).getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject ready = awaitState(api, id, "READY", Duration.ofSeconds(60));
    String ingestUrl = ready.getString("ingestUrl");
    String key = ready.getJsonObject("input").getString("streamKey");
    String base = ingestUrl.substring(0, ingestUrl.length() - key.length());

    assertRefused(api, id, base + "not-the-key");

    pushUntilLive(api, id, base + key);
    awaitState(api, id, "READY", Duration.ofSeconds(30));

    JsonObject rotated = api.post("/api/v1/streams/" + id + "/stream-key/rotate", new JsonObject().put("graceSeconds", 8))
      .json();
    String newKey = rotated.getString("streamKey");
    assertThat(newKey).isNotEqualTo(key);
    assertThat(rotated.getString("previousStreamKey")).isEqualTo(key);
    assertThat(rotated.getString("previousStreamKeyValidUntil")).isNotNull();
    assertThat(rotated.getString("ingestUrl")).isEqualTo(base + newKey);
    // Within the grace period the old key still goes live (the machine learns the keys at its next heartbeat).
    Thread.sleep(1500);
    pushUntilLive(api, id, base + key);
    awaitState(api, id, "READY", Duration.ofSeconds(30));

    Await.until("the grace period to end", Duration.ofSeconds(20), () ->
      api.get("/api/v1/streams/" + id + "/ingest").json().getString("previousStreamKey") == null ? true : null);
    Thread.sleep(1500);
    assertRefused(api, id, base + key);
    pushUntilLive(api, id, base + newKey);

    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  @Test
  void aSourceOutsideTheAllowListIsRefusedEvenWithTheRightKey() throws Exception {
    ApiClient api = api(newAccountKey("allow-list"));
    String id = buy(api, "mobile", new JsonObject().put("kind", "rtmp")
      .put("allowCidrs", new JsonArray().add("10.0.0.0/8"))).getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject ready = awaitState(api, id, "READY", Duration.ofSeconds(60));

    assertRefused(api, id, ready.getString("ingestUrl"));
    assertThat(AgentLifecycleIT.agentLog(machineOf(id))).contains("not in the ingest allow-list");
    // Settings the machine runs with cannot change under it.
    ApiClient.Reply put = api.send(HttpMethod.PUT, "/api/v1/streams/" + id + "/ingest",
      new JsonObject().put("kind", "rtmp").toBuffer(), Map.of());
    assertThat(put.status()).isEqualTo(409);

    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
    // Stopped, the allow-list can be opened to the encoder's address; then it goes live.
    put = api.send(HttpMethod.PUT, "/api/v1/streams/" + id + "/ingest", new JsonObject().put("kind", "rtmp")
      .put("allowCidrs", new JsonArray().add("10.0.0.0/8").add("127.0.0.0/8")).toBuffer(), Map.of());
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    api.post("/api/v1/streams/" + id + "/start", null);
    ready = awaitState(api, id, "READY", Duration.ofSeconds(60));
    pushUntilLive(api, id, ready.getString("ingestUrl"));
    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  @Test
  void srtGoesLiveWithThumbnailsAndHealthAndALostInputFailsAfterTheReconnectWindow() throws Exception {
    ApiClient api = api(newAccountKey("srt"));
    String passphrase = "correct-horse-battery";
    String id = buy(api, "mobile", new JsonObject().put("kind", "srt").put("passphrase", passphrase)
      .put("reconnectWindowSeconds", 6)).getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject ready = awaitState(api, id, "READY", Duration.ofSeconds(60));
    String ingestUrl = ready.getString("ingestUrl");
    assertThat(ingestUrl).startsWith("srt://").doesNotContain(passphrase);

    // The wrong passphrase gets no picture in.
    Process intruder = Encoder.srt(ingestUrl + "?passphrase=not-the-passphrase&pbkeylen=16", 4);
    try {
      assertThat(intruder.waitFor(15, TimeUnit.SECONDS)).isTrue();
      assertThat(intruder.exitValue()).isNotZero();
    } finally {
      intruder.destroyForcibly();
    }
    assertThat(api.get("/api/v1/streams/" + id).json().getString("state")).isEqualTo("READY");

    Process encoder = Encoder.srt(ingestUrl + "?passphrase=" + passphrase + "&pbkeylen=16", 14);
    try {
      awaitState(api, id, "LIVE", Duration.ofSeconds(30));
      // The listener that let the right passphrase in had it from its stdin: no process the agent started (nor the
      // agent) shows it in /proc/<pid>/cmdline, which every local user can read.
      List<String> commandLines = agentProcessTreeCommandLines(machineOf(id));
      assertThat(commandLines).anySatisfy(c -> assertThat(c).startsWith("ffmpeg").contains("-f concat"));
      assertThat(commandLines).allSatisfy(c -> assertThat(c).doesNotContain(passphrase));

      List<JsonObject> thumbs = Await.until("two thumbnails", Duration.ofSeconds(20), () -> {
        List<JsonObject> t = events(api, id, "stream.thumbnail");
        return t.size() >= 2 ? t : null;
      });
      String thumbnailUrl = thumbs.get(0).getString("thumbnailUrl");
      assertThat(thumbs.get(1).getInteger("version")).isGreaterThan(thumbs.get(0).getInteger("version"));
      Buffer first = api.fetch(thumbnailUrl);
      assertThat(first.getByte(0) & 0xFF).isEqualTo(0xFF);
      assertThat(first.getByte(1) & 0xFF).isEqualTo(0xD8);
      Buffer later = Await.until("the thumbnail to change", Duration.ofSeconds(10), () -> {
        Buffer b = api.fetch(thumbnailUrl);
        return b.equals(first) ? null : b;
      });
      assertThat(later.length()).isGreaterThan(100);
      assertThat(api.get("/api/v1/streams/" + id + "/ingest").json().getString("thumbnailUrl")).isEqualTo(thumbnailUrl);

      List<JsonObject> health = Await.until("health events while live", Duration.ofSeconds(15), () -> {
        List<JsonObject> h = events(api, id, "stream.health").stream()
          .filter(e -> e.getJsonObject("health").getBoolean("inputPresent", false)).toList();
        return h.size() >= 2 ? h : null;
      });
      JsonObject h = health.get(health.size() - 1).getJsonObject("health");
      assertThat(h.getDouble("fps")).isGreaterThan(0);
      assertThat(h.getDouble("inputBitrateKbps")).isGreaterThan(0);
      assertThat(h.containsKey("dropFrames")).isTrue();

      assertThat(encoder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      encoder.destroyForcibly();
    }
    JsonObject back = awaitState(api, id, "READY", Duration.ofSeconds(20));
    assertThat(back.getString("stateReason")).contains("input stopped");
    int healthBefore = events(api, id, "stream.health").size();
    Await.until("health events without input", Duration.ofSeconds(10), () ->
      events(api, id, "stream.health").stream().skip(healthBefore)
        .anyMatch(e -> !e.getJsonObject("health").getBoolean("inputPresent", true)) ? true : null);

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(30));
    assertThat(failed.getString("stateReason")).contains("reconnect window of 6 s");
  }

  @Test
  void anSrtSourceOutsideTheAllowListGetsNoPictureIn() throws Exception {
    ApiClient api = api(newAccountKey("srt-allow"));
    String passphrase = "correct-horse-battery";
    String id = buy(api, "mobile", new JsonObject().put("kind", "srt").put("passphrase", passphrase)
      .put("allowCidrs", new JsonArray().add("10.0.0.0/8"))).getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject ready = awaitState(api, id, "READY", Duration.ofSeconds(60));
    Process encoder = Encoder.srt(ready.getString("ingestUrl") + "?passphrase=" + passphrase + "&pbkeylen=16", 4);
    try {
      assertThat(encoder.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(encoder.exitValue()).isNotZero();
    } finally {
      encoder.destroyForcibly();
    }
    assertThat(api.get("/api/v1/streams/" + id).json().getString("state")).isEqualTo("READY");
    assertThat(AgentLifecycleIT.agentLog(machineOf(id))).contains("not in the ingest allow-list");
    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  @Test
  void anEncoderThatFreezesWithItsConnectionOpenIsALostInput() throws Exception {
    ApiClient api = api(newAccountKey("stall"));
    String id = buy(api, "mobile", new JsonObject().put("kind", "rtmp")).getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject ready = awaitState(api, id, "READY", Duration.ofSeconds(60));
    Process encoder = Encoder.rtmp(ready.getString("ingestUrl"), 120);
    try {
      awaitState(api, id, "LIVE", Duration.ofSeconds(30));
      // Frozen, not gone: the TCP connection stays open and no frame arrives.
      assertThat(new ProcessBuilder("kill", "-STOP", String.valueOf(encoder.pid())).start().waitFor()).isZero();
      JsonObject back = awaitState(api, id, "READY", Duration.ofSeconds(20));
      assertThat(back.getString("stateReason")).contains("input stopped");
    } finally {
      encoder.destroyForcibly();
    }
    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  @Test
  void anAudioOnlyLadderFedOverRtmpStaysLiveWhileSoundFlows() throws Exception {
    ApiClient api = api(newAccountKey("radio-rtmp"));
    String id = buy(api, "mobile", new JsonObject().put("kind", "rtmp")).getString("id");
    ApiClient.Reply patched = api.patch("/api/v1/streams/" + id, new JsonObject().put("preset", "radio"));
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject ready = awaitState(api, id, "READY", Duration.ofSeconds(60));
    Process encoder = Encoder.rtmp(ready.getString("ingestUrl"), 14);
    try {
      awaitState(api, id, "LIVE", Duration.ofSeconds(30));
      // Longer than the stall limit: no frames are counted, yet sound flows, so it stays LIVE.
      Thread.sleep(7_000);
      assertThat(api.get("/api/v1/streams/" + id).json().getString("state")).isEqualTo("LIVE");
      assertThat(events(api, id, "stream.thumbnail")).as("no picture, no thumbnail").isEmpty();
    } finally {
      encoder.destroyForcibly();
    }
    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  @Test
  void aPulledHlsSourceGoesLive() throws Exception {
    try (HlsSource source = HlsSource.start()) {
      ApiClient api = api(newAccountKey("pull"));
      String id = buy(api, "mobile", new JsonObject().put("kind", "pull").put("url", source.url())).getString("id");
      api.post("/api/v1/streams/" + id + "/start", null);
      JsonObject live = awaitState(api, id, "LIVE", Duration.ofSeconds(60));
      assertThat(api.fetch(live.getString("previewUrl")).toString()).contains("#EXT-X-STREAM-INF");
      assertThat(source.requests()).isGreaterThan(1);
      api.post("/api/v1/streams/" + id + "/stop", null);
      awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
    }
  }

  static JsonObject buy(ApiClient api, String offerId, JsonObject input) {
    ApiClient.Reply reply = api.post("/api/v1/orders", new JsonObject().put("offerId", offerId).put("input", input));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    return reply.json().getJsonArray("streams").getJsonObject(0);
  }

  static List<JsonObject> events(ApiClient api, String streamId, String type) {
    JsonArray items = api.get("/api/v1/events?after=0&limit=1000").json().getJsonArray("items");
    return items.stream().map(JsonObject.class::cast)
      .filter(e -> streamId.equals(e.getString("streamId")) && type.equals(e.getString("type")))
      .collect(Collectors.toList());
  }

  /** Pushes, again if the machine was between listeners, until the stream is LIVE; the push then ends on its own. */
  static void pushUntilLive(ApiClient api, String id, String url) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (System.nanoTime() < deadline) {
      Process encoder = Encoder.rtmp(url, 6);
      try {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < until) {
          if ("LIVE".equals(api.get("/api/v1/streams/" + id).json().getString("state"))) {
            assertThat(encoder.waitFor(20, TimeUnit.SECONDS)).isTrue();
            return;
          }
          if (!encoder.isAlive()) {
            break;
          }
          Thread.sleep(200);
        }
      } finally {
        encoder.destroyForcibly();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("stream " + id + " did not go live from " + url + agentLogs());
  }

  /** The encoder is cut off and the stream never goes LIVE. */
  static void assertRefused(ApiClient api, String id, String url) throws Exception {
    Process encoder = Encoder.rtmp(url, 6);
    try {
      assertThat(encoder.waitFor(15, TimeUnit.SECONDS)).as("refused encoder ends").isTrue();
      assertThat(encoder.exitValue()).as("refused encoder exit").isNotZero();
    } finally {
      encoder.destroyForcibly();
    }
    JsonObject s = api.get("/api/v1/streams/" + id).json();
    assertThat(s.getString("state")).isEqualTo("READY");
  }

  /** /proc/<pid>/cmdline (NULs as spaces) of a machine's agent process and of every process under it. */
  static List<String> agentProcessTreeCommandLines(String machineId) throws java.io.IOException {
    List<ProcessHandle> agents = processesOf(machineId).stream()
      .filter(p -> p.info().commandLine().map(c -> c.contains("-Dltm.machine=" + machineId)).orElse(false)).toList();
    assertThat(agents).as("the agent process of " + machineId).isNotEmpty();
    List<String> lines = new java.util.ArrayList<>();
    for (ProcessHandle agent : agents) {
      for (ProcessHandle p : java.util.stream.Stream.concat(java.util.stream.Stream.of(agent), agent.descendants()).toList()) {
        try {
          byte[] raw = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc", Long.toString(p.pid()), "cmdline"));
          lines.add(new String(raw, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').trim());
        } catch (java.nio.file.NoSuchFileException gone) {
          // It ended between the listing and the read.
        }
      }
    }
    return lines;
  }
}
