package io.ltm.cloud;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.common.ApiException;
import io.ltm.common.JsonInput;
import io.ltm.http.Endpoint;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The HTTP side of docs/agent-protocol.md: {@code /internal/agents/{machineId}/…}. Each handler reads the
 * machine id, the bearer token and the body, and hands them to {@link AgentCalls}, which does the work.
 */
public class AgentCallsEndpoint {
  private final AgentCalls calls;

  public AgentCallsEndpoint(AgentCalls calls) {
    this.calls = calls;
  }

  public void addRoutes(Router router) {
    String base = "/internal/agents/:machineId/";
    router.post(base + "*").handler(BodyHandler.create().setBodyLimit(16 * 1024));
    router.post(base + "hello").handler(this::hello);
    router.post(base + "wait").handler(this::await);
    router.post(base + "status").handler(this::status);
    router.post(base + "heartbeat").handler(this::heartbeat);
    router.post(base + "thumbnail").handler(this::thumbnail);
    router.post(base + "cdn").handler(this::cdnSwitch);
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
      body.getString("previewUrl"), body.getString("ingestUrl"), body.getString("reason"),
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
