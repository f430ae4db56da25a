package io.ltm.cdn.upload;

import io.ltm.cdn.domain.CdnTarget;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;

/**
 * HTTP PUT and DELETE of playlists and segments under the profile's {@code url}: a WebDAV server, or an
 * Akamai-style HTTP ingest. Optional basic auth ({@code username} + secret {@code password}) or a token header
 * ({@code headerName} + secret {@code token}). Its own client and connection pool, so a slow CDN holds up no other.
 */
public final class HttpPutUploader implements Uploader {
  static final long TIMEOUT_MS = 10_000;

  private final WebClient client;
  private final String base;
  private final String publicBase;
  private final CdnTarget target;

  public HttpPutUploader(Vertx vertx, CdnTarget target) {
    this.target = target;
    this.client = WebClient.create(vertx, new WebClientOptions().setUserAgent("ltm-agent")
      .setConnectTimeout(5_000).setKeepAlive(true));
    this.base = trimSlash(target.setting("url"));
    String playback = target.setting("playbackUrl");
    this.publicBase = trimSlash(playback == null || playback.isBlank() ? base : playback);
  }

  @Override
  public Future<Void> put(String path, Buffer body, String contentType, String cacheControl) {
    return send(HttpMethod.PUT, path, body, contentType, cacheControl);
  }

  @Override
  public Future<Void> delete(String path) {
    return send(HttpMethod.DELETE, path, null, null, null).recover(err ->
      // Already gone is what a delete wants.
      err instanceof UploadException u && UploadException.NOT_FOUND.equals(u.code()) && !path.isEmpty()
        ? Future.succeededFuture() : Future.failedFuture(err));
  }

  @Override
  public String publicUrl(String path) {
    return publicBase + "/" + path;
  }

  @Override
  public void close() {
    client.close();
  }

  private Future<Void> send(HttpMethod method, String path, Buffer body, String contentType, String cacheControl) {
    HttpRequest<Buffer> request = client.requestAbs(method, base + "/" + path).timeout(TIMEOUT_MS);
    if (contentType != null) {
      request.putHeader("Content-Type", contentType);
    }
    if (cacheControl != null) {
      request.putHeader("Cache-Control", cacheControl);
    }
    String auth = target.setting("authType");
    if ("basic".equals(auth)) {
      request.basicAuthentication(nonNull(target.setting("username")), nonNull(target.secret("password")));
    } else if ("token".equals(auth)) {
      request.putHeader(target.setting("headerName") == null ? "Authorization" : target.setting("headerName"),
        nonNull(target.secret("token")));
    }
    Future<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendBuffer(body);
    return sent.transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(connectionFailure(ar.cause(), base));
      }
      int status = ar.result().statusCode();
      if (status / 100 == 2) {
        return Future.succeededFuture();
      }
      return Future.failedFuture(statusFailure(method + " " + base + "/" + path, status, auth));
    });
  }

  static UploadException statusFailure(String what, int status, String auth) {
    if (status == 401 || status == 403) {
      return new UploadException(UploadException.UNAUTHORIZED, what + " was refused (" + status + "): check the "
        + ("token".equals(auth) ? "token" : "user name and password") + " of the profile",
        "token".equals(auth) ? "token" : "password");
    }
    if (status == 404 || status == 405 || status == 409) {
      return new UploadException(UploadException.NOT_FOUND, what + " answered " + status
        + ": the URL does not accept uploads (a WebDAV location with PUT and DELETE enabled is needed)", "url");
    }
    return new UploadException(UploadException.REFUSED, what + " answered " + status, "url");
  }

  static UploadException connectionFailure(Throwable err, String where) {
    Throwable cause = err;
    while (cause.getCause() != null && !(cause instanceof ConnectException)) {
      cause = cause.getCause();
    }
    if (err instanceof TimeoutException || err.getClass().getSimpleName().contains("Timeout")) {
      return new UploadException(UploadException.TIMEOUT, where + " did not answer in time", "url");
    }
    if (cause instanceof UnknownHostException) {
      return new UploadException(UploadException.UNREACHABLE, where + ": unknown host", "url");
    }
    return new UploadException(UploadException.UNREACHABLE, where + " cannot be reached ("
      + (err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage()) + ")", "url");
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  static String trimSlash(String url) {
    if (url == null) {
      return "";
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
