package io.ltm.cdn.upload;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * Writes and deletes objects on one CDN, under paths relative to the profile's base ({@code str_…/720p/seg_1.ts}).
 * Failures are {@link UploadException}s. Futures complete on the caller's Vert.x context.
 */
public interface Uploader {

  Future<Void> put(String path, Buffer body, String contentType, String cacheControl);

  Future<Void> delete(String path);

  /** The URL a viewer reads {@code path} from. */
  String publicUrl(String path);

  void close();

  /** Content type of an HLS/DASH file by its name. */
  static String contentType(String path) {
    if (path.endsWith(".m3u8")) {
      return "application/vnd.apple.mpegurl";
    }
    if (path.endsWith(".ts")) {
      return "video/mp2t";
    }
    if (path.endsWith(".m4s") || path.endsWith(".mp4")) {
      return "video/mp4";
    }
    if (path.endsWith(".mpd")) {
      return "application/dash+xml";
    }
    return "application/octet-stream";
  }

  /**
   * Cache-Control suited to live: a playlist changes every segment, so caches keep it a second; a segment never
   * changes once written (names are unique per run), so caches keep it a day.
   */
  static String cacheControl(String path) {
    return path.endsWith(".m3u8") || path.endsWith(".mpd") ? "max-age=1" : "max-age=86400";
  }
}
