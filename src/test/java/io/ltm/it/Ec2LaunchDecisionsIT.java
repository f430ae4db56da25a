package io.ltm.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * EC2's errors become decisions, not retry storms. A proxy in front of the EC2 peer answers chosen RunInstances
 * calls with EC2's real error response, which LTM's production client parses: no capacity → the next zone, then
 * the next allowed instance type; no spot capacity → on-demand; throttled → retried through the job after a
 * back-off with jitter; refused for good (permission, image, subnet, user-data) → the stream FAILS at once with
 * the reason. Purchases here are spot, so the spot fallback is on every path.
 */
class Ec2LaunchDecisionsIT extends LtmTestBase {
  static Ec2Peer peer;
  static Ec2FaultProxy proxy;
  static Ec2AsyncClient ec2;
  static String subnetA;
  static String subnetB;

  @BeforeAll
  static void onEc2() throws Exception {
    peer = Ec2Peer.start();
    ec2 = peer.ec2;
    proxy = peer.proxy;
    Map<String, String> env = peer.ltmEnvironment();
    env.put("LTM_EC2_PURCHASE", "spot");
    subnetA = env.get("LTM_EC2_SUBNETS").split(",")[0];
    subnetB = env.get("LTM_EC2_SUBNETS").split(",")[1];
    redeploy(env);
  }

  @BeforeEach
  void noFaults() {
    proxy.reset();
  }

  @AfterAll
  static void offEc2() {
    closeLtm();
    if (peer != null) {
      peer.close();
    }
  }

  @Test
  void noCapacityMovesToTheNextZoneThenTheNextInstanceType() {
    proxy.fail("RunInstances", p -> subnetA.equals(p.get("SubnetId")), 500, "InsufficientInstanceCapacity", 10);
    proxy.fail("RunInstances", p -> "c6i.large".equals(p.get("InstanceType")), 500, "InsufficientInstanceCapacity", 10);
    ApiClient api = api(newAccountKey("ec2-capacity"));

    Instance instance = startAndFindInstance(api);

    assertThat(instance.instanceTypeAsString()).isEqualTo("c5.large");
    assertThat(instance.subnetId()).isEqualTo(subnetB);
    assertThat(instance.instanceLifecycleAsString()).as("spot had no capacity: on-demand").isNotEqualTo("spot");
    List<String> tried = proxy.calls("RunInstances").stream().map(c -> c.params().get("InstanceType") + "@"
      + (subnetA.equals(c.params().get("SubnetId")) ? "A" : "B")
      + (c.params().containsKey("InstanceMarketOptions.MarketType") ? "/spot" : "")).toList();
    assertThat(tried).containsExactly("c6i.large@A/spot", "c6i.large@A", "c6i.large@B", "c5.large@A", "c5.large@B");
  }

  @Test
  void spotWhenItHasCapacityOnDemandWhenItHasNone() {
    ApiClient api = api(newAccountKey("ec2-spot"));
    assertThat(startAndFindInstance(api).instanceLifecycleAsString()).isEqualTo("spot");

    proxy.fail("RunInstances", p -> "spot".equals(p.get("InstanceMarketOptions.MarketType")), 500,
      "InsufficientInstanceCapacity", 10);
    Instance onDemand = startAndFindInstance(api);
    assertThat(onDemand.instanceLifecycleAsString()).isNotEqualTo("spot");
    assertThat(onDemand.instanceTypeAsString()).isEqualTo("c6i.large");
    assertThat(onDemand.subnetId()).isEqualTo(subnetA);
  }

  @Test
  void throttledLaunchIsRetriedThroughTheJobAfterABackOffNotAStorm() {
    proxy.fail("RunInstances", p -> true, 503, "RequestLimitExceeded", 2);
    ApiClient api = api(newAccountKey("ec2-throttled"));

    startAndFindInstance(api);

    List<Ec2FaultProxy.Call> runs = proxy.calls("RunInstances");
    assertThat(runs).extracting(Ec2FaultProxy.Call::status).containsExactly(503, 503, 200);
    // No retry inside the SDK, and each job retry waits at least half its back-off (250 ms, then 500 ms).
    assertThat(Ec2FaultProxy.gaps(runs)).allSatisfy(gap -> assertThat(gap).isGreaterThanOrEqualTo(250));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "UnauthorizedOperation, 403, not allowed",
    "InvalidAMIID.NotFound, 400, image does not exist",
    "InvalidSubnetID.NotFound, 400, subnet",
    "InvalidParameterValue, 400, user-data"})
  void launchRefusedForGoodFailsTheStreamAtOnceWithTheReason(String code, int status, String words) {
    proxy.fail("RunInstances", p -> true, status, code, 100);
    ApiClient api = api(newAccountKey("ec2-refused"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(30));

    assertThat(failed.getString("stateReason")).contains(words).contains(code);
    assertThat(proxy.calls("RunInstances")).as("refused for good: asked once, not retried").hasSize(1);
    assertThat(failed.getJsonArray("allowedActions")).contains("start");
    assertThat(count("SELECT COUNT(*) FROM machines WHERE stream_id = '" + id + "' AND state <> 'TERMINATED'"))
      .isZero();
  }

  /** Starts a stream, waits until its machine is launched, returns its instance, and stops the stream. */
  private Instance startAndFindInstance(ApiClient api) {
    String id = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);
    String instanceId = Await.until("the machine of " + id + " to be launched", Duration.ofSeconds(60), () -> {
      if ("FAILED".equals(api.get("/api/v1/streams/" + id).json().getString("state"))) {
        throw new AssertionError("stream failed: " + api.get("/api/v1/streams/" + id).json().getString("stateReason"));
      }
      var rows = Await.result(ltm.pool().preparedQuery("SELECT provider_ref FROM machines WHERE stream_id = ?")
        .execute(io.vertx.sqlclient.Tuple.of(id)));
      return rows.size() == 0 ? null : rows.iterator().next().getString(0);
    });
    Instance instance = ec2.describeInstances(r -> r.instanceIds(instanceId)).join().reservations().get(0)
      .instances().get(0);
    api.post("/api/v1/streams/" + id + "/stop", null);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(30));
    return instance;
  }
}
