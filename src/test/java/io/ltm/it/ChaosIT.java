package io.ltm.it;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chaos suite, bounded for CI (scripts/chaos runs it longer, with any seed): LTM as deployed — two
 * {@code ltm server} and two {@code ltm worker} JVMs on one private MariaDB and one private RabbitMQ — while a
 * client buys and starts and stops streams over both servers (resending with the same Idempotency-Key whenever a
 * connection breaks), and a seeded schedule SIGKILLs servers and workers, kills the agents and ffmpeg of live
 * streams, restarts the broker's app once and the database once, and starts the roles in a seeded order with one
 * node of each role missing for a while. A browser stays connected to server A throughout.
 *
 * <p>Afterwards it asserts what a customer and an operator are owed, and prints the figures: every 201 purchase
 * exists once and is ACTIVE, a resent key answers as the first time, no outbox row waits, every started stream is
 * LIVE, STOPPED or FAILED with a reason (none stuck), never two agents for one stream, no process of the run is left
 * once everything is stopped, the browser on A saw every event (caused on B or by a worker) without a gap, and
 * signing out on A closes the session's socket on B. The same seed replays the same schedule.
 */
class ChaosIT {
  /** CI replays one seed, so a red run there is a regression; scripts/chaos explores a new one each time. */
  private static final long SEED = Long.getLong("chaos.seed", 42);
  private static final int CHAOS_SECONDS = Integer.getInteger("chaos.seconds", 90);
  private static final int PURCHASES = Integer.getInteger("chaos.purchases", 24);
  private static final int STREAMS = Integer.getInteger("chaos.streams", 3);
  private static final List<String> SERVERS = List.of("server-a", "server-b");
  private static final List<String> WORKERS = List.of("worker-1", "worker-2");
  private static final Set<String> SETTLED = Set.of("LIVE", "STOPPED", "FAILED");

