package io.ltm.events;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.http.Endpoint;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.sqlclient.Pool;

/** {@code GET /api/v1/events?after=SEQ}: what a client missed, for those that poll instead of listening. */
public class EventsEndpoint implements Endpoint {
  private static final int DEFAULT_LIMIT = 200;

  private final Pool pool;

  public EventsEndpoint(Pool pool) {
    this.pool = pool;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("listEvents").addHandler(ctx -> {
      ValidatedRequest request = ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
      long after = longParam(request, "after", 0);
      int limit = (int) longParam(request, "limit", DEFAULT_LIMIT);
      String accountId = ApiKeyAuthHandler.principal(ctx).accountId();
      Endpoint.respond(ctx, 200, EventLog.after(pool, accountId, after, limit).map(items -> new JsonObject()
        .put("items", items)
        .put("lastSeq", items.isEmpty() ? after : items.getJsonObject(items.size() - 1).getLong("seq"))));
    });
  }

  /** A validated query parameter, or its default when absent (the contract has checked type and range). */
  private static long longParam(ValidatedRequest request, String name, long fallback) {
    RequestParameter value = request.getQuery().get(name);
    return value == null || value.isNull() ? fallback : value.getLong();
  }
}
