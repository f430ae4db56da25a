package io.ltm.cloud;

import io.ltm.cloud.CloudProvider.Instance;
import io.ltm.cloud.CloudProvider.Status;
import io.ltm.cloud.MachineRepository.Tracked;
import io.ltm.cloud.domain.MachineState;
import io.ltm.config.LtmConfig.CloudConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps MySQL and the cloud in agreement, for every provider alike. Each pass lists the machines the provider runs
 * for this environment (by tag, every page) and compares them with the machine rows:
 * <ul>
 *   <li>a machine no row owns (or whose row is TERMINATED, or a second one for the same row) is terminated — one
 *   with no row at all only after a grace period, so a launch in flight is never killed;</li>
 *   <li>a machine that stopped, ended or failed its checks without LTM asking makes its row LOST and its stream
 *   FAIL with the provider's own reason; a machine the provider no longer knows at all, likewise;</li>
 *   <li>a booting machine the provider reports running moves PENDING → RUNNING;</li>
 *   <li>a machine whose launch was never recorded (its worker died right after launching) is recorded;</li>
 *   <li>a machine still running whose row is LOST or TERMINATING (its worker died while ending it) is terminated
 *   again, and its row TERMINATED.</li>
 * </ul>
 * Machines that stop calling in (no heartbeat) are LOST too, with the provider's reason when it has one.
 */
public class Reconciler extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final long SILENCE_CHECK_MS = 2000;
  /** Rows in these states count on a live machine: if it is gone, the row is LOST. */
  private static final Set<MachineState> SERVING = EnumSet.of(MachineState.PENDING, MachineState.RUNNING,
    MachineState.REGISTERED, MachineState.ASSIGNED, MachineState.DRAINING);
  /** Rows whose machine should be gone: if the provider still runs it, ending it was cut short. */
  private static final Set<MachineState> ENDING = EnumSet.of(MachineState.LOST, MachineState.TERMINATING);

  private final Pool pool;
  private final CloudConfig cloud;
  private final CloudProvider provider;
  private final MachineRepository machines;
  private final Provisioning provisioning;
  /** The last pass's view, by machine id: lets the heartbeat check give the provider's reason for a silence. */
  private volatile Map<String, Instance> lastSeen = Map.of();
  private boolean passRunning;
  /** Machines this reconciler is terminating now, so a slow terminate is not started again by the next pass. */
  private final Set<String> ending = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
    vertx.setPeriodic(1000, cloud.reconcileSeconds() * 1000L, id -> reconcile());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    provider.close();
    return Future.succeededFuture();
  }

  /** Called by a provider that learns directly that a machine ended (a local process exiting). */
  public void machineEnded(String machineId, int exitCode) {
    provisioning.lost(machineId, "the transcoder machine stopped unexpectedly (agent exit code " + exitCode + ")");
  }

  private void findSilent() {
    machines.silent(pool, cloud.heartbeatTimeoutSeconds(), cloud.launchTimeoutSeconds())
      .onSuccess(list -> list.forEach(m -> provisioning.lost(m.id(), silenceReason(m))))
      .onFailure(err -> LOG.warn("silent-machine check failed: {}", err.getMessage()));
  }

  private String silenceReason(Machine m) {
    Instance seen = lastSeen.get(m.id());
    if (seen != null && !seen.status().alive() && seen.reason() != null) {
      return seen.reason();
    }
    return m.state() == MachineState.REQUESTED || m.state() == MachineState.PENDING
      ? "the transcoder machine did not start within " + cloud.launchTimeoutSeconds() + " s"
      : "the transcoder machine stopped responding (no heartbeat for " + cloud.heartbeatTimeoutSeconds() + " s)";
  }

  /** One pass; a pass still running (a slow cloud API) is not overlapped by the next. */
  void reconcile() {
    if (passRunning) {
      return;
    }
    passRunning = true;
    provider.list()
      .compose(instances -> machines.active(pool, provider.name()).map(rows -> {
        compare(instances, rows);
        return null;
      }))
      .onFailure(err -> LOG.warn("reconcile pass failed: {}", err.toString()))
      .onComplete(ar -> passRunning = false);
  }

  private void compare(List<Instance> instances, List<Tracked> rows) {
    Map<String, Tracked> rowById = new HashMap<>();
    rows.forEach(r -> rowById.put(r.machine().id(), r));
    Map<String, Instance> byMachine = new HashMap<>();
    Map<String, Instance> byRef = new HashMap<>();
    for (Instance i : instances) {
      byRef.put(i.providerRef(), i);
      if (i.machineId() != null) {
        byMachine.merge(i.machineId(), i, (a, b) -> a.status().alive() ? a : b);
      }
    }
    lastSeen = byMachine;
    Instant graceEnd = Instant.now().minusSeconds(cloud.orphanGraceSeconds());

    for (Instance i : instances) {
      if (i.status() == Status.ENDED) {
        continue;
      }
      Tracked row = i.machineId() == null ? null : rowById.get(i.machineId());
      boolean young = i.launchedAt() != null && i.launchedAt().isAfter(graceEnd);
      String ownRef = row == null ? null : row.machine().providerRef();
      if (row == null && !young) {
        orphan(i, "no machine row owns it");
      } else if (row != null && ownRef == null && i.status().alive()) {
        provisioning.adopt(i.machineId(), i.providerRef(), i.instanceType());
      } else if (ownRef != null && !ownRef.equals(i.providerRef()) && !young) {
        orphan(i, "machine " + i.machineId() + " runs as " + ownRef + ": this one is a duplicate");
      }
    }

    for (Tracked row : rows) {
      Machine m = row.machine();
      Instance running = byMachine.get(m.id());
      if (ENDING.contains(m.state()) && running != null && running.status() != Status.ENDED) {
        if (ending.add(m.id())) {
          LOG.warn("machine {} is {} but {} still runs it: terminating", m.id(), m.state(), provider.name());
          provisioning.terminate(m.id(), null)
            .onFailure(err -> LOG.warn("could not terminate machine {}: {}", m.id(), err.toString()))
            .onComplete(ar -> ending.remove(m.id()));
        }
        continue;
      }
      if (m.providerRef() == null || !SERVING.contains(m.state())) {
        continue;
      }
      Instance i = byRef.containsKey(m.providerRef()) ? byRef.get(m.providerRef()) : byMachine.get(m.id());
      if (i == null) {
        if (row.ageSeconds() > cloud.orphanGraceSeconds()) {
          provisioning.lost(m.id(), "the transcoder machine is gone (" + provider.name() + " no longer knows "
            + m.providerRef() + ")");
        }
      } else if (i.status() == Status.RUNNING && m.state() == MachineState.PENDING) {
        provisioning.running(m.id());
      } else if (m.parked() && i.status() == Status.STOPPED) {
        // A warm machine of EC2's stopped tier, stopped on purpose: it waits for a start to resume it.
        continue;
      } else if (!i.status().alive()) {
        provisioning.lost(m.id(), i.reason() != null ? i.reason() : "the transcoder machine ended");
      }
    }
  }

  private void orphan(Instance i, String why) {
    LOG.warn("machine {} ({}) runs but {}: terminating", i.machineId(), i.providerRef(), why);
    provider.terminate(i.machineId(), i.providerRef())
      .onFailure(err -> LOG.warn("could not terminate orphan {}: {}", i.providerRef(), err.toString()));
  }
}
