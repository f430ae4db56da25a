package io.ltm.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/** One resource's routes, bound to the contract's operationIds. Handlers stay thin: parse, call a service, answer. */
public interface Endpoint {

  void addRoutes(RouterBuilder builder);

  /** Answers with the future's JSON (204 when it has none), or hands its failure to the one failure handler. */
  static void respond(RoutingContext ctx, int status, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result() == null) {
        ctx.response().setStatusCode(204).end();
      } else {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(ar.result().encode());
      }
    });
  }
}
