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
  private record Waiter(Context context, Promise<Boolean> promise, long timer) {
  }

  private final Vertx vertx;
  private final Map<String, Waiter> held = new ConcurrentHashMap<>();

  Waiters(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Completes true when {@link #wake} is called for the machine, false after {@code holdMs}; on this context. */
  Future<Boolean> register(String machineId, long holdMs) {
    Context context = vertx.getOrCreateContext();
    Promise<Boolean> promise = Promise.promise();
    long timer = vertx.setTimer(holdMs, id -> end(machineId, promise, false));
    Waiter previous = held.put(machineId, new Waiter(context, promise, timer));
    if (previous != null) {
      vertx.cancelTimer(previous.timer());
      previous.context().runOnContext(v -> previous.promise().tryComplete(false));
    }
    return promise.future();
  }

  void wake(String machineId) {
    Waiter w = held.remove(machineId);
    if (w != null) {
      vertx.cancelTimer(w.timer());
      w.context().runOnContext(v -> w.promise().tryComplete(true));
    }
  }

  void cancel(String machineId) {
    Waiter w = held.remove(machineId);
    if (w != null) {
      vertx.cancelTimer(w.timer());
      w.context().runOnContext(v -> w.promise().tryComplete(false));
    }
  }

  private void end(String machineId, Promise<Boolean> promise, boolean woken) {
    held.computeIfPresent(machineId, (id, w) -> w.promise() == promise ? null : w);
    promise.tryComplete(woken);
  }
}
