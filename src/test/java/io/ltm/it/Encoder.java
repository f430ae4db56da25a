package io.ltm.it;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A customer's encoder: a real ffmpeg sending a small test picture with a tone, for a given time. */
final class Encoder {
  private Encoder() {
  }

  static Process rtmp(String url, int seconds) throws IOException {
    return start(url, seconds, "flv", List.of());
  }

  static Process srt(String url, int seconds) throws IOException {
    return start(url, seconds, "mpegts", List.of());
  }

  private static Process start(String url, int seconds, String format, List<String> extra) throws IOException {
    List<String> command = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
      "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-t", String.valueOf(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac"));
    command.addAll(extra);
    command.addAll(List.of("-f", format, url));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }
}
