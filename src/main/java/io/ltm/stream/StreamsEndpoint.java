package io.ltm.stream;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.http.Endpoint;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

public class StreamsEndpoint implements Endpoint {
  private final StreamService streams;

  public StreamsEndpoint(StreamService streams) {
    this.streams = streams;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("listStreams").addHandler(ctx -> Endpoint.respond(ctx, 200,
      streams.list(account(ctx)).map(list -> {
        JsonArray items = new JsonArray();
        list.forEach(s -> items.add(s.toJson()));
        return new JsonObject().put("items", items);
      })));
    builder.getRoute("getStream").addHandler(ctx -> Endpoint.respond(ctx, 200,
      streams.get(account(ctx), id(ctx)).map(Stream::toJson)));
    builder.getRoute("startStream").addHandler(ctx -> Endpoint.respond(ctx, 202,
      streams.start(account(ctx), id(ctx)).map(Stream::toJson)));
    builder.getRoute("stopStream").addHandler(ctx -> Endpoint.respond(ctx, 202,
      streams.stop(account(ctx), id(ctx)).map(Stream::toJson)));
    builder.getRoute("deleteStream").addHandler(ctx -> Endpoint.respond(ctx, 204,
      streams.delete(account(ctx), id(ctx)).map(v -> null)));
  }

  private static String account(RoutingContext ctx) {
    return ApiKeyAuthHandler.principal(ctx).accountId();
  }

  private static String id(RoutingContext ctx) {
    return ctx.pathParam("streamId");
  }
}
