package io.ltm.cloud;

import io.ltm.cloud.domain.MachineState;
import io.ltm.common.Ids;
import io.ltm.config.LtmConfig.MachinesConfig;
import io.ltm.db.Transactions;
import io.ltm.events.EventTypes;
import io.ltm.jobs.Job;
import io.ltm.metrics.Meters;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The worker's side of a stream's life: launch a machine for a start, terminate machines for a stop or a
 * failure. Each step is recorded in MySQL before the next external effect, and each is safe to repeat, so a
 * job redelivered after a crash picks up where it was.
 */
public class Provisioning {
  private static final Logger LOG = LoggerFactory.getLogger(Provisioning.class);

  private final Vertx vertx;
  private final Pool pool;
  private final CloudProvider provider;
  private final MachineRepository machines;
  private final StreamRepository streams;
  private final StreamTransitions transitions;
  private final MachinesConfig machineTypes;

  public Provisioning(Vertx vertx, Pool pool, CloudProvider provider, MachineRepository machines,
                      StreamRepository streams, StreamTransitions transitions, MachinesConfig machineTypes) {
    this.vertx = vertx;
    this.machineTypes = machineTypes;
    this.pool = pool;
    this.provider = provider;
    this.machines = machines;
    this.streams = streams;
    this.transitions = transitions;
  }

  /**
   * {@code stream.start}: one machine per (stream, generation), launched once, the stream then STARTING. A launch
   * the cloud refuses for good fails the stream at once with the reason; any other failure is the job's to retry.
   */
  public Future<Void> start(Job job) {
    return Transactions.inAccount(pool, job.accountId(), conn -> streams.lock(conn, job.subjectId()).compose(s -> {
      if (!isCurrentStart(s, job)) {
        return Future.succeededFuture(null);
      }
      return machines.findByStart(conn, s.id(), job.generation()).compose(existing -> existing != null
        ? Future.succeededFuture(existing)
        : machines.insert(conn, new Machine(Ids.newId("mch"), s.id(), s.accountId(), job.generation(), provider.name(),
          null, MachineState.REQUESTED, Ids.random(40), null)))
        .map(m -> new Object[] {m, machineTypes.instanceTypesFor(s.offerId())});
    })).compose(found -> {
      if (found == null) {
        return Future.succeededFuture();
      }
      Machine machine = (Machine) found[0];
      @SuppressWarnings("unchecked") List<String> types = (List<String>) found[1];
      return launch(job, machine, types).recover(err -> err instanceof LaunchRefusedException refused
        ? refused(job, machine, refused) : Future.failedFuture(err));
    });
  }

  private Future<Void> launch(Job job, Machine machine, List<String> instanceTypes) {
    CloudProvider.LaunchRequest request = new CloudProvider.LaunchRequest(machine.id(), machine.streamId(),
      machine.accountId(), machine.generation(), machine.bootstrapToken(), instanceTypes);
    long began = System.nanoTime();
    return provider.launch(request)
      .andThen(ar -> Meters.timer("ltm_machine_launch", "cloud provider launch calls, by provider and outcome",
        "provider", provider.name(), "outcome", ar.succeeded() ? "ok" : "failed")
        .record(System.nanoTime() - began, TimeUnit.NANOSECONDS))
      .compose(launched -> Transactions.inAccount(pool, machine.accountId(), conn ->
      machines.lock(conn, machine.id()).compose(m -> machines.recordLaunch(conn, m.id(), launched.providerRef(),
          launched.instanceType(), machineTypes.hourlyPrice(launched.instanceType()))
        .compose(v -> machines.move(conn, m, MachineState.PENDING, null))
        .compose(v -> launched.running()
          ? machines.lock(conn, m.id()).compose(again -> machines.move(conn, again, MachineState.RUNNING, null))
          : Future.succeededFuture(false))
        .compose(v -> streams.lock(conn, job.subjectId()))
        .compose(s -> {
          if (!isCurrentStart(s, job)) {
            // Stopped while we launched: this machine belongs to nobody now.
            return Job.of(Job.MACHINE_TERMINATE, m.accountId(), m.id(), m.generation()).enqueue(conn);
          }
          return streams.setMachine(conn, s.id(), m.id())
            .compose(v -> transitions.move(conn, s, StreamState.STARTING, null,
              new JsonObject().put("machineId", m.id()).put("start", AgentCalls.START_COLD)))
            .mapEmpty();
        })))).onSuccess(v -> wakeRelay());
  }

