// Live events over the SockJS event-bus bridge. The browser is authenticated by its session cookie, which the
// SockJS handshake carries. After every (re)connect, and whenever a live event skips a seq, it asks
// ltm.events.replay for everything after the last seq it applied, applies in seq order and drops seq <= lastSeq:
// no gap, no duplicate.

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15000;

export class Bus {
  /**
   * @param accountId whose address to register on
   * @param lastSeq the highest seq already applied
   * @param apply called once per event, in seq order
   * @param onStatus called with ('on' | 'connecting' | 'off' | 'error', text)
   */
  constructor(accountId, lastSeq, apply, onStatus) {
    this.accountId = accountId;
    this.lastSeq = lastSeq;
    this.apply = apply;
    this.onStatus = onStatus;
    this.eb = null;
    this.attempts = 0;
    this.timer = null;
    this.replaying = false;
    this.replayAgain = false;
    this.pending = [];
    this.closed = false;
    this.holdUntil = 0;
    /** Events applied from replay answers (what arrived while away or out of order). */
    this.replayed = 0;
  }

  start() { this.open(); }

  stop() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.eb) {
      this.eb.onclose = null;
      try { this.eb.close(); } catch { /* already closed */ }
      this.eb = null;
    }
    this.onStatus('off', 'events: not connected');
  }

  /** Drops the socket as a network failure would, and stays away for holdMs before reconnecting (tests, demos). */
  kill(holdMs = 0) {
    this.holdUntil = Date.now() + holdMs;
    if (this.eb && this.eb.sockJSConn) this.eb.sockJSConn.close();
  }

  open() {
    if (this.closed) return;
    if (!window.EventBus) { this.onStatus('error', 'events: client library missing'); return; }
    this.onStatus('connecting', this.attempts ? 'events: reconnecting…' : 'events: connecting…');
    const eb = new EventBus('/eventbus');
    this.eb = eb;
    eb.onopen = () => {
      if (this.closed || this.eb !== eb) return;
      this.attempts = 0;
      this.onStatus('on', 'events: live');
      eb.registerHandler(`ltm.account.${this.accountId}`, {}, (err, msg) => {
        if (err) { this.onStatus('error', `events: ${err.message || err.failureType || 'refused'}`); return; }
        this.onLive(msg.body);
      });
      // Whatever happened while we were away comes first.
      this.replay();
    };
    eb.onerror = (err) => {
      if (this.closed) return;
      const text = (err && (err.body || err.message || err.failureType)) || 'error';
      this.onStatus('error', `events: ${text}`);
    };
    eb.onclose = () => {
      if (this.closed || this.eb !== eb) return;
      this.eb = null;
      // A reply cannot arrive on a closed socket: the next open replays afresh.
      this.replaying = false;
      this.replayAgain = false;
      const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempts);
      const delay = Math.max(Math.round(base / 2 + Math.random() * base / 2), this.holdUntil - Date.now());
      this.attempts++;
      this.onStatus('off', `events: disconnected, retrying in ${Math.ceil(delay / 1000)} s`);
      this.timer = setTimeout(() => this.open(), delay);
    };
  }

  onLive(event) {
    // The server's event relay lost its broker connection for a while: ask for whatever it could not deliver.
    if (event && event.type === 'resync') { this.replay(); return; }
    if (!event || typeof event.seq !== 'number' || event.seq <= this.lastSeq) return;
    if (this.replaying || event.seq > this.lastSeq + 1) {
      // Applied with the replay's answer, in seq order; a gap asks for the replay that fills it.
      this.pending.push(event);
      this.replay();
      return;
    }
    this.applyOne(event);
  }

  replay() {
    if (this.replaying) { this.replayAgain = true; return; }
    if (!this.eb || this.eb.state !== EventBus.OPEN) return;
    this.replaying = true;
    this.replayAgain = false;
    this.eb.send('ltm.events.replay', { after: this.lastSeq }, {}, (err, reply) => {
      if (this.closed) return;
      this.replaying = false;
      if (err) {
        this.onStatus('error', `events: replay failed (${err.message || err.failureType || 'error'})`);
      } else {
        const items = (reply && reply.body && reply.body.items) || [];
        const all = items.concat(this.pending).sort((a, b) => a.seq - b.seq);
        this.pending = [];
        const fromReplay = new Set(items.map((e) => e.seq));
        for (const e of all) {
          if (e.seq <= this.lastSeq) continue;
          if (e.seq > this.lastSeq + 1) { this.pending.push(e); continue; }
          if (fromReplay.has(e.seq)) this.replayed++;
          this.applyOne(e);
        }
        // A full page may mean more: ask again. Still-gapped events wait for it.
        if (items.length >= 1000 || this.pending.length) this.replayAgain = true;
      }
      if (this.replayAgain) setTimeout(() => this.replay(), this.pending.length ? 250 : 0);
    });
  }

  applyOne(event) {
    this.lastSeq = event.seq;
    this.apply(event);
  }
}
