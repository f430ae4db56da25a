package io.ltm.it;

import io.vertx.core.json.JsonObject;
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
}
