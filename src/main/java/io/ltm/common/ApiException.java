package io.ltm.common;

import io.vertx.core.json.JsonObject;

/**
 * A failure the client caused or may see: it carries the HTTP status, a stable machine-readable code and a
 * message a person can act on. The one failure handler turns it into {@code {"error":{"code","message","field"}}}.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final String field;
  private final JsonObject extra;

  public ApiException(int status, String code, String message, String field, JsonObject extra) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
    this.extra = extra;
  }

  public static ApiException badRequest(String code, String message, String field) {
    return new ApiException(400, code, message, field, null);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(401, "unauthorized", message, null, null);
  }

  public static ApiException notFound(String what, String id) {
    return new ApiException(404, "not_found", what + " " + id + " does not exist", null, null);
  }

  public static ApiException conflict(String code, String message, JsonObject extra) {
    return new ApiException(409, code, message, null, extra);
  }

  public static ApiException unprocessable(String code, String message, String field) {
    return new ApiException(422, code, message, field, null);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  public JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage()).put("field", field);
    if (extra != null) {
      error.mergeIn(extra);
    }
    return new JsonObject().put("error", error);
  }
}
