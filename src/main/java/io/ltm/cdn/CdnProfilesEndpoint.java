package io.ltm.cdn;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.audit.Actor;
import io.ltm.http.Endpoint;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/** {@code /api/v1/cdn-profiles}: create (checked), list, get, check, delete. */
public class CdnProfilesEndpoint implements Endpoint {
  private final CdnProfileService profiles;

  public CdnProfilesEndpoint(CdnProfileService profiles) {
    this.profiles = profiles;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("listCdnProfiles").addHandler(ctx -> Endpoint.respond(ctx, 200, profiles.list(account(ctx))));
    builder.getRoute("createCdnProfile").addHandler(ctx -> Endpoint.respond(ctx, 201,
      profiles.create(account(ctx), body(ctx), Actor.of(ctx))));
    builder.getRoute("getCdnProfile").addHandler(ctx -> Endpoint.respond(ctx, 200, profiles.get(account(ctx), id(ctx))));
    builder.getRoute("checkCdnProfile").addHandler(ctx -> Endpoint.respond(ctx, 200,
      profiles.check(account(ctx), id(ctx))));
    builder.getRoute("deleteCdnProfile").addHandler(ctx -> Endpoint.respond(ctx, 204,
      profiles.delete(account(ctx), id(ctx), Actor.of(ctx)).map(v -> null)));
  }

  private static JsonObject body(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    return body == null ? new JsonObject() : body;
  }

  private static String account(RoutingContext ctx) {
    return ApiKeyAuthHandler.principal(ctx).accountId();
  }

  private static String id(RoutingContext ctx) {
    return ctx.pathParam("profileId");
  }
}
