package io.ltm.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.ltm.it.PurchaseToPreviewIT.resolve;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configured ladders through the real LTM and real ffmpeg: a custom ladder produces exactly its renditions in
 * fMP4 HLS and DASH; a running stream refuses changes; versions restore; every mistake is a 400 naming its field.
 */
class StreamConfigIT extends LtmTestBase {

  static JsonObject rendition(String name, int width, int height, int kbps) {
    return new JsonObject().put("name", name).put("width", width).put("height", height).put("videoBitrateKbps", kbps)
      .put("fps", 15).put("gopSeconds", 2).put("videoCodec", "h264").put("audioCodec", "aac")
      .put("audioBitrateKbps", 48);
  }

  static JsonArray tinyLadder() {
    return new JsonArray().add(rendition("small", 320, 180, 300)).add(rendition("smaller", 256, 144, 200))
      .add(rendition("tiny", 160, 90, 100));
  }

  @Test
  void customLadderGoesLiveWithExactlyThoseRenditionsInFmp4HlsAndDashThenRestoresWhenStopped() throws Exception {
    ApiClient api = api(newAccountKey("ladder"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    String path = "/api/v1/streams/" + id;
    ApiClient.Reply patched = api.patch(path, new JsonObject().put("renditions", tinyLadder())
      .put("outputs", new JsonObject().put("hls", new JsonObject().put("segmentType", "fmp4")).put("dash", true)));
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    assertThat(patched.json().getInteger("configVersion")).isEqualTo(2);
    assertThat(patched.json().getJsonArray("renditions")).hasSize(3);

    assertThat(api.post(path + "/start", null).status()).isEqualTo(202);
    String previewUrl = awaitState(api, id, "LIVE", Duration.ofSeconds(60)).getString("previewUrl");

    ApiClient.Reply running = api.patch(path, new JsonObject().put("preset", "mobile"));
    assertThat(running.status()).as(running.body()).isEqualTo(409);
    assertThat(running.error().getString("code")).isEqualTo("stream_running");
    assertThat(running.error().getString("state")).isIn("READY", "LIVE");
    assertThat(running.error().getString("message")).contains("STOPPED").contains("planned");
    assertThat(running.error().getJsonArray("changeableLiveLater")).isNotEmpty();
    assertThat(api.post(path + "/config/versions/1/restore", null).status()).isEqualTo(409);

    String master = api.fetch(previewUrl).toString();
    List<String> variants = master.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    assertThat(variants).containsExactly("small/index.m3u8", "smaller/index.m3u8", "tiny/index.m3u8");
    assertThat(master).contains("RESOLUTION=320x180").contains("RESOLUTION=256x144").contains("RESOLUTION=160x90");

    Map<String, int[]> sizes = Map.of("small", new int[] {320, 180, 300}, "smaller", new int[] {256, 144, 200},
      "tiny", new int[] {160, 90, 100});
    List<TreeSet<Double>> keyframes = new ArrayList<>();
    List<double[]> spans = new ArrayList<>();
    // The same three segments (by number) of every rendition: each rendition's newest three, fetched one after the
    // other, cover different times whenever a segment is cut in between, and their common window may then hold a
    // single keyframe.
    List<String> same = Await.until("every rendition to list the same three fMP4 segments", Duration.ofSeconds(30), () -> {
      List<List<String>> listed = variants.stream().map(v -> mediaSegments(api, resolve(previewUrl, v))).toList();
      List<String> common = listed.get(0).stream().filter(m -> listed.stream().allMatch(l -> l.contains(m))).toList();
      return common.size() < 3 ? null : common.subList(common.size() - 3, common.size());
    });
    for (String variant : variants) {
      String name = variant.substring(0, variant.indexOf('/'));
      String playlistUrl = resolve(previewUrl, variant);
      Path file = downloadFmp4(api, playlistUrl, same);
      String streams = probe(file.toString(), "-show_entries", "stream=codec_name,width,height");
      int[] expected = sizes.get(name);
      assertThat(streams).contains("codec_name=h264").contains("codec_name=aac")
        .contains("width=" + expected[0]).contains("height=" + expected[1]);

      List<String[]> packets = probe(file.toString(), "-select_streams", "v", "-show_entries",
        "packet=pts_time,size,flags", "-of", "csv=p=0").lines().filter(l -> !l.isBlank())
        .map(l -> l.split(",")).toList();
      double first = Double.parseDouble(packets.get(0)[0]);
      double last = Double.parseDouble(packets.get(packets.size() - 1)[0]);
      long bytes = packets.stream().mapToLong(p -> Long.parseLong(p[1])).sum();
      double kbps = bytes * 8 / 1000.0 / (last - first + 1.0 / 15);
      assertThat(kbps).as(name + " video bitrate").isBetween(expected[2] * 0.4, expected[2] * 1.3);
      TreeSet<Double> keys = new TreeSet<>();
      packets.stream().filter(p -> p[2].startsWith("K")).forEach(p -> keys.add(Math.round(Double.parseDouble(p[0]) * 10) / 10.0));
      keyframes.add(keys);
      spans.add(new double[] {first, last});
    }
    // Keyframes at the same instants in every rendition, inside the time all three downloads cover.
    double from = spans.stream().mapToDouble(s -> s[0]).max().orElseThrow();
    double to = spans.stream().mapToDouble(s -> s[1]).min().orElseThrow();
    List<TreeSet<Double>> shared = keyframes.stream().map(k -> new TreeSet<>(k.subSet(from, true, to, true))).toList();
    assertThat(shared.get(0)).as("keyframes between %s and %s", from, to).hasSizeGreaterThanOrEqualTo(2);
    assertThat(shared).allMatch(k -> k.equals(shared.get(0)), "every rendition keyframes at " + shared.get(0));

    String dashUrl = previewUrl.replace("master.m3u8", "dash/manifest.mpd");
    String dash = probe(dashUrl, "-show_entries", "stream=codec_name,width,height");
    assertThat(dash).contains("width=320").contains("width=256").contains("width=160").contains("codec_name=aac");

    assertThat(api.post(path + "/stop", null).status()).isEqualTo(202);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
    ApiClient.Reply restored = api.post(path + "/config/versions/1/restore", null);
    assertThat(restored.status()).as(restored.body()).isEqualTo(200);
    assertThat(restored.json().getInteger("configVersion")).isEqualTo(3);
    JsonObject current = api.get(path + "/config").json();
    assertThat(current.getInteger("version")).isEqualTo(3);
    assertThat(current.getJsonArray("renditions").stream().map(r -> ((JsonObject) r).getString("name")))
      .containsExactly("240p", "144p");
    assertThat(current.getJsonObject("outputs").getBoolean("dash")).isFalse();
    JsonObject versions = api.get(path + "/config/versions").json();
    assertThat(versions.getInteger("currentVersion")).isEqualTo(3);
    assertThat(versions.getJsonArray("items").stream().map(v -> ((JsonObject) v).getInteger("version")))
      .containsExactly(3, 2, 1);
    assertThat(versions.getJsonArray("items").getJsonObject(0).getString("reason")).contains("version 1");
    List<Integer> announced = api.get("/api/v1/events").json().getJsonArray("items").stream()
      .map(JsonObject.class::cast).filter(e -> "stream.config".equals(e.getString("type")))
      .map(e -> e.getInteger("configVersion")).toList();
    assertThat(announced).as("each new version is an event").containsExactly(2, 3);
  }

  @Test
  void vp9HevcAndAv1RenditionsPlayInFmp4WhileAnH264RenditionIsRestreamedOverRtmp() throws Exception {
    int relayPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      relayPort = s.getLocalPort();
    }
    Path received = Files.createTempFile("restream", ".flv");
    // The platform we push to: ffmpeg as an RTMP server, keeping three seconds of what arrives.
    Process relay = new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-listen", "1",
      "-i", "rtmp://127.0.0.1:" + relayPort + "/live/relay", "-c", "copy", "-t", "3", received.toString())
      .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      ApiClient api = api(newAccountKey("codecs"));
      String id = buy(api, "mobile", "test-pattern").getString("id");
      String path = "/api/v1/streams/" + id;
      JsonArray ladder = new JsonArray().add(rendition("pushed", 256, 144, 200))
        .add(rendition("web", 160, 90, 100).put("videoCodec", "vp9").put("audioCodec", "opus"))
        .add(rendition("hevc", 160, 90, 100).put("videoCodec", "hevc"))
        .add(rendition("av1", 160, 90, 100).put("videoCodec", "av1").put("audioCodec", "mp3"));
      ApiClient.Reply patched = api.patch(path, new JsonObject().put("renditions", ladder).put("outputs", new JsonObject()
        .put("hls", new JsonObject().put("segmentType", "fmp4"))
        .put("rtmp", new JsonObject().put("rendition", "pushed").put("url", "rtmp://127.0.0.1:" + relayPort + "/live/relay"))));
      assertThat(patched.status()).as(patched.body()).isEqualTo(200);
      assertThat(api.post(path + "/start", null).status()).isEqualTo(202);
      String previewUrl = awaitState(api, id, "LIVE", Duration.ofSeconds(60)).getString("previewUrl");

      Path web = Await.until("the vp9 rendition to have a segment", Duration.ofSeconds(30),
        () -> downloadFmp4(api, resolve(previewUrl, "web/index.m3u8"), 1));
      assertThat(probe(web.toString(), "-show_entries", "stream=codec_name,width,height"))
        .contains("codec_name=vp9").contains("codec_name=opus").contains("width=160").contains("height=90");
      for (String codec : List.of("hevc", "av1")) {
        Path file = Await.until("the " + codec + " rendition to have a segment", Duration.ofSeconds(30),
          () -> downloadFmp4(api, resolve(previewUrl, codec + "/index.m3u8"), 1));
        assertThat(probe(file.toString(), "-show_entries", "stream=codec_name,width,height"))
          .contains("codec_name=" + codec).contains("width=160");
      }
      assertThat(probe(resolve(previewUrl, "av1/index.m3u8"), "-show_entries", "stream=codec_name"))
        .contains("codec_name=mp3");

      assertThat(relay.waitFor(30, TimeUnit.SECONDS)).as("the relay received three seconds").isTrue();
      assertThat(probe(received.toString(), "-show_entries", "stream=codec_name,width,height"))
        .contains("codec_name=h264").contains("width=256").contains("height=144").contains("codec_name=aac")
        .doesNotContain("width=160");
      assertThat(api.post(path + "/stop", null).status()).isEqualTo(202);
      awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
    } finally {
      relay.destroyForcibly();
    }
  }

  @Test
  void radioPresetGoesLiveWithAudioOnlyRenditions() throws Exception {
    ApiClient api = api(newAccountKey("radio"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    String path = "/api/v1/streams/" + id;
    ApiClient.Reply patched = api.patch(path, new JsonObject().put("preset", "radio"));
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    assertThat(api.get(path + "/config").json().getString("preset")).isEqualTo("radio");
    assertThat(api.post(path + "/start", null).status()).isEqualTo(202);
    String previewUrl = awaitState(api, id, "LIVE", Duration.ofSeconds(60)).getString("previewUrl");

    String master = api.fetch(previewUrl).toString();
    assertThat(master.lines().filter(l -> !l.startsWith("#") && !l.isBlank()))
      .containsExactly("audio-hi/index.m3u8", "audio-lo/index.m3u8");
    assertThat(master).doesNotContain("RESOLUTION");
    String playlistUrl = resolve(previewUrl, "audio-lo/index.m3u8");
    String segment = api.fetch(playlistUrl).toString().lines().filter(l -> l.endsWith(".ts")).findFirst().orElseThrow();
    Path file = Files.createTempFile("radio", ".ts");
    Files.write(file, api.fetch(resolve(playlistUrl, segment)).getBytes());
    String probe = probe(file.toString(), "-show_entries", "stream=codec_type,codec_name");
    assertThat(probe).contains("codec_name=aac").doesNotContain("codec_type=video");

    assertThat(api.post(path + "/stop", null).status()).isEqualTo(202);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  @Test
  void everyValidationMistakeIsA400NamingItsFieldAndChangesNothing() {
    ApiClient api = api(newAccountKey("config-mistakes"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    String path = "/api/v1/streams/" + id;
    String versionsOfStream = "SELECT COUNT(*) FROM stream_configs WHERE stream_id = '" + id + "'";
    long versions = count(versionsOfStream);

    assertRejected(api, path, ladder(1, r -> r.put("height", 720)), "renditions[1].height", "rendition_too_large");
    assertRejected(api, path, ladder(1, r -> r.put("height", 143)), "renditions[1].height", "odd_dimension");
    assertRejected(api, path, ladder(2, r -> r.put("videoBitrateKbps", 5)), "renditions[2].videoBitrateKbps",
      "out_of_range");
    assertRejected(api, path, ladder(0, r -> r.put("videoCodec", "mpeg2")), "renditions[0].videoCodec", "unknown_codec");
    assertRejected(api, path, ladder(2, r -> r.put("name", "small")), "renditions[2].name", "duplicate_name");
    assertRejected(api, path, ladder(1, r -> r.put("videoCodec", "vp9")), "renditions[1].videoCodec",
      "unsupported_combination");
    JsonArray seven = new JsonArray();
    for (int i = 0; i < 7; i++) {
      seven.add(rendition("r" + i, 160, 90, 100));
    }
    assertRejected(api, path, new JsonObject().put("renditions", seven), "renditions", "too_many_renditions");
    assertRejected(api, path, new JsonObject().put("preset", "hd-abr"), "renditions[0].height", "rendition_too_large");
    assertRejected(api, path, new JsonObject().put("preset", "no-such-preset"), "preset", "unknown_preset");
    assertRejected(api, path, ladder(0, r -> r.put("width", "wide")), "renditions[0].width", "invalid_field");
    assertRejected(api, path, new JsonObject().put("outputs", new JsonObject()
      .put("rtmp", new JsonObject().put("rendition", "240p").put("url", "http://example.com/x"))), "outputs.rtmp.url",
      "invalid_url");

    assertThat(count(versionsOfStream)).isEqualTo(versions);
    assertThat(api.get("/api/v1/events").json().getJsonArray("items").stream().map(JsonObject.class::cast)
      .noneMatch(e -> "stream.config".equals(e.getString("type")))).isTrue();
    assertThat(api.get(path).json().getInteger("configVersion")).isEqualTo(1);
    assertThat(api.post(path + "/config/versions/9/restore", null).status()).isEqualTo(404);

    ApiClient.Reply quote = api.post("/api/v1/quotes", new JsonObject().put("offerId", "mobile")
      .put("renditions", tinyLadder()));
    assertThat(quote.status()).as(quote.body()).isEqualTo(200);
    ApiClient.Reply badQuote = api.post("/api/v1/quotes", new JsonObject().put("offerId", "mobile")
      .put("renditions", new JsonArray().add(rendition("a", 320, 181, 300))));
    assertThat(badQuote.status()).isEqualTo(400);
    assertThat(badQuote.error().getString("field")).isEqualTo("renditions[0].height");
  }

  @Test
  void presetsCapabilitiesAndQuotesDescribeWhatCanBeBought() {
    ApiClient api = api(newAccountKey("catalog-config"));
    JsonArray presets = api.get("/api/v1/presets").json().getJsonArray("items");
    assertThat(presets.stream().map(p -> ((JsonObject) p).getString("id"))).contains("hd-abr", "sd-abr", "mobile", "radio");

    JsonObject caps = api.get("/api/v1/capabilities").json();
    JsonObject h264 = caps.getJsonArray("videoCodecs").getJsonObject(0);
    assertThat(h264.getString("codec")).isEqualTo("h264");
    assertThat(h264.getBoolean("available")).isTrue();
    assertThat(caps.getJsonArray("hlsSegmentTypes")).containsExactly("ts", "fmp4");

    JsonObject own = api.post("/api/v1/quotes", new JsonObject().put("offerId", "mobile")).json();
    int catalog = api.get("/api/v1/offers").json().getJsonArray("items").stream().map(JsonObject.class::cast)
      .filter(o -> o.getString("id").equals("mobile")).findFirst().orElseThrow().getInteger("pricePerHourCents");
    assertThat(own.getInteger("pricePerHourCents")).isEqualTo(catalog);
    JsonObject radio = api.post("/api/v1/quotes", new JsonObject().put("offerId", "mobile").put("preset", "radio")).json();
    assertThat(radio.getInteger("pricePerHourCents")).isLessThan(catalog);
    JsonObject withDash = api.post("/api/v1/quotes", new JsonObject().put("offerId", "mobile")
      .put("outputs", new JsonObject().put("dash", true).put("hls", new JsonObject().put("segmentType", "fmp4")))).json();
    assertThat(withDash.getInteger("pricePerHourCents")).isGreaterThan(catalog);
    assertThat(api.post("/api/v1/quotes", new JsonObject().put("offerId", "nope")).status()).isEqualTo(422);
  }

  static JsonObject ladder(int index, Consumer<JsonObject> change) {
    JsonArray ladder = tinyLadder();
    change.accept(ladder.getJsonObject(index));
    return new JsonObject().put("renditions", ladder);
  }

  static void assertRejected(ApiClient api, String path, JsonObject patch, String field, String code) {
    ApiClient.Reply reply = api.patch(path, patch);
    assertThat(reply.status()).as(reply.body()).isEqualTo(400);
    assertThat(reply.error().getString("field")).as(reply.body()).isEqualTo(field);
    assertThat(reply.error().getString("code")).as(reply.body()).isEqualTo(code);
    assertThat(reply.error().getString("message")).doesNotContain("Exception");
  }

  /** The init segment and the newest {@code segments} media segments of an fMP4 playlist, as one file; or null. */
  /** The media segments a playlist lists now, oldest first. */
  static List<String> mediaSegments(ApiClient api, String playlistUrl) {
    return api.fetch(playlistUrl).toString().lines().filter(l -> l.endsWith(".m4s")).toList();
  }

  /** The init segment, then the given media segments, of one rendition, as one file. */
  static Path downloadFmp4(ApiClient api, String playlistUrl, List<String> media) {
    String playlist = api.fetch(playlistUrl).toString();
    String init = playlist.lines().filter(l -> l.startsWith("#EXT-X-MAP:")).findFirst()
      .map(l -> l.replaceAll(".*URI=\"([^\"]+)\".*", "$1")).orElseThrow();
    try {
      Path file = Files.createTempFile("rendition", ".mp4");
      Files.write(file, api.fetch(resolve(playlistUrl, init)).getBytes());
      for (String segment : media) {
        Files.write(file, api.fetch(resolve(playlistUrl, segment)).getBytes(), java.nio.file.StandardOpenOption.APPEND);
      }
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Path downloadFmp4(ApiClient api, String playlistUrl, int segments) {
    String playlist = api.fetch(playlistUrl).toString();
    String init = playlist.lines().filter(l -> l.startsWith("#EXT-X-MAP:")).findFirst()
      .map(l -> l.replaceAll(".*URI=\"([^\"]+)\".*", "$1")).orElse(null);
    List<String> media = playlist.lines().filter(l -> l.endsWith(".m4s")).toList();
    if (init == null || media.size() < segments) {
      return null;
    }
    try {
      Path file = Files.createTempFile("rendition", ".mp4");
      Files.write(file, api.fetch(resolve(playlistUrl, init)).getBytes());
      for (String segment : media.subList(media.size() - segments, media.size())) {
        Files.write(file, api.fetch(resolve(playlistUrl, segment)).getBytes(), java.nio.file.StandardOpenOption.APPEND);
      }
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String probe(String input, String... entries) {
    List<String> command = new ArrayList<>(List.of("ffprobe", "-v", "error"));
    command.addAll(List.of(entries));
    if (!List.of(entries).contains("-of")) {
      command.addAll(List.of("-of", "default=noprint_wrappers=1"));
    }
    command.add(input);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("ffprobe " + input + ": " + out).isZero();
      return out;
    } catch (java.io.IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
