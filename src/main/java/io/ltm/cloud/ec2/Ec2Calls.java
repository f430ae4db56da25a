package io.ltm.cloud.ec2;

import io.ltm.metrics.Meters;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every AWS call goes through here: its latency and its outcome (the error code when there is one) are logged,
 * and its completion is brought back onto the caller's Vert.x context (STYLE.md row 7), so no LTM code ever runs
 * on an SDK thread. Reads that succeed quickly log at DEBUG: the reconciler polls them every few seconds.
 */
final class Ec2Calls {
  private static final Logger LOG = LoggerFactory.getLogger(Ec2Calls.class);
  private static final long SLOW_MS = 1000;

  private final Vertx vertx;

  Ec2Calls(Vertx vertx) {
    this.vertx = vertx;
  }

  <T> Future<T> call(String operation, String about, Supplier<CompletableFuture<T>> request) {
    Context context = vertx.getOrCreateContext();
    long started = System.nanoTime();
    CompletableFuture<T> sent;
    try {
      sent = request.get();
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> logged = sent.whenComplete((result, err) -> log(operation, about, started, err));
    return Future.fromCompletionStage(logged, context);
  }

  private static void log(String operation, String about, long started, Throwable err) {
    long nanos = System.nanoTime() - started;
    long ms = nanos / 1_000_000;
    String outcome = err == null ? "ok" : code(err) == null ? "no_answer" : code(err);
    Meters.timer("ltm_ec2_call", "EC2 (and SSM) API calls, by operation and outcome (ok or EC2's error code)",
      "operation", operation, "outcome", outcome).record(nanos, TimeUnit.NANOSECONDS);
    if (err == null) {
      boolean read = operation.startsWith("Describe") || operation.startsWith("Get");
      if (read && ms < SLOW_MS) {
        LOG.debug("ec2 {} {} ok in {} ms", operation, about, ms);
      } else {
        LOG.info("ec2 {} {} ok in {} ms", operation, about, ms);
      }
      return;
    }
    Throwable cause = unwrap(err);
    if (cause instanceof AwsServiceException aws) {
      LOG.warn("ec2 {} {} failed in {} ms: {} (HTTP {}, request {}): {}", operation, about, ms, code(cause),
        aws.statusCode(), aws.requestId(), aws.awsErrorDetails() == null ? "" : aws.awsErrorDetails().errorMessage());
    } else {
      LOG.warn("ec2 {} {} failed in {} ms: {}", operation, about, ms, cause.toString());
    }
  }

  /** EC2's error code ({@code InsufficientInstanceCapacity}, …), or null when the call never got an answer. */
  static String code(Throwable err) {
    Throwable cause = unwrap(err);
    if (cause instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
      return aws.awsErrorDetails().errorCode();
    }
    return null;
  }

  /** EC2's error message, for the operator's log and for the few decisions that read it. */
  static String message(Throwable err) {
    Throwable cause = unwrap(err);
    if (cause instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
      return aws.awsErrorDetails().errorMessage();
    }
    return cause.getMessage();
  }

  static Throwable unwrap(Throwable err) {
    Throwable cause = err;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
