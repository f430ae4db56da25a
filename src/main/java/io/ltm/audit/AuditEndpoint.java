package io.ltm.audit;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.http.Endpoint;
import io.ltm.http.Params;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.sqlclient.Pool;

/** {@code GET /api/v1/audit}: the caller's account's audit log, newest first. */
public class AuditEndpoint implements Endpoint {
  private static final int DEFAULT_LIMIT = 100;

  private final Pool pool;

  public AuditEndpoint(Pool pool) {
    this.pool = pool;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("listAudit").addHandler(ctx -> {
      long before = Params.queryLong(ctx, "before", Long.MAX_VALUE, 1, Long.MAX_VALUE);
      int limit = (int) Params.queryLong(ctx, "limit", DEFAULT_LIMIT, 1, 500);
      Endpoint.respond(ctx, 200, AuditLog.page(pool, ApiKeyAuthHandler.principal(ctx).accountId(), before, limit));
    });
  }
}
