package io.ltm;

import io.ltm.account.Accounts;
import io.ltm.account.ApiKeys;
import io.ltm.agent.AgentCommand;
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
  private static final String USAGE = "usage: ltm dev|server|worker|agent|migrate";

  private Main() {
  }

  public static void main(String[] args) {
    String role = args.length == 0 ? "" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    if (role.equals("agent")) {
      AgentCommand.main(rest);
      return;
    }
    LtmConfig config = LtmConfig.load();
    switch (role) {
      case "migrate" -> {
        int applied = Database.migrateBlocking(config.mysql());
        LOG.info("{} migration(s) applied", applied);
      }
      case "dev", "server", "worker" -> run(role, config);
      default -> {
        System.err.println(USAGE);
        System.exit(2);
      }
    }
  }

  private static void run(String role, LtmConfig config) {
    Vertx vertx = Vertx.vertx();
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
    started.onSuccess(v -> LOG.info("ltm {} started", role)).onFailure(err -> {
      LOG.error("ltm {} failed to start: {}", role, err.toString(), err);
      vertx.close().onComplete(x -> System.exit(1));
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await()));
  }

  /** {@code ltm dev}: a demo account and a fresh API key for it, printed where the developer looks. */
  private static Future<Void> seedDemoAccount(Ltm ltm, LtmConfig config) {
    return new Accounts(ltm.pool()).ensure(config.dev().accountName(), config.dev().accountEmail())
      .compose(accountId -> new ApiKeys(ltm.pool()).create(accountId, "ltm dev"))
      .map(key -> {
        String url = "http://localhost:" + ltm.httpPort() + "/";
        LOG.info("\n\n  LTM is running: open {}\n  Demo API key: {}\n", url, key);
        return null;
      });
  }
}