  /** Nothing was launched and no retry would launch it: the machine ends, and the stream FAILS with the reason. */
  private Future<Void> refused(Job job, Machine machine, LaunchRefusedException refused) {
    LOG.warn("launch of machine {} refused ({}): {}", machine.id(), refused.code(), refused.getMessage());
    String reason = refused.getMessage();
    return Transactions.inAccount(pool, machine.accountId(), conn -> machines.lock(conn, machine.id())
      .compose(m -> machines.move(conn, m, MachineState.LOST, reason))
      .compose(v -> machines.lock(conn, machine.id()))
      .compose(m -> machines.move(conn, m, MachineState.TERMINATED, null))
      .compose(v -> streams.lock(conn, job.subjectId()))
      .compose(s -> isCurrentStart(s, job)
        ? transitions.move(conn, s, StreamState.FAILED, reason, new JsonObject().put("machineId", machine.id()))
        : Future.succeededFuture(false)))
      .onSuccess(v -> wakeRelay())
      .mapEmpty();
  }

  /** {@code stream.stop}: terminate every machine of the stream, then STOPPED. */
  public Future<Void> stop(Job job) {
    return machines.notTerminated(pool, job.subjectId())
      .compose(list -> {
        Future<Void> all = Future.succeededFuture();
        for (Machine m : list) {
          all = all.compose(v -> terminate(m.id(), "stream stopped"));
        }
        return all;
      })
      .compose(v -> Transactions.inAccount(pool, job.accountId(), conn -> streams.lock(conn, job.subjectId())
        .compose(s -> s == null ? Future.succeededFuture(false)
          : transitions.move(conn, s, StreamState.STOPPED, null, null))))
      .onSuccess(v -> wakeRelay())
      .mapEmpty();
  }

  /**
   * A stop that could not finish: every machine of the stream still standing is LOST and terminated (what a
   * terminate leaves running behind a LOST or TERMINATING row, the reconciler ends).
   */
  public Future<Void> loseAll(String streamId, String reason) {
    return machines.notTerminated(pool, streamId).compose(list -> {
      Future<Void> all = Future.succeededFuture();
      for (Machine m : list) {
        all = all.compose(v -> lost(m.id(), reason));
      }
      return all;
    });
  }

  /** Terminates one machine: TERMINATING is recorded first, so a crash mid-way is finished by a retry. */
  public Future<Void> terminate(String machineId, String reason) {
    return inMachineAccount(machineId, conn -> machines.lock(conn, machineId).compose(m -> {
        if (m == null || m.state() == MachineState.TERMINATED) {
          return Future.succeededFuture((Machine) null);
        }
        return machines.move(conn, m, MachineState.TERMINATING, reason).map(m);
      }))
      .compose(m -> m == null ? Future.succeededFuture() : provider.terminate(m.id(), m.providerRef())
        .compose(v -> Transactions.inAccount(pool, m.accountId(), conn -> machines.lock(conn, m.id())
          .compose(locked -> machines.move(conn, locked, MachineState.TERMINATED, null)))))
      .onSuccess(v -> wakeRelay())
      .mapEmpty();
  }

