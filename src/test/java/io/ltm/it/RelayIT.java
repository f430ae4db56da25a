package io.ltm.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.ltm.Ltm;
import io.ltm.account.Accounts;
import io.ltm.account.ApiKeys;
import io.ltm.config.LtmConfig;
import io.ltm.db.Database;
import io.ltm.events.EventPack;
import io.ltm.events.EventTypes;
import io.ltm.jobs.OutboxRelay;
import io.ltm.jobs.Topology;
import io.ltm.metrics.Meters;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The roles as they are deployed, each on a Vert.x of its own (a JVM's worth: own event bus, own relay), on a
 * vhost of each test's own, so the topology starts empty: whichever role connects first declares all of it, a job
 * that reaches no queue is never counted as sent, a worker alone publishes what it writes, and two relays side by
 * side publish each row once (and a row published twice harms nobody).
 */
class RelayIT {
  private final List<Vertx> started = new ArrayList<>();
  private String vhost;
  private Map<String, String> env;
  private Connection amqp;

  @BeforeEach
  void privateVhost() throws Exception {
    assumeTrue(TestEnv.answers("127.0.0.1", 5672), "needs the local RabbitMQ (a vhost of the test's own)");
    vhost = "ltm-it-relay-" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(TestEnv.rabbitmqctl("add_vhost", vhost)).isZero();
    assertThat(TestEnv.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")).isZero();
    String uri = "amqp://guest:guest@127.0.0.1:5672/" + vhost;
    env = TestEnv.environment(Map.of("LTM_RABBITMQ_URI", uri));
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    amqp = factory.newConnection("relay-it");
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Vertx v : started) {
      Await.result(v.close());
    }
    if (amqp != null) {
      amqp.abort();
    }
    if (vhost != null) {
      TestEnv.rabbitmqctl("delete_vhost", vhost);
    }
  }

  @Test
  void jobsQueuedBeforeAnyWorkerRanAreDoneOnceOneStartsAndAWorkerAlonePublishesWhatItWrites() throws Exception {
    Ltm server = start(LtmConfig.load(env), true, false);
    String key = newAccountKey(server, "server-first");
    ApiClient api = new ApiClient(server.vertx(), server.httpPort(), key);
    JsonObject order = purchase(api);
    String orderId = order.getString("id");

    // No worker has ever connected to this vhost: the job was still published into the jobs queue the server
    // declared, and waits there.
    String jobId = jobOf(server, orderId);
    Await.until("the order job to be published", Duration.ofSeconds(20), () -> sent(server, jobId) ? true : null);
    try (Channel ch = amqp.createChannel()) {
      assertThat(ch.queueDeclarePassive(Topology.JOBS_QUEUE).getMessageCount()).isEqualTo(1);
    }
    assertThat(api.get("/api/v1/orders/" + orderId).json().getString("state")).isEqualTo("PENDING");

    // The server goes away; a worker starts alone. It takes the job, and the ACTIVE event it writes reaches
    // ltm.events through its own relay: no server is running to publish it.
    Channel listener = amqp.createChannel();
    String probe = listener.queueDeclare().getQueue();
    listener.queueBind(probe, "ltm.events", "account.#");
    listener.queueBind(probe, "ltm.events", EventTypes.PACKED_KEY);
    Await.result(server.vertx().close());
    started.remove(server.vertx());
    Ltm worker = start(LtmConfig.load(env), false, true);
    Await.until("the order to become ACTIVE", Duration.ofSeconds(30), () -> "ACTIVE".equals(
      queryString(worker, "SELECT state FROM orders WHERE id = ?", orderId)) ? true : null);
    JsonObject active = Await.until("the order's ACTIVE event on ltm.events", Duration.ofSeconds(20), () -> {
      for (EventPack.Entry entry : events(listener, probe)) {
        JsonObject event = new JsonObject(entry.json());
        if ("order.state".equals(event.getString("type")) && orderId.equals(event.getString("orderId"))
          && "ACTIVE".equals(event.getString("state"))) {
          return event;
        }
      }
      return null;
    });
    assertThat(active.getString("previous")).isEqualTo("PENDING");
    listener.close();
  }

  @Test
  void aJobNoQueueTakesIsNotCountedSentAndGoesOutOnceTheQueueIsBack() throws Exception {
    Ltm server = start(LtmConfig.load(env), true, false);
    String key = newAccountKey(server, "unbound");
    ApiClient api = new ApiClient(server.vertx(), server.httpPort(), key);
    try (Channel ch = amqp.createChannel()) {
      Await.until("the server to declare the jobs queue", Duration.ofSeconds(20), () -> queueExists(Topology.JOBS_QUEUE));
      // An operator (or a broker that lost its definitions) removes the binding: jobs now route nowhere.
      ch.queueUnbind(Topology.JOBS_QUEUE, Topology.JOBS_EXCHANGE, Topology.JOBS_ROUTING_KEY);
    }
    double returnedBefore = returnedCount();

    String orderId = purchase(api).getString("id");
    String jobId = jobOf(server, orderId);

    // The broker returned it (no queue took it): not marked sent on that publish...
    Await.until("the broker to return the unroutable job", Duration.ofSeconds(20),
      () -> returnedCount() > returnedBefore ? true : null);
    // ...and, the relay having declared the topology again, published once more into the queue, then marked sent.
    // Had the returned publish counted as sent, the row would be sent and the queue empty.
    String got = Await.until("the job to reach the jobs queue", Duration.ofSeconds(20), () -> {
      try (Channel ch = amqp.createChannel()) {
        GetResponse r = ch.basicGet(Topology.JOBS_QUEUE, true);
        return r == null ? null : r.getProps().getMessageId();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(got).isEqualTo(jobId);
    Await.until("the row to be marked sent", Duration.ofSeconds(10), () -> sent(server, jobId) ? true : null);
  }

  @Test
  void twoRelaysPublishEveryRowOnceAndAJobPublishedTwiceChangesNothingTwice() throws Exception {
    LtmConfig config = LtmConfig.load(env);
    Ltm worker = start(config, false, true);
    Vertx other = Ltm.newVertx();
    started.add(other);
    var otherPool = Database.pool(other, config.mysql());
    Await.result(other.deployVerticle(new OutboxRelay(otherPool, config.rabbitmq())));
    Await.until("the jobs queue", Duration.ofSeconds(20), () -> queueExists(Topology.JOBS_QUEUE));

    // A backlog both relays drain at once, each woken the way a write wakes it.
    Channel listener = amqp.createChannel();
    String probe = listener.queueDeclare().getQueue();
    String account = "acc_relay" + UUID.randomUUID().toString().substring(0, 8);
    listener.queueBind(probe, "ltm.events", "account." + account + ".#");
    listener.queueBind(probe, "ltm.events", EventTypes.PACKED_KEY);
    int rows = 1500;
    List<Object> values = new ArrayList<>();
    StringBuilder insert = new StringBuilder("INSERT INTO outbox (exchange, routing_key, message_id, payload) VALUES ");
    for (int i = 0; i < rows; i++) {
      insert.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?)");
      values.addAll(List.of("ltm.events", "account." + account + ".probe", account + "-" + i,
        new JsonObject().put("n", i).encode()));
    }
    Await.result(worker.pool().preparedQuery(insert.toString()).execute(Tuple.from(values)));
    worker.vertx().eventBus().send("ltm.internal.outbox.wakeup", null);
    other.eventBus().send("ltm.internal.outbox.wakeup", null);

    // Each row's event arrives once, alone or packed with others of its relay's pass.
    List<Integer> ids = new ArrayList<>();
    Await.until(rows + " events", Duration.ofSeconds(60), () -> {
      ids.addAll(probeNumbers(listener, probe, account));
      return ids.size() >= rows ? true : null;
    });
    // Settled: nothing more arrives once every row is marked sent.
    Await.until("every row marked sent", Duration.ofSeconds(20), () -> Await.result(worker.pool()
      .preparedQuery("SELECT COUNT(*) FROM outbox WHERE routing_key = ? AND sent_at IS NULL")
      .execute(Tuple.of("account." + account + ".probe"))).iterator().next().getLong(0) == 0 ? true : null);
    ids.addAll(probeNumbers(listener, probe, account));
    assertThat(ids).hasSize(rows);
    assertThat(new HashSet<>(ids)).hasSize(rows);
    listener.close();

    // A relay that dies after publishing and before marking its rows sent makes the next one publish them again:
    // the worker takes an order job twice, and the order still becomes ACTIVE once, with one event.
    Ltm server = start(config, true, false);
    ApiClient api = new ApiClient(server.vertx(), server.httpPort(), newAccountKey(server, "twice"));
    String orderId = purchase(api).getString("id");
    String jobId = jobOf(server, orderId);
    Await.until("the order to become ACTIVE", Duration.ofSeconds(30),
      () -> "ACTIVE".equals(api.get("/api/v1/orders/" + orderId).json().getString("state")) ? true : null);
    Await.result(server.pool().preparedQuery("UPDATE jobs SET step = 'queued' WHERE id = ?").execute(Tuple.of(jobId)));
    Await.result(server.pool().preparedQuery("UPDATE outbox SET sent_at = NULL WHERE message_id = ?")
      .execute(Tuple.of(jobId)));
    Await.until("the job to be done again", Duration.ofSeconds(30), () -> "done".equals(
      queryString(server, "SELECT step FROM jobs WHERE id = ?", jobId)) ? true : null);
    assertThat(api.get("/api/v1/orders/" + orderId).json().getString("state")).isEqualTo("ACTIVE");
    long activeEvents = Await.result(server.pool().preparedQuery("SELECT COUNT(*) FROM events WHERE type = 'order.state' "
      + "AND JSON_VALUE(payload, '$.orderId') = ? AND JSON_VALUE(payload, '$.state') = 'ACTIVE'")
      .execute(Tuple.of(orderId))).iterator().next().getLong(0);
    assertThat(activeEvents).isEqualTo(1);
  }

  @Test
  void aKeyRevokedOnOneNodeStopsWorkingOnEveryNodeAtOnceThoughEachHadJustVerifiedIt() throws Exception {
    Ltm a = start(LtmConfig.load(env), true, false);
    Map<String, String> otherPort = TestEnv.environment(Map.of("LTM_RABBITMQ_URI",
      "amqp://guest:guest@127.0.0.1:5672/" + vhost));
    Ltm b = start(LtmConfig.load(otherPort), true, false);
    ApiClient owner = new ApiClient(a.vertx(), a.httpPort(), newAccountKey(a, "revoker"));
    ApiClient.Reply created = owner.post("/api/v1/api-keys", new JsonObject().put("label", "short-lived"));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String key = created.json().getString("key");
    ApiClient onA = new ApiClient(a.vertx(), a.httpPort(), key);
    ApiClient onB = new ApiClient(b.vertx(), b.httpPort(), key);
    // Both nodes have verified the key (and keep it a while, so as not to ask MySQL on every call).
    assertThat(onA.get("/api/v1/me").status()).isEqualTo(200);
    Await.until("node b to hear of the broker", Duration.ofSeconds(20),
      () -> onB.get("/api/v1/me").status() == 200 ? true : null);

    assertThat(owner.delete("/api/v1/api-keys/" + created.json().getString("id")).status()).isEqualTo(204);
    assertThat(onA.get("/api/v1/me").status()).as("the revoking node").isEqualTo(401);
    // The other node is told through ltm.events: well before its entry for the key would expire.
    long since = System.nanoTime();
    Await.until("node b to refuse the revoked key", Duration.ofSeconds(5),
      () -> onB.get("/api/v1/me").status() == 401 ? true : null);
    assertThat(Duration.ofNanos(System.nanoTime() - since)).isLessThan(Duration.ofSeconds(5));
  }

  /** The events waiting in {@code queue}: a packed message gives each of its events, a lone event itself. */
  private static List<EventPack.Entry> events(Channel channel, String queue) {
    List<EventPack.Entry> events = new ArrayList<>();
    try {
      GetResponse got;
      while ((got = channel.basicGet(queue, true)) != null) {
        String key = got.getEnvelope().getRoutingKey();
        if (EventTypes.PACKED_KEY.equals(key)) {
          EventPack.unpack(new String(got.getBody(), StandardCharsets.UTF_8),
            (k, json) -> events.add(new EventPack.Entry(k, json)));
        } else {
          events.add(new EventPack.Entry(key, new String(got.getBody(), StandardCharsets.UTF_8)));
        }
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return events;
  }

  /** The numbers of the probe rows of {@code account} waiting in {@code queue} (packed messages carry others' too). */
  private static List<Integer> probeNumbers(Channel channel, String queue, String account) {
    return events(channel, queue).stream().filter(e -> e.routingKey().equals("account." + account + ".probe"))
      .map(e -> new JsonObject(e.json()).getInteger("n")).toList();
  }

  private Ltm start(LtmConfig config, boolean server, boolean worker) {
    Vertx vertx = Ltm.newVertx();
    started.add(vertx);
    Ltm ltm = new Ltm(vertx, config);
    Await.result(Database.migrate(vertx, config.mysql()));
    if (server) {
      Await.result(ltm.deployServer());
    }
    if (worker) {
      Await.result(ltm.deployWorker());
    }
    return ltm;
  }

  private static String newAccountKey(Ltm ltm, String name) {
    String email = name + "-" + UUID.randomUUID() + "@example.test";
    return Await.result(new Accounts(ltm.pool()).ensure(name, email)
      .compose(id -> new ApiKeys(ltm.pool()).create(id, "test")));
  }

  private static JsonObject purchase(ApiClient api) {
    ApiClient.Reply reply = api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile")
      .put("input", new JsonObject().put("kind", "test-pattern")));
    assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    return reply.json();
  }

  private static String jobOf(Ltm ltm, String subjectId) {
    return queryString(ltm, "SELECT id FROM jobs WHERE subject_id = ?", subjectId);
  }

  private static boolean sent(Ltm ltm, String messageId) {
    return Await.result(ltm.pool().preparedQuery("SELECT COUNT(*) FROM outbox WHERE message_id = ? AND sent_at IS NOT NULL")
      .execute(Tuple.of(messageId))).iterator().next().getLong(0) > 0;
  }

  private static String queryString(Ltm ltm, String sql, String arg) {
    var rows = Await.result(ltm.pool().preparedQuery(sql).execute(Tuple.of(arg)));
    return rows.size() == 0 ? null : rows.iterator().next().getString(0);
  }

  private Boolean queueExists(String queue) {
    // A passive declare of a missing queue closes its channel: one channel per probe.
    try (Channel ch = amqp.createChannel()) {
      ch.queueDeclarePassive(queue);
      return true;
    } catch (Exception e) {
      return null;
    }
  }

  private static double returnedCount() {
    var counter = Meters.registry().find("ltm_outbox_returned").counter();
    return counter == null ? 0 : counter.count();
  }
}
