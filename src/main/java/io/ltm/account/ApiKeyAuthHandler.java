package io.ltm.account;

import io.ltm.audit.Actor;
import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * Authenticates every {@code /api/v1} request and puts the caller on the context. Two ways in: a bearer API
 * key (programs), or the browser's session cookie. A request made with the cookie that changes something
 * (anything but GET, HEAD, OPTIONS) must also carry the session's CSRF token in {@code X-CSRF-Token}: the
 * cookie is SameSite=Strict already, the token is the second lock. A bearer key wins over a cookie.
 */
public class ApiKeyAuthHandler implements Handler<RoutingContext> {
  public static final String SESSION_COOKIE = "ltm_session";
  public static final String CSRF_HEADER = "X-CSRF-Token";
  private static final String PRINCIPAL = "ltm.principal";
  private static final String SESSION = "ltm.session";
  private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final ApiKeys apiKeys;
  private final Sessions sessions;

  public ApiKeyAuthHandler(ApiKeys apiKeys, Sessions sessions) {
    this.apiKeys = apiKeys;
    this.sessions = sessions;
  }

  public static ApiKeys.Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** The browser session the request was made with, or null for an API key. */
  public static Sessions.Session session(RoutingContext ctx) {
    return ctx.get(SESSION);
  }

  /** The key from {@code Authorization: Bearer <key>}, or null. */
  public static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).trim();
  }

  /** A cookie's value from a {@code Cookie} request header, or null. */
  public static String cookie(String header, String name) {
    if (header == null) {
      return null;
    }
    for (String part : header.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
        return part.substring(eq + 1).trim();
      }
    }
    return null;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String key = bearer(ctx.request().getHeader("Authorization"));
    if (key != null) {
      apiKeys.authenticate(key).onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
        } else if (ar.result() == null) {
          ctx.fail(ApiException.unauthorized("this API key is unknown or revoked"));
        } else {
          ctx.put(PRINCIPAL, ar.result());
          Actor.apiKey(ApiKeys.prefixOf(key), ctx).putOn(ctx);
          ctx.next();
        }
      });
      return;
    }
    String token = cookie(ctx.request().getHeader("Cookie"), SESSION_COOKIE);
    if (token == null) {
      ctx.fail(ApiException.unauthorized(
        "sign in, or send a valid API key: Authorization: Bearer <key>"));
      return;
    }
    Future<Sessions.Session> found = sessions.find(token);
    found.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result() == null) {
        ctx.fail(ApiException.unauthorized("the session has ended: sign in again"));
      } else if (!SAFE.contains(ctx.request().method())
        && !Ids.sameHash(ar.result().csrfToken(), ctx.request().getHeader(CSRF_HEADER))) {
        ctx.fail(new ApiException(403, "csrf_token_invalid",
          "a request that changes something must carry the session's " + CSRF_HEADER + " header", null, null));
      } else {
        ctx.put(PRINCIPAL, ar.result().principal());
        ctx.put(SESSION, ar.result());
        Actor.session(ar.result().tokenHash(), ctx).putOn(ctx);
        ctx.next();
      }
    });
  }
}
