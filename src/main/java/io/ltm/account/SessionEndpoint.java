package io.ltm.account;

import io.ltm.account.domain.Passwords;
import io.ltm.audit.Actor;
import io.ltm.audit.AuditLog;
import io.ltm.events.EventTypes;
import io.ltm.common.ApiException;
import io.ltm.common.JsonInput;
import io.ltm.http.Endpoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;


/**
 * Browser sign-in and sign-out. The password check (PBKDF2, hundreds of milliseconds) runs on a worker thread;
 * an unknown e-mail costs the same time as a wrong password and gets the same answer. Each e-mail gets a limited
 * number of password checks per window, shared by every server node ({@code 429}, see {@link SignInLimiter}).
 * Signing in, a failed password and signing out are written to the account's audit log.
 */
public class SessionEndpoint implements Endpoint {
  /** The one route reachable without a key or a session. */
  public static final String SIGN_IN_PATH = "/api/v1/session";
  /** Local address a signed-out session is announced on, so the event bridge closes that browser's sockets. */
  public static final String SESSION_ENDED = "ltm.internal.session.ended";

  private final Vertx vertx;
  private final Accounts accounts;
  private final Sessions sessions;
  private final SignInLimiter limiter;

  public SessionEndpoint(Vertx vertx, Accounts accounts, Sessions sessions, SignInLimiter limiter) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.sessions = sessions;
    this.limiter = limiter;
  }

  @Override
  public void addRoutes(RouterBuilder builder) {
    builder.getRoute("signIn").addHandler(this::signIn);
    builder.getRoute("getSession").addHandler(ctx -> {
      Sessions.Session session = ApiKeyAuthHandler.session(ctx);
      if (session == null) {
        ctx.fail(ApiException.unauthorized("this API key is no browser session; sign in with e-mail and password"));
        return;
      }
      Endpoint.respond(ctx, 200, Future.succeededFuture(toJson(session)));
    });
    builder.getRoute("signOut").addHandler(ctx -> {
      Sessions.Session session = ApiKeyAuthHandler.session(ctx);
      if (session == null) {
        ctx.fail(ApiException.badRequest("not_a_session", "only a browser session can sign out", null));
        return;
      }
      sessions.delete(session.token())
        .compose(deleted -> AuditLog.record(accounts.pool(), session.principal().accountId(), AuditLog.SIGNED_OUT,
          Actor.of(ctx), null))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          // This node's sockets close now; the other nodes' when the outbox message reaches their event relay.
          vertx.eventBus().publish(SESSION_ENDED, session.tokenHash());
          vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null);
          ctx.response().addCookie(cookie(ctx, "").setMaxAge(0));
          ctx.response().setStatusCode(204).end();
        });
    });
  }

  private void signIn(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String email = JsonInput.optionalString(body, "email", "email").trim().toLowerCase(java.util.Locale.ROOT);
    String password = JsonInput.optionalString(body, "password", "password");
    limiter.reserve(email).compose(wait -> {
      if (wait != null) {
        ctx.response().putHeader("Retry-After", String.valueOf(wait.toSeconds()));
        return Future.failedFuture(new ApiException(429, "too_many_attempts", "more than " + limiter.maxAttempts()
          + " sign-in attempts for this e-mail within " + limiter.window().toMinutes() + " minutes; try again in "
          + Math.max(1, (wait.toSeconds() + 59) / 60) + " minute(s)", "password", null));
      }
      return accounts.credentials(email).compose(found -> vertx.executeBlocking(() ->
          Passwords.verify(password, found == null ? null : found.passwordHash()), false)
        .compose(ok -> {
          if (!ok) {
            Future<Void> audited = found == null ? Future.succeededFuture()
              : AuditLog.record(accounts.pool(), found.accountId(), AuditLog.SIGN_IN_FAILED, Actor.anonymous(ctx),
                new JsonObject().put("email", found.email()));
            return audited.compose(v -> Future.failedFuture(new ApiException(401, "bad_credentials",
              "this e-mail and password do not match an account", "password", null)));
          }
          return limiter.succeeded(email)
            .compose(v -> sessions.create(found.accountId(), found.name(), found.email()))
            .compose(session -> AuditLog.record(accounts.pool(), found.accountId(), AuditLog.SIGNED_IN,
              Actor.session(session.tokenHash(), ctx), new JsonObject().put("email", found.email())).map(session));
        }));
    })
      .onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
          return;
        }
        ctx.response().addCookie(cookie(ctx, ar.result().token())
          .setMaxAge(Sessions.LIFETIME.toSeconds()));
        Endpoint.respond(ctx, 201, Future.succeededFuture(toJson(ar.result())));
      });
  }

  /** HttpOnly, SameSite=Strict, and Secure whenever the browser reached us over https. */
  private static Cookie cookie(RoutingContext ctx, String value) {
    boolean https = ctx.request().isSSL()
      || "https".equalsIgnoreCase(ctx.request().getHeader("X-Forwarded-Proto"));
    return Cookie.cookie(ApiKeyAuthHandler.SESSION_COOKIE, value)
      .setPath("/")
      .setHttpOnly(true)
      .setSameSite(CookieSameSite.STRICT)
      .setSecure(https);
  }

  private static JsonObject toJson(Sessions.Session session) {
    return new JsonObject()
      .put("accountId", session.principal().accountId())
      .put("name", session.principal().accountName())
      .put("email", session.email())
      .put("csrfToken", session.csrfToken());
  }
}
