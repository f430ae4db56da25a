package io.ltm;

import io.ltm.account.AccountEndpoint;
import io.ltm.account.Accounts;
import io.ltm.account.SessionEndpoint;
import io.ltm.account.Sessions;
import io.ltm.account.SignInLimiter;
import io.ltm.audit.AuditEndpoint;
import io.ltm.account.Usage;
import io.ltm.account.ApiKeyAuthHandler;
import io.ltm.account.ApiKeys;
import io.ltm.cdn.CdnProfileRepository;
import io.ltm.cdn.CdnProfileService;
import io.ltm.cdn.CdnProfilesEndpoint;
import io.ltm.cdn.SecretBox;
import io.ltm.cloud.AgentCalls;
import io.ltm.cloud.AgentCallsEndpoint;
import io.ltm.cloud.CloudProvider;
import io.ltm.cloud.LocalCloudProvider;
import io.ltm.cloud.MachineRepository;
import io.ltm.cloud.Provisioning;
import io.ltm.cloud.ProvisioningTimeout;
import io.ltm.cloud.Reconciler;
import io.ltm.cloud.ec2.Ec2CloudProvider;
import io.ltm.config.ConfigValidation;
import io.ltm.config.LtmConfig;
import io.ltm.db.Database;
import io.ltm.events.EventBridge;
import io.ltm.pool.OperatorEndpoint;
import io.ltm.pool.PoolKeeper;
import io.ltm.pool.PoolRepository;
import io.ltm.pool.PoolStatus;
import io.ltm.pool.WarmClaims;
import io.ltm.events.EventRelay;
import io.ltm.events.EventsEndpoint;
import io.ltm.events.HealthPruner;
import io.ltm.ingest.IngestEndpoint;
import io.ltm.ingest.IngestRepository;
import io.ltm.ingest.IngestService;
import io.ltm.http.ApiServer;
import io.ltm.http.RateLimiter;
import io.ltm.jobs.JobWorker;
import io.ltm.jobs.OutboxMonitor;
import io.ltm.jobs.OutboxRelay;
import io.ltm.metrics.Meters;
import io.ltm.order.IdempotencyKeyPruner;
import io.ltm.order.OfferRepository;
import io.ltm.order.OrderFulfilment;
import io.ltm.order.OrderService;
import io.ltm.order.OrdersEndpoint;
import io.ltm.stream.EncoderProbe;
import io.ltm.stream.PresetCatalog;
import io.ltm.stream.StreamConfigEndpoint;
import io.ltm.stream.StreamConfigRepository;
import io.ltm.stream.StreamConfigService;
import io.ltm.stream.StreamRepository;
import io.ltm.stream.StreamService;
import io.ltm.stream.StreamTransitions;
import io.ltm.stream.StreamsEndpoint;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.sqlclient.Pool;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Wires LTM's parts for a role and deploys them. Main and the integration tests both start LTM through here,
 * so the tests run exactly what production runs.
 */
public final class Ltm {
  private final Vertx vertx;
  private final LtmConfig config;
  private final Pool pool;
  private final StreamRepository streams = new StreamRepository();
  private final StreamTransitions transitions = new StreamTransitions(streams);
  private final MachineRepository machines = new MachineRepository();
  private final StreamConfigRepository configs = new StreamConfigRepository();
  /** Each HTTP server instance this node deployed; all bound the one port. */
  private final List<ApiServer> apiServers = new CopyOnWriteArrayList<>();
  /** Numbers the shared random ports of the nodes in this JVM (tests run several): see {@link ApiServer}. */
  private static final AtomicInteger RANDOM_PORT_GROUPS = new AtomicInteger();
  private boolean relayDeployed;

  public Ltm(Vertx vertx, LtmConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.pool = Database.pool(vertx, config.mysql());
  }

