import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.mysqlclient.MySQLBuilder;
import io.vertx.mysqlclient.MySQLConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/**
 * The purchase benchmark's baseline: the least a Vert.x service can do per purchase on the same MariaDB — parse
 * the JSON body, one INSERT, answer 201 with the id. Same pool size and event-loop count as LTM's defaults.
 * Usage: BareInsertServer <port> <database> <poolSize>
 */
public class BareInsertServer {
  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx();
    Pool pool = MySQLBuilder.pool()
      .with(new PoolOptions().setMaxSize(Integer.parseInt(args[2])))
      .connectingTo(new MySQLConnectOptions().setHost("127.0.0.1").setPort(3306).setDatabase(args[1])
        .setUser("root").setPassword("").setCachePreparedStatements(true))
      .using(vertx).build();
    pool.query("CREATE TABLE IF NOT EXISTS bare_orders (id VARCHAR(40) PRIMARY KEY, offer_id VARCHAR(32), "
      + "quantity INT, created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))").execute().await();
    vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      JsonObject json = body.toJsonObject();
      String id = UUID.randomUUID().toString();
      pool.preparedQuery("INSERT INTO bare_orders (id, offer_id, quantity) VALUES (?, ?, ?)")
        .execute(Tuple.of(id, json.getString("offerId"), json.getInteger("quantity", 1)))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            req.response().setStatusCode(201).putHeader("Content-Type", "application/json")
              .end(new JsonObject().put("id", id).put("state", "PENDING").encode());
          } else {
            req.response().setStatusCode(500).end(ar.cause().getMessage());
          }
        });
    })).listen(port, "127.0.0.1").await();
    System.out.println("bare insert server on " + port);
  }
}
