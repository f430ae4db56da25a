package io.ltm.cloud;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Warm agents' held {@code wait} calls on this node, by machine id: a claim wakes its machine's call at once, or
 * the call ends after its hold with nothing to hand over. A machine has one wait at a time; a new one replaces
 * (and ends) an older one, e.g. when the agent gave up on a call the server still held.
 */
final class Waiters {
  private record Waiter(Context context, Promise<Wake> promise, long timer) {
  }

  /** How a held wait ended: woken by a claim (with the pipeline it built, when it did), or not. */
  record Wake(boolean woken, io.ltm.agent.Pipeline pipeline) {
    static final Wake NOTHING = new Wake(false, null);
  }

  private final Vertx vertx;
  private final Map<String, Waiter> held = new ConcurrentHashMap<>();

  Waiters(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Completes woken when {@link #wake} is called for the machine, not after {@code holdMs}; on this context. */
  Future<Wake> register(String machineId, long holdMs) {
    Context context = vertx.getOrCreateContext();
    Promise<Wake> promise = Promise.promise();
    long timer = vertx.setTimer(holdMs, id -> end(machineId, promise));
    Waiter previous = held.put(machineId, new Waiter(context, promise, timer));
    if (previous != null) {
      vertx.cancelTimer(previous.timer());
      previous.context().runOnContext(v -> previous.promise().tryComplete(Wake.NOTHING));
    }
    return promise.future();
  }

  void wake(String machineId, io.ltm.agent.Pipeline pipeline) {
    Waiter w = held.remove(machineId);
    if (w != null) {
      vertx.cancelTimer(w.timer());
      w.context().runOnContext(v -> w.promise().tryComplete(new Wake(true, pipeline)));
    }
  }

  void cancel(String machineId) {
    Waiter w = held.remove(machineId);
    if (w != null) {
      vertx.cancelTimer(w.timer());
      w.context().runOnContext(v -> w.promise().tryComplete(Wake.NOTHING));
    }
  }

  private void end(String machineId, Promise<Wake> promise) {
    held.computeIfPresent(machineId, (id, w) -> w.promise() == promise ? null : w);
    promise.tryComplete(Wake.NOTHING);
  }
}
