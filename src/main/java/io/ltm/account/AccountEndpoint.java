package io.ltm.account;

import io.ltm.http.Endpoint;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.openapi.router.RouterBuilder;

public class AccountEndpoint implements Endpoint {
  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("getMe").addHandler(ctx -> {
      ApiKeys.Principal me = ApiKeyAuthHandler.principal(ctx);
      Endpoint.respond(ctx, 200, Future.succeededFuture(
        new JsonObject().put("accountId", me.accountId()).put("name", me.accountName())));
    });
  }
}
