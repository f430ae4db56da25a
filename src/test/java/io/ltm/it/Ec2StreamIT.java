package io.ltm.it;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams on the {@code ec2} provider, end to end against the EC2 peer (moto_server, through a proxy that answers
 * RunInstances with {@code pending} as EC2 does): purchase → start → RunInstances → the test-side instance runner
 * boots the agent from the user-data → LIVE → every rendition decodes → stop → TerminateInstances → no process
 * left. And what the reconciler does about instances LTM did not ask for, or that ended behind its back.
 */
class Ec2StreamIT extends LtmTestBase {
  static Ec2Peer peer;
  static Ec2FaultProxy proxy;
  static Ec2AsyncClient ec2;
  static InstanceRunner runner;
  static Map<String, String> ec2Env;
  static final String OPERATOR_TOKEN = "operator-" + java.util.UUID.randomUUID();

  @BeforeAll
  static void onEc2() throws Exception {
    peer = Ec2Peer.start();
    ec2 = peer.ec2;
    proxy = peer.proxy;
    ec2Env = peer.ltmEnvironment();
    // A price that makes a few seconds of machine visible in cents: 360 USD an hour is 10 cents a second.
    ec2Env.put("LTM_INSTANCE_PRICES", "c6i.large=360");
    ec2Env.put("LTM_OPERATOR_TOKEN", OPERATOR_TOKEN);
    redeploy(ec2Env);
    runner = new InstanceRunner(ec2, config.cloud().env());
  }

  @BeforeEach
  void likeEc2() {
    proxy.reset();
    proxy.rewrite("RunInstances", "<code>16</code><name>running</name>", "<code>0</code><name>pending</name>");
  }

  @AfterAll
  static void offEc2() {
    closeLtm();
    if (runner != null) {
      runner.close();
    }
    if (peer != null) {
      peer.close();
    }
  }

  @Test
  void streamOnEc2BootsFromItsUserDataGoesLiveAndStopsWithNothingLeft() throws Exception {
    ApiClient api = api(newAccountKey("ec2-stream"));
    String accountId = api.get("/api/v1/me").json().getString("accountId");
    String id = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);
    JsonObject live = awaitLive(api, id);

    String machineId = machineOf(id);
    Row machine = machineRow(machineId);
    String instanceId = machine.getString("provider_ref");
    assertThat(machine.getString("provider")).isEqualTo("ec2");
    assertThat(instanceId).startsWith("i-");
    assertThat(machine.getString("instance_type")).isEqualTo("c6i.large");

    Instance instance = instance(instanceId);
    Map<String, String> tags = tags(instance.tags());
    assertThat(tags).containsEntry("ltm:machine", machineId).containsEntry("ltm:stream", id)
      .containsEntry("ltm:account", accountId).containsEntry("ltm:env", config.cloud().env());
    assertThat(instance.instanceTypeAsString()).isEqualTo("c6i.large");
    assertThat(instance.subnetId()).isEqualTo(ec2Env.get("LTM_EC2_SUBNETS").split(",")[0]);
    var volumes = ec2.describeVolumes(r -> r.filters(Filter.builder().name("attachment.instance-id")
      .values(instanceId).build())).join().volumes();
    assertThat(volumes).isNotEmpty().allSatisfy(v -> assertThat(tags(v.tags()))
      .containsEntry("ltm:machine", machineId).containsEntry("ltm:env", config.cloud().env()));
    assertThat(proxy.calls("RunInstances")).singleElement()
      .satisfies(c -> assertThat(c.params()).containsEntry("ClientToken", machineId));

    String userData = runner.userDataOf(instanceId);
    assertThat(userData).startsWith("#!/bin/sh").contains(machineId).contains(config.http().publicUrl())
      .containsPattern("LTM_AGENT_TOKEN='[A-Za-z0-9]{40}'")
      .doesNotContain("AWS_", "aws_", "ltm-test", "SECRET");
    assertThat(userData).as("the one-time token was used and cleared").doesNotContain("null");
    assertThat(machine.getString("bootstrap_token")).as("spent at hello").isNull();

    // EC2 said pending; the reconciler saw running; the agent's hello registered it.
    List<String> machineStates = machineStates(api, machineId);
    assertThat(machineStates).containsSubsequence("PENDING", "RUNNING", "REGISTERED");

