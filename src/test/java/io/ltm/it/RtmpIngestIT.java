package io.ltm.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** An encoder pushes RTMP to the stream's ingest URL: READY while waiting, LIVE while it pushes, READY after. */
class RtmpIngestIT extends LtmTestBase {

  @Test
  void pushedRtmpInputMakesTheStreamLiveAndItsEndReturnsItToReady() throws Exception {
    ApiClient api = api(newAccountKey("rtmp"));
    String id = buy(api, "mobile", "rtmp").getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    JsonObject ready = awaitState(api, id, "READY", Duration.ofSeconds(60));
    String ingestUrl = ready.getString("ingestUrl");
    assertThat(ingestUrl).startsWith("rtmp://").endsWith("/" + ready.getJsonObject("input").getString("streamKey"));

    Process encoder = new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
      "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-t", "8", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-f", "flv", ingestUrl)
      .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      JsonObject live = awaitState(api, id, "LIVE", Duration.ofSeconds(30));
      assertThat(api.fetch(live.getString("previewUrl")).toString()).contains("#EXT-X-STREAM-INF");
      assertThat(encoder.waitFor(30, TimeUnit.SECONDS)).isTrue();
      JsonObject back = awaitState(api, id, "READY", Duration.ofSeconds(30));
      assertThat(back.getString("stateReason")).contains("input stopped");
    } finally {
      encoder.destroyForcibly();
    }
    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }
}
