package io.ltm.stream;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.http.Endpoint;
import io.ltm.http.Params;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/** Presets, capabilities, quotes, and each stream's configuration with its versions. */
public class StreamConfigEndpoint implements Endpoint {
  private final StreamConfigService configs;

  public StreamConfigEndpoint(StreamConfigService configs) {
    this.configs = configs;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("listPresets").addHandler(ctx -> Endpoint.respond(ctx, 200,
      Future.succeededFuture(configs.presets())));
    builder.getRoute("getCapabilities").addHandler(ctx -> Endpoint.respond(ctx, 200, configs.capabilities()));
    builder.getRoute("createQuote").addHandler(ctx -> Endpoint.respond(ctx, 200, configs.quote(body(ctx))));
    builder.getRoute("updateStream").addHandler(ctx -> Endpoint.respond(ctx, 200,
      configs.change(account(ctx), id(ctx), body(ctx)).map(Stream::toJson)));
    builder.getRoute("getStreamConfig").addHandler(ctx -> Endpoint.respond(ctx, 200,
      configs.current(account(ctx), id(ctx))));
    builder.getRoute("listStreamConfigVersions").addHandler(ctx -> Endpoint.respond(ctx, 200,
      configs.versions(account(ctx), id(ctx))));
    builder.getRoute("restoreStreamConfigVersion").addHandler(ctx -> Endpoint.respond(ctx, 200,
      configs.restore(account(ctx), id(ctx), (int) Params.pathLong(ctx, "version", 1, Integer.MAX_VALUE))
        .map(Stream::toJson)));
  }

  private static JsonObject body(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    return body == null ? new JsonObject() : body;
  }

  private static String account(RoutingContext ctx) {
    return ApiKeyAuthHandler.principal(ctx).accountId();
  }

  private static String id(RoutingContext ctx) {
    return ctx.pathParam("streamId");
  }
}
