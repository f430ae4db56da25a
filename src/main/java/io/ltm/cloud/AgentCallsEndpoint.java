package io.ltm.cloud;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.common.ApiException;
import io.ltm.common.JsonInput;
import io.ltm.http.Endpoint;
import io.ltm.http.ContractValidation;
import io.ltm.http.RequestGuard;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.openapi.contract.OpenAPIContract;

/**
 * The HTTP side of docs/agent-protocol.md: {@code /internal/agents/{machineId}/…}. Each handler reads the
 * machine id, the bearer token and the body, and hands them to {@link AgentCalls}, which does the work.
 */
public class AgentCallsEndpoint {
  private final AgentCalls calls;

  public AgentCallsEndpoint(AgentCalls calls) {
    this.calls = calls;
  }

  /**
   * Binds the calls to {@code agent-api.yaml}: each request is validated against its operation there (types,
   * ranges, required fields) before a handler reads it, and a mistake is a 400 naming the field, as on the API.
   */
  public void addRoutes(Router router, OpenAPIContract contract, Vertx vertx) {
    String base = "/internal/agents/:machineId/";
    // The API's checks of media type (JSON or nothing) come first, then the body is read (16 KiB at most).
    router.post(base + "*").handler(RequestGuard::checkApiRequest);
    router.post(base + "*").handler(BodyHandler.create().setBodyLimit(16 * 1024).setHandleFileUploads(false));
    router.post(base + "*").handler(RequestGuard::checkJsonBody);
    router.post(base + "hello").handler(ContractValidation.validating(vertx, contract, "agentHello", this::hello));
    router.post(base + "wait").handler(ContractValidation.validating(vertx, contract, "agentWait", this::await));
    router.post(base + "status").handler(ContractValidation.validating(vertx, contract, "agentStatus", this::status));
    router.post(base + "heartbeat").handler(ContractValidation.validating(vertx, contract, "agentHeartbeat",
      this::heartbeat));
    router.post(base + "thumbnail").handler(ContractValidation.validating(vertx, contract, "agentThumbnail",
      this::thumbnail));
    router.post(base + "cdn").handler(ContractValidation.validating(vertx, contract, "agentCdnSwitch", this::cdnSwitch));
  }

  private void hello(RoutingContext ctx) {
    Endpoint.respond(ctx, 200, calls.hello(machineId(ctx), token(ctx)));
  }

  /** A warm agent waits for its stream: 200 with the pipeline once claimed, 204 after the hold (call again). */
  private void await(RoutingContext ctx) {
    Endpoint.respond(ctx, 200, calls.await(machineId(ctx), token(ctx)).map(p -> p == null ? null : JsonObject.mapFrom(p)));
  }

  private void status(RoutingContext ctx) {
    JsonObject body = body(ctx);
    if (tooLong(ctx, body, "playbackUrl") || tooLong(ctx, body, "dashPlaybackUrl")) {
      return;
    }
    Endpoint.respond(ctx, 200, calls.status(machineId(ctx), token(ctx), body.getString("state"),
      body.getString("previewUrl"), body.getString("ingestUrl"), clip(body.getString("reason")),
      body.getString("playbackUrl"), body.getString("activeCdn"), body.getString("dashPlaybackUrl"))
      .map(v -> (JsonObject) null));
  }

  /** The agent switched CDNs: {@code {active, activeName, previous, reason, playbackUrl, dashPlaybackUrl}}. */
  private void cdnSwitch(RoutingContext ctx) {
    JsonObject body = body(ctx);
    String active = body.getString("active");
    String playback = body.getString("playbackUrl");
    String dash = body.getString("dashPlaybackUrl");
    if (active == null || active.length() > 32 || playback != null && playback.length() > 1000) {
      ctx.fail(ApiException.badRequest("invalid_field", "active names the CDN now delivering the stream", "active"));
      return;
    }
    if (tooLong(ctx, body, "dashPlaybackUrl")) {
      return;
    }
    Endpoint.respond(ctx, 200, calls.cdnSwitch(machineId(ctx), token(ctx), active, body.getString("activeName"),
      body.getString("previous"), body.getString("reason"), playback, dash).map(v -> (JsonObject) null));
  }

  private void heartbeat(RoutingContext ctx) {
    Endpoint.respond(ctx, 200, calls.heartbeat(machineId(ctx), token(ctx), body(ctx).getJsonObject("progress")));
  }

  private void thumbnail(RoutingContext ctx) {
    JsonObject body = body(ctx);
    String url = body.getString("thumbnailUrl");
    if (url == null || !(url.startsWith("http://") || url.startsWith("https://")) || url.length() > 1000) {
      ctx.fail(ApiException.badRequest("invalid_field", "thumbnailUrl must be an http(s) URL", "thumbnailUrl"));
      return;
    }
    Endpoint.respond(ctx, 200, calls.thumbnail(machineId(ctx), token(ctx), url, JsonInput.intOr(body, "version", "version", 0, 0, Integer.MAX_VALUE))
      .map(v -> (JsonObject) null));
  }

  /** A reason is shown to the customer and stored in 1000 characters: ffmpeg's last line can be longer. */
  private static String clip(String reason) {
    return reason == null || reason.length() <= 900 ? reason : reason.substring(0, 900) + "…";
  }

  private static String machineId(RoutingContext ctx) {
    return ctx.pathParam("machineId");
  }

  private static String token(RoutingContext ctx) {
    return ApiKeyAuthHandler.bearer(ctx.request().getHeader("Authorization"));
  }

  /** A URL the streams table cannot hold is refused by name (and nothing is changed). */
  private static boolean tooLong(RoutingContext ctx, JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null || value instanceof String s && s.length() <= 1000) {
      return false;
    }
    ctx.fail(ApiException.badRequest("invalid_field", field + " must be a URL of at most 1000 characters", field));
    return true;
  }

  private static JsonObject body(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    return body == null ? new JsonObject() : body;
  }
}
