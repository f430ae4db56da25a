package io.ltm.jobs;

import io.ltm.cloud.Provisioning;
import io.ltm.config.LtmConfig.RabbitConfig;
import io.ltm.db.Transactions;
import io.ltm.events.EventTypes;
import io.ltm.metrics.Meters;
import io.ltm.order.OrderBatch;
import io.ltm.order.OrderFulfilment;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.rabbitmq.QueueOptions;
import io.vertx.rabbitmq.RabbitMQClient;
import io.vertx.rabbitmq.RabbitMQMessage;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Consumes provisioning jobs with manual acks and a bounded prefetch. A job is acked only after its work is
 * durable in MySQL; a failure is nacked and redelivered, and past the queue's delivery limit the broker
 * dead-letters it, whereupon the stream is marked FAILED with the last error. Order jobs are fulfilled together
 * ({@link OrderBatch}), each recorded done in the batch's transaction; a job whose batch failed runs alone.
 */
public class JobWorker extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(JobWorker.class);
  private static final long DEAD_RETRY_MS = 5000;

  private final Pool pool;
  private final RabbitConfig rabbitConfig;
  private final Provisioning provisioning;
  private final OrderFulfilment orders;
  private final StreamRepository streams;
  private final StreamTransitions transitions;
  private final OrderBatch orderBatch;
  private Context context;
  private RabbitConnector rabbit;

  public JobWorker(Pool pool, RabbitConfig rabbitConfig, Provisioning provisioning, OrderFulfilment orders,
                   StreamRepository streams, StreamTransitions transitions) {
    this.pool = pool;
    this.rabbitConfig = rabbitConfig;
    this.provisioning = provisioning;
    this.orders = orders;
    this.streams = streams;
    this.transitions = transitions;
    this.orderBatch = new OrderBatch(pool, this::wakeRelay);
  }

  @Override
  public Future<?> start() {
    context = vertx.getOrCreateContext();
    rabbit = new RabbitConnector(vertx, rabbitConfig, "job-worker", this::consume);
    rabbit.start();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return rabbit.stop();
  }

  private Future<Void> consume(RabbitMQClient client) {
    QueueOptions manualAck = new QueueOptions().setAutoAck(false).setMaxInternalQueueSize(rabbitConfig.prefetch() * 2);
    return Topology.declare(client, rabbitConfig.deliveryLimit())
      .compose(v -> client.basicQos(rabbitConfig.prefetch()))
      .compose(v -> client.basicConsumer(Topology.JOBS_QUEUE, manualAck))
      .compose(jobs -> {
        jobs.handler(msg -> handle(client, msg));
        return client.basicConsumer(Topology.DEAD_QUEUE, manualAck);
      })
      .map(dead -> {
        dead.handler(msg -> handleDead(client, msg));
        return null;
      });
  }

  private void handle(RabbitMQClient client, RabbitMQMessage msg) {
    long tag = msg.envelope().getDeliveryTag();
    Job job;
    try {
      job = Job.fromJson(msg.body().toJsonObject());
    } catch (RuntimeException e) {
      LOG.error("discarding a malformed job: {}", msg.body());
      settle(client, tag, true, "a malformed job");
      return;
    }
    Long queuedAt = msg.body().toJsonObject().getLong("queuedAt");
    if (queuedAt != null) {
      Meters.timer("ltm_job_queue_lag", "from a job's transaction to a worker starting it (outbox, broker, prefetch)",
        "kind", job.kind()).record(Math.max(0, System.currentTimeMillis() - queuedAt), TimeUnit.MILLISECONDS);
    }
    if (Job.ORDER_PLACED.equals(job.kind())) {
      orderBatch.fulfil(context, job).onComplete(ar -> {
        if (ar.succeeded()) {
          settle(client, tag, true, describe(job));
        } else {
          alone(client, msg, job);
        }
      });
    } else {
      alone(client, msg, job);
    }
  }

  /** The job by itself: done and recorded done, or recorded failed and handed back after a back-off. */
  private void alone(RabbitMQClient client, RabbitMQMessage msg, Job job) {
    long tag = msg.envelope().getDeliveryTag();
    run(job)
      .compose(v -> job.record(pool, "done", null))
      .onSuccess(v -> {
        wakeRelay();
        settle(client, tag, true, describe(job));
      })
      .onFailure(err -> {
        long delay = retryDelayMs(msg);
        LOG.warn("job {} ({} {}) failed, retrying in {} ms: {}", job.id(), job.kind(), job.subjectId(), delay,
          err.toString());
        job.record(pool, "failed", String.valueOf(err)).onComplete(x ->
          vertx.setTimer(delay, t -> settle(client, tag, false, describe(job))));
      });
  }

  private static String describe(Job job) {
    return "job " + job.id() + " (" + job.kind() + " " + job.subjectId() + ")";
  }

  /**
   * Acks (or hands back) a delivery on the channel it came on. That channel may be gone — RabbitMQ restarted while
   * the job ran — and that is expected: the broker hands an unacked job out again and its steps are idempotent, so
   * it is one WARN line, not an error. A closed channel is never acked on (the client would open a new channel, on
   * which the old delivery tag is unknown and closes that channel too).
   */
  private void settle(RabbitMQClient client, long tag, boolean ack, String what) {
    if (!client.isConnected() || !client.isOpenChannel()) {
      LOG.warn("{} {}, but its RabbitMQ channel is gone; the broker will deliver it again", what,
        ack ? "is done" : "failed");
      return;
    }
    (ack ? client.basicAck(tag, false) : client.basicNack(tag, false, true))
      .onFailure(err -> LOG.warn("could not {} {} ({}); the broker will deliver it again", ack ? "ack" : "hand back",
        what, err.getMessage()));
  }

  /**
   * Backs off before handing a failed job back, so a passing fault (a cloud API hiccup, EC2 throttling) is not
   * retried into the dead-letter queue within milliseconds, and jobs that failed together do not all come back
   * together ({@link RetryBackoff}). The quorum queue counts deliveries in {@code x-delivery-count}.
   */
  private static long retryDelayMs(RabbitMQMessage msg) {
    Map<String, Object> headers = msg.properties() == null ? null : msg.properties().getHeaders();
    Object count = headers == null ? null : headers.get("x-delivery-count");
    int attempt = count instanceof Number n ? n.intValue() : 0;
    return RetryBackoff.delayMs(attempt, bound -> java.util.concurrent.ThreadLocalRandom.current().nextLong(bound));
  }

  private Future<Void> run(Job job) {
    return switch (job.kind()) {
      case Job.ORDER_PLACED -> orders.fulfil(job.accountId(), job.subjectId());
      case Job.STREAM_START -> provisioning.start(job);
      case Job.STREAM_STOP -> provisioning.stop(job);
      case Job.MACHINE_TERMINATE -> provisioning.terminate(job.subjectId(), "no longer wanted");
      case Job.MACHINE_RESUME -> provisioning.resume(job.subjectId());
      default -> {
        LOG.error("unknown job kind {}; dropping it", job.kind());
        yield Future.succeededFuture();
      }
    };
  }

  /**
   * A job that exhausted its deliveries gets a final outcome its customer can see, whatever its kind (the job's last
   * error, kept in the jobs table for operators, may name hosts or paths: the customer gets a plain reason):
   * <ul>
   *   <li>{@code order.placed}: the order FAILS, nothing of it is charged, its streams are void;</li>
   *   <li>{@code stream.start}: the stream FAILS (it can be started again);</li>
   *   <li>{@code stream.stop}: the stream FAILS (billing stops) and its machines are LOST, so they are terminated now
   *   or by the reconciler;</li>
   *   <li>{@code machine.terminate}: the machine is LOST, likewise.</li>
   * </ul>
   * The job is recorded dead in the transaction that gives its subject the outcome: whoever sees the one also finds
   * the other. Every outcome can be applied twice; one that cannot be applied now (MySQL away) is tried again.
   */
  private void handleDead(RabbitMQClient client, RabbitMQMessage msg) {
    long tag = msg.envelope().getDeliveryTag();
    Job job;
    try {
      job = Job.fromJson(msg.body().toJsonObject());
    } catch (RuntimeException e) {
      LOG.error("discarding a malformed dead-lettered job: {}", msg.body());
      settle(client, tag, true, "a malformed dead-lettered job");
      return;
    }
    LOG.error("job {} ({} {}) was dead-lettered: its delivery limit ({}) is spent", job.id(), job.kind(),
      job.subjectId(), rabbitConfig.deliveryLimit());
    deadOutcome(job)
      .onSuccess(v -> {
        wakeRelay();
        settle(client, tag, true, "dead " + describe(job));
      })
      .onFailure(err -> {
        LOG.warn("dead {} has no outcome yet ({}); trying again in {} ms", describe(job), err.toString(),
          DEAD_RETRY_MS);
        vertx.setTimer(DEAD_RETRY_MS, t -> settle(client, tag, false, "dead " + describe(job)));
      });
  }

  private Future<Void> deadOutcome(Job job) {
    String attempts = " after " + rabbitConfig.deliveryLimit() + " attempts";
    return switch (job.kind()) {
      case Job.ORDER_PLACED -> deadIn(job, conn -> orders.fail(conn, job.accountId(), job.subjectId(),
        "the purchase could not be completed" + attempts + "; nothing was charged, please buy again"));
      case Job.STREAM_START -> deadIn(job, conn -> failStream(conn, job,
        "the transcoder could not be started" + attempts + "; please try again later"));
      case Job.STREAM_STOP -> {
        String reason = "the stream could not be stopped cleanly" + attempts + "; its transcoder is being shut down";
        yield deadIn(job, conn -> failStream(conn, job, reason))
          .compose(v -> provisioning.loseAll(job.subjectId(), reason));
      }
      case Job.MACHINE_TERMINATE -> provisioning.lost(job.subjectId(),
          "the transcoder machine could not be shut down" + attempts + "; it is being shut down again")
        .compose(v -> job.record(pool, "dead", null));
      default -> job.record(pool, "dead", null);
    };
  }

  /** Records the job dead and applies {@code outcome} in one transaction of the job's account. */
  private Future<Void> deadIn(Job job, java.util.function.Function<SqlConnection, Future<?>> outcome) {
    return Transactions.inAccount(pool, job.accountId(), conn -> job.record(conn, "dead", null)
      .compose(r -> outcome.apply(conn))).mapEmpty();
  }

  /** The job's stream FAILS with the reason, if it is still on the job's start generation. */
  private Future<Boolean> failStream(SqlConnection conn, Job job, String reason) {
    return streams.lock(conn, job.subjectId()).compose(s -> s == null || s.generation() != job.generation()
      ? Future.succeededFuture(false) : transitions.move(conn, s, StreamState.FAILED, reason, null));
  }

  /** What a job wrote (events, further jobs) goes out now, through this JVM's relay, not at its next poll. */
  private void wakeRelay() {
    vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null);
  }
}
