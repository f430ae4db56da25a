package io.ltm.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * An HTTP proxy of the tests' own in front of the EC2 peer. It forwards every call, except those a test chose to
 * answer itself with EC2's real error response (the XML body and HTTP status EC2 sends), so LTM's production
 * client parses a real error. It also records every call (action, parameters, when) for the tests to count, and
 * can run a test's hook after the peer answered a call but before LTM gets the answer (to kill a worker then).
 */
public final class Ec2FaultProxy implements AutoCloseable {
  /** One recorded call. */
  public record Call(String action, Map<String, String> params, long atMillis, int status) {
  }

  private record Rule(String action, Predicate<Map<String, String>> when, int status, String code, int[] remaining) {
  }

  private final HttpServer server;
  private final HttpClient client = HttpClient.newHttpClient();
  private final String target;
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, Runnable> afterAnswer = new HashMap<>();
  private final Map<String, String[]> rewrites = new HashMap<>();

  public Ec2FaultProxy(String target) throws IOException {
    this.target = target;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.createContext("/", this::handle);
    server.start();
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Answers the next {@code times} calls of {@code action} matching {@code when} with EC2's error. */
  public void fail(String action, Predicate<Map<String, String>> when, int status, String code, int times) {
    rules.add(new Rule(action, when, status, code, new int[] {times}));
  }

  /** Runs {@code hook} once, after the peer answered the next {@code action} and before the caller gets it. */
  public synchronized void afterAnswer(String action, Runnable hook) {
    afterAnswer.put(action, hook);
  }

  /**
   * Answers {@code action} as real EC2 does where the peer differs: e.g. RunInstances reports an instance
   * {@code pending} (moto says running at once), so LTM must learn {@code running} from a later DescribeInstances.
   */
  public synchronized void rewrite(String action, String from, String to) {
    rewrites.put(action, new String[] {from, to});
  }

  public void reset() {
    rules.clear();
    calls.clear();
    synchronized (this) {
      afterAnswer.clear();
      rewrites.clear();
    }
  }

  public List<Call> calls(String action) {
    return calls.stream().filter(c -> c.action().equals(action)).toList();
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    Map<String, String> params = form(new String(body, StandardCharsets.UTF_8));
    String action = params.getOrDefault("Action", "");
    Rule rule = matching(action, params);
    if (rule != null) {
      calls.add(new Call(action, params, System.currentTimeMillis(), rule.status()));
      byte[] xml = errorXml(rule.code(), action).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/xml;charset=UTF-8");
      exchange.sendResponseHeaders(rule.status(), xml.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(xml);
      }
      return;
    }
    HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI()))
      .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
    exchange.getRequestHeaders().forEach((name, values) -> {
      if (!List.of("host", "content-length", "connection", "expect", "transfer-encoding").contains(name.toLowerCase())) {
        values.forEach(v -> forward.header(name, v));
      }
    });
    HttpResponse<byte[]> answer;
    try {
      answer = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    calls.add(new Call(action, params, System.currentTimeMillis(), answer.statusCode()));
    Runnable hook;
    String[] rewrite;
    synchronized (this) {
      hook = afterAnswer.remove(action);
      rewrite = rewrites.get(action);
    }
    if (hook != null) {
      hook.run();
    }
    byte[] out = answer.body();
    if (rewrite != null && answer.statusCode() == 200) {
      out = new String(out, StandardCharsets.UTF_8).replace(rewrite[0], rewrite[1]).getBytes(StandardCharsets.UTF_8);
    }
    answer.headers().firstValue("content-type").ifPresent(v -> exchange.getResponseHeaders().add("Content-Type", v));
    exchange.sendResponseHeaders(answer.statusCode(), out.length == 0 ? -1 : out.length);
    try (OutputStream stream = exchange.getResponseBody()) {
      stream.write(out);
    } catch (IOException callerGone) {
      // The hook killed the caller: nobody reads this answer, which is the point.
    }
  }

  private synchronized Rule matching(String action, Map<String, String> params) {
    for (Rule rule : rules) {
      if (rule.action().equals(action) && rule.remaining()[0] > 0 && rule.when().test(params)) {
        rule.remaining()[0]--;
        return rule;
      }
    }
    return null;
  }

  /** EC2's error body, as the real service sends it. */
  static String errorXml(String code, String action) {
    String message = switch (code) {
      case "InsufficientInstanceCapacity" -> "We currently do not have sufficient capacity in the Availability Zone "
        + "you requested. Our system will be working on provisioning additional capacity.";
      case "RequestLimitExceeded" -> "Request limit exceeded.";
      case "UnauthorizedOperation" -> "You are not authorized to perform this operation. User: "
        + "arn:aws:iam::123456789012:user/ltm is not authorized to perform: ec2:" + action
        + " because no identity-based policy allows the ec2:" + action + " action. Encoded authorization failure "
        + "message: q7Y3bXlzdGVyaW91cw";
      case "InvalidAMIID.NotFound" -> "The image id '[ami-0123456789abcdef0]' does not exist";
      case "InvalidSubnetID.NotFound" -> "The subnet ID 'subnet-0123456789abcdef0' does not exist";
      case "InvalidParameterValue" -> "Invalid BASE64 encoding of user data.";
      default -> code;
    };
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + code + "</Code><Message>"
      + message + "</Message></Error></Errors><RequestID>" + UUID.randomUUID() + "</RequestID></Response>";
  }

  private static Map<String, String> form(String body) {
    Map<String, String> params = new HashMap<>();
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return params;
  }

  @Override
  public void close() {
    server.stop(0);
  }

  static List<Long> gaps(List<Call> calls) {
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < calls.size(); i++) {
      gaps.add(calls.get(i).atMillis() - calls.get(i - 1).atMillis());
    }
    return gaps;
  }
}
