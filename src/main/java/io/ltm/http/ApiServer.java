package io.ltm.http;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.common.ApiException;
import io.ltm.common.FailureHandler;
import io.ltm.config.LtmConfig;
import io.ltm.events.EventBridge;
import io.ltm.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * The HTTP face of a server node: the contract-first API under {@code /api/v1}, the SockJS event bridge, the
 * agents' internal calls, health and readiness, and the web page.
 *
 * <p>A node deploys several instances ({@code http.instances}), each with its own router on its own event loop, all
 * listening on one port. Everything given to the constructor is shared by them and used from all their loops at
 * once: it must be safe to (the rate limiter, the key cache, the event fan-out, the services). What each instance
 * builds in {@link #start} (router, validators, body handlers) is its own.
 */
public class ApiServer extends VerticleBase {
  private static final String API = "/api/v1/";
  private static final String CONTRACT = "openapi.yaml";
  /** The agents' calls under /internal/agents, validated like the API. */
  private static final String AGENT_CONTRACT = "agent-api.yaml";

  private final LtmConfig config;
  private final ApiKeyAuthHandler auth;
  private final RateLimiter rateLimiter;
  /** The port to listen on: the configured one, or a negative one for a random port all instances share. */
  private final int listenPort;
  private final List<Endpoint> endpoints;
  private final EventBridge bridge;
  private final BiConsumer<Router, OpenAPIContract> internalRoutes;
  private final HealthChecks readiness;
  private HttpServer server;

  /**
   * @param rateLimiter the node's one limiter, shared by every instance: a key's budget is per node
   * @param listenPort  {@code http.port}, or for a random port a negative number unique to this node: Vert.x gives
   *                    servers listening on port 0 a random port each, and those on the same negative number one
   *                    shared random port
   */
  public ApiServer(LtmConfig config, ApiKeyAuthHandler auth, RateLimiter rateLimiter, int listenPort,
                   List<Endpoint> endpoints, EventBridge bridge, BiConsumer<Router, OpenAPIContract> internalRoutes,
                   HealthChecks readiness) {
    this.config = config;
    this.auth = auth;
    this.rateLimiter = rateLimiter;
    this.listenPort = listenPort;
    this.endpoints = endpoints;
    this.bridge = bridge;
    this.internalRoutes = internalRoutes;
    this.readiness = readiness;
  }

  @Override
  public Future<?> start() {
    return OpenAPIContract.from(vertx, CONTRACT).compose(contract -> OpenAPIContract.from(vertx, AGENT_CONTRACT)
      .compose(agentContract -> {
      Router router = router(ContractValidation.cachingValidators(contract),
        ContractValidation.cachingValidators(agentContract));
      HttpServerOptions options = new HttpServerOptions()
        .setMaxInitialLineLength(FailureHandler.MAX_URL_CHARS)
        .setMaxHeaderSize(FailureHandler.MAX_HEADER_BYTES);
      if (config.http().sendBufferBytes() > 0) {
        options.setSendBufferSize(config.http().sendBufferBytes());
      }
      server = vertx.createHttpServer(options);
      return server.requestHandler(router)
        .invalidRequestHandler(FailureHandler::invalidRequest)
        .listen(listenPort, config.http().host());
    }));
  }

  /** The port actually bound (tests ask for port 0). */
  public int port() {
    return server.actualPort();
  }

  private Router router(OpenAPIContract contract, OpenAPIContract agentContract) {
    RequestExtractor extractor = RequestExtractor.withBodyHandler();
    RouterBuilder builder = RouterBuilder.create(vertx, contract, extractor);
    ContractValidation.onEventLoop(vertx, builder, contract, extractor);
    BodyHandler body = BodyHandler.create().setBodyLimit(config.http().maxBodyBytes()).setHandleFileUploads(false);
    // Order matters: malformed URLs and media types are refused before a body is read or a key looked up.
    builder.rootHandler(RequestGuard::checkEscapes);
    builder.rootHandler(onlyApi(RequestGuard::checkApiRequest));
    builder.rootHandler(onlyApi(body));
    builder.rootHandler(onlyApi(RequestGuard::checkJsonBody));
    builder.rootHandler(onlyApi(ctx -> {
      // Signing in is the one API call made before there is a key or a session.
      if (ctx.request().method() == io.vertx.core.http.HttpMethod.POST
        && ctx.normalizedPath().equals(io.ltm.account.SessionEndpoint.SIGN_IN_PATH)) {
        ctx.next();
      } else {
        auth.handle(ctx);
      }
    }));
    builder.rootHandler(onlyApi(rateLimiter));
    builder.getRoutes().forEach(route -> route.setDoSecurity(false).addHandler(RequestGuard::checkPathIds));
    endpoints.forEach(e -> e.addRoutes(builder));
    Router router = builder.createRouter();
    // Failures no route's failure handler takes (a path the router itself cannot decode, say) still get the JSON.
    for (int status : new int[] {400, 401, 403, 404, 405, 406, 413, 414, 415, 429, 431, 500, 501, 503}) {
      router.errorHandler(status, FailureHandler::routerError);
    }

    FailureHandler failures = new FailureHandler();
    router.get(API + CONTRACT).handler(ctx -> ctx.response()
      .putHeader("Content-Type", "application/yaml")
      .sendFile(CONTRACT));
    router.route(API + "*").handler(ctx -> ctx.fail(new ApiException(404, "not_found",
      "no such API route: " + ctx.request().method() + " " + ctx.request().path(), null, null)));
    router.route(API + "*").failureHandler(failures);
    internalRoutes.accept(router, agentContract);
    router.route("/internal/*").failureHandler(failures);
    router.route("/operator/*").failureHandler(failures);

    router.get("/health").handler(ctx -> ctx.json(new io.vertx.core.json.JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(Meters.registry()));
    router.route(EventBridge.MOUNT + "/*").subRouter(bridge.router());
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    return router;
  }

  /** 200 when every dependency answers, else 503; the body names each check's outcome. */
  private void ready(RoutingContext ctx) {
    readiness.checkStatus().onComplete(ar -> {
      boolean up = ar.succeeded() && ar.result().getUp();
      io.vertx.core.json.JsonObject body = ar.succeeded() ? ar.result().toJson()
        : new io.vertx.core.json.JsonObject().put("status", "DOWN");
      ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json").end(body.encode());
    });
  }

  /** Runs a root handler for API calls only (not the contract itself, which is public), else passes through. */
  private static Handler<RoutingContext> onlyApi(Handler<RoutingContext> handler) {
    return ctx -> {
      String path = ctx.normalizedPath();
      if (path.startsWith(API) && !path.equals(API + CONTRACT)) {
        handler.handle(ctx);
      } else {
        ctx.next();
      }
    };
  }
}
