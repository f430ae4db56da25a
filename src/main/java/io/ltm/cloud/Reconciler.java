package io.ltm.cloud;

import io.ltm.cloud.domain.MachineState;
import io.ltm.config.LtmConfig.CloudConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps MySQL and the cloud in agreement. Machines that stopped calling in are LOST (their streams FAIL), and
 * machines the provider runs that no row owns — left by a crash between launch and record, or by a row
 * already terminated — are terminated, found by their tags.
 */
public class Reconciler extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final long SILENCE_CHECK_MS = 2000;
  private static final long ORPHAN_SWEEP_MS = 10_000;

  private final Pool pool;
  private final CloudConfig cloud;
  private final CloudProvider provider;
  private final MachineRepository machines;
  private final Provisioning provisioning;

  public Reconciler(Pool pool, CloudConfig cloud, CloudProvider provider, MachineRepository machines,
                    Provisioning provisioning) {
    this.pool = pool;
    this.cloud = cloud;
    this.provider = provider;
    this.machines = machines;
    this.provisioning = provisioning;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(SILENCE_CHECK_MS, id -> findSilent());
    vertx.setPeriodic(1000, ORPHAN_SWEEP_MS, id -> sweepOrphans());
    return Future.succeededFuture();
  }

  /** Called by a provider that learns directly that a machine ended (a local process exiting). */
  public void machineEnded(String machineId, int exitCode) {
    provisioning.lost(machineId, "the transcoder machine stopped unexpectedly (agent exit code " + exitCode + ")");
  }

  private void findSilent() {
    machines.silent(pool, cloud.heartbeatTimeoutSeconds(), cloud.launchTimeoutSeconds())
      .onSuccess(list -> list.forEach(m -> provisioning.lost(m.id(),
        m.state() == MachineState.REQUESTED || m.state() == MachineState.PENDING
          ? "the transcoder machine did not start within " + cloud.launchTimeoutSeconds() + " s"
          : "the transcoder machine stopped responding (no heartbeat for " + cloud.heartbeatTimeoutSeconds() + " s)")))
      .onFailure(err -> LOG.warn("silent-machine check failed: {}", err.getMessage()));
  }

  private void sweepOrphans() {
    provider.list().onSuccess(running -> running.forEach(r -> machines.find(pool, r.machineId()).onSuccess(m -> {
      if (m == null || m.state() == MachineState.TERMINATED) {
        LOG.warn("machine {} ({}) runs but no stream owns it: terminating", r.machineId(), r.providerRef());
        provider.terminate(r.machineId(), r.providerRef());
      }
    }))).onFailure(err -> LOG.warn("orphan sweep failed: {}", err.getMessage()));
  }
}