  /**
   * A Vert.x whose HTTP server, clients, pools and event bus report into {@link Meters}, scraped at
   * {@code /metrics}. Main and the integration tests both start LTM on one of these.
   */
  public static Vertx newVertx() {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME,
        Label.EB_ADDRESS, Label.EB_FAILURE));
    return Vertx.builder()
      .with(new VertxOptions().setMetricsOptions(metrics).setPreferNativeTransport(true))
      .withMetrics(new MicrometerMetricsFactory(Meters.registry()))
      .build();
  }

  public Vertx vertx() {
    return vertx;
  }

  public Pool pool() {
    return pool;
  }

  /** The HTTP port the server role listens on. */
  public int httpPort() {
    return apiServers.get(0).port();
  }

  /** The ports the HTTP server's instances bound: one, which they share. */
  public Set<Integer> httpPorts() {
    Set<Integer> ports = new TreeSet<>();
    apiServers.forEach(s -> ports.add(s.port()));
    return ports;
  }

  /**
   * API, event bridge, outbox relay, event relay. The HTTP server runs as {@code http.instances} instances on as many
   * event loops; the objects made here are shared by all of them.
   */
  public Future<Void> deployServer() {
    ApiKeys apiKeys = new ApiKeys(pool);
    apiKeys.forgetRevoked(vertx.eventBus());
    Sessions sessions = new Sessions(pool);
    OfferRepository offers = new OfferRepository();
    EventBridge bridge = new EventBridge(vertx, pool, apiKeys, sessions, config.http().eventSocketQueueBytes());
    bridge.registerReplay();
    String key = config.cdn().secretKey();
    CdnProfileService cdnProfiles = new CdnProfileService(vertx, pool, new CdnProfileRepository(),
      key == null || key.isBlank() ? null : new SecretBox(key));
    AgentCalls calls = new AgentCalls(vertx, pool, Database.heartbeatPool(vertx, config.mysql()), config, machines,
      streams, transitions, configs, cdnProfiles);
    AgentCallsEndpoint agentCalls = new AgentCallsEndpoint(calls);
    // A claim made on another node reaches this one's held wait through the event relay.
    vertx.eventBus().<String>localConsumer(io.ltm.events.EventTypes.MACHINE_ASSIGNED,
      msg -> calls.claimed(msg.body(), null));
    OperatorEndpoint operator = new OperatorEndpoint(config.operator(), new PoolStatus(pool, config, machines,
      new PoolRepository(config.pools())), new Usage(pool));
    // Preset files are read from the jar once; that is file I/O, so not on an event loop.
    return vertx.executeBlocking(PresetCatalog::load).compose(presets -> {
      List<io.ltm.http.Endpoint> endpoints = List.of(
        new SessionEndpoint(vertx, new Accounts(pool), sessions, new SignInLimiter(pool,
          config.limits().signInAttempts(), java.time.Duration.ofSeconds(config.limits().signInWindowSeconds()))),
        new AccountEndpoint(apiKeys, new Usage(pool)),
        new AuditEndpoint(pool),
        new OrdersEndpoint(pool, offers, new OrderService(vertx, pool, offers, streams), config.machines()),
        new StreamsEndpoint(new StreamService(vertx, pool, streams, transitions,
          new WarmClaims(config, machines, streams, transitions, calls))),
        new StreamConfigEndpoint(new StreamConfigService(vertx, pool, streams, configs, offers, presets,
          new EncoderProbe(vertx), cdnProfiles)),
        new CdnProfilesEndpoint(cdnProfiles),
        new EventsEndpoint(pool),
        new IngestEndpoint(new IngestService(pool, streams, new IngestRepository())));
      ApiKeyAuthHandler auth = new ApiKeyAuthHandler(apiKeys, sessions);
      // One for the node, not one per instance: each instance's router would otherwise give a key its own budget.
      RateLimiter rateLimiter = new RateLimiter(config.limits().apiRequests(), config.limits().apiWindowSeconds());
      int listenPort = config.http().port() == 0 ? -RANDOM_PORT_GROUPS.incrementAndGet() : config.http().port();
      HealthChecks readiness = readiness();
      Supplier<ApiServer> servers = () -> {
        ApiServer server = new ApiServer(config, auth, rateLimiter, listenPort, endpoints, bridge,
          (router, contract) -> {
            agentCalls.addRoutes(router, contract, vertx);
            operator.addRoutes(router);
          }, readiness);
        apiServers.add(server);
        return server;
      };
      return deployRelay()
        .compose(id -> vertx.deployVerticle(new OutboxMonitor(pool)))
        .compose(id -> vertx.deployVerticle(new EventRelay(config.rabbitmq(), bridge)))
        .compose(id -> vertx.deployVerticle(servers,
          new DeploymentOptions().setInstances(config.http().serverInstances())));
    })
      .compose(id -> httpPorts().size() == 1 ? Future.<Void>succeededFuture()
        : Future.failedFuture(new IllegalStateException("the HTTP server's instances bound different ports "
          + httpPorts() + ": connections would reach only one of them")));
  }

  /**
   * Job consumer and reconciler, with the configured cloud provider, once the configuration is checked and the
   * provider is ready (the ec2 image resolved): a bad value stops the worker before it takes a job.
   */
  public Future<Void> deployWorker() {
    try {
      ConfigValidation.validate(config);
    } catch (RuntimeException invalid) {
      return Future.failedFuture(invalid);
    }
    AtomicReference<Reconciler> reconciler = new AtomicReference<>();
    CloudProvider provider = provider((machineId, exitCode) -> reconciler.get().machineEnded(machineId, exitCode));
    Provisioning provisioning = new Provisioning(vertx, pool, provider, machines, streams, transitions,
      config.machines());
    reconciler.set(new Reconciler(pool, config.cloud(), provider, machines, provisioning));
    return provider.prepare()
      .compose(v -> deployRelay())
      .compose(v -> vertx.deployVerticle(new JobWorker(pool, config.rabbitmq(), provisioning, new OrderFulfilment(pool, streams, transitions),
        streams, transitions)))
      .compose(id -> vertx.deployVerticle(reconciler.get()))
      .compose(id -> vertx.deployVerticle(new ProvisioningTimeout(pool, config.cloud(), streams, transitions, machines)))
      .compose(id -> vertx.deployVerticle(new PoolKeeper(pool, config, provider, machines,
        new PoolRepository(config.pools()), provisioning)))
      .compose(id -> vertx.deployVerticle(new HealthPruner(pool, config.agent().healthRetentionHours() * 3600L)))
      .compose(id -> vertx.deployVerticle(new IdempotencyKeyPruner(pool)))
      .onFailure(err -> provider.close())
      .mapEmpty();
  }

  /**
   * One outbox relay per JVM, whatever its roles: a worker's rows (jobs, events) go out as soon as it writes them,
   * woken on its own event bus, instead of waiting for a server's poll. Relays on several nodes claim rows with
   * SKIP LOCKED, so each row is published by one of them.
   */
  private Future<Void> deployRelay() {
    if (relayDeployed) {
      return Future.succeededFuture();
    }
    relayDeployed = true;
    return vertx.deployVerticle(new OutboxRelay(pool, config.rabbitmq())).mapEmpty();
  }

  private CloudProvider provider(java.util.function.BiConsumer<String, Integer> onExit) {
    return switch (config.cloud().provider()) {
      case "ec2" -> Ec2CloudProvider.create(vertx, config);
      default -> new LocalCloudProvider(vertx, config, onExit);
    };
  }

  /** Ready means MySQL answers and the jobs exchange can be reached through RabbitMQ. */
  private HealthChecks readiness() {
    HealthChecks checks = HealthChecks.create(vertx);
    checks.register("mysql", 2000, promise -> pool.query("SELECT 1").execute()
      .onComplete(ar -> promise.complete(ar.succeeded() ? Status.OK() : Status.KO())));
    checks.register("rabbitmq", 3000, promise -> RabbitProbe.check(vertx, config.rabbitmq())
      .onComplete(ar -> promise.complete(ar.succeeded() ? Status.OK() : Status.KO())));
    return checks;
  }
}
