package io.ltm.events;

import io.ltm.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands each event to the browsers of its account on this node. The SockJS bridge, left to itself, registers an
 * event-bus consumer per socket: every event was then copied, wrapped and JSON-encoded once per socket. Here the
 * frame is built once per event, from the event's JSON as it came from RabbitMQ (no parsing, no encoding), and the
 * same text is written to every socket of the account, one task per event loop rather than one per socket.
 *
 * <p>A slow browser never delays the others: writes never block, and what one socket may have waiting (in LTM,
 * past what the kernel took) is bounded. A frame that does not fit is dropped and counted, the socket is marked
 * behind, and once everything it was sent has been written it gets a {@code resync} frame: the page then replays
 * from its last seq ({@code ltm.events.replay}), so nothing is lost silently.
 *
 * <p>Each socket's state is touched only on its own event loop; the maps are concurrent because the event relay
 * delivers from its own.
 */
final class EventFanout {
  private static final Counter FRAMES_DROPPED = Meters.counter("ltm_eventbus_frames_dropped",
    "event frames not written to a browser whose write queue was full (it is told to resync instead)");
  private static final Counter RESYNCS = Meters.counter("ltm_eventbus_resyncs",
    "browsers told to replay from their last seq after frames were dropped for them");

  private final int queueBytes;
  private final String rawPath;
  private final Map<String, Account> accounts = new ConcurrentHashMap<>();
  private final Map<SockJSSocket, Listener> listeners = new ConcurrentHashMap<>();

  /**
   * @param queueBytes bytes of frames a socket may have waiting before its frames are dropped
   * @param rawPath the raw WebSocket endpoint's path, whose clients get binary frames (as the bridge sends them)
   */
  EventFanout(int queueBytes, String rawPath) {
    this.queueBytes = queueBytes;
    this.rawPath = rawPath;
  }

  /** The socket receives its account's events from now on; {@code context} is the socket's own event loop. */
  void listen(SockJSSocket socket, String accountId, Context context) {
    Listener listener = new Listener(socket, accountId, context, rawPath.equals(path(socket.uri())));
    if (listeners.putIfAbsent(socket, listener) != null) {
      return;
    }
    Group group = accounts.compute(accountId, (id, a) -> {
      Account account = a == null ? new Account() : a;
      account.sockets++;
      return account;
    }).groups.computeIfAbsent(context, Group::new);
    onContext(context, () -> group.members.add(listener));
  }

  /** The socket closed: it is forgotten, and its account with it when it was the last. */
  void forget(SockJSSocket socket) {
    Listener listener = listeners.remove(socket);
    if (listener == null) {
      return;
    }
    Account account = accounts.get(listener.accountId);
    Group group = account == null ? null : account.groups.get(listener.context);
    if (group != null) {
      onContext(listener.context, () -> group.members.remove(listener));
    }
    accounts.computeIfPresent(listener.accountId, (id, a) -> --a.sockets == 0 ? null : a);
  }

  /** How many sockets listen on this node (any account). */
  int sockets() {
    return listeners.size();
  }

  /** The accounts with a socket on this node. */
  Set<String> accounts() {
    return Set.copyOf(accounts.keySet());
  }

  /** Delivers one event, given as the JSON text stored in the event log, to its account's sockets. */
  void deliver(String accountId, String eventJson) {
    Account account = accounts.get(accountId);
    if (account == null) {
      return;
    }
    Frame frame = new Frame(EventTypes.accountAddress(accountId), eventJson);
    account.groups.values().forEach(group -> onContext(group.context, () -> {
      for (Listener listener : group.members) {
        listener.offer(frame);
      }
    }));
  }

  /** Tells every socket of the account to replay from its last seq (the relay may have missed events). */
  void resync(String accountId) {
    deliver(accountId, Frame.RESYNC_BODY);
  }

  private static void onContext(Context context, Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  private static String path(String uri) {
    if (uri == null) {
      return "";
    }
    int query = uri.indexOf('?');
    return query < 0 ? uri : uri.substring(0, query);
  }

  /** An account's sockets on this node, grouped by the event loop each lives on. */
  private static final class Account {
    final Map<Context, Group> groups = new ConcurrentHashMap<>();
    /** Changed only inside {@code accounts.compute}: the entry goes when its last socket does. */
    int sockets;
  }

  /** The sockets of one account on one event loop; {@code members} is only touched on that loop. */
  private static final class Group {
    final Context context;
    final Set<Listener> members = new LinkedHashSet<>();

    Group(Context context) {
      this.context = context;
    }
  }

  /** One bridge frame, {@code {"type":"rec","address":…,"body":<event>}}: its text built once, its bytes once. */
  static final class Frame {
    static final String RESYNC_BODY = "{\"type\":\"" + EventTypes.RESYNC + "\"}";
    final String text;
    private byte[] bytes;

    Frame(String address, String bodyJson) {
      this.text = "{\"type\":\"rec\",\"address\":\"" + address + "\",\"body\":" + bodyJson + "}";
    }

    synchronized byte[] bytes() {
      if (bytes == null) {
        bytes = text.getBytes(StandardCharsets.UTF_8);
      }
      return bytes;
    }
  }

  /** One socket's bounded queue: bytes written but not yet taken by the network, and whether it fell behind. */
  private final class Listener {
    final SockJSSocket socket;
    final String accountId;
    final Context context;
    final boolean raw;
    int waiting;
    boolean behind;

    Listener(SockJSSocket socket, String accountId, Context context, boolean raw) {
      this.socket = socket;
      this.accountId = accountId;
      this.context = context;
      this.raw = raw;
    }

    void offer(Frame frame) {
      if (behind) {
        FRAMES_DROPPED.increment();
        return;
      }
      // The first frame always goes, however large: a queue is full only with something in it.
      int size = frame.text.length();
      if (waiting > 0 && waiting + size > queueBytes) {
        behind = true;
        FRAMES_DROPPED.increment();
        return;
      }
      write(frame, size);
    }

    private void write(Frame frame, int size) {
      waiting += size;
      (raw ? socket.write(Buffer.buffer(frame.bytes())) : socket.write(frame.text)).onComplete(ar -> {
        waiting -= size;
        if (waiting == 0 && behind && listeners.get(socket) == this) {
          behind = false;
          RESYNCS.increment();
          write(new Frame(EventTypes.accountAddress(accountId), Frame.RESYNC_BODY), 0);
        }
      });
    }
  }
}
