package io.ltm.cloud;

import io.ltm.config.LtmConfig;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The contract against the {@code local} provider: real {@code ltm agent} processes from the packaged jar. Their
 * home URL answers nothing, so they wait calling home (for longer than a test lasts) and are terminated after.
 * The environment tag is this class's own, so no other test's reconciler takes them for orphans.
 */
class LocalCloudProviderContractIT implements CloudProviderContract {
  static Vertx vertx;
  static LocalCloudProvider provider;
  static LocalCloudProvider other;
  final List<String[]> launched = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    provider = new LocalCloudProvider(vertx, config("contract-" + UUID.randomUUID()), (id, code) -> { });
    other = new LocalCloudProvider(vertx, config("contract-other-" + UUID.randomUUID()), (id, code) -> { });
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static LtmConfig config(String env) {
    return LtmConfig.load(Map.of("LTM_ENV", env, "LTM_PUBLIC_URL", "http://127.0.0.1:9",
      "LTM_AGENT_WORK_DIR", Path.of("target", "contract-agents").toAbsolutePath().toString()));
  }

  @Override
  public CloudProvider provider() {
    return provider;
  }

  @Override
  public CloudProvider providerOfAnotherEnv() {
    return other;
  }

  @Override
  public void endBehindItsBack(String machineId, CloudProvider.Launched launched) {
    ProcessHandle.of(Long.parseLong(launched.providerRef())).orElseThrow().destroyForcibly();
  }

  @Override
  public List<String[]> launchedForCleanup() {
    return launched;
  }
}
