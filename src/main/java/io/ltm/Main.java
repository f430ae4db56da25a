package io.ltm;

import io.ltm.account.Accounts;
import io.ltm.account.ApiKeys;
import io.ltm.account.domain.Passwords;
import io.ltm.common.Ids;
import io.ltm.agent.AgentCommand;
import io.ltm.config.ConfigValidation;
import io.ltm.config.InvalidConfigurationException;
import io.ltm.config.LtmConfig;
import io.ltm.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;

/**
 * {@code ltm <role>}: one jar, five roles. Exits 1 when the role cannot start; closes Vert.x on shutdown.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  private static final String USAGE = "usage: ltm dev|server|worker|agent|migrate | ltm account <email> [name] "
    + "| ltm pool status|set|drain";

  private Main() {
  }

  public static void main(String[] args) {
    String role = args.length == 0 ? "" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    if (role.equals("agent")) {
      AgentCommand.main(rest);
      return;
    }
    LtmConfig config;
    try {
      config = LtmConfig.load();
      ConfigValidation.validate(config);
    } catch (InvalidConfigurationException e) {
      // One line naming the key: the operator's whole fix, with no stack trace to read through.
      System.err.println("ltm " + role + ": " + e.getMessage());
      System.exit(1);
      return;
    }
    switch (role) {
      case "migrate" -> {
        int applied = Database.migrateBlocking(config.mysql());
        LOG.info("{} migration(s) applied", applied);
      }
      case "dev" -> run(role, DevSecretKey.ensure(config));
      case "server", "worker" -> run(role, config);
      case "account" -> account(rest, config);
      case "pool" -> System.exit(io.ltm.pool.PoolCommand.run(rest, config, System.getenv()));
      default -> {
        System.err.println(USAGE);
        System.exit(2);
      }
    }
  }

  private static void run(String role, LtmConfig config) {
    Vertx vertx = Ltm.newVertx();
    Ltm ltm = new Ltm(vertx, config);
    Future<Void> started = Database.migrate(vertx, config.mysql()).mapEmpty();
    if (!role.equals("worker")) {
      started = started.compose(v -> ltm.deployServer());
    }
    if (!role.equals("server")) {
      started = started.compose(v -> ltm.deployWorker());
    }
    if (role.equals("dev")) {
      started = started.compose(v -> seedDemoAccount(ltm, config));
    }
    started.onSuccess(v -> LOG.info("ltm {} started ({} transport)", role,
      vertx.isNativeTransportEnabled() ? "native" : "NIO: " + vertx.unavailableNativeTransportCause())).onFailure(err -> {
      if (err instanceof InvalidConfigurationException) {
        System.err.println("ltm " + role + ": " + err.getMessage());
      } else {
        LOG.error("ltm {} failed to start: {}", role, err.toString(), err);
      }
      vertx.close().onComplete(x -> System.exit(1));
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await()));
  }

  /**
   * {@code ltm dev}: a demo account with a fresh API key and a fresh password, printed where the developer
   * looks. Both are new at every start, so nothing secret lives in the configuration.
   */
  private static Future<Void> seedDemoAccount(Ltm ltm, LtmConfig config) {
    String password = Ids.random(16);
    Accounts accounts = new Accounts(ltm.pool());
    return accounts.ensure(config.dev().accountName(), config.dev().accountEmail())
      .compose(accountId -> setPassword(ltm.vertx(), accounts, accountId, password)
        .compose(v -> new ApiKeys(ltm.pool()).create(accountId, "ltm dev")))
      .map(key -> {
        String url = "http://localhost:" + ltm.httpPort() + "/";
        LOG.info("\n\n  LTM is running: open {}\n  Demo sign-in: {} / {}\n  Demo API key: {}\n", url,
          config.dev().accountEmail(), password, key);
        return null;
      });
  }

  /** Hashes on a worker thread (PBKDF2 is slow on purpose), then stores. */
  private static Future<Void> setPassword(Vertx vertx, Accounts accounts, String accountId, String password) {
    return vertx.executeBlocking(() -> Passwords.hash(password), false)
      .compose(hash -> accounts.setPasswordHash(accountId, hash));
  }

  /**
   * {@code ltm account <email> [name]}: creates a customer account (or gives an existing one a new password)
   * and prints its e-mail and a fresh password, until sign-up exists. Runs the migrations first.
   */
  private static void account(String[] args, LtmConfig config) {
    if (args.length < 1 || !args[0].contains("@")) {
      System.err.println(USAGE);
      System.exit(2);
    }
    String email = args[0];
    String name = args.length > 1 ? String.join(" ", Arrays.copyOfRange(args, 1, args.length)) : email;
    Database.migrateBlocking(config.mysql());
    Vertx vertx = Vertx.vertx();
    Ltm ltm = new Ltm(vertx, config);
    Accounts accounts = new Accounts(ltm.pool());
    String password = Ids.random(16);
    int exit = 0;
    try {
      String accountId = accounts.ensure(name, email)
        .compose(id -> setPassword(vertx, accounts, id, password).map(id)).await();
      System.out.println("account " + accountId + " sign-in: " + email + " / " + password);
    } catch (RuntimeException e) {
      LOG.error("ltm account failed: {}", e.toString());
      exit = 1;
    } finally {
      vertx.close().await();
    }
    System.exit(exit);
  }
}
