package io.ltm.agent;

import io.ltm.cdn.domain.CdnTarget;
import io.ltm.cdn.upload.UploadException;
import io.ltm.cdn.upload.Uploader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Uploads one stream to one CDN (http-put or s3): segments first, then the playlist (HLS) or manifest (DASH) that
 * names them, so a viewer never reads a playlist whose segments are not there yet. A few uploads run at once; a
 * failed one is retried with back-off; segments that left the window are deleted. Its queue is bounded: when the
 * CDN is slower than the encoder, the oldest waiting segments are dropped (and counted) — a slow or dead CDN never
 * holds up ffmpeg or another CDN, which each have their own queue and client. Touched only on the agent's context.
 */
final class CdnDelivery {
  private static final Logger LOG = LoggerFactory.getLogger(CdnDelivery.class);
  static final int IN_FLIGHT = 4;
  static final long RETRY_MIN_MS = 250;
  static final long RETRY_MAX_MS = 4_000;
  private static final int LATENCIES_KEPT = 50;

  /**
   * What has to go out; a playlist waits for the segments of its rendition queued before it, the DASH manifest for
   * every DASH segment queued before it.
   */
  sealed interface Item permits Segment, Playlist, Manifest, Delete {
  }

  /** Tracks of DASH segments start with this: {@code dash/<init segment>}, one per representation and run. */
  static final String DASH_TRACK = FfmpegCommand.DASH_DIR + "/";

  /**
   * @param track    what the segment belongs to: an HLS rendition's name, or {@link #DASH_TRACK} and the init segment
   *                 of its DASH representation
   * @param path     where it goes, relative to the stream's folder on the CDN ({@code 720p/seg_1.ts})
   * @param sequence its number in its track; {@link Long#MIN_VALUE} for an init segment
   */
  record Segment(String track, String path, Path file, long sequence, long closedAtMs) implements Item {
    boolean init() {
      return sequence == Long.MIN_VALUE;
    }
  }

  /** @param closedAtMs when ffmpeg wrote it, as its newest segment closed */
  record Manifest(String text, DashManifest parsed, long closedAtMs) implements Item {
  }

  record Playlist(String rendition, String text, List<HlsPlaylist.Segment> segments) implements Item {
  }

  record Delete(String path) implements Item {
  }

  /** One upload done: how long after the segment closed it became playable (for the benchmark), in ms. */
  interface Listener {
    /** @param format {@code hls} (a rendition's playlist) or {@code dash} (the manifest) */
    void delivered(CdnDelivery delivery, String format, long segmentClosedAtMs, long playableAtMs);

    void result(CdnDelivery delivery, boolean ok, String error);
  }

  private final Vertx vertx;
  private final CdnTarget target;
  private final Uploader uploader;
  private final String streamPath;
  private final int maxQueuedSegments;
  private final int keepBehind;
  private final Listener listener;
  private final Deque<Item> queue = new ArrayDeque<>();
  private final Set<Item> inFlight = new HashSet<>();
  private final Map<Item, Integer> attempts = new HashMap<>();
  /** Uploaded segments per track, by sequence: what a playlist may name, and what expires later. */
  private final Map<String, LinkedHashMap<Long, String>> uploaded = new HashMap<>();
  /** DASH tracks the last manifest no longer names (an earlier run), and how many manifests ago they left it. */
  private final Map<String, Integer> dashTracksGone = new HashMap<>();
  /** Segments of a track waiting or in flight. */
  private final Map<String, Integer> pendingSegments = new HashMap<>();
  private final Set<String> renditionsPublished = new HashSet<>();
  private final Map<String, Long> offeredUpTo = new HashMap<>();
  private final Set<String> initOffered = new HashSet<>();
  private final List<Long> latencies = new ArrayList<>();
  /** When each rendition's newest segment closed: the playlist that names it makes it playable. */
  private final Map<String, Long> lastClosed = new HashMap<>();
  private int expectedRenditions = 1;
  private String master;
  private boolean masterSent;
  private long retryTimer = -1;
  private long retryAtMs;
  private long failures;
  private long dropped;
  private String lastError;
  private boolean closed;

  /**
   * @param streamPath        folder of this stream on the CDN ({@code str_…})
   * @param maxQueuedSegments segments that may wait before the oldest is dropped
   * @param keepBehind        segments kept on the CDN after they left the playlist (players still reading them)
   */
  CdnDelivery(Vertx vertx, CdnTarget target, Uploader uploader, String streamPath, int maxQueuedSegments,
              int keepBehind, Listener listener) {
    this.vertx = vertx;
    this.target = target;
    this.uploader = uploader;
    this.streamPath = streamPath;
    this.maxQueuedSegments = maxQueuedSegments;
    this.keepBehind = keepBehind;
    this.listener = listener;
  }

