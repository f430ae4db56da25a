package io.ltm.it;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fleet's heartbeats: the most frequent call there is must not queue behind changes of the stream it
 * reports on. A running agent's heartbeats keep landing while another transaction holds its stream's row.
 * Then what an operator scrapes at /metrics about all that.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HeartbeatIT extends LtmTestBase {

  @Test
  @Order(1)
  void heartbeatsLandWhileTheStreamRowIsLockedElsewhere() {
    String key = newAccountKey("heartbeat-lock");
    ApiClient api = api(key);
    // RTMP input and no encoder: the stream waits READY, heartbeats flowing, ffmpeg idle.
    String id = buy(api, "mobile", "rtmp").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);
    awaitState(api, id, "READY", Duration.ofSeconds(60));
    String machineId = machineOf(id);

    SqlConnection holder = Await.result(ltm.pool().getConnection());
    try {
      Await.result(holder.query("BEGIN").execute());
      Await.result(holder.preparedQuery("SELECT id FROM streams WHERE id = ? FOR UPDATE").execute(Tuple.of(id)));
      LocalDateTime lockedAt = lastHeartbeat(machineId);

      LocalDateTime later = Await.until("two heartbeats while the stream row is locked", Duration.ofSeconds(20), () -> {
        LocalDateTime now = lastHeartbeat(machineId);
        return now.isAfter(lockedAt.plusNanos(1_500_000_000L)) ? now : null;
      });
      assertThat(later).isAfter(lockedAt);
      JsonObject progress = new JsonObject(Await.result(ltm.pool()
        .preparedQuery("SELECT progress FROM machines WHERE id = ?").execute(Tuple.of(machineId)))
        .iterator().next().getString(0));
      assertThat(progress.getBoolean("inputPresent")).as("the heartbeat carried ffmpeg's progress").isFalse();
    } finally {
      Await.result(holder.query("ROLLBACK").execute().eventually(() -> holder.close()));
    }
    assertThat(api.post("/api/v1/streams/" + id + "/stop", null).status()).isEqualTo(202);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
  }

  private static LocalDateTime lastHeartbeat(String machineId) {
    return Await.result(ltm.pool().preparedQuery("SELECT last_heartbeat_at FROM machines WHERE id = ?")
      .execute(Tuple.of(machineId))).iterator().next().getLocalDateTime(0);
  }

  /** After the first test's purchase, launch, heartbeats and API calls, /metrics shows each in Prometheus text. */
  @Test
  @Order(2)
  void metricsShowWhatTheControlPlaneDid() {
    ApiClient.Reply reply = api(null).get("/metrics");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("Content-Type")).startsWith("text/plain");
    String text = reply.body();
    assertThat(text)
      .as("HTTP latency by route and status")
      .containsPattern("vertx_http_server_response_time_seconds_bucket\\{[^}]*code=\"202\"[^}]*route=\"/api/v1/streams/:streamId/start\"")
      .as("pool wait time").contains("vertx_pool_queue_time_seconds")
      .as("transaction retries").contains("ltm_db_transaction_retries_total{reason=\"deadlock\"}")
      .as("outbox backlog and age").contains("ltm_outbox_backlog ").contains("ltm_outbox_oldest_age_seconds ")
      .as("job queue lag").containsPattern("ltm_job_queue_lag_seconds_count\\{kind=\"stream.start\"} [1-9]")
      .as("heartbeats").containsPattern("ltm_agent_heartbeats_total [1-9]")
      .as("open sockets").contains("ltm_eventbus_sockets_open ")
      .as("frames dropped").contains("ltm_eventbus_frames_dropped_total ")
      .as("launches by provider with latency")
      .containsPattern("ltm_machine_launch_seconds_count\\{outcome=\"ok\",provider=\"local\"} [1-9]");
  }

  /**
   * stream.health events older than the retention (the default, 24 h) are pruned in batches; every other event,
   * however old, and fresh health figures stay: a replaying browser still gets the account's history.
   */
  @Test
  @Order(3)
  void healthEventsOlderThanTheRetentionArePrunedAndNothingElse() {
    String key = newAccountKey("health-retention");
    String accountId = api(key).get("/api/v1/me").json().getString("accountId");
    StringBuilder rows = new StringBuilder();
    int old = 1200;
    for (int seq = 1; seq <= old; seq++) {
      rows.append(seq == 1 ? "" : ",").append("('").append(accountId).append("',").append(seq)
        .append(",'stream.health',NULL,'{}',CURRENT_TIMESTAMP(3) - INTERVAL 25 HOUR)");
    }
    Await.result(ltm.pool().query("INSERT INTO events (account_id, seq, type, stream_id, payload, created_at) VALUES "
      + rows + ", ('" + accountId + "'," + (old + 1) + ",'stream.state',NULL,'{}',CURRENT_TIMESTAMP(3) - INTERVAL 30 DAY)"
      + ", ('" + accountId + "'," + (old + 2) + ",'stream.health',NULL,'{}',CURRENT_TIMESTAMP(3) - INTERVAL 23 HOUR)")
      .execute());

    Await.result(vertx.deployVerticle(new io.ltm.events.HealthPruner(ltm.pool(),
      config.agent().healthRetentionHours() * 3600L)));

    Await.until("old health events to be pruned", Duration.ofSeconds(60), () ->
      count("SELECT COUNT(*) FROM events WHERE account_id = '" + accountId + "' AND type = 'stream.health' "
        + "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL 24 HOUR") == 0 ? true : null);
    assertThat(config.agent().healthRetentionHours()).isEqualTo(24);
    assertThat(count("SELECT COUNT(*) FROM events WHERE account_id = '" + accountId + "' AND type = 'stream.state'"))
      .as("other events are history: kept").isEqualTo(1);
    assertThat(count("SELECT COUNT(*) FROM events WHERE account_id = '" + accountId + "' AND type = 'stream.health'"))
      .as("health figures younger than the retention stay").isEqualTo(1);
  }

  /**
   * A stream's health slot (one stored stream.health per agent.healthEventSeconds) holds however many heartbeats
   * arrive at once: one event, and every heartbeat answered 200 with its progress kept. The machine is played by
   * the test, as a provider's launch would write it (provider "test", which no part of this LTM manages), then
   * registered through the real hello.
   */
  @Test
  @Order(4)
  void heartbeatsArrivingTogetherStoreOneHealthEvent() {
    ApiClient api = api(newAccountKey("heartbeat-race"));
    String id = buy(api, "mobile", "rtmp").getString("id");
    String[] registered = registerTestMachine(api, id).split(":");
    String machineId = registered[0];
    String token = registered[1];

    WebClient web = WebClient.create(vertx);
    try {
      List<Future<HttpResponse<Buffer>>> beats = new ArrayList<>();
      for (int i = 1; i <= 16; i++) {
        beats.add(web.post(port, "127.0.0.1", "/internal/agents/" + machineId + "/heartbeat")
          .putHeader("Authorization", "Bearer " + token)
          .sendJsonObject(new JsonObject().put("progress", new JsonObject().put("frame", i * 25).put("fps", 25.0)
            .put("inputPresent", true).put("inputKind", "rtmp"))));
      }
      Await.result(Future.join(beats));
      for (Future<HttpResponse<Buffer>> beat : beats) {
        assertThat(beat.result().statusCode()).as(beat.result().bodyAsString()).isEqualTo(200);
      }
    } finally {
      web.close();
    }
    Await.until("the stream.health event", Duration.ofSeconds(10), () -> count("SELECT COUNT(*) FROM events WHERE "
      + "stream_id = '" + id + "' AND type = 'stream.health'") > 0 ? true : null);
    assertThat(count("SELECT COUNT(*) FROM events WHERE stream_id = '" + id + "' AND type = 'stream.health'"))
      .as("one stream.health for sixteen heartbeats inside one slot").isEqualTo(1);
    JsonObject stored = new JsonObject(Await.result(ltm.pool().preparedQuery("SELECT payload FROM events "
      + "WHERE stream_id = ? AND type = 'stream.health'").execute(Tuple.of(id))).iterator().next().getString(0));
    assertThat(stored.getJsonObject("health").getInteger("frame")).isBetween(25, 400);
    assertThat(count("SELECT COUNT(*) FROM machines WHERE id = '" + machineId + "' AND progress IS NOT NULL "
      + "AND last_health_at IS NOT NULL")).isEqualTo(1);
    // The account's numbers stay gapless.
    assertThat(count("SELECT event_seq FROM accounts WHERE id = (SELECT account_id FROM streams WHERE id = '" + id
      + "')")).isEqualTo(count("SELECT MAX(seq) FROM events WHERE account_id = (SELECT account_id FROM streams "
      + "WHERE id = '" + id + "')"));
  }

  /**
   * A fleet's heartbeats arrive together and are written together; each still gets its own answer. Twelve machines
   * over three accounts each beat three times at once, beside beats with a wrong token (401) and beats of a machine
   * whose stream was stopped (410): every good beat is answered 200 with its stream's keys, every machine keeps its
   * progress and stores one stream.health, and each account's event numbers stay gapless.
   */
  @Test
  @Order(5)
  void aCrowdOfHeartbeatsIsAnsweredOneByOne() {
    List<String[]> fleet = new ArrayList<>(); // machine id, agent token, stream id
    List<String> accountStreams = new ArrayList<>(); // one stream of each account, to name the account
    for (int a = 0; a < 3; a++) {
      ApiClient api = api(newAccountKey("heartbeat-crowd-" + a));
      ApiClient.Reply order = api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile").put("quantity", 4)
        .put("input", new JsonObject().put("kind", "rtmp")));
      assertThat(order.status()).as(order.body()).isEqualTo(201);
      accountStreams.add(order.json().getJsonArray("streams").getJsonObject(0).getString("id"));
      for (Object s : order.json().getJsonArray("streams")) {
        String streamId = ((JsonObject) s).getString("id");
        fleet.add(new String[]{registerTestMachine(api, streamId), null, streamId});
      }
    }
    for (String[] m : fleet) {
      m[1] = m[0].substring(m[0].indexOf(':') + 1);
      m[0] = m[0].substring(0, m[0].indexOf(':'));
    }
    String[] stopped = fleet.get(fleet.size() - 1);
    Await.result(ltm.pool().preparedQuery("UPDATE streams SET state = 'STOPPED' WHERE id = ?")
      .execute(Tuple.of(stopped[2])));

    // Every heartbeat on its own connection, as a fleet's machines are; the first machine's row is held for a moment
    // (as a status report's transaction would), so the heartbeats behind it certainly arrive while one is written.
    WebClient web = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(64));
    List<Future<HttpResponse<Buffer>>> good = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> badToken = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> gone = new ArrayList<>();
    SqlConnection holder = Await.result(ltm.pool().getConnection());
    try {
      Await.result(holder.query("BEGIN").execute());
      Await.result(holder.preparedQuery("SELECT id FROM machines WHERE id = ? FOR UPDATE")
        .execute(Tuple.of(fleet.get(0)[0])));
      for (int round = 1; round <= 3; round++) {
        for (String[] m : fleet) {
          Future<HttpResponse<Buffer>> beat = beat(web, m[0], m[1], round);
          (m == stopped ? gone : good).add(beat);
        }
        badToken.add(beat(web, fleet.get(0)[0], "not-the-agent-token-" + round, round));
      }
      Await.result(vertx.timer(300));
      Await.result(holder.query("ROLLBACK").execute());
      List<Future<HttpResponse<Buffer>>> all = new ArrayList<>(good);
      all.addAll(badToken);
      all.addAll(gone);
      Await.result(Future.join(all));
    } finally {
      holder.close();
      web.close();
    }
    for (Future<HttpResponse<Buffer>> beat : good) {
      assertThat(beat.result().statusCode()).as(beat.result().bodyAsString()).isEqualTo(200);
      assertThat(beat.result().bodyAsJsonObject().getJsonArray("streamKeys")).isNotEmpty();
    }
    for (Future<HttpResponse<Buffer>> beat : badToken) {
      assertThat(beat.result().statusCode()).isEqualTo(401);
      assertThat(beat.result().bodyAsJsonObject().getJsonObject("error")).isNotNull();
    }
    for (Future<HttpResponse<Buffer>> beat : gone) {
      assertThat(beat.result().statusCode()).as(beat.result().bodyAsString()).isEqualTo(410);
    }
    for (String[] m : fleet) {
      if (m == stopped) {
        assertThat(count("SELECT COUNT(*) FROM events WHERE stream_id = '" + m[2] + "' AND type = 'stream.health'")).as("no health for a stream that no longer counts on its machine").isZero();
        continue;
      }
      // The health event is stored after the heartbeat's answer (which does not wait for it), so soon after.
      Await.until("a stream.health for machine " + m[0], Duration.ofSeconds(10), () -> count("SELECT COUNT(*) FROM "
        + "events WHERE stream_id = '" + m[2] + "' AND type = 'stream.health'") > 0 ? true : null);
      assertThat(count("SELECT COUNT(*) FROM events WHERE stream_id = '" + m[2] + "' AND type = 'stream.health'"))
        .as("one stream.health for machine " + m[0]).isEqualTo(1);
      assertThat(count("SELECT COUNT(*) FROM machines WHERE id = '" + m[0] + "' AND progress IS NOT NULL "
        + "AND JSON_VALUE(progress, '$.frame') IN (25, 50, 75) AND last_health_at IS NOT NULL")).isEqualTo(1);
    }
    // The crowd was written in batches, which an operator sees on /metrics.
    assertThat(api(null).get("/metrics").body()).as("heartbeats written together")
      .containsPattern("ltm_heartbeat_batch_size_max ([2-9]|[1-9][0-9]+)\\.");
    for (String streamId : accountStreams) {
      String account = "(SELECT account_id FROM streams WHERE id = '" + streamId + "')";
      long last = count("SELECT event_seq FROM accounts WHERE id = " + account);
      assertThat(count("SELECT COUNT(DISTINCT seq) FROM events WHERE account_id = " + account))
        .as("the account's events are numbered 1.." + last + " without a gap").isEqualTo(last);
      assertThat(count("SELECT MAX(seq) FROM events WHERE account_id = " + account)).isEqualTo(last);
    }
  }

  /**
   * A machine whose row another transaction holds does not hold up the fleet: while its row is locked, another
   * machine's heartbeats are answered and written; its own is tried again and, the row still held after two seconds,
   * answered 503 with the error JSON (the agent sends it again). Once the row is free its heartbeat lands.
   */
  @Test
  @Order(6)
  void aMachineWhoseRowIsHeldDoesNotHoldUpTheOthers() {
    ApiClient api = api(newAccountKey("heartbeat-busy"));
    ApiClient.Reply order = api.post("/api/v1/orders", new JsonObject().put("offerId", "mobile").put("quantity", 2)
      .put("input", new JsonObject().put("kind", "rtmp")));
    assertThat(order.status()).as(order.body()).isEqualTo(201);
    String[] held = registerTestMachine(api, order.json().getJsonArray("streams").getJsonObject(0).getString("id"))
      .split(":");
    String[] other = registerTestMachine(api, order.json().getJsonArray("streams").getJsonObject(1).getString("id"))
      .split(":");
    WebClient web = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(8));
    SqlConnection holder = Await.result(ltm.pool().getConnection());
    try {
      Await.result(holder.query("BEGIN").execute());
      Await.result(holder.preparedQuery("SELECT id FROM machines WHERE id = ? FOR UPDATE").execute(Tuple.of(held[0])));
      Future<HttpResponse<Buffer>> heldBeat = beat(web, held[0], held[1], 1);
      for (int round = 1; round <= 3; round++) {
        HttpResponse<Buffer> answer = Await.result(beat(web, other[0], other[1], round));
        assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
      }
      assertThat(count("SELECT COUNT(*) FROM machines WHERE id = '" + other[0] + "' AND JSON_VALUE(progress, "
        + "'$.frame') = 75")).as("the other machine's last heartbeat is written while the row is held").isEqualTo(1);
      HttpResponse<Buffer> busy = Await.result(heldBeat);
      assertThat(busy.statusCode()).as(busy.bodyAsString()).isEqualTo(503);
      assertThat(busy.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("machine_busy");
      Await.result(holder.query("ROLLBACK").execute());
      HttpResponse<Buffer> landed = Await.result(beat(web, held[0], held[1], 2));
      assertThat(landed.statusCode()).as(landed.bodyAsString()).isEqualTo(200);
      assertThat(count("SELECT COUNT(*) FROM machines WHERE id = '" + held[0] + "' AND JSON_VALUE(progress, "
        + "'$.frame') = 50")).isEqualTo(1);
    } finally {
      holder.close();
      web.close();
    }
  }

  private Future<HttpResponse<Buffer>> beat(WebClient web, String machineId, String token, int round) {
    return web.post(port, "127.0.0.1", "/internal/agents/" + machineId + "/heartbeat")
      .putHeader("Authorization", "Bearer " + token)
      .sendJsonObject(new JsonObject().put("progress", new JsonObject().put("frame", round * 25).put("fps", 25.0)
        .put("inputPresent", true).put("inputKind", "rtmp")));
  }

  /**
   * A machine for the stream, as a provider's launch would write it (provider "test", which no part of this LTM
   * manages), registered through the real hello; answers "machineId:agentToken".
   */
  private static String registerTestMachine(ApiClient api, String streamId) {
    String machineId = "mch_crowd" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    String bootstrap = UUID.randomUUID().toString().replace("-", "");
    Await.result(ltm.pool().preparedQuery("UPDATE streams SET state = 'PROVISIONING' WHERE id = ?")
      .execute(Tuple.of(streamId)));
    Await.result(ltm.pool().preparedQuery("INSERT INTO machines (id, stream_id, account_id, generation, provider, "
      + "state) SELECT ?, id, account_id, generation, 'test', 'RUNNING' FROM streams WHERE id = ?")
      .execute(Tuple.of(machineId, streamId)));
    Await.result(ltm.pool().preparedQuery("INSERT INTO machine_bootstrap_tokens (machine_id, token_hash) "
      + "VALUES (?, SHA2(?, 256))").execute(Tuple.of(machineId, bootstrap)));
    ApiClient.Reply hello = api.withKey(bootstrap).post("/internal/agents/" + machineId + "/hello", new JsonObject());
    assertThat(hello.status()).as(hello.body()).isEqualTo(200);
    return machineId + ":" + hello.json().getString("agentToken");
  }
}
