package io.ltm.http;

import io.ltm.audit.Actor;
import io.ltm.common.ApiException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The per-caller budget on {@code /api/v1}: a token bucket per API key (or browser session) holding
 * {@code limit} tokens, refilled to full {@code window} after the request that opened the current window. Each
 * request takes a token; an empty bucket answers {@code 429} with {@code Retry-After}. Refilling at once rather than
 * drop by drop makes "N per window" exact: the N+1st request of a window is refused however slowly the first N
 * came. Every answer carries {@code RateLimit-Limit}, {@code RateLimit-Remaining}, {@code RateLimit-Reset} (seconds)
 * and {@code RateLimit-Policy} ({@code N;w=seconds}), as the IETF RateLimit header fields draft describes.
 *
 * <p>Kept in memory, per server node (one limiter shared by all the node's HTTP server instances): with N nodes
 * taking a key's requests in turn, a key gets up to N × limit. The README says how to size it.
 */
public final class RateLimiter implements Handler<RoutingContext> {
  private static final int SWEEP_ABOVE = 10_000;

  private final int limit;
  private final long windowMs;
  private final LongSupplier clock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  public RateLimiter(int limit, int windowSeconds) {
    this(limit, windowSeconds, System::currentTimeMillis);
  }

  RateLimiter(int limit, int windowSeconds, LongSupplier clock) {
    this.limit = limit;
    this.windowMs = Math.max(1, windowSeconds) * 1000L;
    this.clock = clock;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Actor caller = Actor.of(ctx);
    if (limit <= 0 || Actor.ANONYMOUS.equals(caller.type())) {
      ctx.next();
      return;
    }
    Decision d = take(caller.label());
    HttpServerResponse response = ctx.response();
    response.putHeader("RateLimit-Limit", String.valueOf(limit))
      .putHeader("RateLimit-Remaining", String.valueOf(d.remaining()))
      .putHeader("RateLimit-Reset", String.valueOf(d.resetSeconds()))
      .putHeader("RateLimit-Policy", limit + ";w=" + windowMs / 1000);
    if (!d.allowed()) {
      response.putHeader("Retry-After", String.valueOf(d.resetSeconds()));
      ctx.fail(new ApiException(429, "rate_limited", "more than " + limit + " requests in " + windowMs / 1000
        + " s with this " + (Actor.API_KEY.equals(caller.type()) ? "API key" : "session") + "; retry in "
        + d.resetSeconds() + " s", null, null));
      return;
    }
    ctx.next();
  }

  /**
   * Takes a token from the caller's bucket. Safe on any thread at once: every server instance (event loop) shares
   * this limiter, so a key's budget is per node. A bucket is an immutable value replaced inside
   * {@code compute}, which ConcurrentHashMap runs atomically per key: two loops taking the last token cannot both
   * get it, and the sweep (which removes only a bucket still equal to the expired one it saw) cannot drop a bucket
   * another loop has just taken from.
   */
  Decision take(String caller) {
    long now = clock.getAsLong();
    if (buckets.size() > SWEEP_ABOVE) {
      buckets.values().removeIf(b -> b.refillAt() <= now);
    }
    Bucket after = buckets.compute(caller, (k, b) -> {
      if (b == null || b.refillAt() <= now) {
        return new Bucket(limit - 1, now + windowMs, true);
      }
      return b.tokens() == 0 ? new Bucket(0, b.refillAt(), false) : new Bucket(b.tokens() - 1, b.refillAt(), true);
    });
    long reset = Math.max(1, (after.refillAt() - now + 999) / 1000);
    return new Decision(after.took(), after.tokens(), reset);
  }

  record Decision(boolean allowed, int remaining, long resetSeconds) {
  }

  /** Tokens left until {@code refillAt}; {@code took}: whether the request that made this value got a token. */
  private record Bucket(int tokens, long refillAt, boolean took) {
  }
}
