package io.ltm.stream;

import io.ltm.cdn.CdnProfileService;
import io.ltm.db.Transactions;
import io.ltm.common.ApiException;
import io.ltm.events.EventLog;
import io.ltm.events.EventTypes;
import io.ltm.order.Offer;
import io.ltm.order.OfferRepository;
import io.ltm.stream.domain.Codecs;
import io.ltm.stream.domain.ConfigRules;
import io.ltm.stream.domain.Pricing;
import io.ltm.stream.domain.Rendition;
import io.ltm.stream.domain.StreamConfig;
import io.ltm.stream.domain.StreamLifecycle;
import io.ltm.stream.domain.StreamState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a stream produces: presets, the versioned configuration of each stream, quotes and this service's
 * capabilities. A change is validated against the stream's offer and the encoders ffmpeg has, and written as a
 * new version in one transaction with the stream row locked.
 */
public class StreamConfigService {
  /** States in which nothing runs, so nothing running has to follow a change. */
  static final Set<StreamState> CONFIGURABLE = EnumSet.of(StreamState.CREATED, StreamState.STOPPED, StreamState.FAILED);
  /** What a running stream will one day accept without a restart; said in the 409 so clients can plan for it. */
  static final List<String> LIVE_CHANGES_LATER = List.of("outputs.rtmp", "adding or removing a rendition");

  private final Vertx vertx;
  private final Pool pool;
  private final StreamRepository streams;
  private final StreamConfigRepository configs;
  private final OfferRepository offers;
  private final PresetCatalog presets;
  private final EncoderProbe probe;
  private final CdnProfileService cdn;

  public StreamConfigService(Vertx vertx, Pool pool, StreamRepository streams, StreamConfigRepository configs,
                             OfferRepository offers, PresetCatalog presets, EncoderProbe probe, CdnProfileService cdn) {
    this.cdn = cdn;
    this.vertx = vertx;
    this.pool = pool;
    this.streams = streams;
    this.configs = configs;
    this.offers = offers;
    this.presets = presets;
    this.probe = probe;
  }

  public JsonObject presets() {
    JsonArray items = new JsonArray();
    presets.all().forEach(p -> items.add(p.toJson()));
    return new JsonObject().put("items", items);
  }

  public Future<JsonObject> capabilities() {
    return probe.encoders().map(available -> new JsonObject()
      .put("videoCodecs", codecs(Codecs.VIDEO, available))
      .put("audioCodecs", codecs(Codecs.AUDIO, available))
      .put("hlsSegmentTypes", new JsonArray().add(StreamConfig.Hls.TS).add(StreamConfig.Hls.FMP4))
      .put("outputs", new JsonArray().add("hls").add("dash").add("rtmp"))
      .put("cdnKinds", new JsonArray().add("origin").add("http-put").add("s3").add("rtmp"))
      .put("cdnModes", new JsonArray().add("failover").add("both"))
      .put("maxRenditions", ConfigRules.MAX_RENDITIONS)
      .put("videoBitrateKbps", new JsonObject().put("min", ConfigRules.MIN_VIDEO_KBPS).put("max", ConfigRules.MAX_VIDEO_KBPS))
      .put("audioBitrateKbps", new JsonObject().put("min", ConfigRules.MIN_AUDIO_KBPS).put("max", ConfigRules.MAX_AUDIO_KBPS)));
  }

  public Future<JsonObject> current(String accountId, String streamId) {
    return streams.owned(pool, accountId, streamId)
      .compose(s -> configs.find(pool, s.id(), s.configVersion()))
      .map(StreamConfigRepository.Version::toJson);
  }

  public Future<JsonObject> versions(String accountId, String streamId) {
    return streams.owned(pool, accountId, streamId).compose(s -> configs.list(pool, s.id()).map(list -> {
      JsonArray items = new JsonArray();
      list.forEach(v -> items.add(v.toJson()));
      return new JsonObject().put("currentVersion", s.configVersion()).put("items", items);
    }));
  }

