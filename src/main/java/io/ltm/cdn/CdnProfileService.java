package io.ltm.cdn;

import io.ltm.cdn.domain.CdnKind;
import io.ltm.cdn.domain.CdnTarget;
import io.ltm.cdn.domain.InvalidProfileException;
import io.ltm.cdn.domain.ProfileRules;
import io.ltm.cdn.upload.UploadException;
import io.ltm.cdn.upload.Uploaders;
import io.ltm.audit.Actor;
import io.ltm.audit.AuditLog;
import io.ltm.common.ApiException;
import io.ltm.common.Ids;
import io.ltm.metrics.Meters;
import io.ltm.stream.domain.StreamConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An account's CDN profiles: created (after a check that proves credentials and reachability), listed, checked,
 * deleted; and, for a starting stream, the CDNs it delivers to with their secrets decrypted. Secrets are
 * write-only: no answer carries them, only which of them are set.
 */
public class CdnProfileService {
  private final Vertx vertx;
  private final Pool pool;
  private final CdnProfileRepository profiles;
  private final SecretBox box;

  /** @param box null when no key is configured: profiles with secrets are then refused */
  public CdnProfileService(Vertx vertx, Pool pool, CdnProfileRepository profiles, SecretBox box) {
    this.vertx = vertx;
    this.pool = pool;
    this.profiles = profiles;
    this.box = box;
  }

  public Future<JsonObject> list(String accountId) {
    return profiles.list(pool, accountId).map(all -> {
      JsonArray items = new JsonArray();
      all.forEach(p -> items.add(toJson(p)));
      return new JsonObject().put("items", items);
    });
  }

  public Future<JsonObject> get(String accountId, String id) {
    return owned(accountId, id).map(CdnProfileService::toJson);
  }

  /** Validates, checks against the CDN itself unless {@code "check": false}, then stores. */
  public Future<JsonObject> create(String accountId, JsonObject body, Actor actor) {
    ProfileRules.Checked checked = ProfileRules.check(body.getString("name"), body.getString("kind"), values(body), Map.of());
    if (!checked.secrets().isEmpty() && box == null) {
      return Future.failedFuture(new ApiException(503, "cdn_secrets_unavailable", "this server has no cdn.secretKey "
        + "(LTM_CDN_SECRET_KEY) to encrypt CDN secrets with; ask its operator to set one", null, null));
    }
    String id = Ids.newId("cdn");
    CdnTarget target = new CdnTarget(id, checked.name(), checked.kind(), checked.settings(), checked.secrets());
    Future<Void> proved = Boolean.FALSE.equals(body.getValue("check")) ? Future.succeededFuture() : prove(target);
    return proved.compose(v -> {
      CdnProfileRepository.Profile row = new CdnProfileRepository.Profile(id, accountId, checked.name(), checked.kind(),
        new JsonObject(new HashMap<>(checked.settings()))
          .put("secretsSet", new JsonArray(checked.secrets().keySet().stream().sorted().toList())),
        checked.secrets().isEmpty() ? null : box.seal(id, new JsonObject(new HashMap<>(checked.secrets()))), null, null);
      return pool.withTransaction(conn -> profiles.insert(conn, row)
          .compose(x -> AuditLog.record(conn, accountId, AuditLog.CDN_PROFILE_CREATED, actor, new JsonObject()
            .put("profileId", id).put("name", checked.name()).put("kind", checked.kind())
            .put("secretsSet", new JsonArray(checked.secrets().keySet().stream().sorted().toList())))))
        .compose(x -> owned(accountId, id)).map(CdnProfileService::toJson);
    });
  }

  /** Writes and deletes a probe (or opens the RTMP handshake) with the stored credentials. */
  public Future<JsonObject> check(String accountId, String id) {
    return owned(accountId, id).compose(p -> {
      long started = System.nanoTime();
      return prove(target(p)).map(v -> new JsonObject().put("ok", true).put("profileId", id)
        .put("latencyMs", (System.nanoTime() - started) / 1_000_000));
    });
  }

  /** Refused (409) while a stream's current configuration names the profile. */
  public Future<Void> delete(String accountId, String id, Actor actor) {
    return pool.withTransaction(conn -> owned(conn, accountId, id)
      .compose(p -> profiles.usedBy(conn, accountId, id))
      .compose(streams -> {
        if (!streams.isEmpty()) {
          return Future.failedFuture(ApiException.conflict("cdn_profile_in_use", "CDN profile " + id + " is chosen by "
            + "stream(s) " + String.join(", ", streams) + "; choose another CDN for them first",
            new JsonObject().put("streams", new JsonArray(streams))));
        }
        return profiles.delete(conn, accountId, id)
          .compose(deleted -> AuditLog.record(conn, accountId, AuditLog.CDN_PROFILE_DELETED, actor,
            new JsonObject().put("profileId", id)));
      }));
  }

