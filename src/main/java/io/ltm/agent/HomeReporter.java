package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The agent's reporting to the server: status reports in order, heartbeats carrying health, thumbnail and CDN
 * announcements, and the fence: a server silent for too long, or one that answers 410, ends the agent through
 * {@code onEnd}. Touched only on the agent's context.
 */
final class HomeReporter {

  private static final Logger LOG = LoggerFactory.getLogger(HomeReporter.class);

  private final Vertx vertx;
  private final HomeClient home;
  private final Pipeline pipeline;
  private final Supplier<JsonObject> health;
  private final Consumer<JsonObject> onBeatAnswer;
  private final IntConsumer onEnd;
  private Future<Void> statusChain = Future.succeededFuture();
  private long lastContactNanos = System.nanoTime();
  private long beatTimer = -1;
  private boolean stopping;

  /**
   * @param health       the heartbeat's {@code progress} object, built at each beat
   * @param onBeatAnswer what the server answered a heartbeat with (the stream keys valid now)
   * @param onEnd        the agent must end, with this exit code (0: the server let it go; 1: fenced)
   */
  HomeReporter(Vertx vertx, HomeClient home, Pipeline pipeline, Supplier<JsonObject> health,
               Consumer<JsonObject> onBeatAnswer, IntConsumer onEnd) {
    this.vertx = vertx;
    this.home = home;
    this.pipeline = pipeline;
    this.health = health;
    this.onBeatAnswer = onBeatAnswer;
    this.onEnd = onEnd;
  }

  void startHeartbeats() {
    beatTimer = vertx.setPeriodic(heartbeatMs(), id -> heartbeat());
  }

  void stop() {
    stopping = true;
    if (beatTimer >= 0) {
      vertx.cancelTimer(beatTimer);
    }
  }

  /** Status reports go out one at a time so the server sees READY before LIVE, whatever the network does. */
  Future<Void> report(JsonObject body) {
    statusChain = statusChain.transform(previous -> send("status", body));
    return statusChain;
  }

  /** Announcements that must arrive (a CDN switch) share the status chain, so they keep their order too. */
  Future<Void> announceCdn(JsonObject body) {
    statusChain = statusChain.transform(previous -> send("cdn", body));
    return statusChain;
  }

  void announceThumbnail(JsonObject body) {
    home.call("thumbnail", pipeline.agentToken(), body)
      .onFailure(err -> LOG.warn("thumbnail not announced: {}", err.getMessage()));
  }

  private Future<Void> send(String call, JsonObject body) {
    return send(call, body, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(fenceAfterMs()));
  }

  /**
   * A server that answers 5xx (its database restarting, say) is asked again, like one that cannot be reached, until
   * the fence's time has passed: a LIVE that never arrives would leave the stream READY for good. A 4xx is final.
   */
  private Future<Void> send(String call, JsonObject body, long serverErrorDeadline) {
    return home.call(call, pipeline.agentToken(), body).transform(ar -> {
      if (ar.succeeded()) {
        lastContactNanos = System.nanoTime();
        if (ar.result() == HomeClient.Reply.GONE) {
          onEnd.accept(0);
        }
        return Future.succeededFuture();
      }
      boolean serverError = ar.cause() instanceof HomeClient.RefusedException refused && refused.status >= 500
        && System.nanoTime() < serverErrorDeadline;
      if (stopping || (ar.cause() instanceof HomeClient.RefusedException && !serverError)) {
        LOG.warn("{} {} not delivered: {}", call, body.getString("state", ""), ar.cause().getMessage());
        return Future.succeededFuture();
      }
      if (serverError) {
        LOG.warn("{} {} not delivered yet ({}); trying again", call, body.getString("state", ""),
          ar.cause().getMessage());
      }
      // Unreachable: keep trying; fencing (heartbeat) ends the agent if this lasts.
      Promise<Void> retry = Promise.promise();
      vertx.setTimer(heartbeatMs(), id -> send(call, body, serverErrorDeadline).onComplete(retry));
      return retry.future();
    });
  }

  private void heartbeat() {
    home.heartbeat(pipeline.agentToken(), health.get()).onComplete(ar -> {
      if (ar.succeeded() || ar.cause() instanceof HomeClient.RefusedException) {
        lastContactNanos = System.nanoTime();
        if (ar.succeeded() && ar.result().reply() == HomeClient.Reply.GONE) {
          LOG.info("server no longer wants machine {}; stopping", pipeline.machineId());
          onEnd.accept(0);
        } else if (ar.failed()) {
          LOG.warn("heartbeat refused: {}", ar.cause().getMessage());
        } else {
          onBeatAnswer.accept(ar.result().body());
        }
        return;
      }
      long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContactNanos);
      LOG.warn("heartbeat failed ({}), server silent for {} ms", ar.cause().toString(), silentMs);
      if (silentMs >= fenceAfterMs()) {
        // A machine that cannot reach home may already be replaced: stop rather than run a second copy.
        LOG.error("server unreachable for {} ms; stopping ffmpeg and exiting", silentMs);
        onEnd.accept(1);
      }
    });
  }

  long heartbeatMs() {
    return Math.max(1, pipeline.heartbeatSeconds()) * 1000L;
  }

  private long fenceAfterMs() {
    return Math.max(pipeline.watch().fenceMinSeconds() * 1000L, 10 * heartbeatMs());
  }
}