  private final Random random = new Random(SEED);
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(3)).build();
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final AtomicInteger kills = new AtomicInteger();
  private final AtomicInteger restarts = new AtomicInteger();
  private final AtomicInteger resends = new AtomicInteger();
  private final Map<String, Answer> firstAnswers = new ConcurrentHashMap<>();
  private final Set<String> started = ConcurrentHashMap.newKeySet();
  private final Set<String> doubles = ConcurrentHashMap.newKeySet();
  private ChaosCluster cluster;
  private String apiKey;
  private String accountId;
  private volatile boolean chaosOver;

  record Answer(int status, String orderId, String streamId) {
  }

  @Test
  void nothingLostNothingOrphanedNothingStuck() throws Exception {
    say("seed " + SEED + " (replay: scripts/chaos --seed " + SEED + ")");
    Vertx vertx = Vertx.vertx();
    cluster = new ChaosCluster(vertx);
    ChaosBrowser browser = null;
    try {
      cluster.boot(SERVERS, WORKERS);
      String[] account = cluster.account("chaos-" + UUID.randomUUID() + "@example.test");
      accountId = account[0];
      List<Action> schedule = schedule();
      // The first role of the seeded order up, so the customer can sign in and make a key; the rest as scheduled.
      Action first = schedule.remove(0);
      first.run();
      String server = first.role.kind.equals("server") ? first.role.name : null;
      if (server == null) {
        server = SERVERS.get(random.nextInt(SERVERS.size()));
        cluster.roles.get(server).start();
        say("start " + server + " (the customer needs a server)");
      }
      SessionCookie session = signIn(server, account[1], account[2]);
      apiKey = createKey(server, session);
      browser = new ChaosBrowser(vertx, cluster.port("server-a"), accountId, apiKey, cluster.roles.get("server-a"));

      Thread monitor = daemon("double-agent-monitor", this::watchForDoubles);
      Thread buyer = daemon("buyer", this::buy);
      Thread starter = daemon("streams", this::driveStreams);
      long began = System.currentTimeMillis();
      for (Action action : schedule) {
        long wait = began + action.atMs - System.currentTimeMillis();
        if (wait > 0) {
          Thread.sleep(wait);
        }
        action.run();
      }
      buyer.join(120_000);
      chaosOver = true;
      starter.join(60_000);
      for (ChaosCluster.Role role : cluster.roles.values()) {
        startUntilUp(role);
      }
      say("chaos over after " + (System.currentTimeMillis() - began) / 1000 + " s; every role running again");

      Report report = settle(browser, session);
      monitor.interrupt();
      String last = "chaos: " + kills.get() + " kills, " + restarts.get() + " restarts; purchases " + report.ok
        + " ok, " + report.lost + " lost, " + report.dup + " dup; streams " + started.size() + " started, "
        + report.stuck + " stuck, " + doubles.size() + " double, " + report.orphans + " orphans";
      report.problems.forEach(p -> say("PROBLEM " + p));
      say(last);
      assertThat(report.problems).as("seed " + SEED + ": " + last).isEmpty();
      assertThat(doubles).as("seed " + SEED + ": streams with two agents").isEmpty();
    } finally {
      if (browser != null) {
        browser.close();
      }
      cluster.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** One step of the seeded schedule. */
  final class Action {
    final long atMs;
    final String kind;
    final ChaosCluster.Role role;

    Action(long atMs, String kind, ChaosCluster.Role role) {
      this.atMs = atMs;
      this.kind = kind;
      this.role = role;
    }

    void run() throws Exception {
      switch (kind) {
        case "start" -> {
          say("start " + role.name);
          startUntilUp(role);
        }
        case "kill" -> {
          if (role.alive()) {
            say("SIGKILL " + role.name);
            role.kill();
            kills.incrementAndGet();
          }
        }
        case "agent", "ffmpeg" -> killMachineProcess(kind);
        case "rabbitmq" -> {
          say("rabbitmqctl stop_app");
          cluster.rabbit.stopApp();
          Thread.sleep(3000);
          cluster.rabbit.startApp();
          say("rabbitmqctl start_app: broker back");
          restarts.incrementAndGet();
        }
        case "mariadb" -> {
          say("MariaDB stop");
          cluster.db.stop();
          Thread.sleep(2000);
          cluster.db.startServer();
          say("MariaDB start: database back");
          restarts.incrementAndGet();
        }
        default -> throw new IllegalStateException(kind);
      }
    }
  }

  /**
   * The roles start in a seeded order, the last one late (a node of that role missing meanwhile); then role kills
   * (each followed by a start a few seconds later), agent and ffmpeg kills, one broker restart and one database
   * restart, at seeded instants. Sorted by time; the same seed gives the same list.
   */
  private List<Action> schedule() {
    List<ChaosCluster.Role> order = new ArrayList<>(cluster.roles.values());
    Collections.shuffle(order, random);
    List<Action> actions = new ArrayList<>();
    long t = 0;
    for (int i = 0; i < order.size(); i++) {
      actions.add(new Action(t, "start", order.get(i)));
      t += i == order.size() - 2 ? 15_000 + random.nextInt(10_000) : random.nextInt(3000);
    }
    long chaosMs = CHAOS_SECONDS * 1000L;
    int roleKills = Math.max(4, CHAOS_SECONDS / 12);
    List<ChaosCluster.Role> all = new ArrayList<>(cluster.roles.values());
    for (int i = 0; i < roleKills; i++) {
      ChaosCluster.Role role = all.get(random.nextInt(all.size()));
      long at = 10_000 + (long) (random.nextDouble() * (chaosMs - 25_000));
      actions.add(new Action(at, "kill", role));
      actions.add(new Action(at + 1000 + random.nextInt(5000), "start", role));
    }
    for (int i = 0; i < Math.max(2, CHAOS_SECONDS / 30); i++) {
      actions.add(new Action(30_000 + (long) (random.nextDouble() * (chaosMs - 35_000)),
        random.nextBoolean() ? "agent" : "ffmpeg", null));
    }
    actions.add(new Action(20_000 + (long) (random.nextDouble() * (chaosMs / 2 - 20_000)), "rabbitmq", null));
    actions.add(new Action(chaosMs / 2 + (long) (random.nextDouble() * (chaosMs / 2 - 15_000)), "mariadb", null));
    actions.sort((a, b) -> Long.compare(a.atMs, b.atMs));
    return actions;
  }

  /** Starts a role, again and again while it cannot (its database or broker being restarted, say). */
  private void startUntilUp(ChaosCluster.Role role) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      try {
        role.start();
        return;
      } catch (IOException e) {
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError("seed " + SEED + ": " + role.name + " never started: " + e.getMessage());
        }
        say(role.name + " did not start (" + firstLine(e.getMessage()) + "); again");
        Thread.sleep(1000);
      }
    }
  }

  /** The customer's purchases, spread over the chaos and over both servers. */
  private void buy() {
    long spacing = (CHAOS_SECONDS * 1000L - 10_000) / PURCHASES;
    Random own = new Random(SEED ^ 0x5EED);
    for (int i = 0; i < PURCHASES; i++) {
      String key = new UUID(own.nextLong(), own.nextLong()).toString();
      String server = SERVERS.get(own.nextInt(SERVERS.size()));
      Answer answer = purchase(key, server);
      if (answer != null) {
        firstAnswers.put(key, answer);
      }
      sleep(spacing);
    }
  }

  private static final JsonObject ORDER = new JsonObject().put("offerId", "mobile")
    .put("input", new JsonObject().put("kind", "test-pattern"));

  /** One purchase, resent with the same key to the other server after every broken connection or 5xx. */
  private Answer purchase(String key, String firstServer) {
    String server = firstServer;
    long deadline = System.currentTimeMillis() + 120_000;
    for (int attempt = 0; System.currentTimeMillis() < deadline; attempt++) {
      if (attempt > 0) {
        resends.incrementAndGet();
        server = other(server);
        sleep(500);
      }
      try {
        HttpResponse<String> r = http.send(request(server, "/api/v1/orders").header("Idempotency-Key", key)
          .POST(HttpRequest.BodyPublishers.ofString(ORDER.encode())).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 500) {
          continue;
        }
        JsonObject body = new JsonObject(r.body());
        return new Answer(r.statusCode(), body.getString("id"),
          body.getJsonArray("streams") == null ? null : body.getJsonArray("streams").getJsonObject(0).getString("id"));
      } catch (IOException broken) {
        // Connection refused, reset or cut mid-answer: the server died; the same key goes to the other one.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  /**
   * Keeps up to {@link #STREAMS} of the bought streams running: starts one, stops a live one now and then, starts a
   * failed or stopped one again; every stream ever started is checked at the end.
   */
  private void driveStreams() {
    Random own = new Random(SEED ^ 0x57EA);
    List<String> mine = new ArrayList<>();
    while (!chaosOver) {
      sleep(3000 + own.nextInt(3000));
      List<String> bought = firstAnswers.values().stream().filter(a -> a.status() == 201 && a.streamId() != null)
        .map(Answer::streamId).sorted().toList();
      if (mine.size() < STREAMS && bought.size() > mine.size()) {
        String id = bought.stream().filter(s -> !mine.contains(s)).findFirst().orElseThrow();
        mine.add(id);
      }
      if (mine.isEmpty()) {
        continue;
      }
      String id = mine.get(own.nextInt(mine.size()));
      String server = SERVERS.get(own.nextInt(SERVERS.size()));
      JsonObject stream = get(server, "/api/v1/streams/" + id);
      String state = stream == null ? null : stream.getString("state");
      if (state == null) {
        continue;
      }
      if (Set.of("CREATED", "STOPPED", "FAILED").contains(state)) {
        if (command(server, id, "start")) {
          started.add(id);
        }
      } else if (state.equals("LIVE") && own.nextInt(4) == 0) {
        command(server, id, "stop");
      }
    }
  }

  /** Start or stop, resent to the other server if the connection breaks; true once a server accepted it. */
  private boolean command(String firstServer, String streamId, String what) {
    String server = firstServer;
    for (int attempt = 0; attempt < 20; attempt++) {
      if (attempt > 0) {
        resends.incrementAndGet();
        server = other(server);
        sleep(500);
      }
      try {
        HttpResponse<String> r = http.send(request(server, "/api/v1/streams/" + streamId + "/" + what)
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 500) {
          continue;
        }
        say(what + " " + streamId + " on " + server + ": " + r.statusCode());
        // 409: a resend whose first attempt got through, or a state that moved meanwhile; either way, no change.
        return r.statusCode() == 202 || r.statusCode() == 200;
      } catch (IOException broken) {
        // Resent below.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /** Kills the agent or the ffmpeg of a LIVE stream, as a crash of the machine or of the encoder would. */
  private void killMachineProcess(String which) {
    try (Connection db = jdbc()) {
      var q = db.prepareStatement("SELECT s.id, s.machine_id FROM streams s WHERE s.state = 'LIVE' ORDER BY s.id");
      List<String[]> live = new ArrayList<>();
      try (var rs = q.executeQuery()) {
        while (rs.next()) {
          live.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      if (live.isEmpty()) {
        say("no LIVE stream to kill the " + which + " of");
        return;
      }
      String[] pick = live.get(random.nextInt(live.size()));
      for (TaggedProcesses.Tagged t : TaggedProcesses.of(cluster.env)) {
        if (pick[1].equals(t.machineId()) && (which.equals("agent") ? t.isAgent() : t.isFfmpeg())) {
          say("SIGKILL the " + which + " of LIVE stream " + pick[0] + " (pid " + t.pid() + ")");
          ProcessHandle.of(t.pid()).ifPresent(ProcessHandle::destroyForcibly);
          kills.incrementAndGet();
          return;
        }
      }
    } catch (SQLException e) {
      say("could not pick a LIVE stream: " + e.getMessage());
    }
  }

  /**
   * Samples the run's agents every second: two agent processes for one machine, or agents of two machines of one
   * stream both alive for 10 s (longer than a terminate takes), is a stream with two agents.
   */
  private void watchForDoubles() {
    Map<String, Long> since = new HashMap<>();
    Map<String, String> streamOf = new HashMap<>();
    while (!Thread.currentThread().isInterrupted()) {
      Map<String, List<Long>> agents = TaggedProcesses.agents(cluster.env);
      agents.forEach((machine, pids) -> {
        if (pids.size() > 1) {
          doubles.add("machine " + machine + " runs as " + pids);
        }
      });
      if (!streamOf.keySet().containsAll(agents.keySet())) {
        try (Connection db = jdbc(); var rs = db.createStatement().executeQuery("SELECT id, stream_id FROM machines")) {
          while (rs.next()) {
            streamOf.put(rs.getString(1), rs.getString(2));
          }
        } catch (SQLException down) {
          // The database is being restarted: the next sample will know.
        }
      }
      Map<String, List<String>> byStream = new HashMap<>();
      agents.keySet().forEach(m -> {
        if (streamOf.containsKey(m)) {
          byStream.computeIfAbsent(streamOf.get(m), k -> new ArrayList<>()).add(m);
        }
      });
      long now = System.currentTimeMillis();
      Set<String> seen = new TreeSet<>();
      byStream.forEach((stream, machines) -> {
        if (machines.size() > 1) {
          String k = stream + " " + new TreeSet<>(machines);
          seen.add(k);
          if (now - since.computeIfAbsent(k, x -> now) > 10_000) {
            doubles.add("stream " + stream + " has agents of " + machines);
          }
        }
      });
      since.keySet().retainAll(seen);
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** What the settled system is checked against, problem by problem. */
  static final class Report {
    int ok;
    int lost;
    int dup;
    int stuck;
    int orphans;
    final List<String> problems = new ArrayList<>();
  }

  private Report settle(ChaosBrowser browser, SessionCookie session) throws Exception {
    Report report = new Report();
    // Every key, resent once more: the answer must be the first one.
    Map<String, Answer> again = new LinkedHashMap<>();
    for (Map.Entry<String, Answer> e : firstAnswers.entrySet()) {
      again.put(e.getKey(), purchase(e.getKey(), SERVERS.get(random.nextInt(SERVERS.size()))));
    }
    again.forEach((key, answer) -> {
      if (!firstAnswers.get(key).equals(answer)) {
        report.problems.add("key " + key + " first answered " + firstAnswers.get(key) + ", resent " + answer);
      }
    });
    int unanswered = PURCHASES - firstAnswers.size();
    if (unanswered > 0) {
      report.problems.add(unanswered + " purchase(s) never answered in two minutes of resending");
    }

    // Every 201 order exists once and becomes ACTIVE; no other order exists.
    Set<String> acknowledged = new TreeSet<>();
    firstAnswers.values().stream().filter(a -> a.status() == 201).forEach(a -> acknowledged.add(a.orderId()));
    report.ok = acknowledged.size();
    Map<String, String> orders = within(Duration.ofSeconds(90), () -> {
      Map<String, String> states = query("SELECT id, state FROM orders WHERE account_id = '" + accountId + "'");
      boolean done = states != null && acknowledged.stream().allMatch(id -> "ACTIVE".equals(states.get(id)));
      return done ? states : null;
    }, () -> query("SELECT id, state FROM orders WHERE account_id = '" + accountId + "'"));
    for (String id : acknowledged) {
      if (!orders.containsKey(id)) {
        report.lost++;
        report.problems.add("order " + id + " was acknowledged (201) and does not exist");
      } else if (!"ACTIVE".equals(orders.get(id))) {
        report.problems.add("order " + id + " is " + orders.get(id) + ", not ACTIVE");
      }
    }
    report.dup = (int) orders.keySet().stream().filter(id -> !acknowledged.contains(id)).count();
    if (report.dup > 0) {
      report.problems.add(report.dup + " order(s) exist that no answer acknowledged (a duplicate purchase)");
    }

    // Every stream ever started settles within the launch timeout: LIVE, STOPPED or FAILED with a reason.
    Map<String, String> states = within(Duration.ofSeconds(75), () -> {
      Map<String, String> now = streamStates();
      return now != null && started.stream().allMatch(id -> SETTLED.contains(now.get(id))) ? now : null;
    }, this::streamStates);
    for (String id : started) {
      String state = states.get(id);
      if (!SETTLED.contains(state)) {
        report.stuck++;
        report.problems.add("stream " + id + " stuck in " + state);
      }
    }
    Map<String, String> reasons = query("SELECT id, COALESCE(state_reason, '') FROM streams WHERE state = 'FAILED'");
    reasons.forEach((id, reason) -> {
      if (started.contains(id) && reason.isBlank()) {
        report.problems.add("stream " + id + " FAILED without a reason");
      }
    });

    // No outbox row waits: whatever was written, the relays sent within 30 s.
    Map<String, String> unsent = within(Duration.ofSeconds(40),
      () -> {
        Map<String, String> rows = query("SELECT id, routing_key FROM outbox WHERE sent_at IS NULL "
          + "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL 30 SECOND");
        return rows != null && rows.isEmpty() ? rows : null;
      }, () -> query("SELECT id, routing_key FROM outbox WHERE sent_at IS NULL "
        + "AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL 30 SECOND"));
    if (!unsent.isEmpty()) {
      report.problems.add(unsent.size() + " outbox row(s) unsent after 30 s: " + unsent);
    }

    // The browser on A has every event of the account, those caused on B and by the workers included.
    List<Long> missing = browser.awaitAll(() -> {
      Map<String, String> seqs = query("SELECT seq, type FROM events WHERE account_id = '" + accountId + "'");
      return seqs == null ? null : seqs.keySet().stream().map(Long::parseLong).toList();
    });
    say("checked: purchases (" + report.ok + " acknowledged, " + orders.size() + " in MySQL), streams ("
      + started.size() + " started: " + started.stream().map(id -> id + "=" + states.get(id)).sorted().toList() + "), outbox (" + unsent.size() + " waiting), browser");
    if (!missing.isEmpty()) {
      report.problems.add("the browser on server-a missed " + missing.size() + " event(s): seqs " + missing);
    }
    say("browser on server-a: " + browser.received() + " events, " + browser.reconnects() + " reconnects");

    // Signing out on A closes the session's socket on B.
    try (EventBusClient onB = new EventBusClient(browser.vertx(), cluster.port("server-b"), session.cookie())) {
      onB.register("ltm.account." + accountId, null);
      // An empty replay (after every seq there is): the registration above has been handled once it answers.
      onB.replay(Long.MAX_VALUE / 2, null);
      HttpResponse<String> out = http.send(HttpRequest.newBuilder(uri("server-a", "/api/v1/session"))
        .header("Cookie", session.cookie()).header("X-CSRF-Token", session.csrf()).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
      if (out.statusCode() != 204) {
        report.problems.add("sign-out on server-a answered " + out.statusCode() + ": " + out.body());
      }
      try {
        Await.until("the session's socket on server-b to close", Duration.ofSeconds(15),
          () -> onB.isClosed() ? true : null);
      } catch (AssertionError e) {
        report.problems.add("signing out on server-a left the session's socket on server-b open");
      }
    } catch (AssertionError | RuntimeException e) {
      report.problems.add("the sign-out check could not run: " + e.getMessage());
    }
    say("checked: sign-out across nodes");

    // Stop everything; one reconcile interval later no process of the run is left.
    for (String id : started) {
      if ("LIVE".equals(states.get(id)) || !SETTLED.contains(states.get(id))) {
        command(SERVERS.get(random.nextInt(SERVERS.size())), id, "stop");
      }
    }
    try {
      Await.until("every started stream to be STOPPED or FAILED", Duration.ofSeconds(60), () -> {
        Map<String, String> now = streamStates();
        return now != null && started.stream().allMatch(id -> Set.of("STOPPED", "FAILED").contains(now.get(id)))
          ? true : null;
      });
    } catch (AssertionError e) {
      report.problems.add("streams not stopped a minute after their stop: " + streamStates());
    }
    Thread.sleep(2000L * 2 + 5000);
    List<TaggedProcesses.Tagged> left = TaggedProcesses.of(cluster.env);
    report.orphans = left.size();
    if (!left.isEmpty()) {
      report.problems.add("processes of the run left after everything stopped: " + left);
    }
    return report;
  }

  /** Polls {@code probe} until it answers, at most {@code timeout}; then the {@code last} look, whatever it says. */
  private static <T> T within(Duration timeout, java.util.function.Supplier<T> probe,
                              java.util.function.Supplier<T> last) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      T value = probe.get();
      if (value != null) {
        return value;
      }
      sleep(500);
    }
    T value = last.get();
    if (value == null) {
      throw new AssertionError("seed " + SEED + ": the database could not be read at the end");
    }
    return value;
  }

  private Map<String, String> streamStates() {
    return query("SELECT id, state FROM streams WHERE account_id = '" + accountId + "'");
  }

  /** Two columns of a query as a map, or null while the database cannot be reached. */
  private Map<String, String> query(String sql) {
    try (Connection db = jdbc(); var rs = db.createStatement().executeQuery(sql)) {
      Map<String, String> rows = new LinkedHashMap<>();
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getString(2));
      }
      return rows;
    } catch (SQLException down) {
      return null;
    }
  }

  private Connection jdbc() throws SQLException {
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + cluster.db.port() + "/ltm?connectTimeout=2000",
      "root", "");
  }

  record SessionCookie(String cookie, String csrf) {
  }

  private SessionCookie signIn(String server, String email, String password) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(server, "/api/v1/session"))
      .header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("email", email).put("password", password).encode()))
      .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    return new SessionCookie(setCookie.substring(0, setCookie.indexOf(';')), new JsonObject(r.body()).getString("csrfToken"));
  }

  private String createKey(String server, SessionCookie session) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(server, "/api/v1/api-keys"))
      .header("Content-Type", "application/json").header("Cookie", session.cookie())
      .header("X-CSRF-Token", session.csrf())
      .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("label", "chaos").encode()))
      .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new JsonObject(r.body()).getString("key");
  }

  private JsonObject get(String server, String path) {
    try {
      HttpResponse<String> r = http.send(request(server, path).GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private HttpRequest.Builder request(String server, String path) {
    return HttpRequest.newBuilder(uri(server, path)).timeout(Duration.ofSeconds(15))
      .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json");
  }

  private URI uri(String server, String path) {
    return URI.create("http://127.0.0.1:" + cluster.port(server) + path);
  }

  private static String other(String server) {
    return server.equals(SERVERS.get(0)) ? SERVERS.get(1) : SERVERS.get(0);
  }

  private void say(String line) {
    String stamped = String.format("[chaos %tT] %s", System.currentTimeMillis(), line);
    log.add(stamped);
    System.out.println(stamped);
  }

  private static String firstLine(String text) {
    return text == null ? "" : text.lines().findFirst().orElse("");
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, "chaos-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
