package io.ltm.agent;

import io.ltm.stream.domain.Rendition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real agent verticle and the real ffmpeg, against a small stand-in for the server's agent endpoints. */
class AgentVerticleIT {

  static final List<Rendition> LADDER = List.of(
    new Rendition("hi", 320, 180, 300, 15, 64),
    new Rendition("lo", 160, 90, 150, 15, 48));

  Vertx vertx;
  final StandInHome home = new StandInHome();

  @BeforeEach
  void startHome() throws Exception {
    vertx = Vertx.vertx();
    await(home.listen(vertx));
  }

  @AfterEach
  void closeVertx() throws Exception {
    // Undeploys any agent still running, which stops its ffmpeg.
    await(vertx.close());
    assertThat(ffmpegChildren()).as("no ffmpeg outlives the test").isEmpty();
  }

  Pipeline pipelineOf(Pipeline.Input input, String preset) {
    return new Pipeline("mch_it", "str_it", "agent-token", 1, input, LADDER, new Pipeline.Hls(1, 6), preset,
      "127.0.0.1");
  }

  AgentVerticle agent(Path workDir, String token) {
    return new AgentVerticle(new AgentOptions(StandInHome.MACHINE, home.url(), workDir, token));
  }

  @Test
  void reportsReadyThenLiveServesHlsToBrowsersAndStopsFfmpegWhenTheServerAnswers410(@TempDir Path dir)
    throws Exception {
    home.pipeline.set(pipelineOf(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), "ultrafast"));
    AgentVerticle agent = agent(dir, StandInHome.BOOTSTRAP_TOKEN);
    await(vertx.deployVerticle(agent));

    JsonObject ready = next(home.statuses, 5);
    assertThat(ready.getString("state")).isEqualTo("READY");
    String previewUrl = ready.getString("previewUrl");
    assertThat(previewUrl).matches("http://127\\.0\\.0\\.1:\\d+/hls/master\\.m3u8");
    assertThat(ready.containsKey("ingestUrl")).isFalse();
    assertThat(next(home.statuses, 15).getString("state")).isEqualTo("LIVE");

    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> master = http.send(HttpRequest.newBuilder(URI.create(previewUrl)).build(),
      HttpResponse.BodyHandlers.ofString());
    assertThat(master.statusCode()).isEqualTo(200);
    assertThat(master.headers().firstValue("Content-Type")).hasValue("application/vnd.apple.mpegurl");
    assertThat(master.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(master.headers().firstValue("Cache-Control").orElse("")).contains("no-cache");
    assertThat(master.body()).contains("hi/index.m3u8", "lo/index.m3u8");

    String base = previewUrl.substring(0, previewUrl.length() - "master.m3u8".length());
    String playlist = http.send(HttpRequest.newBuilder(URI.create(base + "lo/index.m3u8")).build(),
      HttpResponse.BodyHandlers.ofString()).body();
    String segment = playlist.lines().filter(l -> l.endsWith(".ts")).findFirst().orElseThrow();
    HttpResponse<byte[]> ts = http.send(HttpRequest.newBuilder(URI.create(base + "lo/" + segment)).build(),
      HttpResponse.BodyHandlers.ofByteArray());
    assertThat(ts.statusCode()).isEqualTo(200);
    assertThat(ts.headers().firstValue("Content-Type")).hasValue("video/mp2t");
    assertThat(ts.body()).isNotEmpty();

    JsonObject progress = awaitHeartbeatWithFrames();
    assertThat(progress.getDouble("fps")).isNotNull();
    assertThat(ffmpegChildren()).hasSize(1);

    home.heartbeatAnswer.set(410);
    assertThat(await(agent.terminated())).isZero();
    assertThat(ffmpegChildren()).isEmpty();
  }

  @Test
  void ffmpegThatCannotRunIsReportedFailedWithItsErrorAndEndsTheAgentWithOne(@TempDir Path dir) throws Exception {
    home.pipeline.set(pipelineOf(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), "no-such-preset"));
    AgentVerticle agent = agent(dir, StandInHome.BOOTSTRAP_TOKEN);
    await(vertx.deployVerticle(agent));

