package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.nio.file.Path;

/**
 * The latest thumbnail, held in memory so the stable URL always serves a whole JPEG: ffmpeg rewrites its file in
 * place, and a read can catch it half-written. {@link #poll()} adopts the file's content when it is a complete
 * JPEG that differs from the one held.
 */
final class Thumbnails {
  private final Vertx vertx;
  private final Path file;
  private Buffer current;
  private int version;

  Thumbnails(Vertx vertx, Path file) {
    this.vertx = vertx;
    this.file = file;
  }

  Path file() {
    return file;
  }

  /** The JPEG to serve, or null before the first one. */
  Buffer current() {
    return current;
  }

  int version() {
    return version;
  }

  /** True when a new thumbnail was adopted. */
  Future<Boolean> poll() {
    return vertx.fileSystem().readFile(file.toString()).map(data -> {
      if (!isWholeJpeg(data) || data.equals(current)) {
        return false;
      }
      current = data;
      version++;
      return true;
    }).otherwise(false);
  }

  static boolean isWholeJpeg(Buffer b) {
    int n = b.length();
    return n > 4 && (b.getByte(0) & 0xFF) == 0xFF && (b.getByte(1) & 0xFF) == 0xD8
      && (b.getByte(n - 2) & 0xFF) == 0xFF && (b.getByte(n - 1) & 0xFF) == 0xD9;
  }
}
