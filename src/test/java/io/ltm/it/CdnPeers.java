package io.ltm.it;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real CDN peers on this host, each on free ports with a folder of its own, stopped by {@link #close()}:
 * Debian's nginx with its WebDAV module (PUT/DELETE with basic auth, plain GET for playback) and the RTMP module,
 * and moto_server's S3 API. Never a mock of LTM's own client.
 */
final class CdnPeers {
  private CdnPeers() {
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * nginx: WebDAV at {@link #davUrl()} (user {@code ltm}, password given), RTMP at {@link #rtmpUrl()}, which refuses
   * to let a stream key starting with {@code wrong} publish ({@code on_publish}, as an ingest checking keys does).
   */
  static final class Nginx implements AutoCloseable {
    final Path dir;
    final int httpPort;
    final int rtmpPort;
    private Process process;

    Nginx(String password) throws Exception {
      if (!new File("/usr/sbin/nginx").canExecute()) {
        throw new IllegalStateException("nginx is missing: scripts/test installs nginx and libnginx-mod-rtmp with apt");
      }
      dir = Files.createTempDirectory("ltm-nginx");
      httpPort = freePort();
      rtmpPort = freePort();
      Files.createDirectories(dir.resolve("www"));
      Files.createDirectories(dir.resolve("logs"));
      Files.writeString(dir.resolve("htpasswd"), "ltm:{PLAIN}" + password + "\n");
      boolean root = "root".equals(System.getProperty("user.name"));
      String rtmpModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
      Files.writeString(dir.resolve("nginx.conf"), (new File(rtmpModule).exists() ? "load_module " + rtmpModule + ";\n" : "")
        + (root ? "user root root;\n" : "")
        + "daemon off;\nmaster_process off;\npid " + dir.resolve("nginx.pid") + ";\nerror_log " + dir.resolve("logs/error.log") + ";\n"
        + "events { worker_connections 256; }\n"
        + "http {\n  access_log off;\n"
        + "  client_body_temp_path " + dir.resolve("body") + ";\n  proxy_temp_path " + dir.resolve("proxy") + ";\n"
        + "  fastcgi_temp_path " + dir.resolve("fcgi") + ";\n  uwsgi_temp_path " + dir.resolve("uwsgi") + ";\n"
        + "  scgi_temp_path " + dir.resolve("scgi") + ";\n"
        + "  types { application/vnd.apple.mpegurl m3u8; application/dash+xml mpd; video/mp2t ts; video/mp4 mp4 m4s; }\n"
        + "  server {\n    listen 127.0.0.1:" + httpPort + ";\n    root " + dir.resolve("www") + ";\n"
        + "    location / {\n      dav_methods PUT DELETE MKCOL;\n      create_full_put_path on;\n"
        + "      client_max_body_size 64m;\n      add_header Access-Control-Allow-Origin * always;\n"
        + "      limit_except GET HEAD OPTIONS {\n        auth_basic ltm;\n        auth_basic_user_file " + dir.resolve("htpasswd") + ";\n      }\n"
        + "    }\n"
        + "    location = /rtmp-publish {\n      if ($arg_name ~ ^wrong) {\n        return 403;\n      }\n      return 204;\n    }\n"
        + "  }\n}\n"
        + (new File(rtmpModule).exists() ? "rtmp {\n  server {\n    listen 127.0.0.1:" + rtmpPort + ";\n"
          + "    application live {\n      live on;\n      record off;\n      notify_method get;\n"
          + "      on_publish http://127.0.0.1:" + httpPort + "/rtmp-publish;\n    }\n  }\n}\n" : ""));
      start();
    }

    void start() throws Exception {
      process = new ProcessBuilder("/usr/sbin/nginx", "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("logs/stdout.log").toFile()).start();
      Await.until("nginx on " + httpPort, Duration.ofSeconds(15), () -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("nginx exited: " + read(dir.resolve("logs/error.log")) + read(dir.resolve("logs/stdout.log")));
        }
        return TestEnv.answers("127.0.0.1", httpPort) ? true : null;
      });
    }

    /** Kills nginx (a CDN that dies); {@link #start()} brings it back on the same ports. */
    void stop() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      Await.until("nginx to let go of " + httpPort, Duration.ofSeconds(10),
        () -> TestEnv.answers("127.0.0.1", httpPort) ? null : true);
    }

    String davUrl() {
      return "http://127.0.0.1:" + httpPort + "/cdn";
    }

    String rtmpUrl() {
      return "rtmp://127.0.0.1:" + rtmpPort + "/live";
    }

    Path www() {
      return dir.resolve("www");
    }

    @Override
    public void close() throws Exception {
      stop();
      deleteTree(dir);
    }
  }

  /** moto_server's S3 API (moto is on PATH from the machine image; it is not installable here). */
  static final class Moto implements AutoCloseable {
    final int port;
    private final Process process;
    private final Path log;

    Moto() throws Exception {
      Path exe = onPath("moto_server");
      if (exe == null) {
        throw new IllegalStateException("moto_server is not on PATH: the S3 tests need moto (5.2.1 comes with this "
          + "machine's image; it cannot be installed by the project). PATH=" + System.getenv("PATH"));
      }
      port = freePort();
      log = Files.createTempFile("ltm-moto", ".log");
      process = new ProcessBuilder(exe.toString(), "-H", "127.0.0.1", "-p", String.valueOf(port))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Await.until("moto_server on " + port, Duration.ofSeconds(60), () -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("moto_server exited: " + read(log));
        }
        return TestEnv.answers("127.0.0.1", port) ? true : null;
      });
    }

    String endpoint() {
      return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() throws Exception {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(log);
    }
  }

  static Path onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** ffprobe of a URL: the codec names of its streams, or an empty list when it does not decode. */
  static List<String> probe(String url) throws Exception {
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-rw_timeout", "10000000", "-show_entries",
      "stream=codec_name", "-of", "csv=p=0", url).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return List.of();
    }
    return p.exitValue() == 0 ? out.lines().map(String::trim).filter(l -> !l.isEmpty()).toList() : List.of();
  }

  /**
   * ffprobe of a DASH manifest, reading two seconds from every representation: per stream index, its codec and how
   * many frames were decoded from its segments.
   */
  static java.util.Map<Integer, String> probeDash(String url) throws Exception {
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-rw_timeout", "10000000", "-read_intervals", "%+2",
      "-show_entries", "stream=index,codec_name:frame=stream_index", "-of", "csv=p=0", url).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return java.util.Map.of();
    }
    java.util.Map<Integer, String> codecs = new java.util.TreeMap<>();
    java.util.Map<Integer, Integer> frames = new java.util.HashMap<>();
    for (String line : out.lines().map(String::trim).filter(l -> !l.isEmpty()).toList()) {
      String[] f = line.split(",");
      if (f.length >= 2) {
        codecs.put(Integer.parseInt(f[0]), f[1]);
      } else if (f[0].matches("\\d+")) {
        frames.merge(Integer.parseInt(f[0]), 1, Integer::sum);
      }
    }
    java.util.Map<Integer, String> decoded = new java.util.TreeMap<>();
    codecs.forEach((i, c) -> decoded.put(i, c + " " + frames.getOrDefault(i, 0) + " frames"));
    return p.exitValue() == 0 ? decoded : java.util.Map.of();
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