    String previewUrl = live.getString("previewUrl");
    String master = api.fetch(previewUrl).toString();
    List<String> variants = master.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    assertThat(variants).hasSize(2);
    for (String variant : variants) {
      String playlistUrl = PurchaseToPreviewIT.resolve(previewUrl, variant);
      String playlist = api.fetch(playlistUrl).toString();
      String segment = playlist.lines().filter(l -> l.endsWith(".ts")).findFirst()
        .orElseThrow(() -> new AssertionError("no segment in " + playlist));
      Path file = Files.createTempFile("ec2-segment", ".ts");
      Files.write(file, api.fetch(PurchaseToPreviewIT.resolve(playlistUrl, segment)).getBytes());
      assertThat(PurchaseToPreviewIT.ffprobe(file)).contains("codec_name=h264").contains("codec_name=aac");
      Files.delete(file);
    }
    assertThat(runner.processesOf(instanceId)).as("agent and ffmpeg run from the user-data").isNotEmpty();

    assertThat(api.post("/api/v1/streams/" + id + "/stop", null).status()).isEqualTo(202);
    awaitState(api, id, "STOPPED", Duration.ofSeconds(60));
    assertThat(proxy.calls("TerminateInstances")).anySatisfy(c -> assertThat(c.params()).containsValue(instanceId));
    assertThat(instance(instanceId).state().nameAsString()).isIn("shutting-down", "terminated");
    Await.until("every process of the instance to end", Duration.ofSeconds(20),
      () -> runner.processesOf(instanceId).isEmpty() ? true : null);

