package io.ltm.agent;

import io.ltm.stream.domain.Rendition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the command {@link FfmpegCommand} builds with the real ffmpeg and checks its output with ffprobe. */
class FfmpegPipelineIT {

  static final List<Rendition> LADDER = List.of(
    new Rendition("hi", 320, 180, 300, 15, 64),
    new Rendition("lo", 160, 90, 150, 15, 48));

  static Pipeline pipeline(Pipeline.Input input) {
    return new Pipeline("mch_it", "str_it", "tok", 2, input, LADDER, new Pipeline.Hls(1, 6), "ultrafast", "localhost");
  }

  @Test
  void testPatternLadderProducesMasterPlaylistAndDecodableH264SegmentsPerRendition(@TempDir Path dir)
    throws Exception {
    Path hls = dir.resolve("hls");
    List<String> command = FfmpegCommand.build(pipeline(new Pipeline.Input(Pipeline.Input.TEST_PATTERN, null)), hls, 0);
    Process ffmpeg = start(command, dir, "ffmpeg");
    try {
      // Runs at real time (-re): four seconds give three or four one-second segments per rendition.
      assertThat(ffmpeg.waitFor(4, TimeUnit.SECONDS)).as("ffmpeg still running, stderr: %s", stderr(dir, "ffmpeg"))
        .isFalse();
    } finally {
      stop(ffmpeg);
    }

    String master = Files.readString(hls.resolve("master.m3u8"));
    assertThat(master).contains("hi/index.m3u8", "lo/index.m3u8", "RESOLUTION=320x180", "RESOLUTION=160x90");
    assertThat(probe(dir, hls.resolve("master.m3u8"))).contains("h264,320,180", "h264,160,90", "aac");

    assertThat(probe(dir, firstSegment(hls.resolve("hi")))).contains("h264,320,180", "aac");
    assertThat(probe(dir, firstSegment(hls.resolve("lo")))).contains("h264,160,90", "aac");

    List<FfmpegProgress> progress = progressOf(dir.resolve("ffmpeg.out"));
    assertThat(progress).isNotEmpty();
    assertThat(progress.get(progress.size() - 1).frame()).isGreaterThan(15);
  }

  @Test
  void rtmpPublisherIsTranscodedAndACleanDisconnectEndsFfmpegWithExitZero(@TempDir Path dir) throws Exception {
    Path hls = dir.resolve("hls");
    int port = freePort();
    Process listener = start(FfmpegCommand.build(pipeline(new Pipeline.Input(Pipeline.Input.RTMP, "sk_it")), hls,
      port), dir, "ffmpeg");
    Process publisher = null;
    try {
      publisher = publish(dir, listener.toHandle(), "rtmp://127.0.0.1:" + port + "/live/sk_it");
      assertThat(publisher.waitFor(15, TimeUnit.SECONDS)).as("publisher finished").isTrue();
      assertThat(publisher.exitValue()).as("publisher exit, stderr: %s", stderr(dir, "publisher")).isZero();
      // The agent relies on this: a publisher that leaves cleanly ends ffmpeg with 0 (→ INPUT_LOST, listen again).
      assertThat(listener.waitFor(10, TimeUnit.SECONDS)).as("listener ended after the publisher left").isTrue();
      assertThat(listener.exitValue()).as("listener exit, stderr: %s", stderr(dir, "ffmpeg")).isZero();
    } finally {
      stop(publisher);
      stop(listener);
    }
    assertThat(Files.readString(hls.resolve("master.m3u8"))).contains("hi/index.m3u8", "lo/index.m3u8");
    assertThat(probe(dir, firstSegment(hls.resolve("hi")))).contains("h264,320,180");
    assertThat(probe(dir, firstSegment(hls.resolve("lo")))).contains("h264,160,90");
  }

  /** Retries while the listener is not yet accepting: a refused publisher ends at once with an error. */
  static Process publish(Path dir, ProcessHandle listener, String url) throws Exception {
    List<String> command = List.of("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
      "-re", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15",
      "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
      "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-c:a", "aac", "-f", "flv", url);
    for (int attempt = 0; ; attempt++) {
      Process publisher = start(command, dir, "publisher");
      if (!publisher.waitFor(700, TimeUnit.MILLISECONDS) || publisher.exitValue() == 0 || attempt == 20) {
        return publisher;
      }
      assertThat(listener.isAlive()).as("listener alive, stderr: %s", stderr(dir, "ffmpeg")).isTrue();
    }
  }

  static Process start(List<String> command, Path dir, String name) throws IOException {
    return new ProcessBuilder(command)
      .redirectOutput(dir.resolve(name + ".out").toFile())
      .redirectError(dir.resolve(name + ".err").toFile())
      .start();
  }

  /** SIGTERM lets ffmpeg finish its playlists; the kill is for one that does not listen. */
  static void stop(Process process) throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  static String probe(Path dir, Path media) throws Exception {
    Process ffprobe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
      "-of", "csv=p=0", media.toString())
      .redirectOutput(dir.resolve("ffprobe.out").toFile())
      .redirectError(ProcessBuilder.Redirect.DISCARD)
      .start();
    try {
      assertThat(ffprobe.waitFor(10, TimeUnit.SECONDS)).as("ffprobe finished").isTrue();
      return Files.readString(dir.resolve("ffprobe.out"));
    } finally {
      ffprobe.destroyForcibly();
    }
  }

  static Path firstSegment(Path renditionDir) throws IOException {
    try (Stream<Path> files = Files.list(renditionDir)) {
      return files.filter(p -> p.toString().endsWith(".ts")).sorted().findFirst()
        .orElseThrow(() -> new AssertionError("no segment in " + renditionDir));
    }
  }

  static List<FfmpegProgress> progressOf(Path stdout) throws IOException {
    FfmpegProgress.Parser parser = new FfmpegProgress.Parser();
    List<FfmpegProgress> blocks = new ArrayList<>();
    Files.readAllLines(stdout).forEach(line -> parser.accept(line).ifPresent(blocks::add));
    return blocks;
  }

  static String stderr(Path dir, String name) throws IOException {
    Path file = dir.resolve(name + ".err");
    return Files.exists(file) ? Files.readString(file) : "";
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
