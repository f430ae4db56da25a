package io.ltm.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The backbone, end to end: buy → start → a playable HLS preview → live status in order → stop, nothing left. */
class PurchaseToPreviewIT extends LtmTestBase {

  @Test
  void purchasedStreamGoesLiveWithPlayableRenditionsAndStopsWithoutLeftovers() throws Exception {
    String key = newAccountKey("preview");
    ApiClient api = api(key);
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      bus.register("ltm.account." + accountId, key);
      JsonObject stream = buy(api, "mobile", "test-pattern");
      String id = stream.getString("id");
      assertThat(stream.getString("state")).isEqualTo("CREATED");
      assertThat(stream.getJsonArray("allowedActions")).containsExactly("start", "delete");

      ApiClient.Reply started = api.post("/api/v1/streams/" + id + "/start", null);
      assertThat(started.status()).as(started.body()).isEqualTo(202);
      assertThat(started.json().getString("state")).isEqualTo("PROVISIONING");

      JsonObject live = awaitState(api, id, "LIVE", Duration.ofSeconds(60));
      String previewUrl = live.getString("previewUrl");
      assertThat(previewUrl).endsWith("/master.m3u8");

      String master = api.fetch(previewUrl).toString();
      List<JsonObject> renditionPreviews = live.getJsonArray("renditionPreviews").stream()
        .map(JsonObject.class::cast).toList();
      assertThat(renditionPreviews).extracting(p -> p.getString("name")).containsExactly("240p", "144p");
      for (JsonObject preview : renditionPreviews) {
        assertThat(api.fetch(preview.getString("url")).toString()).contains("#EXTINF");
      }
      List<String> variants = master.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
      assertThat(master).contains("#EXT-X-STREAM-INF");
      assertThat(variants).hasSize(2);
      assertThat(master).contains("RESOLUTION=426x240").contains("RESOLUTION=256x144");
      for (String variant : variants) {
        String playlistUrl = resolve(previewUrl, variant);
        String playlist = api.fetch(playlistUrl).toString();
        String segment = playlist.lines().filter(l -> l.endsWith(".ts") || l.endsWith(".m4s")).findFirst()
          .orElseThrow(() -> new AssertionError("no segment in " + playlistUrl + ":\n" + playlist));
        Path file = Files.createTempFile("segment", ".ts");
        Files.write(file, api.fetch(resolve(playlistUrl, segment)).getBytes());
        String probe = ffprobe(file);
        assertThat(probe).contains("codec_name=h264").contains("codec_name=aac");
        assertThat(probe).containsAnyOf("width=426", "width=256");
      }

      List<String> states = Await.until("the LIVE event over the WebSocket", Duration.ofSeconds(10), () -> {
        List<String> seen = streamStates(bus.events(), id);
        return seen.contains("LIVE") ? seen : null;
      });
      assertThat(states).containsSubsequence("CREATED", "PROVISIONING", "STARTING", "READY", "LIVE");
      assertThat(seqs(bus.events())).isSorted().doesNotHaveDuplicates();

      String machineId = machineOf(id);
      assertThat(processesOf(machineId)).as("agent and ffmpeg run").isNotEmpty();

      ApiClient.Reply stopping = api.post("/api/v1/streams/" + id + "/stop", null);
      assertThat(stopping.status()).isEqualTo(202);
      awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
      Await.until("the agent and ffmpeg to exit", Duration.ofSeconds(10),
        () -> processesOf(machineId).isEmpty() ? true : null);
      Await.until("the STOPPED event", Duration.ofSeconds(10),
        () -> streamStates(bus.events(), id).contains("STOPPED") ? true : null);
      assertThat(streamStates(bus.events(), id)).containsSubsequence("LIVE", "STOPPING", "STOPPED");
      assertThat(bus.errors()).isEmpty();
    }
  }

  @Test
  void reconnectingClientGetsWhatItMissedThenLiveEvents() {
    String key = newAccountKey("replay");
    ApiClient api = api(key);
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    long lastSeq;
    try (EventBusClient first = new EventBusClient(vertx, port)) {
      first.register("ltm.account." + accountId, key);
      buy(api, "mobile", "test-pattern");
      Await.until("an event (bridge errors: " + first.errors() + ")", Duration.ofSeconds(10),
        () -> first.events().isEmpty() ? null : true);
      lastSeq = first.events().get(first.events().size() - 1).getLong("seq");
    }
    // While nobody listens, a second purchase happens.
    JsonObject missed = buy(api, "mobile", "test-pattern");
    try (EventBusClient second = new EventBusClient(vertx, port)) {
      second.register("ltm.account." + accountId, key);
      JsonArray replayed = second.replay(lastSeq, key);
      List<Long> replayedSeqs = replayed.stream().map(e -> ((JsonObject) e).getLong("seq")).toList();
      assertThat(replayedSeqs).isNotEmpty().isSorted().allMatch(s -> s > lastSeq);
      assertThat(replayed.stream().map(e -> ((JsonObject) e).getString("streamId"))).contains(missed.getString("id"));
      long contiguousFrom = lastSeq + 1;
      assertThat(replayedSeqs.get(0)).as("no gap after the last seen seq").isEqualTo(contiguousFrom);

      // Polling gives the same history (the worker may have added an event since: compare the common part).
      JsonObject polled = api.get("/api/v1/events?after=" + lastSeq).json();
      JsonArray polledItems = polled.getJsonArray("items");
      assertThat(polledItems.size()).isGreaterThanOrEqualTo(replayed.size());
      assertThat(polledItems.getList().subList(0, replayed.size())).isEqualTo(replayed.getList());
      assertThat(polled.getLong("lastSeq")).isEqualTo(polledItems.getJsonObject(polledItems.size() - 1).getLong("seq"));

      JsonObject third = buy(api, "mobile", "test-pattern");
      Await.until("a live event after the replay", Duration.ofSeconds(10), () -> second.events().stream()
        .anyMatch(e -> third.getString("id").equals(e.getString("streamId"))) ? true : null);
    }
  }

  static List<String> streamStates(List<JsonObject> events, String streamId) {
    return events.stream()
      .filter(e -> "stream.state".equals(e.getString("type")) && streamId.equals(e.getString("streamId")))
      .map(e -> e.getString("state"))
      .toList();
  }

  static List<Long> seqs(List<JsonObject> events) {
    return events.stream().map(e -> e.getLong("seq")).toList();
  }

  static String resolve(String base, String relative) {
    return relative.startsWith("http") ? relative : base.substring(0, base.lastIndexOf('/') + 1) + relative;
  }

  static String ffprobe(Path file) throws Exception {
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
      "-of", "default=noprint_wrappers=1", file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("ffprobe: " + out).isZero();
    return out;
  }

  static int matchInt(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }
}
