package io.ltm.events;

import io.ltm.common.Utc;
import io.ltm.jobs.Outbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mysqlclient.MySQLClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The account's event history. Each event gets the account's next {@code seq} under the account row's lock, is
 * stored, and is put in the outbox for {@code ltm.events} — all in the transaction of the change it reports,
 * so an event exists exactly when its change does. That transaction is a {@code Transactions.inAccount} one:
 * the account row is locked before anything else, so seq order is commit order and nothing deadlocks on it.
 */
public final class EventLog {
  /**
   * Takes the next number and hands it back through the OK packet's last-insert-id: one statement, and an
   * exclusive lock from the start (never a shared one upgraded). The caller's transaction locked the account
   * row first ({@code Transactions.inAccount}), so this waits for nobody.
   */
  private static final String NEXT_SEQ = "UPDATE accounts SET event_seq = LAST_INSERT_ID(event_seq + 1) WHERE id = ?";
  private static final String NEXT_SEQS = "UPDATE accounts SET event_seq = LAST_INSERT_ID(event_seq + ?) WHERE id = ?";
  private static final String INSERT_MANY = "INSERT INTO events (account_id, seq, type, stream_id, payload) VALUES ";
  private static final String INSERT =
    "INSERT INTO events (account_id, seq, type, stream_id, payload) VALUES (?, ?, ?, ?, ?)";
  private static final String AFTER =
    "SELECT payload FROM events WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?";

  private EventLog() {
  }

  /**
   * Appends an event; {@code fields} become top-level members next to seq, type, accountId, streamId and at.
   */
  public static Future<JsonObject> append(SqlConnection conn, String accountId, String type, String streamId,
                                          JsonObject fields) {
    return conn.preparedQuery(NEXT_SEQ).execute(Tuple.of(accountId))
      .compose(rows -> {
        if (rows.rowCount() != 1) {
          return Future.failedFuture(new IllegalStateException("no account " + accountId));
        }
        long seq = rows.property(MySQLClient.LAST_INSERTED_ID);
        JsonObject event = new JsonObject()
          .put("seq", seq)
          .put("type", type)
          .put("accountId", accountId)
          .put("streamId", streamId)
          .put("at", Utc.nowText())
          .mergeIn(fields);
        // Both sent at once (the connection pipelines them): one round trip, not two.
        return Future.all(conn.preparedQuery(INSERT).execute(Tuple.of(accountId, seq, type, streamId, event.encode())),
            Outbox.add(conn, EventTypes.EVENTS_EXCHANGE, EventTypes.routingKey(accountId, type),
              "evt_" + accountId + "_" + seq, event))
          .map(event);
      });
  }

  /** An event still to be numbered: its type, stream (or null) and the fields beside seq, type, accountId, at. */
  public record Draft(String type, String streamId, JsonObject fields) {
  }

  /**
   * Appends several events of one account with three statements whatever their number: one UPDATE takes n
   * numbers (and, as a transaction's first statement, is its exclusive lock on the account row: see
   * {@code Transactions}), one multi-row INSERT stores them, one puts them in the outbox.
   */
  public static Future<List<JsonObject>> appendAll(SqlConnection conn, String accountId, List<Draft> drafts) {
    return appendAll(conn, accountId, drafts, List.of());
  }

  /**
   * {@link #appendAll}, with other outbox messages of the same transaction (a job's) put in the outbox by the same
   * INSERT as the events: one statement fewer.
   */
  public static Future<List<JsonObject>> appendAll(SqlConnection conn, String accountId, List<Draft> drafts,
                                                   List<Outbox.Message> alongside) {
    return appendAcross(conn, Collections.singletonMap(accountId, drafts), alongside);
  }

  /**
   * Appends events of several accounts: one UPDATE per account takes its numbers (all sent at once), then one
   * multi-row INSERT stores every event and one puts them in the outbox. The caller's transaction has locked
   * those account rows already, in id order ({@code Transactions.inAccounts}).
   */
  public static Future<List<JsonObject>> appendAcross(SqlConnection conn, Map<String, List<Draft>> draftsByAccount) {
    return appendAcross(conn, draftsByAccount, List.of());
  }

  private static Future<List<JsonObject>> appendAcross(SqlConnection conn, Map<String, List<Draft>> draftsByAccount,
                                                       List<Outbox.Message> alongside) {
    Map<String, Future<RowSet<Row>>> numbers = new LinkedHashMap<>();
    draftsByAccount.forEach((accountId, drafts) ->
      numbers.put(accountId, conn.preparedQuery(NEXT_SEQS).execute(Tuple.of(drafts.size(), accountId))));
    return Future.all(new ArrayList<>(numbers.values())).compose(all -> {
      Numbered numbered = new Numbered(Utc.nowText(), alongside);
      for (var entry : numbers.entrySet()) {
        RowSet<Row> rows = entry.getValue().result();
        if (rows.rowCount() != 1) {
          return Future.failedFuture(new IllegalStateException("no account " + entry.getKey()));
        }
        List<Draft> drafts = draftsByAccount.get(entry.getKey());
        long last = rows.property(MySQLClient.LAST_INSERTED_ID);
        numbered.add(entry.getKey(), last - drafts.size(), drafts);
      }
      return numbered.store(conn);
    });
  }

  /** Events given their numbers, stored with one INSERT and put in the outbox with one more. */
  private static final class Numbered {
    private final String at;
    private final List<JsonObject> events = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();
    private final List<Outbox.Message> messages = new ArrayList<>();

    Numbered(String at, List<Outbox.Message> alongside) {
      this.at = at;
      messages.addAll(alongside);
    }

    /** {@code drafts} of one account, numbered from {@code before + 1}. */
    void add(String accountId, long before, List<Draft> drafts) {
      long seq = before;
      for (Draft d : drafts) {
        seq++;
        JsonObject event = new JsonObject().put("seq", seq).put("type", d.type()).put("accountId", accountId)
          .put("streamId", d.streamId()).put("at", at).mergeIn(d.fields());
        events.add(event);
        values.addAll(Arrays.asList(accountId, seq, d.type(), d.streamId(), event.encode()));
        messages.add(new Outbox.Message(EventTypes.EVENTS_EXCHANGE, EventTypes.routingKey(accountId, d.type()),
          "evt_" + accountId + "_" + seq, event));
      }
    }

    Future<List<JsonObject>> store(SqlConnection conn) {
      if (events.isEmpty()) {
        return Outbox.addAll(conn, messages).map(events);
      }
      String insert = INSERT_MANY + String.join(", ", Collections.nCopies(events.size(), "(?, ?, ?, ?, ?)"));
      return Future.all(conn.preparedQuery(insert).execute(Tuple.from(values)), Outbox.addAll(conn, messages))
        .map(events);
    }
  }

  /** Events after {@code seq}, oldest first, at most {@code limit}. */
  public static Future<JsonArray> after(Pool pool, String accountId, long seq, int limit) {
    return pool.preparedQuery(AFTER).execute(Tuple.of(accountId, seq, limit))
      .map(rows -> {
        JsonArray items = new JsonArray();
        for (Row row : rows) {
          items.add(new JsonObject(row.getString(0)));
        }
        return items;
      });
  }
}
