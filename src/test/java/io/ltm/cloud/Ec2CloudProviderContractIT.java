package io.ltm.cloud;

import io.ltm.cloud.ec2.Ec2Clients;
import io.ltm.cloud.ec2.Ec2CloudProvider;
import io.ltm.config.LtmConfig;
import io.ltm.it.MotoServer;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The contract against the {@code ec2} provider, through the production client, against moto_server. Listing
 * pages five instances at a time (EC2's smallest page) and the test starts seven, so every page must be read.
 */
class Ec2CloudProviderContractIT implements CloudProviderContract {
  static MotoServer moto;
  static Vertx vertx;
  static Ec2CloudProvider provider;
  static Ec2CloudProvider other;
  static Ec2AsyncClient ec2;
  final List<String[]> launched = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    moto = MotoServer.start();
    ec2 = moto.ec2();
    vertx = Vertx.vertx();
    Map<String, String> env = moto.ltmEnvironment(moto.endpoint());
    provider = provider(env, "contract-" + UUID.randomUUID());
    other = provider(env, "contract-other-" + UUID.randomUUID());
  }

  static Ec2CloudProvider provider(Map<String, String> base, String tag) {
    Map<String, String> env = new HashMap<>(base);
    env.put("LTM_ENV", tag);
    LtmConfig config = LtmConfig.load(env);
    Ec2CloudProvider p = new Ec2CloudProvider(vertx, config, Ec2Clients.ec2(config.ec2()), Ec2Clients.ssm(config.ec2()), 5);
    CloudProviderContract.await(p.prepare());
    return p;
  }

  @AfterAll
  static void stop() {
    if (provider != null) {
      provider.close();
      other.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
    if (ec2 != null) {
      ec2.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  @Override
  public int machinesToList() {
    return 7;
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
    ec2.terminateInstances(r -> r.instanceIds(launched.providerRef())).join();
  }

  @Override
  public List<String[]> launchedForCleanup() {
    return launched;
  }
}
