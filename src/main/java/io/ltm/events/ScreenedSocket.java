package io.ltm.events;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SockJS socket as the event-bus bridge sees it, with every incoming frame screened first: a frame of the wrong
 * shape ({@link BridgeFrames#problem}) is answered with an error and never reaches the bridge, and a socket that
 * keeps sending such frames, or frames the bridge refuses, is closed. It extends {@link SockJSSocketBase} (not
 * just the interface) because the bridge casts its sockets to it when it closes an idle one.
 */
final class ScreenedSocket extends SockJSSocketBase {
  private static final Logger LOG = LoggerFactory.getLogger(ScreenedSocket.class);
  /** Refused frames a socket may send before it is closed; a well-behaved client sends none. */
  static final int MAX_STRIKES = 10;

  private final SockJSSocket socket;
  private int strikes;

  ScreenedSocket(Vertx vertx, SockJSSocket socket) {
    super(vertx, socket.routingContext(), new SockJSHandlerOptions().setRegisterWriteHandler(false));
    this.socket = socket;
  }

  @Override
  public SockJSSocket handler(Handler<Buffer> handler) {
    if (handler == null) {
      socket.handler(null);
      return this;
    }
    socket.handler(data -> {
      String text = data.toString();
      String problem = BridgeFrames.problem(text);
      if (problem == null) {
        handler.handle(data);
      } else {
        refuse(text, problem);
      }
    });
    return this;
  }

  /**
   * Answers a malformed frame: on its reply address when it has a usable one (the client's reply handler gets the
   * failure), else as a bridge error frame; then counts it against the socket.
   */
  private void refuse(String text, String problem) {
    Object replyAddress = null;
    try {
      replyAddress = BridgeFrames.parse(text).getValue("replyAddress");
    } catch (RuntimeException notAnObject) {
      // no reply address to answer on
    }
    JsonObject error = new JsonObject().put("type", "err").put("body", "invalid_frame").put("message", problem);
    if (replyAddress instanceof String address && !address.isEmpty()
      && address.length() <= BridgeFrames.MAX_REPLY_ADDRESS) {
      error.put("address", address).put("failureCode", 400).put("failureType", "RECIPIENT_FAILURE");
    }
    socket.write(error.toBuffer());
    strike(problem);
  }

  /** Counts one refused frame; closes the socket once there have been too many. */
  void strike(String why) {
    strikes++;
    if (strikes >= MAX_STRIKES) {
      LOG.info("closing event-bus socket from {} after {} refused frames (last: {})", remoteAddress(), strikes, why);
      socket.write(new JsonObject().put("type", "err").put("body", "too_many_invalid_frames")
        .put("message", "this socket sent " + strikes + " frames that were refused; it is closed").toBuffer());
      socket.close();
    }
  }

  @Override
  public void closeAfterSessionExpired() {
    if (socket instanceof SockJSSocketBase base) {
      base.closeAfterSessionExpired();
    } else {
      socket.close();
    }
  }

  @Override
  public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
    socket.exceptionHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket pause() {
    socket.pause();
    return this;
  }

  @Override
  public SockJSSocket resume() {
    socket.resume();
    return this;
  }

  @Override
  public SockJSSocket fetch(long amount) {
    socket.fetch(amount);
    return this;
  }

  @Override
  public SockJSSocket endHandler(Handler<Void> endHandler) {
    socket.endHandler(endHandler);
    return this;
  }

  @Override
  public SockJSSocket closeHandler(Handler<Void> closeHandler) {
    socket.closeHandler(closeHandler);
    return this;
  }

  @Override
  public Future<Void> write(Buffer data) {
    return socket.write(data);
  }

  /** Passed on as text: the event fan-out writes one String to many sockets, with no bytes made per socket. */
  @Override
  public Future<Void> write(String data) {
    return socket.write(data);
  }

  @Override
  public SockJSSocket setWriteQueueMaxSize(int maxSize) {
    socket.setWriteQueueMaxSize(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return socket.writeQueueFull();
  }

  @Override
  public SockJSSocket drainHandler(Handler<Void> handler) {
    socket.drainHandler(handler);
    return this;
  }

  @Override
  public String writeHandlerID() {
    return socket.writeHandlerID();
  }

  @Override
  public Future<Void> end() {
    return socket.end();
  }

  @Override
  public void close() {
    socket.close();
  }

  @Override
  public void close(int statusCode, String reason) {
    socket.close(statusCode, reason);
  }

  @Override
  public SocketAddress remoteAddress() {
    return socket.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return socket.localAddress();
  }

  @Override
  public MultiMap headers() {
    return socket.headers();
  }

  @Override
  public String uri() {
    return socket.uri();
  }

  @Override
  public RoutingContext routingContext() {
    return socket.routingContext();
  }

  @Override
  public Session webSession() {
    return socket.webSession();
  }

  @Override
  public User webUser() {
    return socket.webUser();
  }
}
