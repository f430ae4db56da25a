package io.ltm.pool;

import io.ltm.cloud.CloudProvider;
import io.ltm.cloud.LaunchRefusedException;
import io.ltm.cloud.Machine;
import io.ltm.cloud.MachineRepository;
import io.ltm.cloud.MachineRepository.Member;
import io.ltm.cloud.Provisioning;
import io.ltm.cloud.domain.MachineState;
import io.ltm.common.Ids;
import io.ltm.config.LtmConfig;
import io.ltm.db.Transactions;
import io.ltm.events.EventTypes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps each pool at its size (worker role). A pass per pool, in one transaction on the pool's settings row (so
 * keepers of several workers take turns): count its machines in MySQL, record the machines to launch (REQUESTED
 * rows, before any launch) and mark the surplus and the expired TERMINATING; after the commit, launch and terminate.
 * Counting committed rows, never memory, is what keeps a worker killed mid-replenish from doubling a pool: after a
 * restart the rows are still there, a machine whose launch was never recorded is found by the reconciler (by tag)
 * and a row whose launch may never have happened is launched again (launches are idempotent by machine id).
 *
 * <p>EC2's stopped tier: a machine launched for it registers like any other, is then stopped (StopInstances) and
 * recorded stopped; a start that claims it has it resumed ({@code machine.resume}).
 *
 * <p>Stopping the worker leaves the pools as they are; {@code ltm pool drain} empties them.
 */
