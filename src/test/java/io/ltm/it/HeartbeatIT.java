package io.ltm.it;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
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
    String machineId = "mch_race" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    String bootstrap = UUID.randomUUID().toString().replace("-", "");
    Await.result(ltm.pool().preparedQuery("UPDATE streams SET state = 'PROVISIONING' WHERE id = ?").execute(Tuple.of(id)));
    Await.result(ltm.pool().preparedQuery("INSERT INTO machines (id, stream_id, account_id, generation, provider, "
      + "state, bootstrap_token) SELECT ?, id, account_id, generation, 'test', 'RUNNING', ? FROM streams WHERE id = ?")
      .execute(Tuple.of(machineId, bootstrap, id)));
    ApiClient.Reply hello = api.withKey(bootstrap).post("/internal/agents/" + machineId + "/hello", new JsonObject());
    assertThat(hello.status()).as(hello.body()).isEqualTo(200);
    String token = hello.json().getString("agentToken");

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
    assertThat(count("SELECT COUNT(*) FROM events WHERE stream_id = '" + id + "' AND type = 'stream.health'"))
      .as("one stream.health for sixteen heartbeats inside one slot").isEqualTo(1);
    JsonObject stored = new JsonObject(Await.result(ltm.pool().preparedQuery("SELECT payload FROM events "
      + "WHERE stream_id = ? AND type = 'stream.health'").execute(Tuple.of(id))).iterator().next().getString(0));
    assertThat(stored.getJsonObject("health").getInteger("frame")).isBetween(25, 400);
    assertThat(count("SELECT COUNT(*) FROM machines WHERE id = '" + machineId + "' AND progress IS NOT NULL "
      + "AND last_health_at IS NOT NULL")).isEqualTo(1);
    // The seq the rolled-back losers took is given again: the account's numbers stay gapless.
    assertThat(count("SELECT event_seq FROM accounts WHERE id = (SELECT account_id FROM streams WHERE id = '" + id
      + "')")).isEqualTo(count("SELECT MAX(seq) FROM events WHERE account_id = (SELECT account_id FROM streams "
      + "WHERE id = '" + id + "')"));
  }
}
