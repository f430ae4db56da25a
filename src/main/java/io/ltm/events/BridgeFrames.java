package io.ltm.events;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.Set;

/**
 * The shape every frame a client sends to the event-bus bridge must have before the bridge (or our guard) reads
 * it: a JSON object with a known {@code type}; a string {@code address}; {@code headers}, when given, an object of
 * strings; {@code replyAddress} a short string; and a replay request's {@code after} a non-negative integer. A frame
 * that fails is answered with an error instead of reaching code that would cast its members blindly.
 */
final class BridgeFrames {
  static final Set<String> TYPES = Set.of("ping", "send", "publish", "register", "unregister");
  static final int MAX_ADDRESS = 200;
  /** vertx-eventbus.js reply addresses are UUIDs; the bridge refuses longer ones. */
  static final int MAX_REPLY_ADDRESS = 36;
  static final int MAX_HEADER_VALUE = 1024;

  private BridgeFrames() {
  }

  /** A frame that passed {@link #problem}: its JSON. */
  static JsonObject parse(String text) {
    return new JsonObject(text);
  }

  /** Null when the frame may go on to the bridge, else what is wrong with it, in words a developer can act on. */
  static String problem(String text) {
    Object decoded;
    try {
      decoded = Json.decodeValue(text);
    } catch (DecodeException e) {
      return "the frame is not JSON";
    }
    if (!(decoded instanceof JsonObject frame)) {
      return "a frame is a JSON object";
    }
    if (!(frame.getValue("type") instanceof String type) || !TYPES.contains(type)) {
      return "type must be one of " + String.join(", ", TYPES.stream().sorted().toList());
    }
    if ("ping".equals(type)) {
      return null;
    }
    if (!(frame.getValue("address") instanceof String address) || address.isEmpty() || address.length() > MAX_ADDRESS) {
      return "address must be a string of 1 to " + MAX_ADDRESS + " characters";
    }
    Object headers = frame.getValue("headers");
    if (headers != null) {
      if (!(headers instanceof JsonObject h)) {
        return "headers must be an object of strings";
      }
      for (Map.Entry<String, Object> header : h) {
        if (!(header.getValue() instanceof String value) || value.length() > MAX_HEADER_VALUE) {
          return "header '" + header.getKey() + "' must be a string of at most " + MAX_HEADER_VALUE + " characters";
        }
      }
    }
    Object replyAddress = frame.getValue("replyAddress");
    if (replyAddress != null && (!(replyAddress instanceof String r) || r.isEmpty() || r.length() > MAX_REPLY_ADDRESS)) {
      return "replyAddress must be a string of 1 to " + MAX_REPLY_ADDRESS + " characters";
    }
    if ("send".equals(type) && EventTypes.REPLAY_ADDRESS.equals(address)) {
      return replayProblem(frame);
    }
    return null;
  }

  /** {@code {"after": seq}} (or no body: from the start), with a reply address to answer on. */
  private static String replayProblem(JsonObject frame) {
    if (!(frame.getValue("replyAddress") instanceof String)) {
      return "a replay request needs a replyAddress to answer on";
    }
    Object body = frame.getValue("body");
    if (body == null) {
      return null;
    }
    if (!(body instanceof JsonObject b)) {
      return "the replay body must be an object: {\"after\": <seq>}";
    }
    Object after = b.getValue("after");
    if (after != null && afterOf(after) < 0) {
      return "after must be an integer from 0 to " + Long.MAX_VALUE;
    }
    return null;
  }

  /** The replay's {@code after}: 0 when absent, -1 when it is no non-negative integer that fits a long. */
  static long afterOf(Object after) {
    if (after == null) {
      return 0;
    }
    if (after instanceof Integer || after instanceof Long || after instanceof Short || after instanceof Byte) {
      long value = ((Number) after).longValue();
      return value >= 0 ? value : -1;
    }
    if (after instanceof BigInteger) {
      return -1;
    }
    if (after instanceof Number n && !(after instanceof BigDecimal)) {
      double d = n.doubleValue();
      return Double.isFinite(d) && d >= 0 && d == Math.rint(d) && d < 9.2e18 ? (long) d : -1;
    }
    return -1;
  }
}
