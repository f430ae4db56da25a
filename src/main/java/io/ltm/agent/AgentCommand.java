package io.ltm.agent;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ltm agent}: runs one {@link AgentVerticle} until it ends (exit 0 when the server let it go, 1 when it
 * failed or could not start). SIGTERM closes Vert.x, which stops ffmpeg before the JVM goes.
 */
public final class AgentCommand {

  private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);

  /** ffmpeg gets 3 s after SIGTERM before SIGKILL; this leaves room for that and the undeploy around it. */
  static final long CLOSE_TIMEOUT_SECONDS = 10;

  private AgentCommand() {
  }

  public static void main(String[] args) {
    AgentOptions options;
    try {
      options = AgentOptions.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      LOG.error(e.getMessage());
      System.exit(1);
      return;
    }
    System.exit(run(options));
  }

  /** Blocks the calling (main) thread until the agent ends; returns the exit code. */
  static int run(AgentOptions options) {
    LOG.info("starting agent {}", options);
    Vertx vertx = Vertx.vertx();
    AtomicBoolean closing = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (closing.compareAndSet(false, true)) {
        LOG.info("terminating: stopping ffmpeg");
        close(vertx);
      }
    }, "ltm-agent-shutdown"));

    AgentVerticle agent = new AgentVerticle(options);
    CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    vertx.deployVerticle(agent)
      .onFailure(err -> {
        if (err instanceof Standby.Released) {
          // A warm machine the server let go before any stream claimed it (a drained pool, say).
          LOG.info("released from standby: {}", err.getMessage());
          exitCode.complete(0);
          return;
        }
        LOG.error("agent could not start: {}", err.getMessage(), err);
        exitCode.complete(1);
      })
      .onSuccess(id -> agent.terminated().onComplete(ar -> exitCode.complete(ar.succeeded() ? ar.result() : 1)));

    int code;
    try {
      code = exitCode.get();
    } catch (Exception e) {
      LOG.error("agent ended abnormally", e);
      code = 1;
    }
    if (closing.compareAndSet(false, true)) {
      close(vertx);
    }
    LOG.info("agent exiting with {}", code);
    return code;
  }

  private static void close(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Vert.x did not close cleanly: {}", e.toString());
    }
  }
}
