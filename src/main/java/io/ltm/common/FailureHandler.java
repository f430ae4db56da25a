package io.ltm.common;

import io.ltm.stream.domain.IllegalTransitionException;
import io.ltm.stream.domain.InvalidConfigException;
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

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place a failure becomes an HTTP answer. Known failures map to 4xx with the error JSON and are
 * logged without a stack trace; anything else is a 500 whose details stay in the log, never in the body.
 */
public class FailureHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
  private static final Set<String> WRAPPERS = Set.of("properties", "additionalProperties", "items", "allOf", "$ref");
  private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");

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
    // The contract's validation handler wraps its verdict in a 400 HttpException.
    if (failure instanceof HttpException http && http.getCause() instanceof ValidatorException) {
      failure = http.getCause();
    }
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof IllegalTransitionException illegal) {
      return ApiException.conflict("illegal_state", illegal.getMessage(), new JsonObject()
        .put("state", illegal.current())
        .put("allowedActions", new JsonArray(illegal.allowedActions().stream().toList())));
    }
    if (failure instanceof InvalidConfigException invalid) {
      return ApiException.badRequest(invalid.code(), invalid.getMessage(), invalid.field());
    }
    if (failure instanceof SchemaValidationException schema) {
      return fromSchema(schema);
    }
    if (failure instanceof ValidatorException validation) {
      String message = String.valueOf(validation.getMessage());
      return message.contains("can't be decoded")
        ? ApiException.badRequest("malformed_json", "the request body is not valid JSON", null)
        : ApiException.badRequest("invalid_request", message, null);
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

  /**
   * The validator reports a flat list in which wrapper keywords ("properties", "additionalProperties") echo the
   * real mistake; the most specific keyword names it. Only when nothing else failed is a property truly unknown.
   */
  private static ApiException fromSchema(SchemaValidationException e) {
    List<OutputUnit> errors = new ArrayList<>();
    collect(e.getOutputUnit(), errors);
    OutputUnit specific = errors.stream()
      .filter(u -> !WRAPPERS.contains(lastSegment(u.getKeywordLocation())))
      .max(Comparator.comparingInt(u -> u.getKeywordLocation().length()))
      .orElse(null);
    if (specific != null) {
      String field = fieldOf(specific.getInstanceLocation());
      Matcher required = REQUIRED.matcher(String.valueOf(specific.getError()));
      if (required.find()) {
        String missing = field == null ? required.group(1) : field + "." + required.group(1);
        return ApiException.badRequest("missing_field", missing + " is required", missing);
      }
      String prefix = field == null ? "" : field + ": ";
      return ApiException.badRequest("invalid_field", prefix + specific.getError(), field);
    }
    OutputUnit unknown = errors.stream()
      .max(Comparator.comparingInt(u -> String.valueOf(u.getInstanceLocation()).length()))
      .orElse(e.getOutputUnit());
    String field = fieldOf(unknown.getInstanceLocation());
    return ApiException.badRequest("unknown_field", "unknown field " + (field == null ? "" : "'" + field + "'"), field);
  }

  private static void collect(OutputUnit unit, List<OutputUnit> into) {
    if (unit.getErrors() == null || unit.getErrors().isEmpty()) {
      if (unit.getKeywordLocation() != null) {
        into.add(unit);
      }
      return;
    }
    unit.getErrors().forEach(child -> collect(child, into));
  }

  private static String lastSegment(String location) {
    return location == null ? "" : location.substring(location.lastIndexOf('/') + 1);
  }

  /** "#/input/kind" → "input.kind", "#/renditions/1/height" → "renditions[1].height"; the body root → null. */
  static String fieldOf(String instanceLocation) {
    String path = instanceLocation == null ? "" : instanceLocation.replaceFirst("^#?/?", "")
      .replaceAll("/(\\d+)(?=/|$)", "[$1]").replace('/', '.');
    return path.isEmpty() ? null : path;
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
