package io.ltm.common;

import io.ltm.stream.domain.IllegalTransitionException;
import io.ltm.stream.domain.InvalidConfigException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
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
  /** The longest request line (method, URL, version) the HTTP server decodes; longer ones get 414. */
  public static final int MAX_URL_CHARS = 4096;
  /** All request headers together; more gets 431. Large enough that an oversized single header reaches its check. */
  public static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
  private static final Set<String> WRAPPERS = Set.of("properties", "additionalProperties", "items", "allOf", "$ref");
  private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");
  /** How the contract's validator names a path, query or header parameter in its messages. */
  private static final Pattern PARAMETER = Pattern.compile("(?:path|query|header|cookie) parameter (\\S+?)[ .]");
  private static final Set<String> RANGE_KEYWORDS = Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");

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
    send(ctx.response(), error);
  }

  /** Writes the error JSON; used also where no routing context exists (requests the HTTP decoder refused). */
  public static void send(HttpServerResponse response, ApiException error) {
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(error.status())
      .putHeader("Content-Type", "application/json")
      .end(error.toJson().encode());
  }

  /**
   * The answer to a request Netty could not even decode (a request line over the URL limit, headers over theirs,
   * a malformed header): the same error JSON as every other 4xx, then the connection is closed.
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiException error;
    if (cause instanceof TooLongHttpLineException) {
      error = fromStatus(414, null);
    } else if (cause instanceof TooLongHttpHeaderException) {
      error = fromStatus(431, null);
    } else if (cause != null && String.valueOf(cause.getMessage()).contains("prohibited character")) {
      // Netty refuses a control character in any header before a route could look at it, so the header's name is
      // unknown here (an Idempotency-Key with one lands here too).
      error = ApiException.badRequest("invalid_header", "a header value contains a control character", null);
    } else {
      error = ApiException.badRequest("bad_request", "the HTTP request is malformed", null);
    }
    LOG.info("invalid HTTP request -> {} {}", error.status(), cause == null ? "" : cause.getMessage());
    HttpServerResponse response = request.response();
    response.endHandler(v -> request.connection().close());
    send(response, error);
  }

  /** A router-level failure (no route's failure handler took it, e.g. a path the router itself could not decode). */
  public static void routerError(RoutingContext ctx) {
    ApiException error = ctx.failure() instanceof ApiException api ? api : toApiException(ctx);
    if (error.status() >= 500) {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
    }
    send(ctx.response(), error);
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
    if (failure instanceof ValidatorException validation) {
      Matcher parameter = PARAMETER.matcher(String.valueOf(validation.getMessage()));
      if (parameter.find()) {
        return fromParameter(validation, parameter.group(1));
      }
    }
    if (failure instanceof SchemaValidationException schema) {
      return fromSchema(schema);
    }
    if (failure instanceof ValidatorException validation) {
      String message = String.valueOf(validation.getMessage());
      if (message.contains("does not contain the required body")) {
        return ApiException.badRequest("missing_body", "this request needs a JSON body", null);
      }
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
      String code = RANGE_KEYWORDS.contains(lastSegment(specific.getKeywordLocation())) ? "out_of_range" : "invalid_field";
      return ApiException.badRequest(code, prefix + specific.getError(), field);
    }
    OutputUnit unknown = errors.stream()
      .max(Comparator.comparingInt(u -> String.valueOf(u.getInstanceLocation()).length()))
      .orElse(e.getOutputUnit());
    String field = fieldOf(unknown.getInstanceLocation());
    return ApiException.badRequest("unknown_field", "unknown field " + (field == null ? "" : "'" + field + "'"), field);
  }

  /** A path, query or header parameter: the field is the parameter's name. */
  private static ApiException fromParameter(ValidatorException e, String name) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("does not contain the required")) {
      return ApiException.badRequest("missing_field", name + " is required", name);
    }
    String code = "invalid_field";
    if (e instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      List<OutputUnit> errors = new ArrayList<>();
      collect(schema.getOutputUnit(), errors);
      if (errors.stream().anyMatch(u -> RANGE_KEYWORDS.contains(lastSegment(u.getKeywordLocation())))) {
        code = "out_of_range";
      }
    }
    return ApiException.badRequest(code, message, name);
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

  public static ApiException fromStatus(int status, String payload) {
    return switch (status) {
      case 400 -> ApiException.badRequest("bad_request", payload != null ? payload : "the request is malformed", null);
      case 403 -> new ApiException(403, "forbidden", "this request is not allowed", null, null);
      case 406 -> new ApiException(406, "not_acceptable", "this resource answers application/json", null, null);
      case 414 -> new ApiException(414, "uri_too_long", "the URL is longer than this server accepts ("
        + MAX_URL_CHARS + " characters)", null, null);
      case 431 -> new ApiException(431, "headers_too_large", "the request headers are larger than this server accepts ("
        + MAX_HEADER_BYTES + " bytes in all)", null, null);
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
