package io.ltm.jobs;

import io.ltm.common.Ids;
import io.ltm.db.InList;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.Collection;
import java.util.List;

/**
 * A provisioning job: recorded in {@code jobs} (with the step it has durably reached) and sent through the
 * outbox to {@code ltm.jobs}, in the transaction of the change that asked for it.
 *
 * @param subjectId  the stream, order or machine the job is about
 * @param generation the stream's start generation, so a job of an older start is recognised as stale
 */
public record Job(String id, String kind, String accountId, String subjectId, int generation) {
  public static final String ORDER_PLACED = "order.placed";
  public static final String STREAM_START = "stream.start";
  public static final String STREAM_STOP = "stream.stop";
  public static final String MACHINE_TERMINATE = "machine.terminate";
  /** A start claimed a stopped warm machine: start it again (EC2 StartInstances). */
  public static final String MACHINE_RESUME = "machine.resume";

  private static final String INSERT =
    "INSERT INTO jobs (id, kind, account_id, subject_id, generation, step) VALUES (?, ?, ?, ?, ?, 'queued')";
  private static final String RECORD = "UPDATE jobs SET step = ?, attempts = attempts + 1, last_error = ?, "
    + "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?";
  private static final String DONE_ALL = "UPDATE jobs SET step = 'done', attempts = attempts + 1, last_error = NULL, "
    + "updated_at = CURRENT_TIMESTAMP(3) WHERE id IN (%s)";

  /** Records the step this job durably reached (or its failure), counting the attempt. */
  public Future<Void> record(SqlClient client, String step, String error) {
    return client.preparedQuery(RECORD).execute(Tuple.of(step, error, id)).mapEmpty();
  }

  /** The jobs' work is done, recorded in the transaction that did it (several jobs, one statement). */
  public static Future<Void> doneAll(SqlConnection conn, Collection<String> jobIds) {
    List<String> ids = InList.padded(jobIds);
    return conn.preparedQuery(DONE_ALL.formatted(InList.marks(ids.size()))).execute(Tuple.from(ids)).mapEmpty();
  }

  public static Job of(String kind, String accountId, String subjectId, int generation) {
    return new Job(Ids.newId("job"), kind, accountId, subjectId, generation);
  }

  public static Job fromJson(JsonObject json) {
    return new Job(json.getString("jobId"), json.getString("kind"), json.getString("accountId"),
      json.getString("subjectId"), json.getInteger("generation", 0));
  }

  /** The job's message; {@code queuedAt} (epoch ms) lets the worker measure how long it waited. */
  public JsonObject toJson() {
    return new JsonObject().put("jobId", id).put("kind", kind).put("accountId", accountId)
      .put("subjectId", subjectId).put("generation", generation).put("queuedAt", System.currentTimeMillis());
  }

  /** Records the job and queues its message; both commit or neither does. */
  public Future<Void> enqueue(SqlConnection conn) {
    return insert(conn).compose(v -> Outbox.addAll(conn, List.of(message())));
  }

  /** Only the job's row: its {@link #message} goes in the same transaction's outbox INSERT, with other messages. */
  public Future<Void> insert(SqlConnection conn) {
    return conn.preparedQuery(INSERT).execute(Tuple.of(id, kind, accountId, subjectId, generation)).mapEmpty();
  }

  /** The job's message for the outbox. */
  public Outbox.Message message() {
    return new Outbox.Message(Topology.JOBS_EXCHANGE, Topology.JOBS_ROUTING_KEY, id, toJson());
  }
}