  CdnTarget target() {
    return target;
  }

  String playbackUrl() {
    return uploader.publicUrl(streamPath + "/" + FfmpegCommand.MASTER_PLAYLIST);
  }

  String dashPlaybackUrl() {
    return uploader.publicUrl(streamPath + "/" + FfmpegCommand.DASH_DIR + "/" + FfmpegCommand.DASH_MANIFEST);
  }

  boolean hasUploaded(String track, long sequence) {
    LinkedHashMap<Long, String> done = uploaded.get(track);
    return done != null && done.containsKey(sequence);
  }

  /**
   * A segment newer than any offered before (older ones were uploaded, are waiting, or were dropped: offering
   * them again would only make a slow CDN slower). The init section of fMP4 goes once.
   */
  void offerSegment(Segment s) {
    if (closed || hasUploaded(s.track(), s.sequence())) {
      return;
    }
    Long upTo = offeredUpTo.get(s.track());
    if (s.init() ? initOffered.contains(s.track()) : upTo != null && s.sequence() <= upTo) {
      return;
    }
    if (s.init()) {
      initOffered.add(s.track());
    } else {
      offeredUpTo.put(s.track(), s.sequence());
    }
    queue.addLast(s);
    pendingSegments.merge(s.track(), 1, Integer::sum);
    dropOldestBeyondBound();
    pump();
  }

  /** A newer playlist of a rendition replaces one still waiting: only the latest matters. */
  void offerPlaylist(Playlist p) {
    if (closed) {
      return;
    }
    queue.removeIf(i -> i instanceof Playlist q && q.rendition().equals(p.rendition()) && !inFlight.contains(i));
    queue.addLast(p);
    pump();
  }

  /** A newer DASH manifest replaces one still waiting. */
  void offerManifest(Manifest m) {
    if (closed) {
      return;
    }
    queue.removeIf(i -> i instanceof Manifest && !inFlight.contains(i));
    queue.addLast(m);
    pump();
  }

  /** Sent once every rendition's playlist is on the CDN, so the master never names a missing playlist. */
  void offerMaster(String text) {
    if (!text.equals(master)) {
      master = text;
      masterSent = false;
    }
    pump();
  }

  /** Health for the heartbeat: latency, failures, drops and how far behind the encoder this CDN is. */
  JsonObject health(long nowMs) {
    long oldest = -1;
    for (Item i : queue) {
      if (i instanceof Segment s && (oldest < 0 || s.closedAtMs() < oldest)) {
        oldest = s.closedAtMs();
      }
    }
    for (Item i : inFlight) {
      if (i instanceof Segment s && (oldest < 0 || s.closedAtMs() < oldest)) {
        oldest = s.closedAtMs();
      }
    }
    List<Long> sorted = new ArrayList<>(latencies);
    sorted.sort(Long::compare);
    return new JsonObject()
      .put("uploadLatencyMs", sorted.isEmpty() ? null : sorted.get(sorted.size() / 2))
      .put("uploadLatencyMaxMs", sorted.isEmpty() ? null : sorted.get(sorted.size() - 1))
      .put("failures", failures)
      .put("dropped", dropped)
      .put("queued", queue.size())
      .put("secondsBehind", oldest < 0 ? 0.0 : Math.max(0, nowMs - oldest) / 1000.0)
      .put("lastError", lastError);
  }

  void close() {
    closed = true;
    queue.clear();
    if (retryTimer >= 0) {
      vertx.cancelTimer(retryTimer);
    }
    uploader.close();
  }

  private void dropOldestBeyondBound() {
    int segments = 0;
    for (Item i : queue) {
      if (i instanceof Segment) {
        segments++;
      }
    }
    Iterator<Item> it = queue.iterator();
    while (segments > maxQueuedSegments && it.hasNext()) {
      Item i = it.next();
      // An init segment is never dropped: every later segment of its track needs it.
      if (i instanceof Segment s && !s.init() && !inFlight.contains(i)) {
        it.remove();
        attempts.remove(i);
        pendingSegments.merge(s.track(), -1, Integer::sum);
        segments--;
        dropped++;
        LOG.warn("CDN {} is behind: dropped segment {} ({} dropped so far)", target.name(), s.path(), dropped);
      }
    }
  }

