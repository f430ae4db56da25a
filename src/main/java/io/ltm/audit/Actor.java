package io.ltm.audit;

import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * Who did something and from where, as the audit log records it: an API key (by its visible prefix, never the
 * secret), a browser session (by a short reference derived from the stored hash of its token, never the token),
 * or an anonymous caller (a sign-in attempt), with the TCP peer address the request came from.
 *
 * @param type          {@code api_key}, {@code session} or {@code anonymous}
 * @param id            the key prefix or the session reference; null for anonymous
 * @param sourceAddress the client's IP address as this server saw it (a load balancer's, behind one)
 */
public record Actor(String type, String id, String sourceAddress) {
  public static final String API_KEY = "api_key";
  public static final String SESSION = "session";
  public static final String ANONYMOUS = "anonymous";
  private static final String KEY = "ltm.actor";
  private static final int SESSION_REF_CHARS = 12;

  public static Actor apiKey(String prefix, RoutingContext ctx) {
    return new Actor(API_KEY, prefix, sourceAddress(ctx));
  }

  /** @param sessionTokenHash the SHA-256 the sessions table keys the session by */
  public static Actor session(String sessionTokenHash, RoutingContext ctx) {
    return new Actor(SESSION, sessionTokenHash.substring(0, SESSION_REF_CHARS), sourceAddress(ctx));
  }

  public static Actor anonymous(RoutingContext ctx) {
    return new Actor(ANONYMOUS, null, sourceAddress(ctx));
  }

  /** Remembers the authenticated caller on the request, for whatever it ends up recording. */
  public void putOn(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  /** The caller authentication found, or an anonymous one (a route reachable without a key). */
  public static Actor of(RoutingContext ctx) {
    Actor actor = ctx.get(KEY);
    return actor != null ? actor : anonymous(ctx);
  }

  /** {@code api_key:<prefix>}, {@code session:<ref>} or {@code anonymous}: what a person reads in the log. */
  public String label() {
    return id == null ? type : type + ":" + id;
  }

  private static String sourceAddress(RoutingContext ctx) {
    SocketAddress remote = ctx.request().remoteAddress();
    if (remote == null) {
      return null;
    }
    return remote.hostAddress() != null ? remote.hostAddress() : remote.host();
  }
}