  /**
   * A machine stopped answering or its process ended. Its stream, if it still counts on it, FAILS with the
   * reason; the machine is then terminated so nothing of it keeps running (or billing).
   */
  public Future<Void> lost(String machineId, String reason) {
    return inMachineAccount(machineId, conn -> machines.lock(conn, machineId).compose(m -> {
        if (m == null || m.state() == MachineState.TERMINATING || m.state() == MachineState.TERMINATED) {
          return Future.succeededFuture(false);
        }
        return machines.move(conn, m, MachineState.LOST, reason)
          .compose(v -> streams.lock(conn, m.streamId()))
          .compose(s -> failIfOwned(conn, s, m, reason))
          .map(true);
      }))
      .compose(wasLive -> wasLive ? terminate(machineId, reason) : Future.succeededFuture())
      .onFailure(err -> LOG.warn("could not record machine {} as lost: {}", machineId, err.getMessage()));
  }

  /**
   * The provider runs a machine whose launch was never recorded: its worker died right after launching it and the
   * agent called home before the job's retry (which then had nothing left to do). Recorded now, it is priced and
   * watched like any other machine.
   */
  public Future<Void> adopt(String machineId, String providerRef, String instanceType) {
    return machines.adopt(pool, machineId, providerRef, instanceType, machineTypes.hourlyPrice(instanceType))
      .onSuccess(adopted -> {
        if (adopted) {
          LOG.info("machine {} runs as {}, which its launch never recorded: recorded now", machineId, providerRef);
        }
      })
      .onFailure(err -> LOG.warn("could not record machine {} as {}: {}", machineId, providerRef, err.getMessage()))
      .mapEmpty();
  }

  /**
   * {@code machine.resume}: a start claimed a stopped warm machine; the provider starts it again (its agent then
   * waits for, and gets, the pipeline). Repeating it is harmless: a machine no longer stopped is left alone.
   */
  public Future<Void> resume(String machineId) {
    return machines.find(pool, machineId).compose(m -> {
      if (m == null || !m.parked() || m.state() != MachineState.ASSIGNED) {
        return Future.succeededFuture();
      }
      return provider.resume(m.id(), m.providerRef()).compose(v -> machines.park(pool, m.id(), false))
        .onSuccess(v -> LOG.info("machine {} resumed for stream {}", m.id(), m.streamId()));
    });
  }

  /** The provider reports the machine booted: PENDING → RUNNING (a no-op if the agent's hello got there first). */
  public Future<Void> running(String machineId) {
    return inMachineAccount(machineId, conn -> machines.lock(conn, machineId)
        .compose(m -> m == null || m.state() != MachineState.PENDING ? Future.succeededFuture(false)
          : machines.move(conn, m, MachineState.RUNNING, null)))
      .onSuccess(moved -> wakeRelay())
      .onFailure(err -> LOG.warn("could not record machine {} as running: {}", machineId, err.getMessage()))
      .mapEmpty();
  }

  /**
   * A transaction in the account of a machine known only by id: a machine never changes account, so reading
   * it unlocked first is safe, and the account row is then locked before anything else like everywhere.
   */
  private <T> Future<T> inMachineAccount(String machineId,
                                         java.util.function.Function<io.vertx.sqlclient.SqlConnection, Future<T>> work) {
    return machines.find(pool, machineId).compose(m -> m == null
      ? Transactions.run(pool, work)
      : Transactions.inAccount(pool, m.accountId(), work));
  }

  private Future<Boolean> failIfOwned(io.vertx.sqlclient.SqlConnection conn, Stream s, Machine m, String reason) {
    if (s == null || !m.id().equals(s.machineId()) || s.state() == StreamState.STOPPING) {
      return Future.succeededFuture(false);
    }
    return transitions.move(conn, s, StreamState.FAILED, reason, new JsonObject().put("machineId", m.id()));
  }

  private static boolean isCurrentStart(Stream s, Job job) {
    return s != null && s.generation() == job.generation() && s.state() == StreamState.PROVISIONING;
  }

  private void wakeRelay() {
    vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null);
  }
}
