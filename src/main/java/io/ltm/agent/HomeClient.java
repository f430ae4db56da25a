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

  /**
   * What {@code hello} answered: the pipeline, or (for a warm machine, booted before any stream wanted it) the
   * standby terms: an agent token to {@link #await} a stream with.
   */
  record Hello(Pipeline pipeline, Standby.Terms standby) {
  }

  Future<Hello> hello(String bootstrapToken) {
    return post("hello", bootstrapToken, new JsonObject()).map(response -> {
      if (response.statusCode() != 200) {
        throw new RefusedException("hello", response.statusCode(), response.bodyAsString());
      }
      JsonObject body;
      try {
        body = response.bodyAsJsonObject();
        if (body.getBoolean("standby", false)) {
          return new Hello(null, Standby.Terms.fromJson(body));
        }
        return new Hello(PipelineJson.fromJson(body), null);
      } catch (Exception e) {
        throw new IllegalStateException("hello answered a pipeline the agent cannot read: " + e.getMessage(), e);
      }
    });
  }

  /**
   * {@code wait}: the server holds the call until a start claims this machine (answering its pipeline), or answers
   * 204 after a while (call again); 410 when the machine is no longer wanted. {@code timeoutMs} covers the hold.
   */
  Future<Pipeline> await(String agentToken, long timeoutMs) {
    return client.postAbs(base + "wait").bearerTokenAuthentication(agentToken).timeout(timeoutMs)
      .sendJsonObject(new JsonObject()).map(response -> {
        int status = response.statusCode();
        if (status == 204) {
          return null;
        }
        if (status == 410) {
          throw new GoneException();
        }
        if (status != 200) {
          throw new RefusedException("wait", status, response.bodyAsString());
        }
        try {
          return PipelineJson.fromJson(response.bodyAsJsonObject());
        } catch (Exception e) {
          throw new IllegalStateException("wait answered a pipeline the agent cannot read: " + e.getMessage(), e);
        }
      });
  }

  /** The server no longer wants this machine (410). */
  static final class GoneException extends RuntimeException {
    GoneException() {
      super("the server no longer wants this machine");
    }
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
