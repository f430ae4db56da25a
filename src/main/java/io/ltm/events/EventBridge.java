package io.ltm.events;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.account.ApiKeys;
import io.ltm.account.SessionEndpoint;
import io.ltm.account.Sessions;
import io.ltm.metrics.Meters;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.handler.SimpleAuthenticationHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SockJS event-bus bridge. A client may register only on {@code ltm.account.<its account>} and may send
 * only to the replay address. It is authenticated per frame: by the API key in the frame's headers
 * ({@code authorization: Bearer …}, for programs), else by the session cookie its SockJS handshake carried (a
 * signed-in browser). The replay request is rewritten with the authenticated account id, so a client cannot ask
 * for another's events. When a session signs out, the sockets it opened on this node are closed.
 */
public class EventBridge {
  private static final Logger LOG = LoggerFactory.getLogger(EventBridge.class);
  private static final int REPLAY_LIMIT = 1000;
  private static final long MAX_XHR_BODY = 64 * 1024;
  private static final String SESSION_HASH = "ltmSession";

  private final Vertx vertx;
  private final Pool pool;
  private final ApiKeys apiKeys;
  private final Sessions sessions;
  /** Sockets registered through a session, by the session's token hash: closed when it signs out. */
  private final Map<String, Set<SockJSSocket>> sessionSockets = new ConcurrentHashMap<>();
  private static final AtomicInteger OPEN_SOCKETS = new AtomicInteger();
  static {
    Meters.gauge("ltm_eventbus_sockets_open", "SockJS event-bus sockets open on this node", OPEN_SOCKETS::get);
  }
  /** Where {@link #router()} is mounted; a client of the raw WebSocket endpoint beneath it gets binary frames. */
  public static final String MOUNT = "/eventbus";
  /** Every event reaches this node's sockets through here, not through the bridge's per-socket consumers. */
  private final EventFanout fanout;

  /** @param socketQueueBytes event frames one socket may have waiting before they are dropped (it then resyncs) */
  public EventBridge(Vertx vertx, Pool pool, ApiKeys apiKeys, Sessions sessions, int socketQueueBytes) {
    this.fanout = new EventFanout(socketQueueBytes, MOUNT + "/websocket");
    this.vertx = vertx;
    this.pool = pool;
    this.apiKeys = apiKeys;
    this.sessions = sessions;
  }

  /**
   * The bridge's routes, built once per HTTP server instance: the SockJS bridge made here keeps its sockets in plain
   * maps, touched only on that instance's event loop. A SockJS session over the XHR transports may send its
   * requests to other instances; SockJS keeps sessions in Vert.x's shared map and hands their frames to the loop
   * that opened them, so each socket stays with the bridge (and loop) it started on. What this class holds itself
   * (sessions' sockets, the fan-out) is shared by every instance and concurrent.
   */
  public Router router() {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
      .addInboundPermitted(new PermittedOptions().setAddress(EventTypes.REPLAY_ADDRESS))
      .addOutboundPermitted(new PermittedOptions().setAddressRegex(EventTypes.ACCOUNT_ADDRESS_PREFIX.replace(".", "\\.") + ".+"))
      .setPingTimeout(30_000);
    // SockJS strips cookies from the socket's headers; the handshake's authenticated user is what it keeps.
    // So a request that carries the session cookie is authenticated here, and the socket remembers the session.
    SimpleAuthenticationHandler bySession = SimpleAuthenticationHandler.create().authenticate(ctx ->
      sessions.find(sessionCookie(ctx)).compose(session -> session == null
        ? Future.failedFuture(new HttpException(401, "the session has ended: sign in again"))
        : Future.succeededFuture(User.create(new JsonObject()
          .put("sub", session.principal().accountId()).put(SESSION_HASH, session.tokenHash())))));
    Router router = Router.router(vertx);
    // The XHR transports (a browser without WebSocket) post their frames as request bodies; without a body handler
    // every xhr_send was a 500. Bounded like the API's bodies.
    router.post().handler(BodyHandler.create().setBodyLimit(MAX_XHR_BODY).setHandleFileUploads(false));
    // SockJS answers a body that is no JSON array of strings with a 500 ("Broken JSON encoding."): it is the client's
    // mistake, so it gets a 400 with the error JSON here, before the transport sees it.
    router.postWithRegex(".*/xhr_send$").handler(EventBridge::checkXhrFrames);
    router.route().handler(ctx -> {
      if (sessionCookie(ctx) == null) {
        ctx.next();
      } else {
        bySession.handle(ctx);
      }
    });
    // The bridge is built by hand, rather than by SockJSHandler.bridge, so that every socket reaches it screened:
    // a frame of the wrong shape is answered with an error and never reaches the bridge or guard().
    EventBusBridgeImpl bridge = new EventBusBridgeImpl(vertx, null, options, this::guard);
    router.route().subRouter(SockJSHandler.create(vertx).socketHandler(socket -> bridge.handle(new ScreenedSocket(vertx,
      socket))));
    return router;
  }

