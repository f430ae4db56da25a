package io.ltm.events;

import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.account.ApiKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.sqlclient.Pool;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SockJS event-bus bridge. A browser may register only on {@code ltm.account.<its account>} and may send
 * only to the replay address; both need its API key in the frame's headers ({@code authorization: Bearer …}).
 * The replay request is rewritten with the authenticated account id, so a client cannot ask for another's events.
 */
public class EventBridge {
  private static final int REPLAY_LIMIT = 1000;

  private final Vertx vertx;
  private final Pool pool;
  private final ApiKeys apiKeys;
  /** Sockets registered on this node, with the account each listens for. */
  private final Map<SockJSSocket, String> listeners = new ConcurrentHashMap<>();

  public EventBridge(Vertx vertx, Pool pool, ApiKeys apiKeys) {
    this.vertx = vertx;
    this.pool = pool;
    this.apiKeys = apiKeys;
  }

  public Router router() {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
      .addInboundPermitted(new PermittedOptions().setAddress(EventTypes.REPLAY_ADDRESS))
      .addOutboundPermitted(new PermittedOptions().setAddressRegex(EventTypes.ACCOUNT_ADDRESS_PREFIX.replace(".", "\\.") + ".+"))
      .setPingTimeout(30_000);
    return SockJSHandler.create(vertx).bridge(options, this::guard);
  }

  /** Answers replay requests on this node; each server node has its own, so no request crosses nodes. */
  public void registerReplay() {
    vertx.eventBus().<JsonObject>localConsumer(EventTypes.REPLAY_ADDRESS, msg -> {
      JsonObject body = msg.body();
      String accountId = body.getString("accountId");
      long after = Math.max(0, body.getLong("after", 0L));
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
   * After this node's event relay (re)connects to RabbitMQ, events published while its queue was gone never
   * reach the browsers: each account listening here is told to resync, i.e. replay from its last seq.
   */
  public void registerResync() {
    vertx.eventBus().localConsumer(EventTypes.RESYNC_ADDRESS, msg -> Set.copyOf(listeners.values())
      .forEach(accountId -> vertx.eventBus().publish(EventTypes.accountAddress(accountId),
        new JsonObject().put("type", EventTypes.RESYNC))));
  }

  private void guard(BridgeEvent event) {
    BridgeEventType type = event.type();
    if (type == BridgeEventType.SOCKET_CLOSED) {
      listeners.remove(event.socket());
    }
    if (type != BridgeEventType.REGISTER && type != BridgeEventType.SEND && type != BridgeEventType.PUBLISH) {
      event.complete(true);
      return;
    }
    JsonObject raw = event.getRawMessage();
    JsonObject headers = raw == null ? null : raw.getJsonObject("headers");
    String key = ApiKeyAuthHandler.bearer(headers == null ? null : headers.getString("authorization"));
    if (key == null) {
      event.complete(false);
      return;
    }
    apiKeys.authenticate(key).recover(err -> Future.succeededFuture(null)).onSuccess(principal -> {
      if (principal == null) {
        event.complete(false);
      } else if (type == BridgeEventType.REGISTER) {
        boolean own = EventTypes.accountAddress(principal.accountId()).equals(raw.getString("address"));
        if (own) {
          listeners.put(event.socket(), principal.accountId());
        }
        event.complete(own);
      } else if (type == BridgeEventType.SEND && EventTypes.REPLAY_ADDRESS.equals(raw.getString("address"))) {
        Object requested = raw.getValue("body");
        long after = requested instanceof JsonObject json ? json.getLong("after", 0L) : 0L;
        raw.put("body", new JsonObject().put("accountId", principal.accountId()).put("after", after));
        raw.remove("headers");
        event.setRawMessage(raw);
        event.complete(true);
      } else {
        event.complete(false);
      }
    });
  }
}
