package io.ltm.db;

import io.ltm.config.LtmConfig.MysqlConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.mysqlclient.MySQLBuilder;
import io.vertx.mysqlclient.MySQLConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import org.flywaydb.core.Flyway;

/** The MySQL pool every repository shares, and the Flyway migrations that shape its schema. */
public final class Database {

  private Database() {
  }

  public static Pool pool(Vertx vertx, MysqlConfig cfg) {
    return pool(vertx, cfg, "ltm-mysql", cfg.poolSize());
  }

  /** The heartbeats' own few connections (see {@code MysqlConfig.heartbeatPoolSize}). */
  public static Pool heartbeatPool(Vertx vertx, MysqlConfig cfg) {
    return pool(vertx, cfg, "ltm-mysql-heartbeats", cfg.heartbeatPoolSize());
  }

  private static Pool pool(Vertx vertx, MysqlConfig cfg, String name, int size) {
    MySQLConnectOptions connect = new MySQLConnectOptions()
      .setHost(cfg.host())
      .setPort(cfg.port())
      .setDatabase(cfg.database())
      .setUser(cfg.user())
      .setPassword(cfg.password())
      .setCharset("utf8mb4")
      .setCachePreparedStatements(true)
      // A transaction sends the statements that do not depend on each other at once (a purchase: ~10 statements,
      // four round trips); they still run in the order sent.
      .setPipeliningLimit(16);
    return MySQLBuilder.pool()
      .with(new PoolOptions().setMaxSize(size).setShared(true).setName(name))
      .withConnectHandler(Database::readCommitted)
      .connectingTo(connect)
      .using(vertx)
      .build();
  }

  /**
   * Every connection runs its transactions at READ COMMITTED. Under InnoDB's default (REPEATABLE READ) a locking
   * read also locks the gaps between index entries: the outbox relay's {@code SELECT … FOR UPDATE SKIP LOCKED}
   * then held the gap that every purchase inserts its outbox row into, and the two deadlocked. LTM's
   * correctness rests on row locks taken explicitly (the account row first, see {@code Transactions}), which
   * READ COMMITTED keeps; it only drops the gap locks nobody here needs.
   */
  private static void readCommitted(SqlConnection conn) {
    conn.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED").execute()
      .onComplete(ar -> conn.close());
  }

  /** Runs the migrations through JDBC on a worker thread: Flyway blocks. */
  public static Future<Integer> migrate(Vertx vertx, MysqlConfig cfg) {
    return vertx.executeBlocking(() -> migrateBlocking(cfg), false);
  }

  public static int migrateBlocking(MysqlConfig cfg) {
    return Flyway.configure()
      .dataSource(cfg.jdbcUrl(), cfg.user(), cfg.password())
      .locations("classpath:db/migration")
      .load()
      .migrate()
      .migrationsExecuted;
  }
}