  private static void checkXhrFrames(RoutingContext ctx) {
    String body = ctx.body().asString();
    boolean ok = false;
    if (body != null && !body.isBlank()) {
      try {
        Object decoded = io.vertx.core.json.Json.decodeValue(body);
        ok = decoded instanceof io.vertx.core.json.JsonArray frames && frames.stream().allMatch(f -> f instanceof String);
      } catch (io.vertx.core.json.DecodeException e) {
        ok = false;
      }
    }
    if (ok) {
      ctx.next();
      return;
    }
    ctx.response().setStatusCode(400).putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("error", new JsonObject().put("code", "invalid_frame")
        .put("message", "xhr_send takes a JSON array of strings, each one frame").putNull("field")).encode());
  }

  private static String sessionCookie(RoutingContext ctx) {
    return ApiKeyAuthHandler.cookie(ctx.request().getHeader("Cookie"), ApiKeyAuthHandler.SESSION_COOKIE);
  }

  /** Answers replay requests on this node; each server node has its own, so no request crosses nodes. */
  public void registerReplay() {
    vertx.eventBus().<String>consumer(SessionEndpoint.SESSION_ENDED, msg -> {
      Set<SockJSSocket> sockets = sessionSockets.remove(msg.body());
      if (sockets != null) {
        sockets.forEach(SockJSSocket::close);
      }
    });
    vertx.eventBus().<JsonObject>localConsumer(EventTypes.REPLAY_ADDRESS, msg -> {
      JsonObject body = msg.body();
      String accountId = body == null ? null : body.getString("accountId");
      if (accountId == null) {
        // Only the bridge's rewritten requests are answered: they name the account it authenticated.
        msg.fail(400, "a replay request names no account");
        return;
      }
      long after = Math.max(0, BridgeFrames.afterOf(body.getValue("after")));
      EventLog.after(pool, accountId, after, REPLAY_LIMIT).onComplete(ar -> {
        if (ar.succeeded()) {
          msg.reply(new JsonObject().put("items", ar.result()));
        } else {
          msg.fail(500, "events are unavailable right now");
        }
      });
    });
  }

  /**
   * Delivers an event (its JSON as stored in the event log) to the sockets of its account on this node; safe to
   * call from any thread. The event relay calls it for every event RabbitMQ brings.
   */
  public void deliver(String accountId, String eventJson) {
    fanout.deliver(accountId, eventJson);
  }

  /**
   * After this node's event relay (re)connects to RabbitMQ, events published while its queue was gone never
   * reach the browsers: each account listening here is told to resync, i.e. replay from its last seq.
   */
  public void resyncAll() {
    fanout.accounts().forEach(fanout::resync);
  }

  /**
   * Decides each bridge event. Frames reach it already screened ({@link BridgeFrames}); should anything here still
   * fail, the event is refused, which the bridge answers with an error: no frame goes unanswered.
   */
  private void guard(BridgeEvent event) {
    try {
      decide(event);
    } catch (RuntimeException e) {
      LOG.warn("bridge event {} refused: {}", event.type(), e.toString());
      refuse(event);
    }
  }

  private void refuse(BridgeEvent event) {
    if (event.socket() instanceof ScreenedSocket screened) {
      screened.strike("refused by the bridge");
    }
    if (!event.future().isComplete()) {
      event.complete(false);
    }
  }

  private void decide(BridgeEvent event) {
    BridgeEventType type = event.type();
    if (type == BridgeEventType.RECEIVE) {
      // Replies (to replay requests) pass; events reach sockets only through the fan-out, bounded per socket.
      JsonObject raw = event.getRawMessage();
      String address = raw == null ? null : raw.getString("address");
      event.complete(address == null || !address.startsWith(EventTypes.ACCOUNT_ADDRESS_PREFIX));
      return;
    }
    if (type == BridgeEventType.SOCKET_CREATED) {
      OPEN_SOCKETS.incrementAndGet();
    }
    if (type == BridgeEventType.SOCKET_CLOSED) {
      OPEN_SOCKETS.decrementAndGet();
      forget(event.socket());
      fanout.forget(event.socket());
    }
    if (type != BridgeEventType.REGISTER && type != BridgeEventType.SEND && type != BridgeEventType.PUBLISH) {
      event.complete(true);
      return;
    }
    // The socket's own event loop: the fan-out writes to it there. Each connection runs on its own duplicate of the
    // loop's context; the loop's own context is the key, so an account's sockets on one loop (of one HTTP server
    // instance) get one task per event, not one each.
    Context context = ((ContextInternal) vertx.getOrCreateContext()).unwrap();
    JsonObject raw = event.getRawMessage();
    JsonObject headers = raw == null || !(raw.getValue("headers") instanceof JsonObject h) ? null : h;
    Object authorization = headers == null ? null : headers.getValue("authorization");
    String key = ApiKeyAuthHandler.bearer(authorization instanceof String a ? a : null);
    String sessionHash = sessionHash(event.socket());
    if (key == null && sessionHash == null) {
      refuse(event);
      return;
    }
    // Checked again on every frame: a session that signed out since the handshake opens nothing more.
    Future<Sessions.Session> session = key != null ? Future.succeededFuture(null)
      : sessions.findByHash(sessionHash, null);
    Future<ApiKeys.Principal> caller = key != null ? apiKeys.authenticate(key)
      : session.map(s -> s == null ? null : s.principal());
    caller.recover(err -> Future.succeededFuture(null)).onSuccess(principal -> {
      if (principal == null) {
        refuse(event);
      } else if (type == BridgeEventType.REGISTER) {
        boolean own = EventTypes.accountAddress(principal.accountId()).equals(raw.getString("address"));
        if (own) {
          fanout.listen(event.socket(), principal.accountId(), context);
        }
        if (own && key == null) {
          // Added inside compute: forget() on another event loop may be removing this session's emptied set.
          sessionSockets.compute(sessionHash, (k, sockets) -> {
            Set<SockJSSocket> kept = sockets == null ? ConcurrentHashMap.newKeySet() : sockets;
            kept.add(event.socket());
            return kept;
          });
        }
        if (own) {
          event.complete(true);
        } else {
          refuse(event);
        }
      } else if (type == BridgeEventType.SEND && EventTypes.REPLAY_ADDRESS.equals(raw.getString("address"))) {
        Object requested = raw.getValue("body");
        long after = requested instanceof JsonObject json ? BridgeFrames.afterOf(json.getValue("after")) : 0L;
        raw.put("body", new JsonObject().put("accountId", principal.accountId()).put("after", Math.max(0, after)));
        raw.remove("headers");
        event.setRawMessage(raw);
        event.complete(true);
      } else {
        refuse(event);
      }
    }).onFailure(err -> refuse(event));
  }

  /**
   * The socket closed. Its session's set is changed inside {@code computeIfPresent}, atomically per session: the
   * sockets of one session live on several event loops (one per HTTP server instance), and a set emptied here must
   * not be dropped while another loop adds a socket to it (that socket would outlive its session's sign-out).
   */
  private void forget(SockJSSocket socket) {
    String sessionHash = sessionHash(socket);
    if (sessionHash != null) {
      sessionSockets.computeIfPresent(sessionHash, (k, sockets) -> {
        sockets.remove(socket);
        return sockets.isEmpty() ? null : sockets;
      });
    }
  }

  /** The hash of the browser session a socket was opened with, or null (an API key's socket). */
  private static String sessionHash(SockJSSocket socket) {
    User user = socket.webUser();
    return user == null ? null : user.principal().getString(SESSION_HASH);
  }
}
