package io.ltm.pool;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.ltm.common.JsonInput;
import io.ltm.config.LtmConfig.OperatorConfig;
import io.ltm.http.Endpoint;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.math.BigDecimal;

/**
 * The operator's endpoints, {@code /operator/v1/…}: the warm pools (read, change, drain) and an account's usage with
 * its machine cost and margin. They take the operator
 * token from the configuration ({@code operator.token}), never a customer's API key or session; with no token
 * configured they do not exist (404).
 */
public class OperatorEndpoint {
  public static final String BASE = "/operator/v1/";

  private final OperatorConfig operator;
  private final PoolStatus pools;
  private final io.ltm.account.Usage usage;

  public OperatorEndpoint(OperatorConfig operator, PoolStatus pools, io.ltm.account.Usage usage) {
    this.operator = operator;
    this.pools = pools;
    this.usage = usage;
  }

  public void addRoutes(Router router) {
    router.route(BASE + "*").handler(this::authorise);
    router.route(BASE + "*").handler(BodyHandler.create().setBodyLimit(4096));
    router.get(BASE + "pools").handler(ctx -> Endpoint.respond(ctx, 200, pools.status()));
    router.put(BASE + "pools/:class").handler(this::set);
    router.post(BASE + "pools/drain").handler(ctx -> Endpoint.respond(ctx, 200,
      pools.drain(JsonInput.optionalString(body(ctx), "class", "class"))));
    // An account's usage with what its streams' machines cost the operator, and the margin.
    router.get(BASE + "accounts/:accountId/usage").handler(ctx -> Endpoint.respond(ctx, 200,
      usage.withMachineCost(ctx.pathParam("accountId"))));
  }

  private void authorise(RoutingContext ctx) {
    String token = operator.token();
    if (token == null || token.isBlank()) {
      ctx.fail(new ApiException(404, "not_found", "no operator endpoints: operator.token is not configured", null,
        null));
      return;
    }
    String presented = ApiKeyAuthHandler.bearer(ctx.request().getHeader("Authorization"));
    if (presented == null || !Ids.sameHash(Ids.sha256(presented), Ids.sha256(token))) {
      ctx.fail(ApiException.unauthorized("the operator token is missing or wrong"));
      return;
    }
    ctx.next();
  }

  private void set(RoutingContext ctx) {
    JsonObject body = body(ctx);
    BigDecimal hourly;
    Object raw = body.getValue("maxHourlyUsd");
    if (raw == null) {
      hourly = null;
    } else if (raw instanceof Number n) {
      hourly = new BigDecimal(n.toString());
    } else {
      ctx.fail(ApiException.badRequest("invalid_field", "maxHourlyUsd must be a number (USD per hour)",
        "maxHourlyUsd"));
      return;
    }
    int big = 1000;
    Endpoint.respond(ctx, 200, pools.set(ctx.pathParam("class"),
      JsonInput.optionalInt(body, "minIdle", "minIdle", 0, big),
      JsonInput.optionalInt(body, "maxIdle", "maxIdle", 0, big),
      JsonInput.optionalInt(body, "stoppedIdle", "stoppedIdle", 0, big),
      JsonInput.optionalInt(body, "idleTtlSeconds", "idleTtlSeconds", 0, 365 * 86400), hourly));
  }

  private static JsonObject body(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw ApiException.badRequest("invalid_json", "the body must be a JSON object", null);
    }
    return body == null ? new JsonObject() : body;
  }
}