public class PoolKeeper extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(PoolKeeper.class);
  private static final Set<MachineState> BOOTING = EnumSet.of(MachineState.REQUESTED, MachineState.PENDING,
    MachineState.RUNNING);
  /** A REQUESTED row older than this with no launch recorded is launched again (its keeper may have died). */
  private static final long RELAUNCH_AFTER_SECONDS = 10;

  private final Pool pool;
  private final LtmConfig config;
  private final CloudProvider provider;
  private final MachineRepository machines;
  private final PoolRepository settings;
  private final Provisioning provisioning;
  /** Launches, stops and terminations this keeper has in flight, by machine id: not started twice. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private boolean passRunning;
  private boolean passAgain;

  public PoolKeeper(Pool pool, LtmConfig config, CloudProvider provider, MachineRepository machines,
                    PoolRepository settings, Provisioning provisioning) {
    this.pool = pool;
    this.config = config;
    this.provider = provider;
    this.machines = machines;
    this.settings = settings;
    this.provisioning = provisioning;
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().localConsumer(EventTypes.WARM_CLAIMED, msg -> pass());
    vertx.setPeriodic(200, Math.max(1, config.pools().checkSeconds()) * 1000L, id -> pass());
    return Future.succeededFuture();
  }

  /** One pass over every pool; one asked for while a pass runs follows it. */
  void pass() {
    if (passRunning) {
      passAgain = true;
      return;
    }
    passRunning = true;
    passAgain = false;
    settings.all(pool, provider.name())
      .compose(all -> {
        Future<Void> chain = Future.succeededFuture();
        for (String poolClass : all.keySet()) {
          chain = chain.compose(v -> size(poolClass).recover(err -> {
            LOG.warn("pool {} not sized: {}", poolClass, err.toString());
            return Future.succeededFuture();
          }));
        }
        return chain;
      })
      .onFailure(err -> LOG.warn("pool pass failed: {}", err.toString()))
      .onComplete(ar -> {
        passRunning = false;
        if (passAgain) {
          pass();
        }
      });
  }

  /** What one pass decided for a pool, committed before it is acted on. */
  private record Plan(List<Machine> launch, List<Machine> terminate, List<Machine> stop, List<Machine> relaunch) {
  }

  private Future<Void> size(String poolClass) {
    BigDecimal price = config.machines().hourlyPrice(
      PoolSettings.instanceTypesOf(provider.name(), poolClass, config.machines()).stream().findFirst().orElse(null));
    return Transactions.run(pool, conn -> settings.lock(conn, provider.name(), poolClass)
        .compose(s -> machines.members(conn, provider.name(), poolClass).compose(members -> plan(conn, s, price,
          members))))
      .compose(this::act);
  }

  private Future<Plan> plan(SqlConnection conn, PoolSettings s, BigDecimal price, List<Member> members) {
    List<Member> running = new ArrayList<>();
    List<Member> stopped = new ArrayList<>();
    List<Machine> terminate = new ArrayList<>();
    List<Machine> stop = new ArrayList<>();
    List<Machine> relaunch = new ArrayList<>();
    boolean stoppedTier = s.stoppedIdle() > 0 || members.stream().anyMatch(m -> "stopped".equals(m.machine().warmTier()));
    for (Member member : members) {
      Machine m = member.machine();
      if (!m.idle()) {
        continue;
      }
      boolean registered = m.state() == MachineState.REGISTERED;
      if (registered && s.idleTtlSeconds() > 0 && member.idleAgeSeconds() > s.idleTtlSeconds()) {
        terminate.add(m);
        continue;
      }
      if (m.state() == MachineState.REQUESTED && m.providerRef() == null
        && member.ageSeconds() > RELAUNCH_AFTER_SECONDS && !inFlight.contains(m.id())) {
        relaunch.add(m);
      }
      if ("stopped".equals(m.warmTier())) {
        stopped.add(member);
        if (registered && !m.parked() && !inFlight.contains(m.id())) {
          stop.add(m);
        }
      } else if (registered || BOOTING.contains(m.state())) {
        running.add(member);
      }
    }
    // The surplus goes, booting ones first (they serve nobody yet), then the longest idle.
    Comparator<Member> leastUseful = Comparator.comparing((Member m) -> m.machine().state() == MachineState.REGISTERED)
      .thenComparing(Member::idleAgeSeconds, Comparator.reverseOrder());
    int runningCap = s.runningCap(price);
    running.sort(leastUseful);
    while (running.size() > runningCap) {
      terminate.add(running.remove(0).machine());
    }
    stopped.sort(leastUseful);
    while (stopped.size() > s.stoppedIdle()) {
      Machine gone = stopped.remove(0).machine();
      terminate.add(gone);
      stop.remove(gone);
    }
    List<Machine> launch = new ArrayList<>();
    for (int i = running.size(); i < s.runningTarget(price); i++) {
      launch.add(newWarm(s.poolClass(), "running"));
    }
    for (int i = stopped.size(); stoppedTier && i < s.stoppedIdle(); i++) {
      launch.add(newWarm(s.poolClass(), "stopped"));
    }
    Future<Void> recorded = Future.succeededFuture();
    for (Machine m : launch) {
      recorded = recorded.compose(v -> machines.insertWarm(conn, m.id(), provider.name(), m.bootstrapToken(),
        m.poolClass(), m.warmTier()));
    }
    List<Machine> ending = new ArrayList<>();
    for (Machine m : terminate) {
      // Locked, and checked idle again: a start may have claimed it since it was read.
      recorded = recorded.compose(v -> machines.lock(conn, m.id())).compose(locked -> {
        if (locked == null || !locked.idle()) {
          return Future.succeededFuture();
        }
        ending.add(locked);
        return machines.move(conn, locked, MachineState.TERMINATING, "warm pool " + s.poolClass() + ": "
          + (locked.state() == MachineState.REGISTERED ? "idle beyond its size or time-to-live" : "beyond its size"))
          .mapEmpty();
      });
    }
    return recorded.map(v -> new Plan(launch, ending, stop, relaunch));
  }

  private Machine newWarm(String poolClass, String tier) {
    return new Machine(Ids.newId("mch"), null, null, 0, provider.name(), null, MachineState.REQUESTED,
      Ids.random(40), null, poolClass, tier, false);
  }

  private Future<Void> act(Plan plan) {
    if (!plan.launch().isEmpty() || !plan.terminate().isEmpty()) {
      LOG.info("warm pool: launching {}, terminating {}", plan.launch().size(), plan.terminate().size());
    }
    plan.launch().forEach(this::launch);
    plan.relaunch().forEach(this::launch);
    plan.terminate().forEach(m -> once(m.id(), () -> provisioning.terminate(m.id(), "warm pool resized")));
    // Recorded stopped first, so neither the reconciler nor the heartbeat check takes the stop for a loss.
    plan.stop().forEach(m -> once(m.id(), () -> machines.park(pool, m.id(), true)
      .compose(v -> provider.stop(m.id(), m.providerRef())
        .recover(err -> machines.park(pool, m.id(), false).compose(x -> Future.failedFuture(err))))
      .onSuccess(v -> LOG.info("warm machine {} stopped (stopped tier of {})", m.id(), m.poolClass()))));
    return Future.succeededFuture();
  }

  private void launch(Machine m) {
    once(m.id(), () -> {
      CloudProvider.LaunchRequest request = new CloudProvider.LaunchRequest(m.id(), null, null, 0, m.bootstrapToken(),
        PoolSettings.instanceTypesOf(provider.name(), m.poolClass(), config.machines()));
      return provider.launch(request).compose(launched -> Transactions.run(pool, conn -> machines.lock(conn, m.id())
          .compose(row -> machines.recordLaunch(conn, m.id(), launched.providerRef(), launched.instanceType(),
              config.machines().hourlyPrice(launched.instanceType()))
            .compose(v -> machines.move(conn, row, MachineState.PENDING, null))
            .compose(v -> !launched.running() ? Future.succeededFuture(false)
              : machines.lock(conn, m.id()).compose(again -> machines.move(conn, again, MachineState.RUNNING, null))))))
        .recover(err -> {
          if (err instanceof LaunchRefusedException) {
            LOG.warn("warm machine {} of {} refused: {}", m.id(), m.poolClass(), err.getMessage());
            return provisioning.lost(m.id(), err.getMessage()).map(false);
          }
          return Future.<Boolean>failedFuture(err);
        })
        .mapEmpty();
    });
  }

  /** Runs an effect on a machine unless one is already in flight for it. */
  private void once(String machineId, java.util.function.Supplier<Future<?>> effect) {
    if (!inFlight.add(machineId)) {
      return;
    }
    Future<?> running;
    try {
      running = effect.get();
    } catch (RuntimeException e) {
      running = Future.failedFuture(e);
    }
    running.onFailure(err -> LOG.warn("warm machine {}: {}", machineId, err.toString()))
      .onComplete(ar -> inFlight.remove(machineId));
  }
}
