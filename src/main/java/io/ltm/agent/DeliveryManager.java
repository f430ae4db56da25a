package io.ltm.agent;

import io.ltm.cdn.domain.CdnKind;
import io.ltm.cdn.domain.CdnTarget;
import io.ltm.cdn.domain.FailoverPolicy;
import io.ltm.cdn.upload.UploadException;
import io.ltm.cdn.upload.Uploaders;
import io.ltm.stream.domain.Rendition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileSystem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Sends the stream out through its CDNs, as the pipeline's {@link Pipeline.Delivery} says: watches each rendition's
 * playlist (and the DASH manifest when the stream has DASH), hands new segments and then the playlist or manifest to
 * every CDN that should have them (the active one in
 * {@code failover} mode, all in {@code both}), probes a standby CDN in the background, and switches the active CDN
 * with a {@link FailoverPolicy}. A switch is announced through {@code onSwitch}. Touched only on the agent's context.
 */
final class DeliveryManager implements CdnDelivery.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryManager.class);
  static final long WATCH_MS = 100;
  static final long PROBE_MS = 2_000;
  static final long EVALUATE_MS = 500;

  /** A switch of active CDN, for the server: ids, the new playback URLs (HLS, and DASH or null), and why. */
  record Switch(String active, String activeName, String previous, String reason, String playbackUrl,
                String dashPlaybackUrl) {
  }

  private final Vertx vertx;
  private final Context context;
  private final Pipeline pipeline;
  private final Path hlsDir;
  private final String originUrl;
  private final Consumer<Switch> onSwitch;
  private final List<CdnTarget> targets;
  private final Object[] outlets;
  private final FailoverPolicy policy;
  private final Map<String, String> lastPlaylist = new HashMap<>();
  private final Map<String, Long> lastSequence = new HashMap<>();
  private final Map<String, Long> lastModified = new HashMap<>();
  private final List<Long> timers = new ArrayList<>();
  private final List<long[]> deliveredLatencies = new ArrayList<>();
  private String master;
  /** The DASH manifest as last read, and when ffmpeg wrote it. */
  private String dashText;
  private long dashModified = -1;
  private boolean watching;
  private boolean stopped;

  /** @param originUrl the agent's own master playlist URL: the playback URL of the built-in origin */
  DeliveryManager(Vertx vertx, Context context, Pipeline pipeline, Path hlsDir, String originUrl,
                  Consumer<Switch> onSwitch) {
    this.vertx = vertx;
    this.context = context;
    this.pipeline = pipeline;
    this.hlsDir = hlsDir;
    this.originUrl = originUrl;
    this.onSwitch = onSwitch;
    this.targets = pipeline.delivery().targets();
    this.outlets = new Object[targets.size()];
    this.policy = new FailoverPolicy(targets.size(), pipeline.delivery().failoverSeconds() * 1000L,
      pipeline.delivery().failbackSeconds() * 1000L, pipeline.delivery().failback());
  }

  /**
   * Checks every CDN before the stream goes out. A CDN that refuses our credentials or has no such bucket/URL is
   * wrong, not down: when no CDN can be used, the start fails with that plain reason.
   */
  Future<Void> start() {
    if (pipeline.delivery().onlyOrigin()) {
      // The agent's own HTTP server is the CDN: nothing to watch, upload or probe.
      return Future.succeededFuture();
    }
    List<Future<UploadException>> checks = new ArrayList<>();
    for (CdnTarget t : targets) {
      checks.add(CdnTarget.ORIGIN_ID.equals(t.id()) ? Future.succeededFuture(null)
        : Uploaders.check(vertx, t).map(v -> (UploadException) null)
          .otherwise(err -> err instanceof UploadException u ? u
            : new UploadException(UploadException.REFUSED, String.valueOf(err.getMessage()), null)));
    }
    return Future.all(checks).compose(all -> {
      long now = System.currentTimeMillis();
      int passed = -1;
      int down = -1;
      for (int i = 0; i < targets.size(); i++) {
        UploadException e = checks.get(i).result();
        if (e == null) {
          policy.succeeded(i, now);
          passed = passed < 0 ? i : passed;
        } else {
          policy.failed(i, now, e.getMessage());
          if (!e.transientFailure()) {
            LOG.error("CDN {} refused the check: {}", targets.get(i).name(), e.getMessage());
          } else if (down < 0) {
            down = i;
          }
        }
      }
      // Start on a CDN that took the probe; one that is only down (not refusing us) may come back, so with none
      // better the stream starts there and the failover rules take it from there.
      int usable = passed >= 0 ? passed : down;
      if (usable < 0) {
        UploadException first = checks.get(0).result();
        return Future.failedFuture(new IllegalStateException("CDN '" + targets.get(0).name() + "' (" + targets.get(0).kind()
          + ") cannot take the stream: " + first.getMessage()));
      }
      policy.startOn(usable);
      for (int i = 0; i < targets.size(); i++) {
        outlets[i] = outlet(i);
      }
      timers.add(vertx.setPeriodic(WATCH_MS, id -> watch()));
      timers.add(vertx.setPeriodic(PROBE_MS, id -> probeStandbys()));
      timers.add(vertx.setPeriodic(EVALUATE_MS, id -> evaluate()));
      if (usable != 0) {
        int chosen = usable;
        UploadException why = checks.get(0).result();
        context.runOnContext(v -> onSwitch.accept(new Switch(targets.get(chosen).id(), targets.get(chosen).name(),
          targets.get(0).id(), "primary CDN failed its check at start (" + why.getMessage() + ")", playbackUrl(chosen),
          dashPlaybackUrl(chosen))));
      }
      return Future.succeededFuture();
    });
  }

  String activeId() {
    return targets.get(policy.active()).id();
  }

  String playbackUrl() {
    return playbackUrl(policy.active());
  }

  /** The DASH manifest on the active CDN; null when the stream has no DASH or the CDN carries none (rtmp). */
  String dashPlaybackUrl() {
    return dashPlaybackUrl(policy.active());
  }

  /** Per-CDN health for the heartbeat. */
  JsonObject health() {
    long now = System.currentTimeMillis();
    JsonArray list = new JsonArray();
    for (int i = 0; i < targets.size(); i++) {
      CdnTarget t = targets.get(i);
      boolean active = i == policy.active();
      boolean delivering = active || pipeline.delivery().both();
      JsonObject h = new JsonObject().put("id", t.id()).put("name", t.name()).put("kind", t.kind())
        .put("role", i == 0 ? "primary" : "backup").put("active", active)
        .put("state", policy.failing(i) ? "failing" : delivering ? "ok" : "standby");
      if (outlets[i] instanceof CdnDelivery d) {
        h.mergeIn(d.health(now));
        if (!delivering) {
          h.put("secondsBehind", null);
        }
      } else if (outlets[i] instanceof RtmpPush r) {
        h.mergeIn(r.health(now));
      } else {
        h.put("secondsBehind", 0.0).put("failures", 0);
      }
      list.add(h);
    }
    return new JsonObject().put("activeCdn", activeId()).put("cdn", list);
  }

  /** Closed-to-playable delays (ms) measured so far, per CDN id; for the benchmark's log line. */
  List<long[]> deliveredLatencies() {
    return deliveredLatencies;
  }

  Future<Void> stop() {
    stopped = true;
    timers.forEach(vertx::cancelTimer);
    List<Future<?>> gone = new ArrayList<>();
    for (Object o : outlets) {
      if (o instanceof CdnDelivery d) {
        d.close();
      } else if (o instanceof RtmpPush r) {
        gone.add(r.stop());
      }
    }
    return Future.all(gone).mapEmpty();
  }

  @Override
  public void delivered(CdnDelivery delivery, String format, long segmentClosedAtMs, long playableAtMs) {
    long ms = playableAtMs - segmentClosedAtMs;
    LOG.info("delivered cdn={} format={} closedToPlayableMs={}", delivery.target().id(), format, ms);
  }

  @Override
  public void result(CdnDelivery delivery, boolean ok, String error) {
    int i = targets.indexOf(delivery.target());
    if (ok) {
      policy.succeeded(i, System.currentTimeMillis());
    } else {
      policy.failed(i, System.currentTimeMillis(), error);
    }
  }

  private Object outlet(int i) {
    CdnTarget t = targets.get(i);
    if (t.uploads()) {
      // 8 segments per rendition may wait, and as many per DASH representation (video and audio of each rendition).
      int tracks = pipeline.renditions().size() * (pipeline.dash() ? 3 : 1);
      CdnDelivery d = new CdnDelivery(vertx, t, Uploaders.create(vertx, t), pipeline.streamId(), 8 * tracks,
        pipeline.hls().listSize(), this);
      d.expectRenditions(pipeline.renditions().size());
      return d;
    }
    if (CdnKind.RTMP.equals(t.kind())) {
      return new RtmpPush(vertx, context, t, hlsDir, pipeline, ok -> {
        if (ok == null) {
          return;
        }
        int idx = targets.indexOf(t);
        if (ok) {
          policy.succeeded(idx, System.currentTimeMillis());
        } else {
          policy.failed(idx, System.currentTimeMillis(), "the RTMP push ended");
        }
      });
    }
    return null;
  }

  private boolean delivers(int i) {
    return i == policy.active() || pipeline.delivery().both();
  }

  /** New segments of each rendition, then its playlist, to every CDN that delivers. */
  private void watch() {
    if (watching || stopped) {
      return;
    }
    watching = true;
    FileSystem fs = vertx.fileSystem();
    List<Future<Void>> reads = new ArrayList<>();
    for (Rendition r : pipeline.renditions()) {
      Path file = hlsDir.resolve(r.name()).resolve(FfmpegCommand.RENDITION_PLAYLIST);
      reads.add(fs.props(file.toString()).compose(props -> {
        Long seen = lastModified.get(r.name());
        if (seen != null && seen == props.lastModifiedTime()) {
          return Future.succeededFuture();
        }
        return fs.readFile(file.toString()).map(text -> {
          lastModified.put(r.name(), props.lastModifiedTime());
          playlistChanged(r.name(), text.toString(), props.lastModifiedTime());
          return null;
        });
      }).<Void>mapEmpty().otherwiseEmpty());
    }
    if (pipeline.dash()) {
      Path file = hlsDir.resolve(FfmpegCommand.DASH_DIR).resolve(FfmpegCommand.DASH_MANIFEST);
      // ffmpeg writes the manifest aside and renames it: what is read is always a whole one.
      reads.add(fs.props(file.toString()).compose(props -> props.lastModifiedTime() == dashModified
        ? Future.succeededFuture()
        : fs.readFile(file.toString()).map(text -> {
          dashModified = props.lastModifiedTime();
          dashChanged(text.toString(), props.lastModifiedTime());
          return null;
        })).<Void>mapEmpty().otherwiseEmpty());
    }
    if (master == null) {
      reads.add(fs.readFile(hlsDir.resolve(FfmpegCommand.MASTER_PLAYLIST).toString()).map(text -> {
        master = text.toString();
        return (Void) null;
      }).otherwiseEmpty());
    }
    Future.all(reads).onComplete(ar -> {
      watching = false;
      if (master != null && lastPlaylist.size() == pipeline.renditions().size()) {
        for (int i = 0; i < outlets.length; i++) {
          if (outlets[i] instanceof CdnDelivery d && delivers(i)) {
            d.offerMaster(master);
          } else if (outlets[i] instanceof RtmpPush p && delivers(i)) {
            p.ensureRunning();
          }
        }
      }
    });
  }

  private void playlistChanged(String rendition, String text, long modifiedMs) {
    HlsPlaylist playlist = HlsPlaylist.parse(text);
    if (playlist.segments().isEmpty()) {
      return;
    }
    long newest = playlist.segments().get(playlist.segments().size() - 1).sequence();
    Long before = lastSequence.get(rendition);
    if (before != null && newest < before) {
      // ffmpeg restarted (input back): numbering starts over; what the CDN has stays, the new run follows.
      LOG.info("rendition {} restarted its numbering at {}", rendition, newest);
    }
    lastSequence.put(rendition, newest);
    lastPlaylist.put(rendition, text);
    for (int i = 0; i < outlets.length; i++) {
      if (outlets[i] instanceof CdnDelivery d && delivers(i)) {
        offerAll(d, rendition, text, playlist, modifiedMs);
      }
    }
  }

  private void offerAll(CdnDelivery d, String rendition, String text, HlsPlaylist playlist, long closedAtMs) {
    Path dir = hlsDir.resolve(rendition);
    if (playlist.initUri() != null) {
      d.offerSegment(new CdnDelivery.Segment(rendition, rendition + "/" + playlist.initUri(),
        dir.resolve(playlist.initUri()), Long.MIN_VALUE, closedAtMs));
    }
    for (HlsPlaylist.Segment s : playlist.segments()) {
      d.offerSegment(new CdnDelivery.Segment(rendition, rendition + "/" + s.uri(), dir.resolve(s.uri()), s.sequence(),
        closedAtMs));
    }
    d.segmentClosed(rendition, closedAtMs);
    d.offerPlaylist(new CdnDelivery.Playlist(rendition, text, playlist.segments()));
  }

  private void dashChanged(String text, long modifiedMs) {
    DashManifest manifest = DashManifest.parse(text);
    if (manifest.representations().isEmpty()
      || manifest.representations().stream().anyMatch(r -> r.segments().isEmpty() || r.initUri() == null)) {
      return;
    }
    dashText = text;
    for (int i = 0; i < outlets.length; i++) {
      if (outlets[i] instanceof CdnDelivery d && delivers(i)) {
        offerDash(d, text, manifest, modifiedMs);
      }
    }
  }

  /** Each representation's init segment, then its segments in the manifest's window, then the manifest. */
  private void offerDash(CdnDelivery d, String text, DashManifest manifest, long closedAtMs) {
    Path dir = hlsDir.resolve(FfmpegCommand.DASH_DIR);
    String folder = FfmpegCommand.DASH_DIR + "/";
    for (DashManifest.Representation r : manifest.representations()) {
      String track = CdnDelivery.DASH_TRACK + r.initUri();
      d.offerSegment(new CdnDelivery.Segment(track, folder + r.initUri(), dir.resolve(r.initUri()), Long.MIN_VALUE,
        closedAtMs));
      for (DashManifest.Segment s : r.segments()) {
        d.offerSegment(new CdnDelivery.Segment(track, folder + s.uri(), dir.resolve(s.uri()), s.number(), closedAtMs));
      }
    }
    d.offerManifest(new CdnDelivery.Manifest(text, manifest, closedAtMs));
  }

  /** A CDN that receives nothing (failover standby) is still proved every few seconds, so it can be switched to. */
  private void probeStandbys() {
    for (int i = 0; i < targets.size(); i++) {
      int idx = i;
      CdnTarget t = targets.get(i);
      if (delivers(i) && !(outlets[i] instanceof RtmpPush) || CdnTarget.ORIGIN_ID.equals(t.id())) {
        continue;
      }
      if (outlets[i] instanceof RtmpPush push && delivers(i)) {
        continue;
      }
      Uploaders.check(vertx, t).onComplete(ar -> {
        long now = System.currentTimeMillis();
        if (ar.succeeded()) {
          policy.succeeded(idx, now);
        } else {
          policy.failed(idx, now, ar.cause().getMessage());
        }
      });
    }
  }

  private void evaluate() {
    if (stopped) {
      return;
    }
    FailoverPolicy.Switch s = policy.evaluate(System.currentTimeMillis());
    if (s == null) {
      return;
    }
    LOG.warn("switching CDN from {} to {}: {}", targets.get(s.from()).name(), targets.get(s.to()).name(), s.reason());
    if (!pipeline.delivery().both()) {
      // The new active CDN gets the whole current window first, so its playlist plays at once.
      if (outlets[s.to()] instanceof CdnDelivery d) {
        lastPlaylist.forEach((rendition, text) -> offerAll(d, rendition, text, HlsPlaylist.parse(text),
          System.currentTimeMillis()));
        if (dashText != null) {
          offerDash(d, dashText, DashManifest.parse(dashText), System.currentTimeMillis());
        }
        if (master != null) {
          d.offerMaster(master);
        }
      }
      if (outlets[s.from()] instanceof RtmpPush p) {
        p.stop();
      }
    }
    onSwitch.accept(new Switch(targets.get(s.to()).id(), targets.get(s.to()).name(), targets.get(s.from()).id(),
      s.reason(), playbackUrl(s.to()), dashPlaybackUrl(s.to())));
  }

  private String playbackUrl(int i) {
    CdnTarget t = targets.get(i);
    if (CdnTarget.ORIGIN_ID.equals(t.id())) {
      return originUrl;
    }
    if (outlets[i] instanceof CdnDelivery d) {
      return d.playbackUrl();
    }
    if (outlets[i] == null && t.uploads()) {
      return Uploaders.create(vertx, t).publicUrl(pipeline.streamId() + "/" + FfmpegCommand.MASTER_PLAYLIST);
    }
    String url = t.setting("playbackUrl");
    return url == null ? null : url.replace("{streamId}", pipeline.streamId());
  }

  private String dashPlaybackUrl(int i) {
    CdnTarget t = targets.get(i);
    String manifest = FfmpegCommand.DASH_DIR + "/" + FfmpegCommand.DASH_MANIFEST;
    if (!pipeline.dash()) {
      return null;
    }
    if (CdnTarget.ORIGIN_ID.equals(t.id())) {
      // The agent serves its whole output folder: the manifest sits beside the master playlist.
      return originUrl.substring(0, originUrl.lastIndexOf('/') + 1) + manifest;
    }
    if (outlets[i] instanceof CdnDelivery d) {
      return d.dashPlaybackUrl();
    }
    return null;
  }
}
