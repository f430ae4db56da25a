package io.ltm.cdn.upload;

import io.ltm.cdn.domain.CdnKind;
import io.ltm.cdn.domain.CdnTarget;
import io.ltm.common.Ids;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/** Builds the uploader of a CDN kind, and proves a profile works: the check before an event. */
public final class Uploaders {
  /** Where the probe object goes, beside the streams' folders. */
  static final String PROBE_DIR = "ltm-probe";

  private Uploaders() {
  }

  /** For http-put and s3; null for the kinds nothing is uploaded to. */
  public static Uploader create(Vertx vertx, CdnTarget target) {
    return switch (target.kind()) {
      case CdnKind.HTTP_PUT -> new HttpPutUploader(vertx, target);
      case CdnKind.S3 -> new S3Uploader(vertx, target);
      default -> null;
    };
  }

  /**
   * Writes and deletes a small probe object (http-put, s3) or opens the RTMP handshake (rtmp); fails with the
   * {@link UploadException} that names what is wrong. What the agent runs, before a start and on a standby CDN every
   * few seconds: it never publishes to an RTMP ingest.
   */
  public static Future<Void> check(Vertx vertx, CdnTarget target) {
    return check(vertx, target, false);
  }

  /**
   * The check of a profile before an event: as {@link #check(Vertx, CdnTarget)}, and an rtmp profile with a stream
   * key also publishes with it (no media), so an ingest that checks keys names a wrong one now.
   */
  public static Future<Void> checkProfile(Vertx vertx, CdnTarget target) {
    return check(vertx, target, true);
  }

  private static Future<Void> check(Vertx vertx, CdnTarget target, boolean publish) {
    if (CdnKind.RTMP.equals(target.kind())) {
      String key = target.secret("streamKey");
      return RtmpHandshake.check(vertx, target.setting("url"), publish && key != null && !key.isBlank() ? key : null);
    }
    Uploader uploader = create(vertx, target);
    if (uploader == null) {
      return Future.succeededFuture();
    }
    String path = PROBE_DIR + "/" + Ids.random(12) + ".txt";
    return uploader.put(path, Buffer.buffer("LTM probe: safe to delete\n"), "text/plain", "no-store")
      .compose(v -> uploader.delete(path))
      .eventually(() -> {
        uploader.close();
        return Future.succeededFuture();
      });
  }
}