  /** Starts what may start now, in queue order, up to {@link #IN_FLIGHT}. */
  private void pump() {
    if (closed) {
      return;
    }
    long now = System.currentTimeMillis();
    if (now < retryAtMs) {
      scheduleRetry(retryAtMs - now);
      return;
    }
    Set<String> segmentsAhead = new HashSet<>();
    boolean dashAhead = false;
    for (Item i : new ArrayList<>(queue)) {
      if (inFlight.size() >= IN_FLIGHT) {
        break;
      }
      if (i instanceof Segment s) {
        segmentsAhead.add(s.track());
        dashAhead |= s.track().startsWith(DASH_TRACK);
      }
      if (inFlight.contains(i)) {
        continue;
      }
      if (i instanceof Playlist p && (segmentsAhead.contains(p.rendition())
        || inFlight.stream().anyMatch(f -> f instanceof Playlist q && q.rendition().equals(p.rendition())))) {
        continue;
      }
      if (i instanceof Manifest && (dashAhead || inFlight.stream().anyMatch(f -> f instanceof Manifest))) {
        continue;
      }
      start(i);
    }
    if (master != null && !masterSent && inFlight.size() < IN_FLIGHT
      && renditionsPublished.size() >= expectedRenditions) {
      masterSent = true;
      String text = master;
      long started = System.currentTimeMillis();
      uploader.put(streamPath + "/" + FfmpegCommand.MASTER_PLAYLIST, Buffer.buffer(text),
          Uploader.contentType(".m3u8"), Uploader.cacheControl(".m3u8"))
        .onComplete(ar -> {
          outcome(ar.succeeded(), ar.cause(), started);
          if (ar.failed()) {
            masterSent = false;
            backOff(1);
          }
          pump();
        });
    }
  }

  /** The master playlist waits for this many renditions' playlists. */
  void expectRenditions(int n) {
    expectedRenditions = n;
  }

  private void start(Item item) {
    inFlight.add(item);
    long started = System.currentTimeMillis();
    Future<Void> upload;
    if (item instanceof Segment s) {
      upload = vertx.fileSystem().readFile(s.file().toString())
        .recover(err -> Future.failedFuture(new GoneException()))
        .compose(bytes -> uploader.put(streamPath + "/" + s.path(), bytes,
          Uploader.contentType(s.path()), Uploader.cacheControl(s.path())));
    } else if (item instanceof Playlist p) {
      upload = publishPlaylist(p);
    } else if (item instanceof Manifest m) {
      upload = publishManifest(m);
    } else {
      upload = uploader.delete(((Delete) item).path());
    }
    upload.onComplete(ar -> {
      inFlight.remove(item);
      if (closed) {
        return;
      }
      if (ar.failed() && ar.cause() instanceof GoneException && item instanceof Segment s) {
        // ffmpeg deleted it before this CDN got to it: as good as dropped.
        finish(item);
        dropped++;
        pendingSegments.merge(s.track(), -1, Integer::sum);
        pump();
        return;
      }
      outcome(ar.succeeded(), ar.cause(), started);
      if (ar.succeeded()) {
        finish(item);
        if (item instanceof Segment s) {
          pendingSegments.merge(s.track(), -1, Integer::sum);
          uploaded.computeIfAbsent(s.track(), r -> new LinkedHashMap<>()).put(s.sequence(), s.path());
        }
      } else {
        int n = attempts.merge(item, 1, Integer::sum);
        if (item instanceof Delete && n > 3) {
          finish(item);
        } else {
          backOff(n);
        }
      }
      pump();
    });
  }

  /**
   * Uploads the playlist naming only segments this CDN has: a segment it never got (dropped) must not be named, so
   * the playlist starts after the newest one missing, keeping every segment's sequence number.
   */
  private Future<Void> publishPlaylist(Playlist p) {
    int missingUpTo = -1;
    for (int i = 0; i < p.segments().size(); i++) {
      if (!hasUploaded(p.rendition(), p.segments().get(i).sequence())) {
        missingUpTo = i;
      }
    }
    if (missingUpTo == p.segments().size() - 1) {
      return Future.succeededFuture();
    }
    String text = HlsPlaylist.dropFirst(p.text(), missingUpTo + 1);
    long newestClosed = lastClosed.getOrDefault(p.rendition(), 0L);
    return uploader.put(streamPath + "/" + p.rendition() + "/" + FfmpegCommand.RENDITION_PLAYLIST, Buffer.buffer(text),
        Uploader.contentType(".m3u8"), Uploader.cacheControl(".m3u8"))
      .onSuccess(v -> {
        renditionsPublished.add(p.rendition());
        if (newestClosed > 0) {
          listener.delivered(this, "hls", newestClosed, System.currentTimeMillis());
        }
        expire(p);
      });
  }

