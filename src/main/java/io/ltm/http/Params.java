package io.ltm.http;

import io.ltm.common.ApiException;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Integers from a path or a query string, read exactly: decimal digits only ({@code 1e3}, {@code 0x10}, {@code 2.0}
 * and {@code +5} are not integers here), within the documented range, else a 400 naming the parameter. Never
 * {@code Integer.parseInt} on raw input: a number too large for its type is a client mistake, not a 500.
 */
public final class Params {
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,40}");

  private Params() {
  }

  public static long pathLong(RoutingContext ctx, String name, long min, long max) {
    return parse(name, ctx.pathParam(name), min, max);
  }

  /** An optional query parameter; absent (or empty) gives {@code fallback}; given twice is a mistake. */
  public static long queryLong(RoutingContext ctx, String name, long fallback, long min, long max) {
    List<String> values = ctx.queryParam(name);
    if (values.isEmpty() || values.size() == 1 && values.get(0).isEmpty()) {
      return fallback;
    }
    if (values.size() > 1) {
      throw ApiException.badRequest("invalid_field", name + " is given " + values.size() + " times", name);
    }
    return parse(name, values.get(0), min, max);
  }

  static long parse(String name, String raw, long min, long max) {
    if (raw == null || !INTEGER.matcher(raw).matches()) {
      throw ApiException.badRequest("invalid_field", name + " must be an integer written in decimal digits", name);
    }
    long value;
    try {
      value = Long.parseLong(raw);
    } catch (NumberFormatException tooLarge) {
      throw outOfRange(name, min, max);
    }
    if (value < min || value > max) {
      throw outOfRange(name, min, max);
    }
    return value;
  }

  private static ApiException outOfRange(String name, long min, long max) {
    return ApiException.badRequest("out_of_range", name + " must be " + min + " to " + max, name);
  }
}
