package io.ltm.it;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** An HLS source on this host for pull ingest: 20 s of test picture and tone, written by ffmpeg, served over HTTP. */
final class HlsSource implements AutoCloseable {
  private final HttpServer server;
  private final Path dir;
  private final AtomicInteger requests = new AtomicInteger();

  private HlsSource(HttpServer server, Path dir) {
    this.server = server;
    this.dir = dir;
  }

  static HlsSource start() throws Exception {
    Path dir = Files.createTempDirectory("ltm-hls-source");
    Process ffmpeg = new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
      "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "20",
      "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-f", "hls", "-hls_time", "1",
      "-hls_playlist_type", "vod", dir.resolve("index.m3u8").toString())
      .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!ffmpeg.waitFor(60, TimeUnit.SECONDS) || ffmpeg.exitValue() != 0) {
      ffmpeg.destroyForcibly();
      throw new IllegalStateException("could not write the HLS source");
    }
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    HlsSource source = new HlsSource(server, dir);
    server.createContext("/", exchange -> {
      source.requests.incrementAndGet();
      Path file = dir.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
      if (!file.startsWith(dir) || !Files.isRegularFile(file)) {
        exchange.sendResponseHeaders(404, -1);
        exchange.close();
        return;
      }
      byte[] body = Files.readAllBytes(file);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return source;
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/index.m3u8";
  }

  int requests() {
    return requests.get();
  }

  @Override
  public void close() throws IOException {
    server.stop(0);
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }
}