    assertThat(next(home.statuses, 5).getString("state")).isEqualTo("READY");
    JsonObject failed = next(home.statuses, 10);
    assertThat(failed.getString("state")).isEqualTo("FAILED");
    assertThat(failed.getString("reason")).startsWith("ffmpeg exited with code ").contains(":");
    assertThat(await(agent.terminated())).isEqualTo(1);
  }

  @Test
  void wrongBootstrapTokenFailsTheStart(@TempDir Path dir) {
    home.pipeline.set(pipelineOf(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), "ultrafast"));
    assertThatThrownBy(() -> await(vertx.deployVerticle(agent(dir, "stolen"))))
      .hasMessageContaining("401");
    assertThat(home.statuses).isEmpty();
  }

  @Test
  void rtmpPublisherMakesTheStreamLiveAndItsCleanDepartureIsInputLostNotFailure(@TempDir Path dir)
    throws Exception {
    home.pipeline.set(pipelineOf(new Pipeline.Input(Pipeline.Input.RTMP, "sk_it"), "ultrafast"));
    await(vertx.deployVerticle(agent(dir, StandInHome.BOOTSTRAP_TOKEN)));

    JsonObject ready = next(home.statuses, 5);
    assertThat(ready.getString("state")).isEqualTo("READY");
    String ingestUrl = ready.getString("ingestUrl");
    assertThat(ingestUrl).matches("rtmp://127\\.0\\.0\\.1:\\d+/live/sk_it");

    Process publisher = null;
    try {
      publisher = FfmpegPipelineIT.publish(dir, ffmpegChildren().get(0), ingestUrl);
      assertThat(next(home.statuses, 15).getString("state")).isEqualTo("LIVE");
      assertThat(publisher.waitFor(15, TimeUnit.SECONDS)).isTrue();
      assertThat(next(home.statuses, 10).getString("state")).isEqualTo("INPUT_LOST");
    } finally {
      FfmpegPipelineIT.stop(publisher);
    }
    // ffmpeg listens again for the publisher's return; heartbeats pace the wait for the restart.
    for (int i = 0; i < 5 && ffmpegChildren().isEmpty(); i++) {
      next(home.heartbeats, 5);
    }
    assertThat(ffmpegChildren()).hasSize(1);
    assertThat(home.statuses).as("no FAILED after INPUT_LOST").isEmpty();
  }

  @Test
  void agentThatCannotReachTheServerForTenHeartbeatsStopsFfmpegAndEndsWithOne(@TempDir Path dir) throws Exception {
    home.pipeline.set(pipelineOf(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null), "ultrafast"));
    AgentVerticle agent = new AgentVerticle(new AgentOptions(StandInHome.MACHINE, home.url(), dir,
      StandInHome.BOOTSTRAP_TOKEN), 0);
    await(vertx.deployVerticle(agent));
    assertThat(next(home.statuses, 5).getString("state")).isEqualTo("READY");
    assertThat(ffmpegChildren()).hasSize(1);

    await(home.server.close());
    // 10 heartbeats of 1 s: the floor of 30 s is lowered to 0 for this test only.
    assertThat(await(agent.terminated())).isEqualTo(1);
    assertThat(ffmpegChildren()).isEmpty();
  }

  JsonObject awaitHeartbeatWithFrames() throws InterruptedException {
    for (int i = 0; i < 10; i++) {
      JsonObject beat = next(home.heartbeats, 5);
      JsonObject progress = beat.getJsonObject("progress");
      if (progress.getLong("frame") > 0) {
        return progress;
      }
    }
    throw new AssertionError("no heartbeat reported any frame");
  }

  static JsonObject next(BlockingQueue<JsonObject> queue, int seconds) throws InterruptedException {
    return StandInHome.next(queue, seconds);
  }

  /** Processes this JVM started as ffmpeg (the agent's children); publishers are started by name "ffmpeg" too. */
  static List<ProcessHandle> ffmpegChildren() {
    return ProcessHandle.current().children()
      .filter(p -> p.info().arguments().map(args -> List.of(args).contains("-listen") || List.of(args)
        .contains("pipe:1")).orElse(false))
      .toList();
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
