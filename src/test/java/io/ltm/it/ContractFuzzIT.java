package io.ltm.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11's fuzz: thousands of generated bad requests against every operation of {@code openapi.yaml} (parsed here, so a new route is fuzzed without touching this test) and against the SockJS
 * event bridge. Every request carries at least one mistake the contract or the README says is refused — a wrong
 * type, a number out of range or not an integer, a string too long or empty, an unknown field, a missing one, a
 * body that is no JSON, a wrong media type, an id in another case or with a space or of another account, a bad
 * %-escape, a URL or header over the limit, a control character, a bad Idempotency-Key, a wrong key — so each must
 * be answered, never with a 5xx, every 4xx (under /api/v1 and /internal) as the error JSON with a code, no write
 * with a 2xx, and every table must be as it was.
 *
 * <p>Seeded: the seed is printed, and {@code -Dltm.fuzz.seed=N} replays a run; {@code -Dltm.fuzz.seconds} (default
 * 45) and {@code -Dltm.fuzz.requests} (default 6000) bound it.
 */
class ContractFuzzIT extends LtmTestBase {
  private static final long SEED = Long.getLong("ltm.fuzz.seed", new SecureRandom().nextLong());
  private static final long SECONDS = Long.getLong("ltm.fuzz.seconds", 45);
  private static final int MAX_REQUESTS = Integer.getInteger("ltm.fuzz.requests", 6000);
  /**
   * Tables meant to record refused requests: a wrong password counts against the e-mail (sign_in_attempts) and is
   * audited for the account it names (audit_log). Nothing else may change.
   */
  private static final Set<String> RECORDING_TABLES = Set.of("sign_in_attempts", "audit_log");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String keyA;
  private static String keyB;
  private static Map<String, String> idsA;
  private static Map<String, String> idsB;
  private static List<Op> ops;

  /** One operation of a contract. */
  record Op(String contract, String id, String method, String path, List<JsonNode> params, JsonNode body,
            boolean bodyRequired) {
    boolean isWrite() {
      return !method.equals("GET");
    }

    boolean isAgent() {
      return path.startsWith("/internal/");
    }
  }

  /** One request as sent, byte for byte, and why it must be refused. */
  record Request(String op, String defect, String method, String target, Map<String, String> headers, byte[] body,
                 boolean write) {
    String describe() {
      String b = body == null ? "" : new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
      String t = target.length() > 200 ? target.substring(0, 200) + "…(" + target.length() + ")" : target;
      Map<String, String> h = new LinkedHashMap<>();
      headers.forEach((k, v) -> h.put(k, v.length() > 80 ? v.substring(0, 80) + "…(" + v.length() + ")" : v));
      return op + " [" + defect + "] " + method + " " + t + " " + h + " " + b;
    }
  }

  private static String database;
  private static String vhost;

