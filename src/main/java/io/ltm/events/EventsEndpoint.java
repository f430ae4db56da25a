package io.ltm.events;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.http.Endpoint;
import io.ltm.http.Params;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.sqlclient.Pool;

/** {@code GET /api/v1/events?after=SEQ}: what a client missed, for those that poll instead of listening. */
public class EventsEndpoint implements Endpoint {
  private static final int DEFAULT_LIMIT = 200;
  private static final int MAX_LIMIT = 1000;

  private final Pool pool;

  public EventsEndpoint(Pool pool) {
    this.pool = pool;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("listEvents").addHandler(ctx -> {
      long after = Params.queryLong(ctx, "after", 0, 0, Long.MAX_VALUE);
      int limit = (int) Params.queryLong(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
      String accountId = ApiKeyAuthHandler.principal(ctx).accountId();
      Endpoint.respond(ctx, 200, EventLog.after(pool, accountId, after, limit).map(items -> new JsonObject()
        .put("items", items)
        .put("lastSeq", items.isEmpty() ? after : items.getJsonObject(items.size() - 1).getLong("seq"))));
    });
  }
}
