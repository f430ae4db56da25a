package io.ltm.agent;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;

/** The agent's calls to the server, under {@code /internal/agents/{machineId}/} (docs/agent-protocol.md). */
final class HomeClient {

  /** What a status or heartbeat call learnt: carry on, or the server no longer wants this machine. */
  enum Reply { OK, GONE }

  /** The server answered, but not with what the protocol allows. */
  static final class RefusedException extends RuntimeException {
    final int status;

    RefusedException(String call, int status, String body) {
      super(call + " answered " + status + (body == null || body.isBlank() ? "" : ": " + body));
      this.status = status;
    }
  }

  static final long TIMEOUT_MS = 5_000;

  private final WebClient client;
  private final String base;

  HomeClient(WebClient client, String serverUrl, String machineId) {
    this.client = client;
    String server = serverUrl.endsWith("/") ? serverUrl.substring(0, serverUrl.length() - 1) : serverUrl;
    this.base = server + "/internal/agents/" + machineId + "/";
  }

  Future<Pipeline> hello(String bootstrapToken) {
    return post("hello", bootstrapToken, new JsonObject()).map(response -> {
      if (response.statusCode() != 200) {
        throw new RefusedException("hello", response.statusCode(), response.bodyAsString());
      }
      try {
        return PipelineJson.fromJson(response.bodyAsJsonObject());
      } catch (Exception e) {
        throw new IllegalStateException("hello answered a pipeline the agent cannot read: " + e.getMessage(), e);
      }
    });
  }

  /** A report that needs no answer but "carry on" or "go": status, thumbnail, cdn. */
  Future<Reply> call(String call, String agentToken, JsonObject body) {
    return post(call, agentToken, body).map(response -> reply(call, response));
  }

  /** The answer to a heartbeat: carry on or go, and what the server has to say (the valid stream keys). */
  record Beat(Reply reply, JsonObject body) {
  }

  /** {@code progress} is the health the agent measured (docs/agent-protocol.md lists its fields). */
  Future<Beat> heartbeat(String agentToken, JsonObject progress) {
    return post("heartbeat", agentToken, new JsonObject().put("progress", progress))
      .map(response -> {
        Reply reply = reply("heartbeat", response);
        JsonObject body = null;
        if (reply == Reply.OK && response.statusCode() == 200) {
          try {
            body = response.bodyAsJsonObject();
          } catch (RuntimeException e) {
            body = null;
          }
        }
        return new Beat(reply, body);
      });
  }

  private Future<HttpResponse<Buffer>> post(String call, String token, JsonObject body) {
    return client.postAbs(base + call)
      .bearerTokenAuthentication(token)
      .timeout(TIMEOUT_MS)
      .sendJsonObject(body);
  }

  private static Reply reply(String call, HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status == 410) {
      return Reply.GONE;
    }
    if (status / 100 != 2) {
      throw new RefusedException(call, status, response.bodyAsString());
    }
    return Reply.OK;
  }
}