  /** When the newest segment of a rendition closed; the playlist that follows makes it playable. */
  void segmentClosed(String rendition, long closedAtMs) {
    lastClosed.put(rendition, closedAtMs);
  }

  /**
   * Uploads the DASH manifest once every segment it names is on this CDN. Its template names no file, so a segment
   * this CDN never got (dropped) is kept out the way HLS does it: each representation's timeline starts after the
   * newest one missing, every segment keeping its number and time. Without its init segment, or with none of a
   * representation's segments, there is nothing a player could use: the manifest waits for the next one.
   */
  private Future<Void> publishManifest(Manifest m) {
    String text = DashManifest.publishable(m.text(), m.parsed(),
      (r, number) -> hasUploaded(DASH_TRACK + r.initUri(), number));
    if (text == null) {
      return Future.succeededFuture();
    }
    String path = FfmpegCommand.DASH_DIR + "/" + FfmpegCommand.DASH_MANIFEST;
    return uploader.put(streamPath + "/" + path, Buffer.buffer(text), Uploader.contentType(path),
      Uploader.cacheControl(path)).onSuccess(v -> {
        listener.delivered(this, "dash", m.closedAtMs(), System.currentTimeMillis());
        expireDash(m.parsed());
      });
  }

  /** Segments more than {@code keepBehind} older than the playlist's first are deleted from the CDN. */
  private void expire(Playlist p) {
    if (!p.segments().isEmpty()) {
      expire(p.rendition(), p.segments().get(0).sequence());
    }
  }

  /**
   * Each representation's segments more than {@code keepBehind} older than the manifest's first are deleted; a
   * track the manifest no longer names (ffmpeg restarted: a new run, new names) goes entirely, init segment too,
   * once {@code keepBehind} manifests have passed without it.
   */
  private void expireDash(DashManifest manifest) {
    Set<String> named = new HashSet<>();
    for (DashManifest.Representation r : manifest.representations()) {
      String track = DASH_TRACK + r.initUri();
      named.add(track);
      dashTracksGone.remove(track);
      expire(track, r.segments().get(0).number());
    }
    for (String track : new ArrayList<>(uploaded.keySet())) {
      if (!track.startsWith(DASH_TRACK) || named.contains(track)) {
        continue;
      }
      if (dashTracksGone.merge(track, 1, Integer::sum) > keepBehind) {
        uploaded.remove(track).values().forEach(path -> queue.addLast(new Delete(streamPath + "/" + path)));
        dashTracksGone.remove(track);
      }
    }
  }

  /** Deletes the track's segments numbered below {@code first - keepBehind}; its init segment stays. */
  private void expire(String track, long first) {
    LinkedHashMap<Long, String> done = uploaded.get(track);
    if (done == null) {
      return;
    }
    Iterator<Map.Entry<Long, String>> it = done.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, String> e = it.next();
      if (e.getKey() != Long.MIN_VALUE && e.getKey() < first - keepBehind) {
        queue.addLast(new Delete(streamPath + "/" + e.getValue()));
        it.remove();
      }
    }
  }

  private void finish(Item item) {
    queue.remove(item);
    attempts.remove(item);
  }

  private void outcome(boolean ok, Throwable err, long startedMs) {
    if (ok) {
      latencies.add(System.currentTimeMillis() - startedMs);
      if (latencies.size() > LATENCIES_KEPT) {
        latencies.remove(0);
      }
      listener.result(this, true, null);
    } else {
      failures++;
      lastError = err instanceof UploadException u ? u.code() + ": " + u.getMessage() : String.valueOf(err);
      listener.result(this, false, lastError);
    }
  }

  private void backOff(int attempt) {
    long delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS << Math.min(attempt - 1, 5));
    retryAtMs = System.currentTimeMillis() + delay;
    scheduleRetry(delay);
  }

  private void scheduleRetry(long delay) {
    if (retryTimer >= 0) {
      return;
    }
    retryTimer = vertx.setTimer(Math.max(1, delay), id -> {
      retryTimer = -1;
      pump();
    });
  }

  /** The local segment file is gone. */
  private static final class GoneException extends RuntimeException {
    GoneException() {
      super("segment file gone", null, false, false);
    }
  }
}