  /** PATCH: a preset or a custom ladder, and outputs; what the request leaves out stays as it is. */
  public Future<Stream> change(String accountId, String streamId, JsonObject patch) {
    return probe.encoders().compose(available -> Transactions.inAccount(pool, accountId, conn -> lockConfigurable(conn, accountId, streamId)
        .compose(s -> configs.find(conn, s.id(), s.configVersion()).compose(current -> offers.find(conn, s.offerId())
          .compose(offer -> {
            StreamConfig next = merge(current.config(), patch);
            ConfigRules.check(next, limits(offer), available);
            return cdn.checkChoice(conn, accountId, next).compose(v -> save(conn, s, next, "changed"));
          })))))
      .onSuccess(v -> vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null))
      .compose(v -> streams.findForAccount(pool, accountId, streamId));
  }

  /** Makes an earlier version current again, as a new version: history is never rewritten. */
  public Future<Stream> restore(String accountId, String streamId, int version) {
    return probe.encoders().compose(available -> Transactions.inAccount(pool, accountId, conn -> lockConfigurable(conn, accountId, streamId)
        .compose(s -> configs.find(conn, s.id(), version).compose(old -> {
          if (old == null) {
            return Future.failedFuture(ApiException.notFound("configuration version", version + " of stream " + streamId));
          }
          return offers.find(conn, s.offerId()).compose(offer -> {
            ConfigRules.check(old.config(), limits(offer), available);
            return cdn.checkChoice(conn, accountId, old.config())
              .compose(v -> save(conn, s, old.config(), "restored version " + version));
          });
        }))))
      .onSuccess(v -> vertx.eventBus().send(EventTypes.OUTBOX_WAKEUP, null))
      .compose(v -> streams.findForAccount(pool, accountId, streamId));
  }

  /** The hourly price of a configuration on an offer, line by line; nothing is written. */
  public Future<JsonObject> quote(JsonObject request) {
    String offerId = request.getString("offerId");
    return probe.encoders().compose(available -> offers.findActive(pool, offerId).map(offer -> {
      if (offer == null) {
        throw ApiException.unprocessable("unknown_offer",
          "there is no offer '" + offerId + "'; GET /api/v1/offers lists them", "offerId");
      }
      StreamConfig config = merge(StreamConfigRepository.fromOffer(offer.renditions()), request);
      ConfigRules.check(config, limits(offer), available);
      Pricing.Quote quote = Pricing.quote(offer.pricePerHourCents(), StreamConfigJson.ladder(offer.renditions()), config);
      JsonArray lines = new JsonArray();
      quote.lines().forEach(l -> lines.add(new JsonObject().put("item", l.item()).put("cents", l.cents())));
      return new JsonObject().put("offerId", offerId).put("currency", offer.currency())
        .put("pricePerHourCents", quote.pricePerHourCents()).put("lines", lines)
        .put("config", StreamConfigJson.toJson(config));
    }));
  }

  /** The next version, and the event that tells the account's browsers, in the caller's transaction. */
  private Future<Void> save(SqlConnection conn, Stream s, StreamConfig config, String reason) {
    int next = s.configVersion() + 1;
    return configs.save(conn, s.id(), next, config, reason)
      .compose(v -> EventLog.append(conn, s.accountId(), EventTypes.STREAM_CONFIG, s.id(), new JsonObject()
        .put("configVersion", next)
        .put("detail", new JsonObject().put("preset", config.preset()).put("reason", reason)
          .put("renditions", new JsonArray(config.renditions().stream().map(Rendition::name).toList())))))
      .mapEmpty();
  }

  private StreamConfig merge(StreamConfig current, JsonObject patch) {
    StreamConfig base = current;
    String presetId = patch.getString("preset");
    if (presetId != null) {
      if (patch.containsKey("renditions")) {
        throw ApiException.badRequest("preset_and_ladder", "send either a preset or renditions, not both",
          "renditions");
      }
      PresetCatalog.Preset preset = presets.find(presetId);
      if (preset == null) {
        throw ApiException.badRequest("unknown_preset", "there is no preset '" + presetId
          + "'; GET /api/v1/presets lists them", "preset");
      }
      base = preset.config();
    } else if (patch.containsKey("renditions")) {
      base = new StreamConfig(null, StreamConfigJson.ladder(patch.getJsonArray("renditions")), current.outputs());
    }
    JsonObject outputs = patch.getJsonObject("outputs");
    StreamConfig.Outputs merged = outputs == null ? base.outputs() : StreamConfigJson.outputs(outputs, base.outputs());
    // A preset says nothing about delivery: the stream's CDN choice stays unless the patch changes it.
    StreamConfig.Cdn cdn = StreamConfigJson.cdn(patch.getJsonObject("cdn"), current.cdn());
    return new StreamConfig(base.preset(), base.renditions(), merged, cdn).withDefaults();
  }

  private Future<Stream> lockConfigurable(SqlConnection conn, String accountId, String streamId) {
    return streams.lockOwned(conn, accountId, streamId).map(s -> {
      if (!CONFIGURABLE.contains(s.state())) {
        throw ApiException.conflict("stream_running", "stream " + streamId + " is " + s.state()
          + ": its configuration can change only while it is CREATED, STOPPED or FAILED; stop it first. "
          + "Changing " + String.join(" and ", LIVE_CHANGES_LATER) + " on a running stream is planned, not yet "
          + "available.", new JsonObject().put("state", s.state().name())
          .put("allowedActions", new JsonArray(StreamLifecycle.allowedActions(s.state()).stream().toList()))
          .put("changeableLiveLater", new JsonArray(LIVE_CHANGES_LATER)));
      }
      return s;
    });
  }

  private static ConfigRules.Limits limits(Offer offer) {
    List<Rendition> ladder = offer == null ? List.of() : StreamConfigJson.ladder(offer.renditions());
    return ConfigRules.Limits.of(ladder);
  }

  private static JsonArray codecs(Map<String, String> known, Set<String> available) {
    JsonArray list = new JsonArray();
    known.forEach((codec, encoder) -> list.add(new JsonObject().put("codec", codec).put("encoder", encoder)
      .put("available", available.contains(encoder))));
    return list;
  }
}
