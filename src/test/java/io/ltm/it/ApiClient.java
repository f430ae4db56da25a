package io.ltm.it;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

import java.util.Map;

/** A plain HTTP client of LTM's API, as a customer's program would use it. */
final class ApiClient {
  private final WebClient web;
  private final int port;
  private final String apiKey;

  ApiClient(Vertx vertx, int port, String apiKey) {
    this(WebClient.create(vertx), port, apiKey);
  }

  private ApiClient(WebClient web, int port, String apiKey) {
    this.web = web;
    this.port = port;
    this.apiKey = apiKey;
  }

  /** The same client speaking with another key (or none, for null). */
  ApiClient withKey(String otherKey) {
    return new ApiClient(web, port, otherKey);
  }

  Reply get(String path) {
    return send(HttpMethod.GET, path, null, Map.of());
  }

  Reply post(String path, JsonObject body) {
    return send(HttpMethod.POST, path, body == null ? null : body.toBuffer(), Map.of());
  }

  Reply patch(String path, JsonObject body) {
    return send(HttpMethod.PATCH, path, body.toBuffer(), Map.of());
  }

  Reply delete(String path) {
    return send(HttpMethod.DELETE, path, null, Map.of());
  }

  Reply send(HttpMethod method, String path, Buffer body, Map<String, String> headers) {
    HttpRequest<Buffer> request = web.request(method, port, "127.0.0.1", path);
    if (apiKey != null) {
      request.putHeader("Authorization", "Bearer " + apiKey);
    }
    if (body != null) {
      request.putHeader("Content-Type", "application/json");
    }
    headers.forEach(request::putHeader);
    HttpResponse<Buffer> response = Await.result(body == null ? request.send() : request.sendBuffer(body));
    return new Reply(response.statusCode(), response.bodyAsString(), response.headers());
  }

  /** Fetches an absolute URL (a preview playlist or segment) without credentials, as a player would. */
  Buffer fetch(String url) {
    HttpResponse<Buffer> response = Await.result(web.getAbs(url).send());
    if (response.statusCode() != 200) {
      throw new AssertionError(url + " answered " + response.statusCode());
    }
    return response.body();
  }

  record Reply(int status, String body, io.vertx.core.MultiMap headers) {
    JsonObject json() {
      return new JsonObject(body);
    }

    JsonObject error() {
      return json().getJsonObject("error");
    }
  }
}
