import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The fan-out benchmark's baseline: a bare Vert.x SockJS event-bus bridge (no authentication, no LTM) whose
 * server publishes event-shaped frames to `ltm.account.<id>` addresses at `rate` events/s over the given accounts,
 * each stamped with `at` when published, as LTM's events are when written.
 * Usage: BareBridge <port> <accountsFile> [eventsPerSecond]; without the rate it listens at once (so it boots beside
 * LTM) and reads the rate from its first line on stdin (the rate LTM's run produced), then the accounts file.
 */
public class BareBridge {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx).bridge(new SockJSBridgeOptions()
      .addOutboundPermitted(new PermittedOptions().setAddressRegex("ltm\\.account\\..+"))));
    vertx.createHttpServer().requestHandler(router).listen(port, "127.0.0.1").await();
    System.out.println("bare bridge on " + port);
    System.out.flush();
    double rate = Double.parseDouble(args.length > 2 ? args[2]
      : new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine().trim());
    var accounts = java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[1])).stream()
      .filter(l -> !l.isBlank()).map(l -> l.split(" ")[0]).toList();
    long[] seq = {0};
    vertx.setPeriodic(Math.max(1, (long) (1000 / rate)), t -> {
      String acc = accounts.get((int) (seq[0] % accounts.size()));
      seq[0]++;
      vertx.eventBus().publish("ltm.account." + acc, new JsonObject().put("seq", seq[0]).put("type", "order.state")
        .put("accountId", acc).put("at", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString())
        .put("orderId", "ord_bare").put("state", "PENDING"));
    });
  }
}
