package io.ltm.stream;

import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.stream.domain.StreamLifecycle;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;

/**
 * Moves a locked stream to a new state and records the {@code stream.state} event in the same transaction.
 * Every state change of a stream goes through here, so none escapes the event log.
 */
public class StreamTransitions {
  private final StreamRepository streams;

  public StreamTransitions(StreamRepository streams) {
    this.streams = streams;
  }

  /**
   * System move (worker, agent report). Returns false and changes nothing when the state machine forbids it,
   * e.g. a late report for a stream that was stopped meanwhile.
   */
  public Future<Boolean> move(SqlConnection conn, Stream locked, StreamState to, String reason, JsonObject detail) {
    if (!StreamLifecycle.canMove(locked.state(), to)) {
      return Future.succeededFuture(false);
    }
    return record(conn, locked, to, reason, detail).map(true);
  }

  /** Writes the new state and its event; the caller has checked the move is legal. */
  public Future<Void> record(SqlConnection conn, Stream locked, StreamState to, String reason, JsonObject detail) {
    JsonObject eventDetail = detail == null ? new JsonObject() : detail.copy();
    if (reason != null) {
      eventDetail.put("reason", reason);
    }
    JsonObject fields = new JsonObject()
      .put("state", to.name())
      .put("previous", locked.state().name())
      // What the customer may do now, so a page follows the state machine without keeping a copy of it.
      .put("allowedActions", new JsonArray(StreamLifecycle.allowedActions(to).stream().toList()))
      .put("detail", eventDetail);
    Future<Void> written = streams.updateState(conn, locked.id(), to, reason)
      .compose(v -> EventLog.append(conn, locked.accountId(), EventTypes.STREAM_STATE, locked.id(), fields))
      .mapEmpty();
    if (to == StreamState.FAILED) {
      written = written.compose(v -> EventLog.append(conn, locked.accountId(), EventTypes.STREAM_FAILED, locked.id(),
        new JsonObject().put("reason", reason))).mapEmpty();
    }
    return written;
  }
}
