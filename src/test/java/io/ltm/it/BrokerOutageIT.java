package io.ltm.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RabbitMQ is stopped for real ({@code rabbitmqctl stop_app}) while a customer buys and starts a stream: the
 * purchase and the start succeed from MySQL alone, and provisioning completes once the broker is back. The
 * broker stopped is a private node of this class's own: the shared one serves everyone else's tests meanwhile.
 * A job that finishes while the broker is down cannot be acked: it is said in one WARN line, never an ERROR or a
 * stack trace, and the job, redelivered once the broker is back, changes nothing twice.
 */
class BrokerOutageIT extends LtmTestBase {
  private static PrivateRabbitMq rabbit;

  @BeforeAll
  static void onAPrivateBroker() throws Exception {
    rabbit = PrivateRabbitMq.start();
    redeploy(Map.of("LTM_RABBITMQ_URI", rabbit.uri()));
  }

  @AfterAll
  static void closeBroker() {
    closeLtm();
    if (rabbit != null) {
      rabbit.close();
    }
  }

  @Test
  void purchaseDuringBrokerOutageSucceedsAndProvisionsOnceTheBrokerIsBack() throws Exception {
    String key = newAccountKey("outage");
    ApiClient api = api(key);
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    EventBusClient bus = new EventBusClient(vertx, port);
    bus.register("ltm.account." + accountId, key);
    JsonObject stream;
    String id;
    try {
      rabbit.stopApp();
      Await.until("readiness to report the broker down", Duration.ofSeconds(15),
        () -> api.withKey(null).get("/ready").status() == 503 ? true : null);

      stream = buy(api, "mobile", "test-pattern");
      id = stream.getString("id");
      ApiClient.Reply started = api.post("/api/v1/streams/" + id + "/start", null);
      assertThat(started.status()).isEqualTo(202);
      assertThat(count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")).isPositive();
      assertThat(api.get("/api/v1/streams/" + id).json().getString("state")).isEqualTo("PROVISIONING");
    } finally {
      rabbit.startApp();
    }

    JsonObject live = awaitState(api, id, "LIVE", Duration.ofSeconds(90));
    assertThat(live.getString("previewUrl")).isNotBlank();
    String orderState = Await.until("the order to become ACTIVE", Duration.ofSeconds(30), () -> {
      String state = api.get("/api/v1/orders/" + stream.getString("orderId")).json().getString("state");
      return "ACTIVE".equals(state) ? state : null;
    });
    assertThat(orderState).isEqualTo("ACTIVE");
    Await.until("the outbox to drain", Duration.ofSeconds(30),
      () -> count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") == 0 ? true : null);

    // The browser stayed connected through the outage: it is told to resync, and its replay has every state.
    Await.until("a resync notice", Duration.ofSeconds(10),
      () -> bus.events().stream().anyMatch(e -> "resync".equals(e.getString("type"))) ? true : null);
    List<String> states = bus.replay(0, key).stream().map(JsonObject.class::cast)
      .filter(e -> "stream.state".equals(e.getString("type")) && id.equals(e.getString("streamId")))
      .map(e -> e.getString("state")).toList();
    assertThat(states).containsSubsequence("CREATED", "PROVISIONING", "STARTING", "READY", "LIVE");
    bus.close();

    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  @Test
  void aJobDoneWhileTheBrokerIsDownIsRedeliveredAndSaidInOneQuietLine() throws Exception {
    ApiClient api = api(newAccountKey("ack-lost"));
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    SqlConnection holder = null;
    String orderId;
    try {
      // The purchase's job waits in the outbox while the broker is down; its order row is then held by this test,
      // so the worker that takes the job once the broker is back is still running it when the broker goes again.
      rabbit.stopApp();
      orderId = buyOrder(api);
      holder = Await.result(ltm.pool().getConnection());
      Transaction tx = Await.result(holder.begin());
      Await.result(holder.preparedQuery("SELECT id FROM orders WHERE id = ? FOR UPDATE").execute(Tuple.of(orderId)));
      rabbit.startApp();
      Await.until("a worker to hold the order job unacked", Duration.ofSeconds(60), () -> unacked() > 0 ? true : null);
      rabbit.stopApp();
      Await.result(tx.rollback());
      Await.until("the worker to say the job's channel is gone", Duration.ofSeconds(30), () -> logs.list.stream()
        .anyMatch(e -> e.getLoggerName().equals("io.ltm.jobs.JobWorker") && e.getLevel() == Level.WARN
          && e.getFormattedMessage().contains(orderId)) ? true : null);
    } finally {
      if (holder != null) {
        holder.close();
      }
      rabbit.startApp();
    }
    Await.until("the redelivered job to be done", Duration.ofSeconds(60), () -> unacked() == 0
      && count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") == 0 ? true : null);
    root.detachAppender(logs);

    assertThat(api.get("/api/v1/orders/" + orderId).json().getString("state")).isEqualTo("ACTIVE");
    assertThat(count("SELECT COUNT(*) FROM events WHERE type = 'order.state' AND JSON_VALUE(payload, '$.orderId') = '"
      + orderId + "' AND JSON_VALUE(payload, '$.state') = 'ACTIVE'")).isEqualTo(1);
    List<String> loud = logs.list.stream()
      .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR) || (e.getLevel().isGreaterOrEqual(Level.WARN)
        && e.getThrowableProxy() != null))
      .map(e -> e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage()).toList();
    assertThat(loud).as("errors or stack traces logged through two broker restarts").isEmpty();
  }

  private static String buyOrder(ApiClient api) {
    ApiClient.Reply reply = api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile")
      .put("input", new JsonObject().put("kind", "test-pattern")));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    return reply.json().getString("id");
  }

  /** Jobs delivered to a worker and not yet acked, as the broker counts them. */
  private static int unacked() {
    try {
      PrivateProcesses.Result r = rabbit.ctl(30, "list_queues", "-q", "name", "messages_unacknowledged");
      for (String line : r.output().split("\n")) {
        String[] cols = line.trim().split("\\s+");
        if (cols.length == 2 && cols[0].equals("ltm.jobs")) {
          return Integer.parseInt(cols[1]);
        }
      }
      return 0;
    } catch (Exception e) {
      return -1;
    }
  }
}
