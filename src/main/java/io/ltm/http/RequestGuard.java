package io.ltm.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What every request is checked for before it reaches a route, so that each class of malformed input gets the
 * same clear 4xx however the route below would have tripped over it: percent-escapes that decode to nothing
 * (the router and the query decoder would throw), an {@code Idempotency-Key} outside its documented shape, a body
 * that is not JSON on an API write, and an id in a path that no id can look like.
 */
public final class RequestGuard {
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** 1 to 255 printable ASCII characters, no space: a UUID, a ULID, a base64 token all fit; a space cannot trail. */
  public static final Pattern IDEMPOTENCY_KEY_SHAPE = Pattern.compile("[!-~]{1,255}");
  private static final Set<HttpMethod> WRITES = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
    HttpMethod.DELETE);
  private static final Pattern JSON_MEDIA_TYPE =
    Pattern.compile("application/json\\s*(;\\s*charset\\s*=\\s*(\"utf-8\"|utf-8)\\s*)?", Pattern.CASE_INSENSITIVE);

  private RequestGuard() {
  }

  /** Every path and query must be well-formed: each {@code %} starts two hex digits and the bytes are UTF-8. */
  public static void checkEscapes(RoutingContext ctx) {
    String uri = ctx.request().uri();
    if (!wellFormed(uri)) {
      ctx.fail(ApiException.badRequest("invalid_escape",
        "the URL has a malformed %-escape or is not UTF-8; encode reserved characters as %XX", null));
      return;
    }
    ctx.next();
  }

  /**
   * API writes carry JSON or nothing: a body must say {@code application/json} (optionally {@code charset=utf-8}),
   * and a Content-Type that says anything else is refused even on an empty body. The Idempotency-Key, when sent,
   * must have its documented shape.
   */
  public static void checkApiRequest(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    java.util.List<String> keys = request.headers().getAll(IDEMPOTENCY_KEY);
    if (!keys.isEmpty() && (keys.size() > 1 || !IDEMPOTENCY_KEY_SHAPE.matcher(keys.get(0)).matches())) {
      ctx.fail(ApiException.badRequest("idempotency_key_invalid", "Idempotency-Key must be one header of 1 to 255 "
        + "printable ASCII characters without spaces", IDEMPOTENCY_KEY));
      return;
    }
    if (WRITES.contains(request.method())) {
      String type = request.getHeader("Content-Type");
      boolean hasBody = request.getHeader("Transfer-Encoding") != null
        || (request.getHeader("Content-Length") != null && !"0".equals(request.getHeader("Content-Length").trim()));
      if ((type != null || hasBody) && (type == null || !JSON_MEDIA_TYPE.matcher(type.trim()).matches())) {
        ctx.fail(new ApiException(415, "unsupported_media_type", "send the body as application/json (charset utf-8, "
          + "if any); got " + (type == null ? "no Content-Type" : "'" + abbreviate(type) + "'"), "Content-Type", null));
        return;
      }
      if (type != null) {
        // Media types are case-insensitive; the contract's validator compares them as written.
        request.headers().set("Content-Type", type.trim().toLowerCase(java.util.Locale.ROOT));
      }
    }
    ctx.next();
  }

  /**
   * A JSON body must be JSON as RFC 8259 has it, in UTF-8: the codec behind the contract's validator is lenient (it
   * takes comments, and a UTF-16 body by its byte-order mark), so a body it would read is checked strictly first.
   * Duplicate names are refused too: which value counts would be a guess. Runs after the body is read.
   */
  public static void checkJsonBody(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      ctx.next();
      return;
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body.getBytes())).toString();
      checkStrictJson(text);
    } catch (CharacterCodingException e) {
      ctx.fail(ApiException.badRequest("malformed_json", "the request body is not UTF-8", null));
      return;
    } catch (IOException | RuntimeException e) {
      ctx.fail(ApiException.badRequest("malformed_json", "the request body is not valid JSON", null));
      return;
    }
    ctx.next();
  }

  /**
   * Reads the tokens only (the contract's validator builds the value afterwards: no tree is built twice on every
   * write): one JSON value, nothing after it. Whitespace alone passes, to be refused by the contract as a missing body.
   */
  private static void checkStrictJson(String text) throws IOException {
    try (JsonParser parser = STRICT_JSON.createParser(text)) {
      if (parser.nextToken() == null) {
        return;
      }
      parser.skipChildren();
      if (parser.nextToken() != null) {
        throw new IOException("more than one JSON value");
      }
    }
  }

  /** Comments, single quotes and the like are off in a plain factory; duplicate names are checked while reading. */
  private static final JsonFactory STRICT_JSON = JsonFactory.builder()
    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
    .build();

  /**
   * Path parameters named {@code …Id} hold ids LTM generated ({@link Ids#newId}); one that cannot be such an id is
   * "not found", the same answer as an id that does not exist, before any lookup could match it loosely.
   */
  public static void checkPathIds(RoutingContext ctx) {
    for (Map.Entry<String, String> param : ctx.pathParams().entrySet()) {
      if (param.getKey().endsWith("Id") && !Ids.isCanonical(param.getValue())) {
        ctx.fail(new ApiException(404, "not_found", param.getKey().replaceAll("Id$", "") + " " + abbreviate(param.getValue())
          + " does not exist", null, null));
        return;
      }
    }
    ctx.next();
  }

  /** True when every %-escape of {@code uri} is complete and the decoded path and query are valid UTF-8. */
  static boolean wellFormed(String uri) {
    if (uri == null) {
      return false;
    }
    ByteBuffer bytes = ByteBuffer.allocate(uri.length() * 4);
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '%') {
        if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0
          || Character.digit(uri.charAt(i + 2), 16) < 0) {
          return false;
        }
        bytes.put((byte) Integer.parseInt(uri.substring(i + 1, i + 3), 16));
        i += 2;
      } else if (c < 0x20 || c == 0x7f) {
        return false;
      } else {
        bytes.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    bytes.flip();
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static String abbreviate(String value) {
    String printable = value.replaceAll("[^ -~]", "?");
    return printable.length() > 80 ? printable.substring(0, 80) + "…" : printable;
  }
}
