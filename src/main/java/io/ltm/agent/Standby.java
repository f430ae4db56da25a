package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * A warm agent's wait for its stream (docs/agent-protocol.md, warm pools): it calls {@code wait} again and again,
 * each call held by the server until a start claims the machine, so the pipeline arrives the moment it exists, not
 * at a next heartbeat. Each call also tells the server the machine is alive. Like a running agent, one that cannot
 * reach the server for the fence time ends (it may already be replaced); one the server lets go ends too.
 */
final class Standby {
  private static final Logger LOG = LoggerFactory.getLogger(Standby.class);
  private static final long RETRY_MS = 1_000;

  /** What hello answered a warm machine: its agent token, and how long the server holds a wait. */
  record Terms(String agentToken, int waitSeconds, int heartbeatSeconds, int fenceMinSeconds) {
    static Terms fromJson(JsonObject body) {
      String token = body.getString("agentToken");
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("standby without agentToken");
      }
      return new Terms(token, body.getInteger("waitSeconds", 2), body.getInteger("heartbeatSeconds", 2),
        body.getInteger("fenceMinSeconds", 30));
    }

    long fenceMs() {
      return Math.max(fenceMinSeconds * 1000L, 10_000L * Math.max(1, heartbeatSeconds));
    }
  }

  /** The server let this machine go (410): the agent exits cleanly. */
  static final class Released extends RuntimeException {
    Released(String message) {
      super(message);
    }
  }

  private final Vertx vertx;
  private final HomeClient home;
  private final Terms terms;
  private long lastContactNanos = System.nanoTime();
  private volatile boolean stopped;

  Standby(Vertx vertx, HomeClient home, Terms terms) {
    this.vertx = vertx;
    this.home = home;
    this.terms = terms;
  }

  /** The pipeline, once a start claims this machine; fails with {@link Released} or when fenced. */
  Future<Pipeline> pipeline() {
    Promise<Pipeline> result = Promise.promise();
    next(result);
    return result.future();
  }

  void stop() {
    stopped = true;
  }

  private void next(Promise<Pipeline> result) {
    if (stopped) {
      result.tryFail(new Released("stopping"));
      return;
    }
    // The server holds a wait up to waitSeconds; a little more lets its answer through.
    home.await(terms.agentToken(), terms.waitSeconds() * 1000L + HomeClient.TIMEOUT_MS).onComplete(ar -> {
      if (ar.succeeded()) {
        lastContactNanos = System.nanoTime();
        if (ar.result() != null) {
          result.tryComplete(ar.result().withAgentToken(terms.agentToken()));
        } else {
          next(result);
        }
        return;
      }
      Throwable err = ar.cause();
      if (err instanceof HomeClient.GoneException) {
        result.tryFail(new Released(err.getMessage()));
        return;
      }
      if (err instanceof HomeClient.RefusedException || err instanceof IllegalStateException) {
        result.tryFail(err);
        return;
      }
      long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContactNanos);
      if (silentMs >= terms.fenceMs()) {
        LOG.error("server unreachable for {} ms while on standby; exiting", silentMs);
        result.tryFail(err);
        return;
      }
      LOG.warn("wait failed ({}); calling again", err.toString());
      vertx.setTimer(RETRY_MS, id -> next(result));
    });
  }
}