  @BeforeAll
  static void fixtures() throws Exception {
    // A database, vhost and machine tag of its own: what the classes before it left in flight (machines timing out,
    // jobs redelivered) must not change a table between the two snapshots, and nothing else writes to these.
    database = config.mysql().database() + "_fuzz";
    vhost = config.cloud().env() + "-fuzz";
    try (var conn = java.sql.DriverManager.getConnection("jdbc:mariadb://" + config.mysql().host() + ":"
      + config.mysql().port() + "/", config.mysql().user(), config.mysql().password()); var st = conn.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database);
      st.execute("CREATE DATABASE " + database + " CHARACTER SET utf8mb4");
    }
    TestEnv.rabbitmqctl("delete_vhost", vhost);
    TestEnv.rabbitmqctl("add_vhost", vhost);
    TestEnv.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
    String uri = config.rabbitmq().uri();
    // The per-key limit would answer 429 to most of what follows and hide everything behind it; it has its own IT.
    redeploy(Map.of("LTM_API_RATE_LIMIT", "100000000", "LTM_MYSQL_DATABASE", database,
      "LTM_RABBITMQ_URI", uri.substring(0, uri.lastIndexOf('/') + 1) + vhost, "LTM_ENV", vhost));
    ops = new ArrayList<>();
    ops.addAll(operations("openapi.yaml"));
    assertThat(ops).hasSizeGreaterThan(25);
    keyA = newAccountKey("fuzz-a");
    keyB = newAccountKey("fuzz-b");
    idsA = ids(keyA);
    idsB = ids(keyB);
  }

  @org.junit.jupiter.api.AfterAll
  static void dropOwnServices() throws Exception {
    closeLtm();
    try (var conn = java.sql.DriverManager.getConnection("jdbc:mariadb://" + config.mysql().host() + ":"
      + config.mysql().port() + "/", config.mysql().user(), config.mysql().password()); var st = conn.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database);
    }
    TestEnv.rabbitmqctl("delete_vhost", vhost);
  }

  /** A stream (with its order), an API key and a CDN profile of the account: real ids for the paths. */
  private static Map<String, String> ids(String key) {
    ApiClient api = api(key);
    JsonObject stream = buy(api, "mobile", "test-pattern");
    ApiClient.Reply profile = api.post("/api/v1/cdn-profiles", new JsonObject().put("name", "fuzz").put("kind", "http-put")
      .put("url", "http://127.0.0.1:9/fuzz").put("check", false));
    assertThat(profile.status()).as(profile.body()).isEqualTo(201);
    Map<String, String> ids = new LinkedHashMap<>();
    ids.put("streamId", stream.getString("id"));
    ids.put("orderId", stream.getString("orderId"));
    ids.put("keyId", api.get("/api/v1/api-keys").json().getJsonArray("items").getJsonObject(0).getString("id"));
    ids.put("profileId", profile.json().getString("id"));
    ids.put("version", "1");
    ids.put("machineId", "mch_" + "0123456789abcdefghjk");
    return ids;
  }

  @Test
  void everyBadRequestIsAnsweredWithAClear4xxAndChangesNothing() throws Exception {
    System.out.println("ContractFuzzIT seed " + SEED + " (replay with -Dltm.fuzz.seed=" + SEED + ")");
    Random random = new Random(SEED);
    RawHttp http = new RawHttp(port);
    Map<String, List<String>> before = quiescentSnapshot();

    List<String> findings = new ArrayList<>();
    Map<String, Integer> byStatus = new java.util.TreeMap<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
    int sent = 0;
    while (sent < MAX_REQUESTS && System.nanoTime() < deadline) {
      Op op = ops.get(random.nextInt(ops.size()));
      Request request = generate(op, random);
      RawHttp.Response response = http.send(request.method(), request.target(), request.headers(), request.body());
      sent++;
      byStatus.merge(response.status() / 100 + "xx", 1, Integer::sum);
      String problem = judge(request, response);
      if (problem != null && findings.size() < 30) {
        findings.add(problem + "\n    request: " + request.describe() + "\n    answer: " + response.status() + " "
          + abbreviate(response.body()));
      }
    }
    int bridgeFrames = fuzzBridge(random, http, findings);
    System.out.println("ContractFuzzIT sent " + sent + " requests " + byStatus + " and " + bridgeFrames
      + " bridge frames, seed " + SEED);

    assertThat(findings).as("seed " + SEED + ": replay with -Dltm.fuzz.seed=" + SEED).isEmpty();
    assertThat(sent).as("requests sent").isGreaterThan(500);
    Map<String, List<String>> after = quiescentSnapshot();
    for (String table : before.keySet()) {
      assertThat(after.get(table)).as("seed " + SEED + ": table " + table + " changed").isEqualTo(before.get(table));
    }
    assertThat(after.keySet()).isEqualTo(before.keySet());
  }

  /** Null when the answer is what a bad request deserves; else what is wrong with it. */
  private static String judge(Request request, RawHttp.Response response) {
    int status = response.status();
    if (status < 0) {
      return "no answer (" + response.problem() + ")";
    }
    if (status >= 500) {
      return "answered " + status;
    }
    if (status < 400 && request.write()) {
      return "a bad write was accepted (" + status + ")";
    }
    boolean contract = request.target().startsWith("/api/v1") || request.target().startsWith("/internal/");
    if (status >= 400 && contract) {
      String type = response.headers().getOrDefault("content-type", "");
      if (!type.startsWith("application/json")) {
        return "a " + status + " without the error JSON (Content-Type '" + type + "')";
      }
      try {
        JsonObject error = new JsonObject(response.body()).getJsonObject("error");
        if (error == null || !(error.getValue("code") instanceof String code) || code.isBlank()
          || !(error.getValue("message") instanceof String)) {
          return "a " + status + " whose body is not {\"error\": {\"code\", \"message\", …}}";
        }
      } catch (RuntimeException e) {
        return "a " + status + " whose body is not JSON";
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Requests

  private static Request generate(Op op, Random random) {
    List<Supplier<Request>> defects = new ArrayList<>();
    defects.add(() -> authDefect(op, random));
    defects.add(() -> urlDefect(op, random));
    defects.add(() -> headerDefect(op, random));
    defects.add(() -> methodDefect(op, random));
    if (op.path().contains("{")) {
      defects.add(() -> pathDefect(op, random));
      defects.add(() -> pathDefect(op, random));
    }
    if (op.params().stream().anyMatch(p -> "query".equals(p.path("in").asText()))) {
      defects.add(() -> queryDefect(op, random));
    }
    if (!op.isAgent()) {
      defects.add(() -> idempotencyKeyDefect(op, random));
    }
    if (op.body() != null) {
      defects.add(() -> mediaTypeDefect(op, random));
      defects.add(() -> syntaxDefect(op, random));
      for (int i = 0; i < 4; i++) {
        defects.add(() -> fieldDefect(op, random));
      }
    }
    Request request = null;
    while (request == null) {
      request = defects.get(random.nextInt(defects.size())).get();
    }
    return request;
  }

  /** The operation done right, but for the given path, headers and body. */
  private static Request request(Op op, String defect, Map<String, String> ids, String key, Map<String, String> headers,
                                 byte[] body) {
    Map<String, String> h = new LinkedHashMap<>();
    if (key != null) {
      h.put("Authorization", "Bearer " + key);
    }
    if (body != null) {
      h.put("Content-Type", "application/json");
    }
    h.putAll(headers);
    h.values().removeIf(v -> v == null);
    return new Request(op.contract() + ":" + op.id(), defect, op.method(), path(op, ids) + query(op, null, null), h,
      body, op.isWrite());
  }

  private static Request valid(Op op, String defect) {
    return request(op, defect, idsA, op.isAgent() ? "not-a-token" : keyA, Map.of(), validBody(op));
  }

  private static Request authDefect(Op op, Random random) {
    if (op.id().equals("signIn")) {
      return null;
    }
    String[] keys = {null, "", "ltm_nope", keyA.toUpperCase(Locale.ROOT), keyA + "x", keyA.substring(0, keyA.length() - 1),
      "' OR '1'='1", "x".repeat(5000)};
    String key = keys[random.nextInt(keys.length)];
    Request r = request(op, "auth " + (key == null ? "absent" : abbreviate(key)), idsA, null, Map.of(), validBody(op));
    Map<String, String> h = new LinkedHashMap<>(r.headers());
    if (key != null) {
      h.put("Authorization", random.nextInt(5) == 0 ? "Basic " + key : "Bearer " + key);
    }
    return new Request(r.op(), r.defect(), r.method(), r.target(), h, r.body(), r.write());
  }

  private static Request urlDefect(Op op, Random random) {
    Request r = valid(op, "url");
    String target = r.target();
    int cut = target.indexOf('/', 1);
    String[] bad = {"%zz", "%", "%4", "%C3%28", "%E2%82", "%FF", "%C0%AF"};
    return switch (random.nextInt(3)) {
      case 0 -> new Request(r.op(), "bad escape", r.method(), target.substring(0, cut) + "/" + bad[random.nextInt(bad.length)]
        + target.substring(cut), r.headers(), r.body(), r.write());
      case 1 -> new Request(r.op(), "bad escape at the end", r.method(), target + (target.contains("?") ? "&" : "?")
        + "x=" + bad[random.nextInt(bad.length)], r.headers(), r.body(), r.write());
      default -> new Request(r.op(), "URL over 4096", r.method(), target + (target.contains("?") ? "&" : "?") + "x="
        + "a".repeat(4100 + random.nextInt(5000)), r.headers(), r.body(), r.write());
    };
  }

  private static Request headerDefect(Op op, Random random) {
    Request r = valid(op, "header");
    Map<String, String> h = new LinkedHashMap<>(r.headers());
    String defect;
    switch (random.nextInt(3)) {
      case 0 -> {
        h.put("X-Fuzz", "h".repeat(17_000 + random.nextInt(20_000)));
        defect = "header over 16 KiB";
      }
      case 1 -> {
        char c = (char) new int[] {1, 8, 0x1b, 0x7f, 0}[random.nextInt(5)];
        h.put("X-Fuzz", "a" + c + "b");
        defect = "control character in a header";
      }
      default -> {
        for (int i = 0; i < 400; i++) {
          h.put("X-Fuzz-" + i, "v".repeat(60));
        }
        defect = "headers over 16 KiB in all";
      }
    }
    return new Request(r.op(), defect, r.method(), r.target(), h, r.body(), r.write());
  }

  private static Request methodDefect(Op op, Random random) {
    Set<String> declared = new java.util.HashSet<>();
    for (Op other : ops) {
      if (other.path().equals(op.path())) {
        declared.add(other.method());
      }
    }
    List<String> others = new ArrayList<>(List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"));
    others.removeAll(declared);
    if (op.isAgent()) {
      others.remove("OPTIONS");
    }
    if (others.isEmpty()) {
      return null;
    }
    Request r = valid(op, "method");
    String method = others.get(random.nextInt(others.size()));
    return new Request(r.op(), "undeclared method " + method, method, r.target(), r.headers(), r.body(),
      !method.equals("GET") && !method.equals("OPTIONS"));
  }

  private static Request pathDefect(Op op, Random random) {
    List<String> names = new ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(op.path());
    while (m.find()) {
      names.add(m.group(1));
    }
    String name = names.get(random.nextInt(names.size()));
    String good = idsA.get(name);
    List<String> bad = new ArrayList<>();
    if (name.equals("version")) {
      bad.addAll(List.of("0", "-1", "1.5", "1e3", "1e0", "2147483648", "4294967297", "99999999999999999999", "abc", "0x1",
        "%20", "1%20", "%2B1", "NaN", "%00", "9".repeat(400)));
    } else {
      bad.addAll(List.of(good.toUpperCase(Locale.ROOT), good + "%20", "%20" + good, good + "%00", good + "%09",
        good.substring(0, good.length() - 1), good + "a", idsB.get(name), idsA.get("streamId").equals(good) ? idsA.get("orderId")
          : idsA.get("streamId"), "..", "%2E%2E", good + "%2F..", "%C3%A9" + good.substring(2), "null", "-1", "0",
        "' OR 1=1 --", "x".repeat(65), "x".repeat(3000), "%F0%9F%92%A9", "str_" + "z".repeat(20)));
    }
    String value = bad.get(random.nextInt(bad.size()));
    Map<String, String> ids = new LinkedHashMap<>(idsA);
    ids.put(name, value);
    Request r = request(op, "path " + name + "=" + abbreviate(value), ids, op.isAgent() ? "not-a-token" : keyA, Map.of(),
      validBody(op));
    return r;
  }

  private static Request queryDefect(Op op, Random random) {
    List<JsonNode> query = op.params().stream().filter(p -> "query".equals(p.path("in").asText())).toList();
    JsonNode param = query.get(random.nextInt(query.size()));
    JsonNode schema = param.path("schema");
    List<String> bad = new ArrayList<>(List.of("abc", "1.5", "%zz", "%C3%28", "true", "[]", "9223372036854775808",
      "-9223372036854775809", "1e400", "0x10", "1%20", "%00"));
    if (schema.has("minimum")) {
      bad.add(new BigInteger(schema.get("minimum").asText()).subtract(BigInteger.ONE).toString());
    }
    if (schema.has("maximum")) {
      bad.add(new BigInteger(schema.get("maximum").asText()).add(BigInteger.ONE).toString());
    }
    String value = bad.get(random.nextInt(bad.size()));
    Request r = valid(op, "query");
    String target = path(op, idsA) + query(op, param.path("name").asText(), value);
    return new Request(r.op(), "query " + param.path("name").asText() + "=" + value, r.method(), target, r.headers(),
      r.body(), r.write());
  }

  private static Request idempotencyKeyDefect(Op op, Random random) {
    // (Spaces around a header value are not part of it in HTTP: "key " is "key".)
    String[] bad = {"", " ", "a b", "a\tb", "é", "k".repeat(256), "k".repeat(9000), "k\u00ffk"};
    String value = bad[random.nextInt(bad.length)];
    Request r = valid(op, "Idempotency-Key");
    Map<String, String> h = new LinkedHashMap<>(r.headers());
    h.put("Idempotency-Key", value);
    if (random.nextInt(4) == 0) {
      // Two of them, each valid alone: which one counts would be a guess.
      h.put("Idempotency-Key", "one");
      h.put("idempotency-key", "two");
    }
    return new Request(r.op(), "Idempotency-Key '" + abbreviate(value) + "'", r.method(), r.target(), h, r.body(),
      r.write());
  }

  private static Request mediaTypeDefect(Op op, Random random) {
    String[] bad = {null, "", "application/jsonx", "text/plain", "text/json", "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x", "application/xml", "application/json; charset=latin1",
      "application/json; charset=utf-16", "application/json, text/plain", "application/*", "*/*", "json",
      "application/json;charset=utf-8;x=\u0001"};
    String type = bad[random.nextInt(bad.length)];
    Request r = valid(op, "media type");
    Map<String, String> h = new LinkedHashMap<>(r.headers());
    byte[] body = r.body() == null ? "{}".getBytes(StandardCharsets.UTF_8) : r.body();
    if (type == null) {
      h.remove("Content-Type");
    } else {
      h.put("Content-Type", type);
    }
    return new Request(r.op(), "Content-Type " + type, r.method(), r.target(), h, body, r.write());
  }

  private static Request syntaxDefect(Op op, Random random) {
    Request r = valid(op, "syntax");
    String good = r.body() == null ? "{}" : new String(r.body(), StandardCharsets.UTF_8);
    List<byte[]> bad = new ArrayList<>();
    for (String s : List.of("{", "{\"a\":", good.substring(0, Math.max(1, good.length() - 1)), good + "}", good + good,
      "[" + good + "]", "null", "7", "\"text\"", "true", "{'offerId':'mobile'}", "{offerId:1}", "{\"a\":NaN}",
      "{\"a\":1,}", "/* c */" + good, "[".repeat(5000) + "]".repeat(5000), "{\"a\":" + "[".repeat(3000) + "]".repeat(3000)
        + "}", "{\"a\":\"\\uD800\"}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "x".repeat(70_000),
      "{\"label\":\"" + "y".repeat(70_000) + "\"}")) {
      bad.add(s.getBytes(StandardCharsets.UTF_8));
    }
    bad.add(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
    bad.add(new byte[] {(byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0});
    byte[] body = bad.get(random.nextInt(bad.size()));
    String shown = new String(body, 0, Math.min(40, body.length), StandardCharsets.UTF_8);
    return new Request(r.op(), "body " + abbreviate(shown), r.method(), r.target(), r.headers(), body, r.write());
  }

  /** One field of a valid body set to a value its schema refuses (or a required one left out, or one added). */
  private static Request fieldDefect(Op op, Random random) {
    ObjectNode body = (ObjectNode) JSON.valueToTree(template(op));
    List<Object[]> slots = new ArrayList<>();
    collectSlots(op.contract(), op.body(), body, "", slots);
    if (slots.isEmpty()) {
      return null;
    }
    Object[] slot = slots.get(random.nextInt(slots.size()));
    String name = (String) slot[1];
    JsonNode schema = (JsonNode) slot[2];
    String where = (String) slot[3];
    String defect;
    if (slot[0] instanceof ArrayNode array) {
      JsonNode bad = badValue(schema, random);
      if (bad == null) {
        return null;
      }
      array.insert(0, bad);
      defect = where + " = " + abbreviate(bad.toString());
      Request r = valid(op, "field");
      return new Request(r.op(), defect, r.method(), r.target(), r.headers(),
        body.toString().getBytes(StandardCharsets.UTF_8), r.write());
    }
    ObjectNode parent = (ObjectNode) slot[0];
    if (name == null) {
      parent.put("fuzzUnknownField", 1);
      defect = where + ".fuzzUnknownField added";
    } else if (schema == null) {
      parent.remove(name);
      defect = where + name + " (required) left out";
    } else {
      JsonNode bad = badValue(schema, random);
      if (bad == null) {
        return null;
      }
      parent.set(name, bad);
      defect = where + name + " = " + abbreviate(bad.toString());
    }
    Request r = valid(op, "field");
    return new Request(r.op(), defect, r.method(), r.target(), r.headers(), body.toString().getBytes(StandardCharsets.UTF_8),
      r.write());
  }

  /**
   * Every place a defect can go: {parent, property, schema, path} for each property (schema null: a required one,
   * to leave out; property null: an object that takes no unknown fields).
   */
  private static void collectSlots(String contract, JsonNode schema, ObjectNode value, String where, List<Object[]> slots) {
    schema = resolve(contract, schema);
    if (schema.path("additionalProperties").isBoolean() && !schema.path("additionalProperties").asBoolean()) {
      slots.add(new Object[] {value, null, null, where});
    }
    for (JsonNode required : schema.path("required")) {
      if (value.has(required.asText())) {
        slots.add(new Object[] {value, required.asText(), null, where});
      }
    }
    Iterator<Map.Entry<String, JsonNode>> props = schema.path("properties").fields();
    while (props.hasNext()) {
      Map.Entry<String, JsonNode> p = props.next();
      JsonNode ps = resolve(contract, p.getValue());
      slots.add(new Object[] {value, p.getKey(), ps, where});
      JsonNode child = value.get(p.getKey());
      if (child instanceof ObjectNode o) {
        collectSlots(contract, ps, o, where + p.getKey() + ".", slots);
      } else if (child instanceof ArrayNode a && !a.isEmpty() && a.get(0) instanceof ObjectNode first) {
        collectSlots(contract, resolve(contract, ps.path("items")), first, where + p.getKey() + "[0].", slots);
      } else if (child instanceof ArrayNode a && ps.has("items")) {
        // An item of the wrong kind: set into the array itself.
        slots.add(new Object[] {a, null, resolve(contract, ps.path("items")), where + p.getKey() + "[0]"});
      }
    }
  }

  /** A value this schema refuses for certain, or null when none is known. */
  private static JsonNode badValue(JsonNode schema, Random random) {
    Set<String> types = new java.util.HashSet<>();
    if (schema.path("type").isArray()) {
      schema.path("type").forEach(t -> types.add(t.asText()));
    } else if (schema.has("type")) {
      types.add(schema.path("type").asText());
    }
    if (types.isEmpty()) {
      return null;
    }
    List<JsonNode> bad = new ArrayList<>();
    // Wrong types.
    if (!types.contains("string")) {
      bad.add(NODES.textNode("12"));
      bad.add(NODES.textNode(""));
    }
    if (!types.contains("integer") && !types.contains("number")) {
      bad.add(NODES.numberNode(7));
      bad.add(NODES.numberNode(-1));
    }
    if (!types.contains("number")) {
      bad.add(NODES.numberNode(1.5));
    }
    if (!types.contains("boolean")) {
      bad.add(NODES.booleanNode(true));
    }
    if (!types.contains("array")) {
      bad.add(NODES.arrayNode().add(1));
    }
    if (!types.contains("object")) {
      bad.add(NODES.objectNode().put("a", 1));
    }
    if (!types.contains("null")) {
      bad.add(NODES.nullNode());
    }
    if (types.contains("integer")) {
      if (schema.has("minimum")) {
        BigInteger min = new BigInteger(schema.get("minimum").asText());
        bad.add(NODES.numberNode(min.subtract(BigInteger.ONE)));
        bad.add(NODES.numberNode(min.subtract(BigInteger.ONE).subtract(BigInteger.TWO.pow(32))));
        bad.add(NODES.numberNode(new BigInteger("-9223372036854775809")));
      }
      if (schema.has("maximum")) {
        BigInteger max = new BigInteger(schema.get("maximum").asText());
        bad.add(NODES.numberNode(max.add(BigInteger.ONE)));
        bad.add(NODES.numberNode(max.add(BigInteger.TWO.pow(32))));
        bad.add(NODES.numberNode(new BigInteger("4294967440").max(max.add(BigInteger.ONE))));
        bad.add(NODES.numberNode(new BigInteger("9223372036854775808")));
        bad.add(NODES.numberNode(new BigInteger("123456789012345678901234567890")));
        bad.add(NODES.numberNode(new java.math.BigDecimal("1e400")));
      }
      bad.add(NODES.numberNode(new java.math.BigDecimal("2.5")));
    }
    if (types.contains("string")) {
      if (schema.has("maxLength")) {
        bad.add(NODES.textNode("s".repeat(schema.get("maxLength").asInt() + 1 + random.nextInt(3))));
      }
      if (schema.path("minLength").asInt(0) >= 1) {
        bad.add(NODES.textNode(""));
      }
      if (schema.has("enum")) {
        String first = schema.get("enum").get(0).asText();
        bad.add(NODES.textNode(first.toUpperCase(Locale.ROOT).equals(first) ? first.toLowerCase(Locale.ROOT)
          : first.toUpperCase(Locale.ROOT)));
        bad.add(NODES.textNode(first + " "));
        bad.add(NODES.textNode(" " + first));
        bad.add(NODES.textNode(first + "\u0000"));
      }
      if (schema.has("pattern")) {
        bad.add(NODES.textNode(" \u0001 not it"));
      }
    }
    if (types.contains("array") && schema.has("maxItems")) {
      ArrayNode many = NODES.arrayNode();
      for (int i = 0; i <= schema.get("maxItems").asInt(); i++) {
        many.add("x");
      }
      bad.add(many);
    }
    return bad.isEmpty() ? null : bad.get(random.nextInt(bad.size()));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The event bridge

  /** Malformed XHR posts and WebSocket frames; returns the number of frames sent. */
  private static int fuzzBridge(Random random, RawHttp http, List<String> findings) {
    int frames = 0;
    String session = "/eventbus/000/fz" + Long.toHexString(random.nextLong());
    RawHttp.Response open = http.send("POST", session + "/xhr", Map.of(), null);
    if (open.status() != 200) {
      findings.add("the XHR session did not open: " + open.status() + " " + open.body());
    }
    List<byte[]> bodies = new ArrayList<>();
    for (String s : List.of("", "garbage", "{}", "[1]", "[null]", "[[\"a\"]]", "[{\"type\":\"send\"}]", "\"a\"",
      "[\"a\"", "[" + "\"x\",".repeat(100) + "]", "x".repeat(70_000))) {
      bodies.add(s.getBytes(StandardCharsets.UTF_8));
    }
    bodies.add(new byte[] {'[', '"', (byte) 0xC3, (byte) 0x28, '"', ']'});
    for (int i = 0; i < 60; i++) {
      byte[] body = bodies.get(random.nextInt(bodies.size()));
      String target = random.nextInt(4) == 0 ? "/eventbus/000/%zz/xhr_send" : session + "/xhr_send";
      Map<String, String> headers = random.nextBoolean() ? Map.of("Content-Type", "text/plain") : Map.of();
      RawHttp.Response r = http.send("POST", target, headers, body);
      String shown = new String(body, 0, Math.min(40, body.length), StandardCharsets.UTF_8);
      if (r.status() < 0 || r.status() >= 500) {
        findings.add("bridge: POST " + target + " " + abbreviate(shown) + " answered " + r.status() + " " + abbreviate(r.body()));
      }
    }
    for (String target : List.of("/eventbus/info?t=%zz", "/eventbus/%zz", "/eventbus/000/" + "s".repeat(5000) + "/xhr",
      "/eventbus/000/a/b/c/d/xhr", "/eventbus/000//xhr")) {
      RawHttp.Response r = http.send(random.nextBoolean() ? "GET" : "POST", target, Map.of(), null);
      if (r.status() < 0 || r.status() >= 500) {
        findings.add("bridge: " + abbreviate(target) + " answered " + r.status() + " " + abbreviate(r.body()));
      }
    }

    // Frames over the WebSocket: each socket gets fewer refused frames than the ten that close it, and each frame an
    // error. Then one socket gets more, and is closed.
    String[] addresses = {"ltm.events.replay", "ltm.account." + "acc_x", "", "ltm.internal.session.ended", "a".repeat(3000)};
    for (int socket = 0; socket < 12; socket++) {
      try (EventBusClient bus = new EventBusClient(vertx, port)) {
        int n = 1 + random.nextInt(8);
        List<String> sentFrames = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          String frame = frame(random, addresses);
          sentFrames.add(frame);
          bus.sendRaw(frame);
          frames++;
        }
        try {
          Await.until("an error for each of " + n + " frames", Duration.ofSeconds(15),
            () -> bus.errors().size() >= n ? true : null);
        } catch (AssertionError e) {
          findings.add("bridge: " + bus.errors().size() + " answers to " + n + " bad frames " + sentFrames);
        }
        if (bus.isClosed()) {
          findings.add("bridge: a socket was closed after " + n + " bad frames " + sentFrames);
        }
      }
    }
    try (EventBusClient bus = new EventBusClient(vertx, port)) {
      for (int i = 0; i < 15; i++) {
        bus.sendRaw(frame(random, addresses));
        frames++;
      }
      try {
        Await.until("the socket sending garbage to be closed", Duration.ofSeconds(15), () -> bus.isClosed() ? true : null);
      } catch (AssertionError e) {
        findings.add("bridge: a socket that sent 15 bad frames stayed open");
      }
    }
    return frames;
  }

  /** A frame the bridge must refuse: a wrong shape, or a well-formed one without any valid credentials. */
  private static String frame(Random random, String[] addresses) {
    Object[] values = {null, 1, -1, 1.5, "x", "", true, List.of(), Map.of("a", 1), "9223372036854775808",
      new BigInteger("99999999999999999999"), Map.of("authorization", Map.of("k", 1)), Map.of("authorization", "Bearer nope")};
    Supplier<Object> any = () -> values[random.nextInt(values.length)];
    return switch (random.nextInt(6)) {
      case 0 -> new String[] {"not json", "[1,2]", "\"text\"", "{}", "null", "{\"type\":7}", "{\"type\":\"dance\"}", "{",
        "{\"type\":\"send\"}", "{\"type\":\"register\"}", "\uFFFF", "{\"type\":\"publish\",\"address\":{}}"}[random.nextInt(12)];
      case 1 -> new JsonObject().put("type", "send").put("address", "ltm.events.replay")
        .put("replyAddress", "reply-fz" + random.nextInt(1000)).put("headers", any.get())
        .put("body", new JsonObject().put("after", any.get())).encode();
      case 2 -> new JsonObject().put("type", "register").put("address", addresses[random.nextInt(addresses.length)])
        .put("headers", any.get()).encode();
      case 3 -> new JsonObject().put("type", "send").put("address", any.get()).put("replyAddress", any.get())
        .put("body", any.get()).encode();
      case 4 -> new JsonObject().put("type", "publish").put("address", addresses[random.nextInt(addresses.length)])
        .put("headers", any.get()).put("body", any.get()).encode();
      default -> new JsonObject().put("type", any.get()).put("address", any.get()).put("headers", any.get()).encode();
    };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Contracts

  private static List<Op> operations(String contract) throws Exception {
    JsonNode root = contract(contract);
    List<Op> list = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> paths = root.path("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (String method : List.of("get", "post", "put", "patch", "delete")) {
        JsonNode op = path.getValue().get(method);
        if (op == null) {
          continue;
        }
        List<JsonNode> params = new ArrayList<>();
        op.path("parameters").forEach(p -> params.add(resolve(contract, p)));
        JsonNode body = op.path("requestBody").path("content").path("application/json").path("schema");
        list.add(new Op(contract, op.path("operationId").asText(), method.toUpperCase(Locale.ROOT), path.getKey(), params,
          body.isMissingNode() ? null : resolve(contract, body), op.path("requestBody").path("required").asBoolean(false)));
      }
    }
    return list;
  }

  private static final Map<String, JsonNode> CONTRACTS = new java.util.concurrent.ConcurrentHashMap<>();

  private static JsonNode contract(String name) {
    return CONTRACTS.computeIfAbsent(name, n -> {
      try (InputStream in = ContractFuzzIT.class.getClassLoader().getResourceAsStream(n)) {
        return new YAMLMapper().readTree(in);
      } catch (Exception e) {
        throw new IllegalStateException("cannot read " + n, e);
      }
    });
  }

  private static JsonNode resolve(String contract, JsonNode schema) {
    while (schema != null && schema.has("$ref")) {
      schema = contract(contract).at(schema.get("$ref").asText().substring(1));
    }
    return schema == null ? NODES.objectNode() : schema;
  }

  private static String path(Op op, Map<String, String> ids) {
    String p = op.path();
    for (Map.Entry<String, String> id : ids.entrySet()) {
      p = p.replace("{" + id.getKey() + "}", id.getValue());
    }
    return p;
  }

  private static String query(Op op, String name, String value) {
    if (name == null) {
      return "";
    }
    return "?" + name + "=" + value;
  }

  /** A body that is valid for the operation (the defect goes elsewhere), or null when it takes none. */
  private static byte[] validBody(Op op) {
    Object t = op.body() == null ? null : template(op);
    return t == null ? null : JSON.valueToTree(t).toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, Object> template(Op op) {
    Map<String, Object> ingest = Map.of("kind", "srt", "passphrase", "0123456789ab", "allowCidrs", List.of("10.0.0.0/8"),
      "reconnectWindowSeconds", 30);
    return switch (op.id()) {
      case "signIn" -> Map.of("email", "nobody@example.test", "password", "wrong-password");
      case "createApiKey" -> Map.of("label", "fuzz");
      case "createQuote" -> Map.of("offerId", "mobile", "renditions", List.of(rendition()));
      case "createOrder" -> Map.of("offerId", "mobile", "quantity", 1, "name", "fuzz", "input", ingest);
      case "updateStream" -> Map.of("renditions", List.of(rendition()), "outputs",
        Map.of("hls", Map.of("segmentType", "ts", "segmentSeconds", 2, "windowSegments", 6), "dash", false));
      case "replaceIngest" -> ingest;
      case "rotateStreamKey" -> Map.of("graceSeconds", 10);
      case "createCdnProfile" -> Map.of("name", "fuzz", "kind", "http-put", "url", "http://127.0.0.1:9/fuzz", "check", false);
      case "agentStatus" -> Map.of("state", "READY", "previewUrl", "http://127.0.0.1:9/hls/master.m3u8");
      case "agentHeartbeat" -> Map.of("progress", Map.of("frame", 1));
      case "agentThumbnail" -> Map.of("thumbnailUrl", "http://127.0.0.1:9/thumbnail.jpg", "version", 1);
      case "agentCdnSwitch" -> Map.of("active", "origin", "playbackUrl", "http://127.0.0.1:9/hls/master.m3u8");
      default -> Map.of();
    };
  }

  private static Map<String, Object> rendition() {
    return Map.of("name", "a", "height", 240, "videoBitrateKbps", 400, "fps", 25, "audioBitrateKbps", 96,
      "videoCodec", "h264", "audioCodec", "aac");
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** The tables once two looks a second apart agree: what earlier tests left in flight has settled. */
  private static Map<String, List<String>> quiescentSnapshot() {
    Map<String, List<String>>[] last = new Map[] {DbSnapshot.take(ltm.pool(), RECORDING_TABLES)};
    return Await.until("the database to settle", Duration.ofSeconds(60), () -> {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Map<String, List<String>> now = DbSnapshot.take(ltm.pool(), RECORDING_TABLES);
      boolean same = now.equals(last[0]);
      last[0] = now;
      return same ? now : null;
    });
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    String printable = s.replaceAll("[^ -~]", "?");
    return printable.length() > 120 ? printable.substring(0, 120) + "…(" + s.length() + ")" : printable;
  }
}
