package io.ltm.account;

import io.ltm.audit.Actor;
import io.ltm.common.ApiException;
import io.ltm.common.JsonInput;
import io.ltm.http.Endpoint;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/** The caller's account: who it is, its API keys and its usage so far. */
public class AccountEndpoint implements Endpoint {
  private final ApiKeys apiKeys;
  private final Usage usage;

  public AccountEndpoint(ApiKeys apiKeys, Usage usage) {
    this.apiKeys = apiKeys;
    this.usage = usage;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("getMe").addHandler(ctx -> {
      ApiKeys.Principal me = ApiKeyAuthHandler.principal(ctx);
      Endpoint.respond(ctx, 200, Future.succeededFuture(
        new JsonObject().put("accountId", me.accountId()).put("name", me.accountName())));
    });
    builder.getRoute("listApiKeys").addHandler(ctx -> Endpoint.respond(ctx, 200,
      apiKeys.list(account(ctx)).map(items -> new JsonObject().put("items", items))));
    builder.getRoute("createApiKey").addHandler(ctx -> {
      String label = JsonInput.optionalString(ctx.body().asJsonObject(), "label", "label");
      label = label == null ? "" : label.trim();
      if (label.isEmpty()) {
        ctx.fail(ApiException.badRequest("invalid_field", "label must not be blank", "label"));
        return;
      }
      Endpoint.respond(ctx, 201, apiKeys.createForApi(account(ctx), label, Actor.of(ctx)));
    });
    builder.getRoute("revokeApiKey").addHandler(ctx -> {
      String keyId = ctx.pathParam("keyId");
      Endpoint.respond(ctx, 204, apiKeys.revoke(account(ctx), keyId, Actor.of(ctx)).compose(found -> found
        ? Future.succeededFuture(null) : Future.failedFuture(ApiException.notFound("API key", keyId))));
    });
    builder.getRoute("getUsage").addHandler(ctx -> Endpoint.respond(ctx, 200, usage.of(account(ctx))));
  }

  private static String account(RoutingContext ctx) {
    return ApiKeyAuthHandler.principal(ctx).accountId();
  }
}
