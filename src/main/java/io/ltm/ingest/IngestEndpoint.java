package io.ltm.ingest;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.audit.Actor;
import io.ltm.common.JsonInput;
import io.ltm.http.Endpoint;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/** {@code /api/v1/streams/{id}/ingest} and {@code …/stream-key/rotate}. */
public class IngestEndpoint implements Endpoint {
  private final IngestService ingest;

  public IngestEndpoint(IngestService ingest) {
    this.ingest = ingest;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("getIngest").addHandler(ctx -> Endpoint.respond(ctx, 200, ingest.get(account(ctx), id(ctx))));
    builder.getRoute("replaceIngest").addHandler(ctx -> Endpoint.respond(ctx, 200,
      ingest.replace(account(ctx), id(ctx), body(ctx), Actor.of(ctx))));
    builder.getRoute("rotateStreamKey").addHandler(ctx -> Endpoint.respond(ctx, 200,
      ingest.rotate(account(ctx), id(ctx), JsonInput.intOr(body(ctx), "graceSeconds", "graceSeconds",
        IngestService.DEFAULT_GRACE_SECONDS, 0, IngestService.MAX_GRACE_SECONDS), Actor.of(ctx))));
  }

  private static JsonObject body(RoutingContext ctx) {
    JsonObject body = ctx.body() == null || ctx.body().length() == 0 ? null : ctx.body().asJsonObject();
    return body == null ? new JsonObject() : body;
  }

  private static String account(RoutingContext ctx) {
    return ApiKeyAuthHandler.principal(ctx).accountId();
  }

  private static String id(RoutingContext ctx) {
    return ctx.pathParam("streamId");
  }
}
