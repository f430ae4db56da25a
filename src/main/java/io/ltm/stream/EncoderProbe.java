package io.ltm.stream;

import io.ltm.stream.domain.Codecs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Which encoders this host's ffmpeg has: {@code ffmpeg -hide_banner -encoders}, run once on a worker thread and
 * cached. Transcoders run the same ffmpeg build (the same Debian package), so what this host has is what they
 * have.
 */
public class EncoderProbe {
  private final Vertx vertx;
  private Future<Set<String>> encoders;

  public EncoderProbe(Vertx vertx) {
    this.vertx = vertx;
  }

  public synchronized Future<Set<String>> encoders() {
    if (encoders == null) {
      Future<Set<String>> probe = vertx.executeBlocking(EncoderProbe::run, false);
      // A failed probe (ffmpeg missing for a moment) is asked again next time rather than cached.
      probe.onFailure(err -> forget(probe));
      encoders = probe;
    }
    return encoders;
  }

  private synchronized void forget(Future<Set<String>> failed) {
    if (encoders == failed) {
      encoders = null;
    }
  }

  private static Set<String> run() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ffmpeg", "-hide_banner", "-encoders").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("ffmpeg -encoders failed: " + out.lines().reduce((a, b) -> b).orElse(""));
    }
    return Codecs.parseEncoders(out);
  }
}
