package io.ltm.it;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.HttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server node runs its HTTP server as several instances on several event loops, all on one port. What a customer
 * sees must not change with that: a key's rate limit is the node's, however many connections (so however many
 * event loops) its requests arrive on at once.
 */
class HttpInstancesIT extends LtmTestBase {
  private static final int INSTANCES = 4;
  private static final int RATE_LIMIT = 20;
  private static Vertx clientVertx;

  @BeforeAll
  static void fourInstancesOnARandomPort() throws Exception {
    // Port 0, as a test or a container asking for any free port: the instances must still share one port.
    redeploy(Map.of("LTM_HTTP_PORT", "0", "LTM_HTTP_INSTANCES", String.valueOf(INSTANCES),
      "LTM_API_RATE_LIMIT", String.valueOf(RATE_LIMIT), "LTM_API_RATE_WINDOW_SECONDS", "3600"));
    clientVertx = Vertx.vertx();
  }

  @AfterAll
  static void closeClient() {
    if (clientVertx != null) {
      Await.result(clientVertx.close());
    }
  }

  @Test
  void everyInstanceListensOnTheOnePortTheNodeReports() {
    assertThat(ltm.httpPort()).isPositive();
    assertThat(ltm.httpPorts()).containsExactly(ltm.httpPort());
  }

  @Test
  void aKeysRequestsOnManyConnectionsAtOnceGetExactlyTheLimit() {
    String key = newAccountKey("instances-rate");
    // A connection per request: Vert.x hands each to the next instance, so every instance gets more than the limit.
    HttpClient client = clientVertx.createHttpClient(new HttpClientOptions().setKeepAlive(false),
      new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    int requests = RATE_LIMIT * INSTANCES * 2;
    List<Future<Integer>> statuses = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      statuses.add(client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
          .setPort(ltm.httpPort()).setURI("/api/v1/me").putHeader("Authorization", "Bearer " + key))
        .compose(req -> req.send().compose(resp -> resp.body().map(body -> resp.statusCode()))));
    }
    Await.result(Future.join(statuses));
    long ok = statuses.stream().filter(f -> f.result() == 200).count();
    long refused = statuses.stream().filter(f -> f.result() == 429).count();
    assertThat(ok).as("requests answered 200").isEqualTo(RATE_LIMIT);
    assertThat(refused).as("requests answered 429").isEqualTo(requests - RATE_LIMIT);
  }
}
