package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The server's agent endpoints as docs/agent-protocol.md states them, recording what the agent sends. */
final class StandInHome {

  static final String MACHINE = "mch_it";
  static final String BOOTSTRAP_TOKEN = "boot-token";

  final AtomicReference<Pipeline> pipeline = new AtomicReference<>();
  final AtomicInteger heartbeatAnswer = new AtomicInteger(204);
  final BlockingQueue<JsonObject> statuses = new LinkedBlockingQueue<>();
  final BlockingQueue<JsonObject> heartbeats = new LinkedBlockingQueue<>();
  HttpServer server;

  Future<HttpServer> listen(Vertx vertx) {
    return vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      String auth = req.getHeader("Authorization");
      String path = req.path();
      if (path.equals("/internal/agents/" + MACHINE + "/hello")) {
        if (!("Bearer " + BOOTSTRAP_TOKEN).equals(auth)) {
          req.response().setStatusCode(401).end();
          return;
        }
        req.response().putHeader("Content-Type", "application/json")
          .end(PipelineJsonTest.toJson(pipeline.get()).put("futureField", 1).encode());
      } else if (!("Bearer " + pipeline.get().agentToken()).equals(auth)) {
        req.response().setStatusCode(401).end();
      } else if (path.endsWith("/status")) {
        statuses.add(body.toJsonObject());
        req.response().setStatusCode(204).end();
      } else if (path.endsWith("/heartbeat")) {
        heartbeats.add(body.toJsonObject());
        req.response().setStatusCode(heartbeatAnswer.get()).end();
      } else {
        req.response().setStatusCode(404).end();
      }
    })).listen(0, "127.0.0.1").onSuccess(s -> server = s);
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/";
  }

  static JsonObject next(BlockingQueue<JsonObject> queue, int seconds) throws InterruptedException {
    JsonObject value = queue.poll(seconds, TimeUnit.SECONDS);
    assertThat(value).as("a call within %d s", seconds).isNotNull();
    return value;
  }
}
