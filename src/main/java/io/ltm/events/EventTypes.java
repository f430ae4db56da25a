package io.ltm.events;

/** Event types and the addresses they travel on. Browser-visible addresses share one prefix. */
public final class EventTypes {
  public static final String ORDER_STATE = "order.state";
  public static final String STREAM_STATE = "stream.state";
  public static final String STREAM_FAILED = "stream.failed";
  public static final String STREAM_HEALTH = "stream.health";
  public static final String STREAM_THUMBNAIL = "stream.thumbnail";
  /** A stream's configuration changed (a new configVersion); its detail names the version and why. */
  public static final String STREAM_CONFIG = "stream.config";
  public static final String MACHINE_STATE = "machine.state";
  /** The CDN delivering a stream changed (a failover or a switch back): {@code {active, previous, reason}}. */
  public static final String STREAM_CDN = "stream.cdn";

  /** Topic exchange every server node binds its own queue to. Routing key: account.&lt;id&gt;.&lt;type&gt;. */
  public static final String EVENTS_EXCHANGE = "ltm.events";

  /** Prefix of the per-account event-bus address the SockJS bridge lets a signed-in browser register on. */
  public static final String ACCOUNT_ADDRESS_PREFIX = "ltm.account.";

  /** Request/reply address a browser sends {@code {"after": seq}} to, to get what it missed. */
  public static final String REPLAY_ADDRESS = "ltm.events.replay";

  /** Type of the seq-less message that tells a browser to replay from its last seq (see EventBridge). */
  public static final String RESYNC = "resync";

  /**
   * Routing key, on {@link #EVENTS_EXCHANGE}, of a signed-out session's token hash: every server node closes that
   * session's sockets, not only the node that signed it out.
   */
  public static final String SESSION_ENDED_KEY = "session.ended";

  /** Routing key, on {@link #EVENTS_EXCHANGE}, of a revoked API key's id: every server node forgets it at once. */
  public static final String KEY_REVOKED_KEY = "apikey.revoked";

  /**
   * Routing key, on {@link #EVENTS_EXCHANGE}, of a message that carries several accounts' events (the outbox relay
   * sends the events of one pass together, see {@code EventPack}); every server node binds it beside {@code account.#}.
   */
  public static final String PACKED_KEY = "events.packed";

  /** Local address that wakes the outbox relay right after a transaction wrote to the outbox. */
  public static final String OUTBOX_WAKEUP = "ltm.internal.outbox.wakeup";

  /** Local: a start claimed a warm machine (body: its id); its held wait answers, and the pool keeper refills. */
  public static final String WARM_CLAIMED = "ltm.internal.pool.claimed";

  /** Local: a machine.state ASSIGNED event came through this node's event relay (body: the machine id). */
  public static final String MACHINE_ASSIGNED = "ltm.internal.machine.assigned";

  private EventTypes() {
  }

  public static String accountAddress(String accountId) {
    return ACCOUNT_ADDRESS_PREFIX + accountId;
  }

  public static String routingKey(String accountId, String type) {
    return "account." + accountId + "." + type;
  }
}
