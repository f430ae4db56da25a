package io.ltm.account;

import io.ltm.common.ApiException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Authenticates every {@code /api/v1} request by its bearer API key and puts the caller on the context. */
public class ApiKeyAuthHandler implements Handler<RoutingContext> {
  private static final String PRINCIPAL = "ltm.principal";

  private final ApiKeys apiKeys;

  public ApiKeyAuthHandler(ApiKeys apiKeys) {
    this.apiKeys = apiKeys;
  }

  public static ApiKeys.Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** The key from {@code Authorization: Bearer <key>}, or null. */
  public static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).trim();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String key = bearer(ctx.request().getHeader("Authorization"));
    if (key == null) {
      ctx.fail(ApiException.unauthorized("a valid API key is required: Authorization: Bearer <key>"));
      return;
    }
    apiKeys.authenticate(key).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result() == null) {
        ctx.fail(ApiException.unauthorized("this API key is unknown or revoked"));
      } else {
        ctx.put(PRINCIPAL, ar.result());
        ctx.next();
      }
    });
  }
}