  /**
   * The stream's CDN choice as the agent needs it: primary first, then the backup if any, secrets decrypted. A
   * profile deleted since the choice was made fails the start with a plain reason.
   */
  public Future<List<CdnTarget>> targets(SqlClient client, String accountId, StreamConfig.Cdn cdn) {
    List<Future<CdnTarget>> each = new ArrayList<>();
    for (String id : cdn.backup() == null ? List.of(cdn.primary()) : List.of(cdn.primary(), cdn.backup())) {
      each.add(CdnTarget.ORIGIN_ID.equals(id) ? Future.succeededFuture(CdnTarget.ORIGIN)
        : profiles.find(client, accountId, id).map(p -> {
          if (p == null) {
            throw new IllegalStateException("CDN profile " + id + " no longer exists; choose another CDN for the stream");
          }
          return target(p);
        }));
    }
    return Future.all(each).map(all -> each.stream().map(Future::result).toList());
  }

  /** Each profile the choice names exists for this account; an RTMP profile's rendition is in the ladder. */
  public Future<Void> checkChoice(SqlClient client, String accountId, StreamConfig config) {
    StreamConfig.Cdn cdn = config.cdn();
    List<Future<Void>> checks = new ArrayList<>();
    String[][] named = {{"cdn.primary", cdn.primary()}, {"cdn.backup", cdn.backup()}};
    for (String[] n : named) {
      if (n[1] == null || CdnTarget.ORIGIN_ID.equals(n[1])) {
        continue;
      }
      checks.add(profiles.find(client, accountId, n[1]).map(p -> {
        if (p == null) {
          throw new InvalidProfileException("unknown_cdn_profile", n[0], "there is no CDN profile '" + n[1]
            + "'; GET /api/v1/cdn-profiles lists them (origin is the built-in one)");
        }
        String rendition = p.settings().getString("rendition");
        if (CdnKind.RTMP.equals(p.kind()) && rendition != null
          && config.renditions().stream().noneMatch(r -> r.name().equals(rendition))) {
          throw new InvalidProfileException("unknown_rendition", n[0], "CDN profile '" + p.name() + "' pushes rendition '"
            + rendition + "', which this ladder does not have");
        }
        return null;
      }));
    }
    return Future.all(checks).mapEmpty();
  }

  private Future<Void> prove(CdnTarget target) {
    return Uploaders.checkProfile(vertx, target).onComplete(ar -> Meters.counter("ltm_cdn_checks",
        "CDN profile checks by kind and outcome", "kind", target.kind(),
        "result", ar.succeeded() ? "ok" : ar.cause() instanceof UploadException u ? u.code() : "error").increment())
      .recover(err -> Future.failedFuture(err instanceof UploadException u
      ? new ApiException(422, u.code(), "check of CDN profile '" + target.name() + "' failed: " + u.getMessage(),
        u.field(), null)
      : err));
  }

  private CdnTarget target(CdnProfileRepository.Profile p) {
    Map<String, String> settings = new HashMap<>();
    p.settings().forEach(e -> {
      if (e.getValue() instanceof String v) {
        settings.put(e.getKey(), v);
      }
    });
    Map<String, String> secrets = new HashMap<>();
    if (p.secretsBox() != null) {
      if (box == null) {
        throw new IllegalStateException("this server has no cdn.secretKey to decrypt CDN profile " + p.id() + " with");
      }
      box.open(p.id(), p.secretsBox()).forEach(e -> secrets.put(e.getKey(), String.valueOf(e.getValue())));
    }
    return new CdnTarget(p.id(), p.name(), p.kind(), settings, secrets);
  }

  private Future<CdnProfileRepository.Profile> owned(String accountId, String id) {
    return owned(pool, accountId, id);
  }

  private Future<CdnProfileRepository.Profile> owned(SqlClient client, String accountId, String id) {
    return profiles.find(client, accountId, id).map(p -> {
      if (p == null) {
        throw ApiException.notFound("CDN profile", id);
      }
      return p;
    });
  }

  /** Every request field as text; secrets among them are sorted out by {@link ProfileRules}. */
  private static Map<String, String> values(JsonObject body) {
    Map<String, String> values = new HashMap<>();
    body.forEach(e -> {
      if (e.getValue() instanceof String || e.getValue() instanceof Number) {
        values.put(e.getKey(), String.valueOf(e.getValue()));
      }
    });
    return values;
  }

  /** The API shape: public settings, and which secrets are set, never their values. */
  static JsonObject toJson(CdnProfileRepository.Profile p) {
    JsonObject json = new JsonObject().put("id", p.id()).put("name", p.name()).put("kind", p.kind());
    for (String f : ProfileRules.SETTINGS.getOrDefault(p.kind(), List.of())) {
      json.put(f, p.settings().getValue(f));
    }
    JsonArray set = new JsonArray();
    // Which secrets exist is known without decrypting: the names were stored with the public settings.
    p.settings().getJsonArray("secretsSet", new JsonArray()).forEach(set::add);
    return json.put("secretsSet", set)
      .put("createdAt", p.createdAt() == null ? null : p.createdAt().atOffset(ZoneOffset.UTC).toInstant().toString());
  }
}
