package io.ltm.cloud;

import io.ltm.cloud.domain.MachineState;
import io.ltm.config.LtmConfig.CloudConfig;
import io.ltm.db.Transactions;
import io.ltm.events.EventTypes;
import io.ltm.stream.Stream;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;
import java.util.Set;

/**
 * No stream stays PROVISIONING for ever. A start normally leaves PROVISIONING within seconds (a machine is launched,
 * or the launch is refused, or its job is dead-lettered); one whose job was lost or that no worker takes has
 * nothing that will move it. Every {@code cloud.reconcileSeconds} the worker looks for streams PROVISIONING longer
 * than {@code cloud.provisioningTimeoutSeconds} with no machine of that start being launched or running, and FAILS
 * them with a plain reason (the customer may start again). A machine being launched is left to the launch timeout.
 * Several workers may look at once: each locks the stream and checks again, so a stream fails once.
 */
public class ProvisioningTimeout extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ProvisioningTimeout.class);
  /** A machine of the start in one of these will still move the stream (or be found LOST, which fails it). */
  private static final Set<MachineState> MOVING = EnumSet.of(MachineState.REQUESTED, MachineState.PENDING,
    MachineState.RUNNING, MachineState.REGISTERED, MachineState.ASSIGNED, MachineState.DRAINING);

  private final Pool pool;
  private final CloudConfig cloud;
  private final StreamRepository streams;
  private final StreamTransitions transitions;
  private final MachineRepository machines;
  private boolean running;

  public ProvisioningTimeout(Pool pool, CloudConfig cloud, StreamRepository streams, StreamTransitions transitions,
                             MachineRepository machines) {
    this.pool = pool;
    this.cloud = cloud;
    this.streams = streams;
    this.transitions = transitions;
    this.machines = machines;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(cloud.reconcileSeconds() * 1000L, id -> pass());
    return Future.succeededFuture();
  }

  private void pass() {
    if (running) {
      return;
    }
    running = true;
    streams.stuckProvisioning(pool, cloud.provisioningTimeoutSeconds())
      .compose(list -> {
        Future<Void> all = Future.succeededFuture();
        for (Stream s : list) {
          all = all.compose(v -> fail(s).recover(err -> {
            LOG.warn("could not fail stream {} stuck PROVISIONING: {}", s.id(), err.toString());
            return Future.succeededFuture();
          }));
        }
        return all;
      })
      .onFailure(err -> LOG.warn("PROVISIONING timeout check failed: {}", err.toString()))
      .onComplete(ar -> running = false);
  }

  private Future<Void> fail(Stream found) {
    String reason = "the stream's transcoder was not provisioned within " + cloud.provisioningTimeoutSeconds()
      + " s; please start it again";
    return Transactions.inAccount(pool, found.accountId(), conn -> streams.lock(conn, found.id()).compose(s -> {
      if (s == null || s.state() != StreamState.PROVISIONING || s.generation() != found.generation()) {
        return Future.succeededFuture(false);
      }
      return machines.findByStart(conn, s.id(), s.generation()).compose(m -> m != null && MOVING.contains(m.state())
        ? Future.succeededFuture(false)
        : transitions.move(conn, s, StreamState.FAILED, reason, null));
    })).map(failed -> {
      if (failed) {
        LOG.warn("stream {} was PROVISIONING (start {}) for over {} s with no machine launching: FAILED",
          found.id(), found.generation(), cloud.provisioningTimeoutSeconds());
        vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null);
      }
      return null;
    });
  }
}
