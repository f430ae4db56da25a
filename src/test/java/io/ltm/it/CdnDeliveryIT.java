package io.ltm.it;

import io.ltm.agent.DashManifest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams delivered through real CDN peers on this host: nginx WebDAV (http-put), moto_server S3 (s3) and
 * nginx-rtmp (rtmp). What a viewer gets is checked the way a viewer would: ffprobe decodes every rendition from
 * the stream's playbackUrl on the CDN.
 */
class CdnDeliveryIT extends LtmTestBase {
  static final String PASSWORD = "right-password";
  static CdnPeers.Nginx nginx;
  static CdnPeers.Nginx backupNginx;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void peersAndFastFailback() throws Exception {
    // Failover after the default 10 s; switch back after 4 s of health (production: 30 s).
    redeploy(Map.of("LTM_CDN_FAILBACK_SECONDS", "4"));
    nginx = new CdnPeers.Nginx(PASSWORD);
    backupNginx = new CdnPeers.Nginx(PASSWORD);
  }

  @AfterAll
  static void stopPeers() throws Exception {
    for (CdnPeers.Nginx n : new CdnPeers.Nginx[] {nginx, backupNginx}) {
      if (n != null) {
        n.close();
      }
    }
  }

  static JsonObject davProfile(ApiClient api, CdnPeers.Nginx peer, String password, boolean check) {
    ApiClient.Reply r = api.post("/api/v1/cdn-profiles", new JsonObject().put("name", "dav " + peer.httpPort)
      .put("kind", "http-put").put("url", peer.davUrl()).put("authType", "basic").put("username", "ltm")
      .put("password", password).put("check", check));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json();
  }

  /** A two-rendition stream (mobile offer) with 2 s segments and a window of 3, delivered as {@code cdn} says. */
  static String streamWith(ApiClient api, JsonObject cdn) {
    return streamWith(api, cdn, false);
  }

  /** The same, also packaged as DASH when {@code dash}. */
  static String streamWith(ApiClient api, JsonObject cdn, boolean dash) {
    return streamWith(api, cdn, dash, "ts");
  }

  /** The same, with HLS segments of {@code segmentType} ({@code ts} or {@code fmp4}, with an init segment). */
  static String streamWith(ApiClient api, JsonObject cdn, boolean dash, String segmentType) {
    JsonObject s = buy(api, "mobile", "test-pattern");
    ApiClient.Reply r = api.patch("/api/v1/streams/" + s.getString("id"), new JsonObject()
      .put("outputs", new JsonObject().put("hls", new JsonObject().put("segmentSeconds", 2).put("windowSegments", 3)
          .put("segmentType", segmentType))
        .put("dash", dash))
      .put("cdn", cdn));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return s.getString("id");
  }

