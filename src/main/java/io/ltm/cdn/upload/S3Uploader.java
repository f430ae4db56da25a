package io.ltm.cdn.upload;

import io.ltm.cdn.domain.CdnTarget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Objects in an S3 bucket through the AWS SDK v2 async client: the same client talks to AWS and, in tests, to
 * moto_server ({@code endpoint} override, path-style addressing). Keys are {@code prefix/path}; each object gets
 * its content type and the live Cache-Control of {@link Uploader#cacheControl}. Viewers read through
 * {@code publicBaseUrl} (a CloudFront-style domain), else the bucket's own URL.
 */
public final class S3Uploader implements Uploader {

  private final Vertx vertx;
  private final S3AsyncClient s3;
  private final String bucket;
  private final String prefix;
  private final String publicBase;

  public S3Uploader(Vertx vertx, CdnTarget target) {
    this.vertx = vertx;
    this.bucket = target.setting("bucket");
    String p = target.setting("prefix");
    this.prefix = p == null || p.isBlank() ? "" : HttpPutUploader.trimSlash(p.startsWith("/") ? p.substring(1) : p) + "/";
    String region = target.setting("region") == null ? "us-east-1" : target.setting("region");
    String endpoint = target.setting("endpoint");
    S3AsyncClientBuilder builder = S3AsyncClient.builder()
      .region(Region.of(region))
      .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
        target.setting("accessKeyId"), target.secret("secretAccessKey"))))
      .httpClientBuilder(NettyNioAsyncHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
        .maxConcurrency(16))
      .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(15)).apiCallAttemptTimeout(Duration.ofSeconds(10)));
    if (endpoint != null && !endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint)).forcePathStyle(true);
    }
    this.s3 = builder.build();
    String publicBaseUrl = target.setting("publicBaseUrl");
    String bucketUrl = endpoint != null && !endpoint.isBlank()
      ? HttpPutUploader.trimSlash(endpoint) + "/" + bucket
      : "https://" + bucket + ".s3." + region + ".amazonaws.com";
    this.publicBase = HttpPutUploader.trimSlash(publicBaseUrl == null || publicBaseUrl.isBlank()
      ? bucketUrl + (prefix.isEmpty() ? "" : "/" + HttpPutUploader.trimSlash(prefix))
      : publicBaseUrl);
  }

  @Override
  public Future<Void> put(String path, Buffer body, String contentType, String cacheControl) {
    return onContext(s3.putObject(r -> r.bucket(bucket).key(prefix + path).contentType(contentType)
      .cacheControl(cacheControl), AsyncRequestBody.fromBytes(body.getBytes())), path);
  }

  @Override
  public Future<Void> delete(String path) {
    return onContext(s3.deleteObject(r -> r.bucket(bucket).key(prefix + path)), path);
  }

  @Override
  public String publicUrl(String path) {
    return publicBase + "/" + path;
  }

  @Override
  public void close() {
    s3.close();
  }

  /** SDK futures complete on SDK threads: the answer comes back on the caller's context (STYLE.md, 7). */
  private Future<Void> onContext(CompletableFuture<?> call, String path) {
    Context context = vertx.getOrCreateContext();
    return Future.fromCompletionStage(call, context).transform(ar -> ar.succeeded()
      ? Future.<Void>succeededFuture() : Future.failedFuture(failure(ar.cause(), path)));
  }

  private UploadException failure(Throwable err, String path) {
    Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    String where = "s3://" + bucket + "/" + prefix + path;
    if (e instanceof S3Exception s3e) {
      String code = s3e.awsErrorDetails() == null ? "" : s3e.awsErrorDetails().errorCode();
      int status = s3e.statusCode();
      if (status == 403 || "InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)
        || "AccessDenied".equals(code)) {
        return new UploadException(UploadException.UNAUTHORIZED, where + " was refused (" + code + "): check the "
          + "access key id and secret access key", "InvalidAccessKeyId".equals(code) ? "accessKeyId" : "secretAccessKey");
      }
      if ("NoSuchBucket".equals(code) || status == 404) {
        return new UploadException(UploadException.NOT_FOUND, "bucket " + bucket + " does not exist (" + code + ")",
          "bucket");
      }
      return new UploadException(UploadException.REFUSED, where + " answered " + status + " " + code, "endpoint");
    }
    if (e instanceof ApiCallTimeoutException) {
      return new UploadException(UploadException.TIMEOUT, where + ": S3 did not answer in time", "endpoint");
    }
    if (e instanceof SdkClientException) {
      return new UploadException(UploadException.UNREACHABLE, where + ": S3 cannot be reached (" + e.getMessage() + ")",
        "endpoint");
    }
    return new UploadException(UploadException.REFUSED, where + ": " + e, "endpoint");
  }
}
