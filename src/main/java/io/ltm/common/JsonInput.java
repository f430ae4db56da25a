package io.ltm.common;

import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Members of a JSON request read exactly. Vert.x's {@code JsonObject.getInteger} narrows whatever number it finds
 * ({@code 4294967440} becomes {@code 144}, {@code 2.9} becomes {@code 2}) and {@code getString} turns any value into
 * text; here a value of the wrong type, not an integer, or outside its documented range is a 400 naming the field.
 * The contract checks request bodies first; this is what keeps code that reads JSON honest regardless.
 */
public final class JsonInput {

  private JsonInput() {
  }

  /** The integer at {@code key}, or null when absent or null. */
  public static Integer optionalInt(JsonObject json, String key, String field, int min, int max) {
    Object value = json == null ? null : json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number number)) {
      throw ApiException.badRequest("invalid_field", field + " must be an integer", field);
    }
    BigDecimal exact = exact(number, field);
    if (exact.compareTo(BigDecimal.valueOf(min)) < 0 || exact.compareTo(BigDecimal.valueOf(max)) > 0) {
      throw ApiException.badRequest("out_of_range", field + " must be " + min + " to " + max + "; got "
        + exact.toPlainString(), field);
    }
    return exact.intValue();
  }

  /** The integer at {@code key}, or {@code fallback} when absent or null. */
  public static int intOr(JsonObject json, String key, String field, int fallback, int min, int max) {
    Integer value = optionalInt(json, key, field, min, max);
    return value == null ? fallback : value;
  }

  /** The string at {@code key}, or null when absent or null; any other type is a 400. */
  public static String optionalString(JsonObject json, String key, String field) {
    Object value = json == null ? null : json.getValue(key);
    if (value != null && !(value instanceof String)) {
      throw ApiException.badRequest("invalid_field", field + " must be a string", field);
    }
    return (String) value;
  }

  /** The object at {@code key}, or null when absent or null; any other type is a 400. */
  public static JsonObject optionalObject(JsonObject json, String key, String field) {
    Object value = json == null ? null : json.getValue(key);
    if (value != null && !(value instanceof JsonObject)) {
      throw ApiException.badRequest("invalid_field", field + " must be an object", field);
    }
    return (JsonObject) value;
  }

  private static BigDecimal exact(Number number, String field) {
    BigDecimal exact;
    if (number instanceof Integer || number instanceof Long || number instanceof Short || number instanceof Byte) {
      exact = BigDecimal.valueOf(number.longValue());
    } else if (number instanceof BigInteger big) {
      exact = new BigDecimal(big);
    } else if (number instanceof BigDecimal decimal) {
      exact = decimal;
    } else {
      double d = number.doubleValue();
      if (!Double.isFinite(d)) {
        throw ApiException.badRequest("invalid_field", field + " must be an integer", field);
      }
      exact = BigDecimal.valueOf(d);
    }
    if (exact.stripTrailingZeros().scale() > 0) {
      throw ApiException.badRequest("invalid_field", field + " must be an integer; got " + exact.toPlainString(), field);
    }
    return exact;
  }
}
