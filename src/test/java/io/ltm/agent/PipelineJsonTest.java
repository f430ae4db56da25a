package io.ltm.agent;

import io.ltm.stream.domain.Rendition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineJsonTest {

  /** The hello answer as the protocol names its fields, written independently of the reader under test. */
  static JsonObject toJson(Pipeline p) {
    JsonArray ladder = new JsonArray();
    p.renditions().forEach(r -> ladder.add(new JsonObject().put("name", r.name()).put("width", r.width())
      .put("height", r.height()).put("videoBitrateKbps", r.videoBitrateKbps()).put("fps", r.fps())
      .put("audioBitrateKbps", r.audioBitrateKbps())));
    return new JsonObject().put("machineId", p.machineId()).put("streamId", p.streamId())
      .put("agentToken", p.agentToken()).put("heartbeatSeconds", p.heartbeatSeconds())
      .put("input", new JsonObject().put("kind", p.input().kind()).put("streamKey", p.input().streamKey()))
      .put("renditions", ladder)
      .put("hls", new JsonObject().put("segmentSeconds", p.hls().segmentSeconds()).put("listSize", p.hls().listSize()))
      .put("x264Preset", p.x264Preset()).put("advertisedHost", p.advertisedHost());
  }

  static final Pipeline PIPELINE = new Pipeline("mch_1", "str_1", "tok", 2, new Pipeline.Input("rtmp", "sk_1"),
    List.of(new Rendition("720p", 1280, 720, 3000, 30, 128), new Rendition("360p", 640, 360, 800, 30, 96)),
    new Pipeline.Hls(2, 6), "veryfast", "tc1.example.net");

  @Test
  void helloAnswerReadsIntoTheSamePipeline() {
    assertThat(PipelineJson.fromJson(toJson(PIPELINE))).isEqualTo(PIPELINE);
  }

  @Test
  void fieldsAddedByANewerServerAreIgnored() {
    assertThat(PipelineJson.fromJson(toJson(PIPELINE).put("cdn", new JsonObject().put("kind", "origin"))))
      .isEqualTo(PIPELINE);
  }

  @Test
  void answerWithoutAgentTokenIsRejected() {
    JsonObject json = toJson(PIPELINE);
    json.remove("agentToken");
    assertThatThrownBy(() -> PipelineJson.fromJson(json)).hasMessageContaining("agentToken");
  }
}