  static int status(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.discarding())
      .statusCode();
  }

  static String text(String url) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
      HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(url).isEqualTo(200);
    return r.body();
  }

  /** Every rendition named by the master playlist at {@code master} decodes, video and audio. */
  static void everyRenditionDecodes(String master) throws Exception {
    String base = master.substring(0, master.lastIndexOf('/') + 1);
    List<String> variants = text(master).lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    assertThat(variants).hasSize(2);
    for (String v : variants) {
      assertThat(CdnPeers.probe(base + v)).as("ffprobe " + base + v).contains("h264", "aac");
    }
  }

  /** {@code url} answers 200 within 20 s. */
  static void served(String url) {
    Await.until(url + " to be served", Duration.ofSeconds(20), () -> {
      try {
        return status(url) == 200 ? true : null;
      } catch (Exception e) {
        return null;
      }
    });
  }

  /**
   * The DASH manifest at {@code mpd} plays: ffprobe reads frames of every representation (video and audio of both
   * renditions) from the segments it names.
   */
  static void everyRepresentationDecodes(String mpd) throws Exception {
    Map<Integer, String> streams = CdnPeers.probeDash(mpd);
    assertThat(streams.values()).as("ffprobe " + mpd + ": " + streams).hasSize(4)
      .noneMatch(s -> s.endsWith(" 0 frames"));
    assertThat(streams.values().stream().filter(s -> s.startsWith("h264 ")).count()).isEqualTo(2);
    assertThat(streams.values().stream().filter(s -> s.startsWith("aac ")).count()).isEqualTo(2);
  }

  /**
   * Whenever a viewer reads the DASH manifest on the CDN, every segment it names (and each init segment) is there:
   * segments go up before the manifest that names them. Read a few times, as the window moves.
   */
  static void everySegmentTheManifestNamesIsThere(String mpd, int times) throws Exception {
    String base = mpd.substring(0, mpd.lastIndexOf('/') + 1);
    for (int i = 0; i < times; i++) {
      for (DashManifest.Representation r : DashManifest.parse(text(mpd)).representations()) {
        assertThat(status(base + r.initUri())).as(r.initUri()).isEqualTo(200);
        for (DashManifest.Segment s : r.segments()) {
          assertThat(status(base + s.uri())).as(s.uri() + " named by the manifest").isEqualTo(200);
        }
      }
      Thread.sleep(700);
    }
  }

  /** The first representation of the DASH manifest at {@code mpd} as it is now. */
  static DashManifest.Representation dashWindow(String mpd) throws Exception {
    return DashManifest.parse(text(mpd)).representations().get(0);
  }

  /**
   * The first segment {@code first} (an earlier {@link #dashWindow}) named is deleted from the CDN once the window has
   * moved past it; the init segment stays, and the manifest's first segment is there.
   */
  static void dashSegmentsPastTheWindowAreDeleted(String mpd, DashManifest.Representation first,
                                                  java.util.function.Predicate<String> gone) throws Exception {
    String base = mpd.substring(0, mpd.lastIndexOf('/') + 1);
    String segment = first.segments().get(0).uri();
    assertThat(segment).matches("chunk-\\d+-stream0-\\d+\\.m4s");
    Await.until(segment + " to be deleted from the CDN", Duration.ofSeconds(60), () -> gone.test(segment) ? true : null);
    DashManifest.Representation now = DashManifest.parse(text(mpd)).representations().get(0);
    assertThat(now.initUri()).isEqualTo(first.initUri());
    assertThat(gone.test(now.initUri())).as("init segment " + now.initUri() + " deleted").isFalse();
    assertThat(status(base + now.segments().get(0).uri())).isEqualTo(200);
  }

  @Test
  void httpPutDeliversEveryRenditionAndDeletesSegmentsPastTheWindow() throws Exception {
    ApiClient api = api(newAccountKey("cdn put"));
    JsonObject profile = davProfile(api, nginx, PASSWORD, true);
    assertThat(profile.encode()).doesNotContain(PASSWORD);
    assertThat(profile.getJsonArray("secretsSet")).contains("password");
    String id = streamWith(api, new JsonObject().put("primary", profile.getString("id")), true);
    api.post("/api/v1/streams/" + id + "/start", null);
    try {
      JsonObject live = awaitState(api, id, "LIVE", Duration.ofSeconds(90));
      String playback = Await.until("a playback URL on the CDN", Duration.ofSeconds(20), () -> {
        String url = api.get("/api/v1/streams/" + id).json().getString("playbackUrl");
        return url != null && url.startsWith(nginx.davUrl()) ? url : null;
      });
      assertThat(live.getString("previewUrl")).isNotEqualTo(playback);
      Await.until("the master playlist on the CDN", Duration.ofSeconds(20), () -> {
        try {
          return status(playback) == 200 ? true : null;
        } catch (Exception e) {
          return null;
        }
      });
      everyRenditionDecodes(playback);
      // DASH on the same CDN, beside the HLS: every representation plays.
      String dash = api.get("/api/v1/streams/" + id).json().getString("dashPlaybackUrl");
      assertThat(dash).isEqualTo(nginx.davUrl() + "/" + id + "/dash/manifest.mpd");
      served(dash);
      everyRepresentationDecodes(dash);
      DashManifest.Representation dashFirst = dashWindow(dash);
      everySegmentTheManifestNamesIsThere(dash, 4);
      // The first segment the CDN got is deleted once it is a window (plus a window of grace) behind.
      String rendition = playback.replace("master.m3u8", "240p/");
      String firstSegment = text(rendition + "index.m3u8").lines().filter(l -> l.endsWith(".ts")).findFirst().orElseThrow();
      Await.until(firstSegment + " to be deleted from the CDN", Duration.ofSeconds(60), () -> {
        try {
          return status(rendition + firstSegment) == 404 ? true : null;
        } catch (Exception e) {
          return null;
        }
      });
      try (var files = Files.list(nginx.www().resolve("cdn").resolve(id).resolve("240p"))) {
        long segments = files.filter(f -> f.toString().endsWith(".ts")).count();
        assertThat(segments).as("segments kept on the CDN: the window and a window of grace").isLessThanOrEqualTo(8);
      }
      // DASH segments go the same way.
      String dashBase = dash.replace("manifest.mpd", "");
      dashSegmentsPastTheWindowAreDeleted(dash, dashFirst, name -> {
        try {
          return status(dashBase + name) == 404;
        } catch (Exception e) {
          return false;
        }
      });
      try (var files = Files.list(nginx.www().resolve("cdn").resolve(id).resolve("dash"))) {
        long segments = files.filter(f -> f.getFileName().toString().matches("chunk-\\d+-stream0-.*")).count();
        assertThat(segments).as("DASH segments kept on the CDN: the window and a window of grace").isLessThanOrEqualTo(8);
      }
      JsonObject health = Await.until("CDN health in a stream.health event", Duration.ofSeconds(20), () -> {
        var items = api.get("/api/v1/events?after=0&limit=1000").json().getJsonArray("items");
        for (int i = items.size() - 1; i >= 0; i--) {
          JsonObject e = items.getJsonObject(i);
          if ("stream.health".equals(e.getString("type")) && id.equals(e.getString("streamId"))
            && e.getJsonObject("health").getJsonArray("cdn") != null
            && e.getJsonObject("health").getJsonArray("cdn").getJsonObject(0).getValue("uploadLatencyMs") != null) {
            return e.getJsonObject("health");
          }
        }
        return null;
      });
      JsonObject cdn = health.getJsonArray("cdn").getJsonObject(0);
      assertThat(cdn.getString("id")).isEqualTo(profile.getString("id"));
      assertThat(cdn.getString("state")).isEqualTo("ok");
      assertThat(cdn.getDouble("secondsBehind")).isLessThan(10.0);
      assertThat(health.getDouble("bitrateKbps")).isGreaterThan(0);
    } finally {
      api.post("/api/v1/streams/" + id + "/stop", null);
    }
  }

  @Test
  void aWrongPasswordIsNamedByTheCheckAndFailsTheStartWithAPlainReason() {
    ApiClient api = api(newAccountKey("cdn wrong"));
    ApiClient.Reply refused = api.post("/api/v1/cdn-profiles", new JsonObject().put("name", "wrong").put("kind", "http-put")
      .put("url", nginx.davUrl()).put("authType", "basic").put("username", "ltm").put("password", "wrong"));
    assertThat(refused.status()).isEqualTo(422);
    assertThat(refused.error().getString("code")).isEqualTo("cdn_unauthorized");
    assertThat(refused.error().getString("field")).isEqualTo("password");
    assertThat(api.get("/api/v1/cdn-profiles").json().getJsonArray("items")).isEmpty();

    JsonObject saved = davProfile(api, nginx, "wrong", false);
    ApiClient.Reply check = api.post("/api/v1/cdn-profiles/" + saved.getString("id") + "/check", null);
    assertThat(check.status()).isEqualTo(422);
    assertThat(check.error().getString("code")).isEqualTo("cdn_unauthorized");
    String id = streamWith(api, new JsonObject().put("primary", saved.getString("id")));
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(90));
    assertThat(failed.getString("stateReason")).contains("CDN 'dav " + nginx.httpPort + "'").contains("refused");
  }

  @Test
  void s3DeliversWithLiveCacheControlAndDeletesSegmentsPastTheWindow() throws Exception {
    try (CdnPeers.Moto moto = new CdnPeers.Moto();
         S3Client s3 = S3Client.builder().endpointOverride(URI.create(moto.endpoint())).forcePathStyle(true)
           .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
             AwsBasicCredentials.create("test", "test"))).build()) {
      s3.createBucket(b -> b.bucket("ltm-live"));
      // Viewers read straight from the bucket here (no CloudFront in front): objects are public to read, as a
      // customer's bucket policy would make them. Writing still needs the profile's credentials.
      s3.putBucketPolicy(b -> b.bucket("ltm-live").policy("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
        + "\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::ltm-live/*\"}]}"));
      ApiClient api = api(newAccountKey("cdn s3"));
      ApiClient.Reply created = api.post("/api/v1/cdn-profiles", new JsonObject().put("name", "s3").put("kind", "s3")
        .put("bucket", "ltm-live").put("prefix", "events").put("region", "us-east-1").put("endpoint", moto.endpoint())
        .put("accessKeyId", "test").put("secretAccessKey", "test-secret"));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      assertThat(created.body()).doesNotContain("test-secret");
      String id = streamWith(api, new JsonObject().put("primary", created.json().getString("id")), true);
      api.post("/api/v1/streams/" + id + "/start", null);
      try {
        awaitState(api, id, "LIVE", Duration.ofSeconds(90));
        String playback = api.get("/api/v1/streams/" + id).json().getString("playbackUrl");
        assertThat(playback).isEqualTo(moto.endpoint() + "/ltm-live/events/" + id + "/master.m3u8");
        Await.until("the master playlist in the bucket", Duration.ofSeconds(20), () -> {
          try {
            return status(playback) == 200 ? true : null;
          } catch (Exception e) {
            return null;
          }
        });
        everyRenditionDecodes(playback);
        // DASH in the same bucket: every representation plays.
        String dash = api.get("/api/v1/streams/" + id).json().getString("dashPlaybackUrl");
        assertThat(dash).isEqualTo(moto.endpoint() + "/ltm-live/events/" + id + "/dash/manifest.mpd");
        served(dash);
        everyRepresentationDecodes(dash);
        DashManifest.Representation rep = dashWindow(dash);
        // Live Cache-Control on the DASH manifest and segments (the window's newest: still there for a while).
        String dashKey = "events/" + id + "/dash/";
        HeadObjectResponse manifest = s3.headObject(h -> h.bucket("ltm-live").key(dashKey + "manifest.mpd"));
        assertThat(manifest.cacheControl()).isEqualTo("max-age=1");
        assertThat(manifest.contentType()).isEqualTo("application/dash+xml");
        for (String name : List.of(rep.initUri(), rep.segments().get(rep.segments().size() - 1).uri())) {
          HeadObjectResponse object = s3.headObject(h -> h.bucket("ltm-live").key(dashKey + name));
          assertThat(object.cacheControl()).as(name).isEqualTo("max-age=86400");
          assertThat(object.contentType()).as(name).isEqualTo("video/mp4");
        }
        String key = "events/" + id + "/240p/";
        HeadObjectResponse playlist = s3.headObject(h -> h.bucket("ltm-live").key(key + "index.m3u8"));
        assertThat(playlist.cacheControl()).isEqualTo("max-age=1");
        String first = text(playback.replace("master.m3u8", "240p/index.m3u8")).lines()
          .filter(l -> l.endsWith(".ts")).findFirst().orElseThrow();
        HeadObjectResponse segment = s3.headObject(h -> h.bucket("ltm-live").key(key + first));
        assertThat(segment.cacheControl()).isEqualTo("max-age=86400");
        assertThat(segment.contentType()).isEqualTo("video/mp2t");
        Await.until(first + " to be deleted from the bucket", Duration.ofSeconds(60), () -> {
          try {
            s3.headObject(h -> h.bucket("ltm-live").key(key + first));
            return null;
          } catch (NoSuchKeyException e) {
            return true;
          } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            return e.statusCode() == 404 ? true : null;
          }
        });
        // DASH segments past the window go too.
        dashSegmentsPastTheWindowAreDeleted(dash, rep, name -> {
          try {
            s3.headObject(h -> h.bucket("ltm-live").key(dashKey + name));
            return false;
          } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            return e.statusCode() == 404;
          }
        });
      } finally {
        api.post("/api/v1/streams/" + id + "/stop", null);
        awaitState(api, id, "STOPPED", Duration.ofSeconds(60));
      }
    }
  }

  @Test
  void aStreamKeyTheRtmpIngestRefusesIsNamedByTheCheck() {
    ApiClient api = api(newAccountKey("cdn rtmp key"));
    JsonObject profile = new JsonObject().put("name", "rtmp keyed").put("kind", "rtmp").put("url", nginx.rtmpUrl());
    ApiClient.Reply refused = api.post("/api/v1/cdn-profiles", profile.copy().put("streamKey", "wrong-key"));
    assertThat(refused.status()).as(refused.body()).isEqualTo(422);
    assertThat(refused.error().getString("code")).isEqualTo("cdn_unauthorized");
    assertThat(refused.error().getString("field")).isEqualTo("streamKey");
    assertThat(refused.body()).doesNotContain("wrong-key");
    ApiClient.Reply accepted = api.post("/api/v1/cdn-profiles", profile.copy().put("streamKey", "right-key"));
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(201);
    ApiClient.Reply wrongApp = api.post("/api/v1/cdn-profiles", profile.copy().put("name", "no such app")
      .put("url", nginx.rtmpUrl().replace("/live", "/nothing")).put("streamKey", "right-key"));
    assertThat(wrongApp.status()).as(wrongApp.body()).isEqualTo(422);
    assertThat(wrongApp.error().getString("field")).isEqualTo("url");
  }

  @Test
  void rtmpPushesTheTopRenditionThatPlaysBackFromTheIngest() throws Exception {
    ApiClient api = api(newAccountKey("cdn rtmp"));
    ApiClient.Reply created = api.post("/api/v1/cdn-profiles", new JsonObject().put("name", "rtmp").put("kind", "rtmp")
      .put("url", nginx.rtmpUrl()).put("playbackUrl", nginx.rtmpUrl() + "/{streamId}"));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = streamWith(api, new JsonObject().put("primary", created.json().getString("id")));
    api.post("/api/v1/streams/" + id + "/start", null);
    try {
      awaitState(api, id, "LIVE", Duration.ofSeconds(90));
      String playback = api.get("/api/v1/streams/" + id).json().getString("playbackUrl");
      assertThat(playback).isEqualTo(nginx.rtmpUrl() + "/" + id);
      assertThat(api.get("/api/v1/streams/" + id).json().getValue("dashPlaybackUrl")).as("no DASH configured").isNull();
      List<String> codecs = Await.until("the RTMP push to play back", Duration.ofSeconds(40), () -> {
        try {
          List<String> c = CdnPeers.probe(playback);
          return c.contains("h264") ? c : null;
        } catch (Exception e) {
          return null;
        }
      });
      assertThat(codecs).contains("h264", "aac");
    } finally {
      api.post("/api/v1/streams/" + id + "/stop", null);
    }
  }

  @Test
  void aDeadPrimaryHandsOverToTheBackupAndTheStreamSwitchesBackWhenItReturns() throws Exception {
    String key = newAccountKey("cdn failover");
    ApiClient api = api(key);
    JsonObject primary = davProfile(api, nginx, PASSWORD, true);
    JsonObject backup = davProfile(api, backupNginx, PASSWORD, true);
    String id = streamWith(api, new JsonObject().put("primary", primary.getString("id"))
      .put("backup", backup.getString("id")).put("mode", "failover"), true);
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      bus.register("ltm.account." + accountId, key);
      api.post("/api/v1/streams/" + id + "/start", null);
      awaitState(api, id, "LIVE", Duration.ofSeconds(90));
      String onPrimary = Await.until("playback on the primary", Duration.ofSeconds(20), () -> {
        String url = api.get("/api/v1/streams/" + id).json().getString("playbackUrl");
        return url != null && url.startsWith(nginx.davUrl()) ? url : null;
      });
      Await.until("the primary to serve", Duration.ofSeconds(20), () -> {
        try {
          return status(onPrimary) == 200 ? true : null;
        } catch (Exception e) {
          return null;
        }
      });
      long killedAt = System.nanoTime();
      nginx.stop();
      JsonObject switched = Await.until("a stream.cdn event", Duration.ofSeconds(15), () -> bus.events().stream()
        .filter(e -> "stream.cdn".equals(e.getString("type")) && id.equals(e.getString("streamId"))).findFirst().orElse(null));
      assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(Duration.ofSeconds(15));
      assertThat(switched.getString("active")).isEqualTo(backup.getString("id"));
      assertThat(switched.getString("previous")).isEqualTo(primary.getString("id"));
      assertThat(switched.getString("reason")).contains("primary CDN failing");
      String onBackup = api.get("/api/v1/streams/" + id).json().getString("playbackUrl");
      assertThat(onBackup).startsWith(backupNginx.davUrl());
      Await.until("the backup to serve", Duration.ofSeconds(20), () -> {
        try {
          return status(onBackup) == 200 ? true : null;
        } catch (Exception e) {
          return null;
        }
      });
      everyRenditionDecodes(onBackup);
      // The DASH manifest moved with it: the backup got the whole current window before its manifest.
      String dashOnBackup = api.get("/api/v1/streams/" + id).json().getString("dashPlaybackUrl");
      assertThat(dashOnBackup).isEqualTo(backupNginx.davUrl() + "/" + id + "/dash/manifest.mpd");
      assertThat(switched.getJsonObject("detail").getString("dashPlaybackUrl")).isEqualTo(dashOnBackup);
      served(dashOnBackup);
      everyRepresentationDecodes(dashOnBackup);

      nginx.start();
      JsonObject back = Await.until("the switch back to the primary", Duration.ofSeconds(40), () -> bus.events().stream()
        .filter(e -> "stream.cdn".equals(e.getString("type")) && id.equals(e.getString("streamId"))
          && primary.getString("id").equals(e.getString("active"))).findFirst().orElse(null));
      assertThat(back.getString("reason")).contains("healthy again");
      Await.until("the playback URL back on the primary", Duration.ofSeconds(10), () ->
        api.get("/api/v1/streams/" + id).json().getString("playbackUrl").startsWith(nginx.davUrl()) ? true : null);
    } finally {
      api.post("/api/v1/streams/" + id + "/stop", null);
    }
  }

  /** Both CDNs get HLS (fMP4 here: its init segments stay on the CDN as long as playlists name them) and DASH. */
  @Test
  void bothModeDeliversToBothCdnsAtOnce() throws Exception {
    ApiClient api = api(newAccountKey("cdn both"));
    JsonObject a = davProfile(api, nginx, PASSWORD, true);
    JsonObject b = davProfile(api, backupNginx, PASSWORD, true);
    String id = streamWith(api, new JsonObject().put("primary", a.getString("id")).put("backup", b.getString("id"))
      .put("mode", "both"), true, "fmp4");
    api.post("/api/v1/streams/" + id + "/start", null);
    try {
      awaitState(api, id, "LIVE", Duration.ofSeconds(90));
      for (CdnPeers.Nginx peer : List.of(nginx, backupNginx)) {
        String dash = peer.davUrl() + "/" + id + "/dash/manifest.mpd";
        served(dash);
        everyRepresentationDecodes(dash);
        String url = peer.davUrl() + "/" + id + "/master.m3u8";
        Await.until(url, Duration.ofSeconds(20), () -> {
          try {
            return status(url) == 200 ? true : null;
          } catch (Exception e) {
            return null;
          }
        });
        everyRenditionDecodes(url);
      }
    } finally {
      api.post("/api/v1/streams/" + id + "/stop", null);
    }
  }

  @Test
  void anotherAccountNeitherSeesNorUsesNorDeletesAProfile() {
    ApiClient owner = api(newAccountKey("cdn owner"));
    ApiClient other = api(newAccountKey("cdn other"));
    String profileId = davProfile(owner, nginx, PASSWORD, true).getString("id");
    assertThat(other.get("/api/v1/cdn-profiles").json().getJsonArray("items")).isEmpty();
    assertThat(other.get("/api/v1/cdn-profiles/" + profileId).status()).isEqualTo(404);
    assertThat(other.post("/api/v1/cdn-profiles/" + profileId + "/check", null).status()).isEqualTo(404);
    assertThat(other.delete("/api/v1/cdn-profiles/" + profileId).status()).isEqualTo(404);
    String theirs = buy(other, "mobile", "test-pattern").getString("id");
    ApiClient.Reply refused = other.patch("/api/v1/streams/" + theirs, new JsonObject()
      .put("cdn", new JsonObject().put("primary", profileId)));
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.error().getString("field")).isEqualTo("cdn.primary");
    // The owner's profile is still there, and cannot be deleted while a stream chooses it.
    String mine = streamWith(owner, new JsonObject().put("primary", profileId));
    ApiClient.Reply inUse = owner.delete("/api/v1/cdn-profiles/" + profileId);
    assertThat(inUse.status()).isEqualTo(409);
    assertThat(inUse.error().getString("code")).isEqualTo("cdn_profile_in_use");
    assertThat(inUse.body()).contains(mine);
  }

  @Test
  void aWrongS3SecretIsNamedByTheCheckAndFailsTheStartWithAPlainReason() throws Exception {
    try (CdnPeers.Moto moto = new CdnPeers.Moto();
         S3Client s3 = S3Client.builder().endpointOverride(URI.create(moto.endpoint())).forcePathStyle(true)
           .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
             AwsBasicCredentials.create("test", "test"))).build();
         IamClient iam = IamClient.builder().endpointOverride(URI.create(moto.endpoint())).region(Region.AWS_GLOBAL)
           .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build()) {
      s3.createBucket(b -> b.bucket("ltm-auth"));
      // From here on moto checks every request's signature and permissions against its IAM users, as AWS does:
      // three calls are left unchecked to make one.
      HttpResponse<String> reset = HTTP.send(HttpRequest.newBuilder(URI.create(moto.endpoint() + "/moto-api/reset-auth"))
        .POST(HttpRequest.BodyPublishers.ofString("3")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(reset.statusCode()).isEqualTo(200);
      iam.createUser(u -> u.userName("ltm-cdn"));
      var key = iam.createAccessKey(k -> k.userName("ltm-cdn")).accessKey();
      iam.putUserPolicy(p -> p.userName("ltm-cdn").policyName("live").policyDocument("{\"Version\":\"2012-10-17\","
        + "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"));
      ApiClient api = api(newAccountKey("cdn s3 wrong"));
      JsonObject base = new JsonObject().put("kind", "s3").put("bucket", "ltm-auth").put("region", "us-east-1")
        .put("endpoint", moto.endpoint()).put("accessKeyId", key.accessKeyId());
      ApiClient.Reply right = api.post("/api/v1/cdn-profiles", base.copy().put("name", "s3 right")
        .put("secretAccessKey", key.secretAccessKey()));
      assertThat(right.status()).as(right.body()).isEqualTo(201);
      ApiClient.Reply wrong = api.post("/api/v1/cdn-profiles", base.copy().put("name", "s3 wrong")
        .put("secretAccessKey", "not-the-secret"));
      assertThat(wrong.status()).as(wrong.body()).isEqualTo(422);
      assertThat(wrong.error().getString("code")).isEqualTo("cdn_unauthorized");
      assertThat(wrong.error().getString("field")).isEqualTo("secretAccessKey");
      assertThat(wrong.body()).doesNotContain("not-the-secret");

      ApiClient.Reply saved = api.post("/api/v1/cdn-profiles", base.copy().put("name", "s3 wrong")
        .put("secretAccessKey", "not-the-secret").put("check", false));
      assertThat(saved.status()).isEqualTo(201);
      String id = streamWith(api, new JsonObject().put("primary", saved.json().getString("id")));
      api.post("/api/v1/streams/" + id + "/start", null);
      JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(90));
      assertThat(failed.getString("stateReason")).contains("CDN 's3 wrong' (s3)").contains("refused")
        .doesNotContain("not-the-secret");
    }
  }

  /**
   * A dead CDN holds up neither the encoder nor the other CDN: with the backup down, the primary's playlist keeps
   * moving, and the backup's health says it is failing and how many segments it dropped from its bounded queue.
   */
  @Test
  void aDeadCdnInBothModeStallsNeitherTheEncoderNorTheOtherCdnAndReportsItsDrops() throws Exception {
    ApiClient api = api(newAccountKey("cdn dead backup"));
    JsonObject a = davProfile(api, nginx, PASSWORD, true);
    JsonObject b = davProfile(api, backupNginx, PASSWORD, true);
    String id = streamWith(api, new JsonObject().put("primary", a.getString("id")).put("backup", b.getString("id"))
      .put("mode", "both"));
    api.post("/api/v1/streams/" + id + "/start", null);
    String primaryPlaylist = nginx.davUrl() + "/" + id + "/240p/index.m3u8";
    try {
      awaitState(api, id, "LIVE", Duration.ofSeconds(90));
      Await.until("the primary to serve", Duration.ofSeconds(20), () -> {
        try {
          return status(primaryPlaylist) == 200 ? true : null;
        } catch (Exception e) {
          return null;
        }
      });
      backupNginx.stop();
      long before = newestSegment(text(primaryPlaylist));
      JsonObject backupHealth = Await.until("the dead backup to drop segments", Duration.ofSeconds(90), () -> {
        var items = api.get("/api/v1/events?after=0&limit=1000").json().getJsonArray("items");
        for (int i = items.size() - 1; i >= 0; i--) {
          JsonObject e = items.getJsonObject(i);
          if ("stream.health".equals(e.getString("type")) && id.equals(e.getString("streamId"))
            && e.getJsonObject("health").getJsonArray("cdn") != null) {
            JsonObject backup = e.getJsonObject("health").getJsonArray("cdn").getJsonObject(1);
            return backup.getLong("dropped", 0L) > 0 ? e.getJsonObject("health") : null;
          }
        }
        return null;
      });
      JsonObject primary = backupHealth.getJsonArray("cdn").getJsonObject(0);
      JsonObject backup = backupHealth.getJsonArray("cdn").getJsonObject(1);
      assertThat(backup.getString("state")).isEqualTo("failing");
      assertThat(backup.getLong("failures")).isPositive();
      assertThat(backup.getString("lastError")).contains("cdn_unreachable");
      assertThat(primary.getString("state")).isEqualTo("ok");
      assertThat(primary.getDouble("secondsBehind")).isLessThan(5.0);
      assertThat(newestSegment(text(primaryPlaylist))).as("the primary's newest segment").isGreaterThan(before + 5);
      assertThat(api.get("/api/v1/streams/" + id).json().getString("state")).isEqualTo("LIVE");
    } finally {
      api.post("/api/v1/streams/" + id + "/stop", null);
      backupNginx.start();
    }
  }

  private static long newestSegment(String playlist) {
    return playlist.lines().filter(l -> l.endsWith(".ts"))
      .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).max().orElse(-1);
  }
}
