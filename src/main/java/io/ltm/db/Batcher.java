package io.ltm.db;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Group commit for calls that arrive faster than MySQL answers them one at a time. Each event loop has one batch
 * in flight; what arrives meanwhile waits and goes in the next batch. A lone call is written at once, with no
 * timer or delay; a crowd is written in a few round trips whatever its size, so the batches grow exactly as fast
 * as the database falls behind.
 *
 * <p>The writer answers each item of its batch itself. When the batch's future fails, every item of it is failed
 * with that error ({@code fail} must then ignore items already answered).
 */
public final class Batcher<T> {
  private final int maxBatch;
  private final Function<List<T>, Future<?>> writer;
  private final BiConsumer<T, Throwable> fail;
  private final Map<Context, Lane> lanes = new ConcurrentHashMap<>();

  /**
   * @param maxBatch items per batch at most (a statement's placeholders grow with it)
   * @param writer writes one batch and answers its items; runs on the event loop the items came from
   * @param fail answers an item whose batch failed
   */
  public Batcher(int maxBatch, Function<List<T>, Future<?>> writer, BiConsumer<T, Throwable> fail) {
    this.maxBatch = maxBatch;
    this.writer = writer;
    this.fail = fail;
  }

  /**
   * Queues an item on the lane of {@code context}'s event loop; it is written with the next batch that lane sends.
   * Each HTTP request runs on its own duplicate of the loop's context: the lane is the loop's, not the request's.
   */
  public void add(Context context, T item) {
    Context loop = ((ContextInternal) context).unwrap();
    Lane lane = lanes.computeIfAbsent(loop, Lane::new);
    if (onLoop(loop)) {
      lane.add(item);
    } else {
      loop.runOnContext(v -> lane.add(item));
    }
  }

  /** True on {@code loop}'s thread, in the loop's own context or a request's duplicate of it. */
  private static boolean onLoop(Context loop) {
    Context current = Vertx.currentContext();
    return current != null && ((ContextInternal) current).unwrap() == loop;
  }

  /** One event loop's queue; touched only on that loop. */
  private final class Lane {
    private final Context context;
    private final ArrayDeque<T> waiting = new ArrayDeque<>();
    private boolean writing;

    Lane(Context context) {
      this.context = context;
    }

    void add(T item) {
      waiting.add(item);
      if (!writing) {
        next();
      }
    }

    private void next() {
      if (waiting.isEmpty()) {
        writing = false;
        return;
      }
      writing = true;
      List<T> batch = new ArrayList<>(Math.min(maxBatch, waiting.size()));
      while (!waiting.isEmpty() && batch.size() < maxBatch) {
        batch.add(waiting.poll());
      }
      Future<?> written;
      try {
        written = writer.apply(batch);
      } catch (RuntimeException e) {
        written = Future.failedFuture(e);
      }
      written.onComplete(ar -> {
        if (ar.failed()) {
          batch.forEach(item -> fail.accept(item, ar.cause()));
        }
        // The pool answers on the caller's loop; should a writer hop elsewhere, the lane still moves on its own.
        if (onLoop(context)) {
          next();
        } else {
          context.runOnContext(v -> next());
        }
      });
    }
  }
}
