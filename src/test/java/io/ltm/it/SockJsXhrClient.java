package io.ltm.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The SockJS XHR-polling transport as sockjs-client uses it when a browser cannot open a WebSocket: a session
 * is opened by POST {@code /eventbus/<server>/<session>/xhr} (answer {@code o}), frames go up with POST
 * {@code …/xhr_send} (a JSON array of strings), and each POST {@code …/xhr} waits for what the server has for
 * the session ({@code a[…]}, or {@code h} as a heartbeat).
 */
final class SockJsXhrClient {
  private final String base;

  SockJsXhrClient(int port) {
    this.base = "http://127.0.0.1:" + port + "/eventbus/000/" + UUID.randomUUID().toString().replace("-", "");
  }

  /** Opens the session; returns the first frame the server sent ({@code o}). */
  String open() {
    return post("/xhr", null).body().trim();
  }

  /** Sends frames as sockjs-client does; returns the HTTP status (204 when taken). */
  int send(String... frames) {
    JsonArray array = new JsonArray();
    for (String f : frames) {
      array.add(f);
    }
    return post("/xhr_send", array.encode()).statusCode();
  }

  /** One long poll: the bridge frames in the answer (a heartbeat or close frame gives none). */
  List<JsonObject> poll() {
    String body = post("/xhr", null).body().trim();
    List<JsonObject> frames = new ArrayList<>();
    if (body.startsWith("a")) {
      for (Object message : new JsonArray(body.substring(1))) {
        frames.add(new JsonObject((String) message));
      }
    }
    return frames;
  }

  private HttpResponse<String> post(String path, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(40))
      .header("Content-Type", "text/plain;charset=UTF-8");
    request.POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    // A connection per request: the server closes each poll's connection once it has answered (vertx-web's
    // XhrPollingListener), and a pooled one reused in that instant failed the next POST with no answer at all
    // (a browser retries such a request; the JDK client does not).
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("POST " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
