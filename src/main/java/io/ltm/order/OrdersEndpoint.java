package io.ltm.order;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.config.LtmConfig.MachinesConfig;
import io.ltm.http.Endpoint;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.sqlclient.Pool;

/** The catalog and purchases. */
public class OrdersEndpoint implements Endpoint {
  private final Pool pool;
  private final OfferRepository offers;
  private final OrderService orders;
  private final MachinesConfig machines;

  /** @param machines what each offer's streams run on: configuration, so an operator changes it without code */
  public OrdersEndpoint(Pool pool, OfferRepository offers, OrderService orders, MachinesConfig machines) {
    this.machines = machines;
    this.pool = pool;
    this.offers = offers;
    this.orders = orders;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("listOffers").addHandler(ctx -> Endpoint.respond(ctx, 200,
      offers.listActive(pool).map(list -> {
        JsonArray items = new JsonArray();
        list.forEach(o -> items.add(o.toJson().put("instanceType", machines.instanceTypesFor(o.id()).get(0))
          .put("instanceTypes", new JsonArray(machines.instanceTypesFor(o.id())))));
        return new JsonObject().put("items", items);
      })));

    builder.getRoute("createOrder").addHandler(ctx -> {
      String accountId = ApiKeyAuthHandler.principal(ctx).accountId();
      String key = ctx.request().getHeader("Idempotency-Key");
      orders.purchase(accountId, key, ctx.body().asJsonObject()).onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
        } else {
          ctx.response().setStatusCode(ar.result().status())
            .putHeader("Content-Type", "application/json")
            .putHeader("Location", "/api/v1/orders/" + ar.result().body().getString("id"))
            .end(ar.result().body().encode());
        }
      });
    });

    builder.getRoute("getOrder").addHandler(ctx -> Endpoint.respond(ctx, 200,
      orders.get(ApiKeyAuthHandler.principal(ctx).accountId(), ctx.pathParam("orderId"))));
  }
}