    // The operator sees what the machine cost beside what the customer pays; the customer sees what they pay only.
    JsonObject customer = api.get("/api/v1/usage").json();
    JsonObject mine = customer.getJsonArray("items").stream().map(JsonObject.class::cast)
      .filter(i -> id.equals(i.getString("streamId"))).findFirst().orElseThrow();
    assertThat(mine.fieldNames()).doesNotContain("machineCostCents", "marginCents", "machineSeconds", "instanceType");
    assertThat(customer.getJsonArray("totals").getJsonObject(0).fieldNames())
      .doesNotContain("machineCostCents", "marginCents");
    assertThat(api.get("/operator/v1/accounts/" + accountId + "/usage").status()).as("a customer key").isEqualTo(401);
    JsonObject usage = api(OPERATOR_TOKEN).get("/operator/v1/accounts/" + accountId + "/usage").json()
      .getJsonArray("items").stream().map(JsonObject.class::cast)
      .filter(i -> id.equals(i.getString("streamId"))).findFirst().orElseThrow();
    long seconds = usage.getLong("machineSeconds");
    assertThat(usage.getString("instanceType")).isEqualTo("c6i.large");
    assertThat(seconds).isPositive();
    assertThat(usage.getLong("machineCostCents")).isBetween(seconds * 10, (seconds + 1) * 10);
    assertThat(usage.getLong("marginCents")).isEqualTo(usage.getLong("costCents") - usage.getLong("machineCostCents"));
  }

  @Test
  void instanceTerminatedBehindLtmsBackFailsTheStreamWithEc2sReason() {
    ApiClient api = api(newAccountKey("ec2-behind-back"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    awaitLive(api, id);
    String machineId = machineOf(id);
    String instanceId = machineRow(machineId).getString("provider_ref");

    ec2.terminateInstances(r -> r.instanceIds(instanceId)).join();

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(config.cloud().heartbeatTimeoutSeconds() + 10));
    assertThat(failed.getString("stateReason")).contains(instanceId).contains("was terminated")
      .contains("outside LTM").contains("Client.UserInitiatedShutdown");
    Await.until("the machine row to be TERMINATED", Duration.ofSeconds(20),
      () -> "TERMINATED".equals(machineRow(machineId).getString("state")) ? true : null);
    Await.until("the instance's processes to end", Duration.ofSeconds(20),
      () -> runner.processesOf(instanceId).isEmpty() ? true : null);
  }

  @Test
  void unrecordedInstanceIsRecordedAndOneFailingItsStatusChecksFailsTheStreamAndIsTerminated() {
    ApiClient api = api(newAccountKey("ec2-impaired"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    api.post("/api/v1/streams/" + id + "/start", null);
    awaitLive(api, id);
    String machineId = machineOf(id);
    String instanceId = machineRow(machineId).getString("provider_ref");

    // As if its worker had died right after RunInstances and the agent had called home before any retry: the
    // reconciler finds the instance by its ltm:machine tag and records it, price and all.
    Await.result(ltm.pool().preparedQuery("UPDATE machines SET provider_ref = NULL, instance_type = NULL, "
      + "hourly_price_usd = NULL, launched_at = NULL WHERE id = ?").execute(Tuple.of(machineId)));
    Row adopted = Await.until("the reconciler to record the unrecorded instance", Duration.ofSeconds(20), () -> {
      Row row = machineRow(machineId);
      return row.getString("provider_ref") == null ? null : row;
    });
    assertThat(adopted.getString("provider_ref")).isEqualTo(instanceId);
    assertThat(adopted.getString("instance_type")).isEqualTo("c6i.large");
    assertThat(adopted.getBigDecimal("hourly_price_usd")).isEqualByComparingTo("360");
    assertThat(count("SELECT COUNT(*) FROM machines WHERE id = '" + machineId + "' AND launched_at IS NOT NULL"))
      .isEqualTo(1);

    // EC2 now reports the instance's reachability checks failing (the peer itself always reports ok).
    proxy.rewrite("DescribeInstanceStatus", "<status>ok</status>", "<status>impaired</status>");

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(30));
    assertThat(failed.getString("stateReason")).contains(instanceId).contains("failed EC2's status checks");
    Await.until("LTM to terminate the impaired instance", Duration.ofSeconds(20),
      () -> instance(instanceId).state().nameAsString().equals("terminated") ? true : null);
    Await.until("the instance's processes to end", Duration.ofSeconds(20),
      () -> runner.processesOf(instanceId).isEmpty() ? true : null);
  }

  @Test
  void instanceWithOurEnvTagThatNoMachineOwnsIsTerminatedAndOthersAreLeftAlone() {
    String image = ec2.describeImages(r -> r.owners("amazon")).join().images().get(0).imageId();
    String orphan = runTagged(image, config.cloud().env(), "mch_orphan_nobody_owns");
    String untagged = runTagged(image, "someone-else", "mch_of_another_env");

    Await.until("the orphan to be terminated", Duration.ofSeconds(config.cloud().orphanGraceSeconds() + 20),
      () -> instance(orphan).state().nameAsString().equals("terminated") ? true : null);
    assertThat(instance(untagged).state().nameAsString()).isEqualTo("running");
    ec2.terminateInstances(r -> r.instanceIds(untagged)).join();
  }

  private String runTagged(String image, String env, String machineId) {
    return ec2.runInstances(r -> r.imageId(image).instanceType("c6i.large").minCount(1).maxCount(1)
      .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(
        Tag.builder().key("ltm:env").value(env).build(), Tag.builder().key("ltm:machine").value(machineId).build())
        .build())).join().instances().get(0).instanceId();
  }

  static JsonObject awaitLive(ApiClient api, String id) {
    return awaitLive(api, id, runner);
  }

  static JsonObject awaitLive(ApiClient api, String id, InstanceRunner runner) {
    try {
      return awaitState(api, id, "LIVE", Duration.ofSeconds(120));
    } catch (AssertionError e) {
      String consoles = runner.booted().stream().map(i -> i + ":\n" + tail(runner.console(i)))
        .collect(Collectors.joining("\n"));
      throw new AssertionError(e.getMessage() + "\n--- instance consoles ---\n" + consoles, e);
    }
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  static Instance instance(String instanceId) {
    return ec2.describeInstances(r -> r.instanceIds(instanceId)).join().reservations().get(0).instances().get(0);
  }

  static Map<String, String> tags(List<Tag> tags) {
    return tags.stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }

  static Row machineRow(String machineId) {
    return machineRowOf(ltm, machineId);
  }

  static Row machineRowOf(io.ltm.Ltm ltm, String machineId) {
    return Await.result(ltm.pool().preparedQuery("SELECT * FROM machines WHERE id = ?").execute(Tuple.of(machineId)))
      .iterator().next();
  }

  static List<String> machineStates(ApiClient api, String machineId) {
    return api.get("/api/v1/events?after=0&limit=1000").json().getJsonArray("items").stream()
      .map(JsonObject.class::cast)
      .filter(e -> "machine.state".equals(e.getString("type")) && machineId.equals(e.getString("machineId")))
      .map(e -> e.getString("state")).toList();
  }
}
