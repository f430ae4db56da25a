package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Serves the work dir's {@code hls/} folder as {@code /hls/*}: the built-in origin a player (or a CDN pulling
 * from the machine) reads. Playlists change every segment, so nothing about them may be cached.
 */
final class HlsServer {

  static final String THUMBNAIL = "thumbnail.jpg";

  private HlsServer() {
  }

  /** Listens on 0.0.0.0 on a port the OS picks; read it from {@link HttpServer#actualPort()}. */
  static Future<HttpServer> start(Vertx vertx, Path hlsDir) {
    return start(vertx, hlsDir, () -> null);
  }

  /** Also serves {@code /thumbnail.jpg}: the stream's latest thumbnail (404 before the first one). */
  static Future<HttpServer> start(Vertx vertx, Path hlsDir, Supplier<Buffer> thumbnail) {
    Router router = Router.router(vertx);
    router.get("/" + THUMBNAIL).handler(ctx -> {
      Buffer jpeg = thumbnail.get();
      HttpServerResponse response = ctx.response().putHeader("Access-Control-Allow-Origin", "*")
        .putHeader("Cache-Control", "no-cache, no-store");
      if (jpeg == null) {
        response.setStatusCode(404).end();
      } else {
        response.putHeader("Content-Type", "image/jpeg").end(jpeg);
      }
    });
    router.route("/hls/*").handler(ctx -> {
      String path = ctx.normalizedPath();
      HttpServerResponse response = ctx.response();
      // The preview page lives on the server's origin, not the machine's.
      response.putHeader("Access-Control-Allow-Origin", "*");
      // StaticHandler picks its content type while sending; these win because they are set last.
      ctx.addHeadersEndHandler(v -> {
        if (path.endsWith(".m3u8")) {
          response.putHeader("Content-Type", "application/vnd.apple.mpegurl");
          response.putHeader("Cache-Control", "no-cache, no-store");
        } else if (path.endsWith(".mpd")) {
          response.putHeader("Content-Type", "application/dash+xml");
          response.putHeader("Cache-Control", "no-cache, no-store");
        } else if (path.endsWith(".ts")) {
          response.putHeader("Content-Type", "video/mp2t");
        } else if (path.endsWith(".m4s") || path.endsWith(".mp4")) {
          response.putHeader("Content-Type", "video/mp4");
        }
      });
      ctx.next();
    });
    router.route("/hls/*").handler(StaticHandler.create(FileSystemAccess.ROOT, hlsDir.toAbsolutePath().toString())
      // Files are rewritten and deleted by ffmpeg all the time: no cached file properties, no listing.
      .setFilesReadOnly(false)
      .setCachingEnabled(false)
      .setDirectoryListing(false));
    return vertx.createHttpServer(new HttpServerOptions().setHost("0.0.0.0").setPort(0))
      .requestHandler(router)
      .listen();
  }
}
