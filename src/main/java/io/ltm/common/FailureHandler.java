package io.ltm.common;

import io.ltm.stream.domain.IllegalTransitionException;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a failure becomes an HTTP answer. Known failures map to 4xx with the error JSON and are
 * logged without a stack trace; anything else is a 500 whose details stay in the log, never in the body.
 */
public class FailureHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ApiException error = toApiException(ctx);
    if (error.status() >= 500) {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
    } else {
      LOG.info("{} {} -> {} {}", ctx.request().method(), ctx.request().path(), error.status(), error.getMessage());
    }
    ctx.response()
      .setStatusCode(error.status())
      .putHeader("Content-Type", "application/json")
      .end(error.toJson().encode());
  }

  static ApiException toApiException(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof IllegalTransitionException illegal) {
      return ApiException.conflict("illegal_state", illegal.getMessage(), new JsonObject()
        .put("state", illegal.current())
        .put("allowedActions", new JsonArray(illegal.allowedActions().stream().toList())));
    }
    if (failure instanceof SchemaValidationException schema) {
      return fromSchema(schema);
    }
    if (failure instanceof ValidatorException validation) {
      return ApiException.badRequest("invalid_request", validation.getMessage(), null);
    }
    if (failure instanceof DecodeException) {
      return ApiException.badRequest("malformed_json", "the request body is not valid JSON", null);
    }
    if (failure instanceof HttpException http) {
      return fromStatus(http.getStatusCode(), http.getPayload());
    }
    if (failure == null) {
      return fromStatus(ctx.statusCode(), null);
    }
    return new ApiException(500, "internal", "something went wrong on our side; it has been logged", null, null);
  }

  private static ApiException fromSchema(SchemaValidationException e) {
    OutputUnit unit = e.getOutputUnit();
    // The deepest error names the offending field best (e.g. "/quantity" rather than the body root).
    OutputUnit leaf = unit;
    while (leaf.getErrors() != null && !leaf.getErrors().isEmpty()) {
      leaf = leaf.getErrors().get(leaf.getErrors().size() - 1);
    }
    String location = leaf.getInstanceLocation();
    String field = location == null ? null : location.replaceFirst("^#?/?", "").replace('/', '.');
    String message = leaf.getError() != null ? leaf.getError() : e.getMessage();
    if (message != null && message.contains("additional") || (unit.getError() != null && unit.getError().contains("additional"))) {
      return ApiException.badRequest("unknown_field", message, field == null || field.isEmpty() ? null : field);
    }
    return ApiException.badRequest("invalid_field", message, field == null || field.isEmpty() ? null : field);
  }

  private static ApiException fromStatus(int status, String payload) {
    return switch (status) {
      case 400 -> ApiException.badRequest("bad_request", payload != null ? payload : "the request is malformed", null);
      case 401 -> ApiException.unauthorized("a valid API key is required: Authorization: Bearer <key>");
      case 404 -> new ApiException(404, "not_found", "no such resource", null, null);
      case 405 -> new ApiException(405, "method_not_allowed", "this method is not allowed here", null, null);
      case 413 -> new ApiException(413, "body_too_large", "the request body is too large", null, null);
      case 415 -> new ApiException(415, "unsupported_media_type", "send the body as application/json", null, null);
      default -> status >= 400 && status < 500
        ? new ApiException(status, "bad_request", "the request was refused", null, null)
        : new ApiException(500, "internal", "something went wrong on our side; it has been logged", null, null);
    };
  }
}
