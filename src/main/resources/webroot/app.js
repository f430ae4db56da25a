// LTM web page: plain modern JS, no build step. Globals from vendor/: SockJS, EventBus, Hls.

const KEY_STORAGE = 'ltm.apiKey';
const API = '/api/v1';
const EVENT_LOG_SIZE = 30;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30000;

const $ = (sel, root = document) => root.querySelector(sel);

const app = {
  key: localStorage.getItem(KEY_STORAGE) || '',
  me: null,
  offers: new Map(),
  streams: new Map(),
  // Highest event seq applied, per account: a key for another account starts from its own.
  lastSeq: new Map(),
  bus: null,
};

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

async function api(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', Authorization: `Bearer ${app.key}`, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached.');
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { /* not JSON: reported below */ }
  }
  if (!res.ok) {
    const err = json && json.error;
    if (err) throw new ApiError(res.status, err.code, err.message, err.field);
    throw new ApiError(res.status, `http_${res.status}`, `${res.status} ${res.statusText}`.trim());
  }
  return json;
}

function showError(el, err) {
  if (!err) { el.textContent = ''; return; }
  if (err instanceof ApiError) {
    const field = err.field ? ` (field: ${err.field})` : '';
    el.textContent = `${err.code}: ${err.message}${field}`;
  } else {
    el.textContent = String(err.message || err);
  }
  if (err instanceof ApiError && err.status === 401) {
    $('#key-error').textContent = 'The API key was rejected. Paste a valid key.';
  }
}

// crypto.randomUUID exists only in secure contexts; getRandomValues exists everywhere.
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------- sign-in

async function signIn() {
  $('#key-error').textContent = '';
  if (!app.key) {
    signedOut('Not signed in.');
    return;
  }
  $('#who').textContent = 'Checking key…';
  try {
    app.me = await api('GET', '/me');
  } catch (e) {
    signedOut('Not signed in.');
    showError($('#key-error'), e);
    return;
  }
  $('#who').textContent = `Signed in as ${app.me.name} (${app.me.accountId}).`;
  for (const id of ['#offers', '#streams', '#events']) $(id).hidden = false;
  await Promise.all([loadOffers(), loadBaselineAndStreams()]);
  connectBus();
}

function signedOut(text) {
  app.me = null;
  disconnectBus();
  for (const id of ['#offers', '#streams', '#events']) $(id).hidden = true;
  for (const id of [...app.streams.keys()]) removeStream(id);
  $('#offer-list').replaceChildren();
  $('#event-log').replaceChildren();
  $('#who').textContent = text;
}

$('#key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = $('#key-input').value.trim();
  if (!key) return;
  app.key = key;
  localStorage.setItem(KEY_STORAGE, key);
  $('#key-input').value = '';
  signedOut('Checking key…');
  signIn();
});

$('#key-forget').addEventListener('click', () => {
  app.key = '';
  localStorage.removeItem(KEY_STORAGE);
  $('#key-error').textContent = '';
  signedOut('Not signed in.');
});

// ---------------------------------------------------------------- offers

function formatPrice(cents, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100) + ' / hour';
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency} / hour`;
  }
}

function renditionText(r) {
  const parts = [`${r.name}: ${r.width}×${r.height}`];
  if (r.fps) parts.push(`${r.fps} fps`);
  if (r.videoBitrateKbps) parts.push(`video ${r.videoBitrateKbps} kbps`);
  if (r.audioBitrateKbps) parts.push(`audio ${r.audioBitrateKbps} kbps`);
  return parts.join(', ');
}

async function loadOffers() {
  const errEl = $('#offers-error');
  showError(errEl, null);
  let page;
  try {
    page = await api('GET', '/offers');
  } catch (e) {
    showError(errEl, e);
    return;
  }
  app.offers.clear();
  const list = $('#offer-list');
  list.replaceChildren();
  for (const offer of page.items || []) {
    app.offers.set(offer.id, offer);
    list.append(offerCard(offer));
  }
  // Stream cards name their offer: refresh them now that names are known.
  for (const s of app.streams.values()) renderStream(s);
}

function offerCard(offer) {
  const card = $('#offer-template').content.firstElementChild.cloneNode(true);
  card.dataset.offerId = offer.id;
  $('.offer-name', card).textContent = offer.name;
  $('.price', card).textContent = formatPrice(offer.pricePerHourCents, offer.currency);
  $('.offer-description', card).textContent = offer.description || '';
  const ul = $('.renditions', card);
  for (const r of offer.renditions || []) {
    const li = document.createElement('li');
    li.textContent = renditionText(r);
    ul.append(li);
  }
  const form = $('.buy', card);
  const button = $('.buy-button', card);
  const errEl = $('.error', card);
  const okEl = $('.ok', card);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(errEl, null);
    okEl.textContent = '';
    button.disabled = true;
    const body = { offerId: offer.id, quantity: 1, input: { kind: $('.buy-input', card).value } };
    const name = $('.buy-name', card).value.trim();
    if (name) body.name = name;
    try {
      // A fresh key per click: a retry of this very request returns the same order.
      const order = await api('POST', '/orders', { body, headers: { 'Idempotency-Key': uuid() } });
      for (const s of order.streams || []) upsertStream(s);
      okEl.textContent = `Order ${order.id} is ${order.state}.`;
      $('.buy-name', card).value = '';
    } catch (e) {
      showError(errEl, e);
    } finally {
      button.disabled = false;
    }
  });
  return card;
}

// ---------------------------------------------------------------- streams

async function loadStreams() {
  const errEl = $('#streams-error');
  showError(errEl, null);
  let page;
  try {
    page = await api('GET', '/streams');
  } catch (e) {
    showError(errEl, e);
    return;
  }
  const seen = new Set();
  for (const s of page.items || []) {
    seen.add(s.id);
    upsertStream(s);
  }
  for (const id of [...app.streams.keys()]) if (!seen.has(id)) removeStream(id);
  updateEmpty();
}

let reloadTimer = null;
function reloadStreamsSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(loadStreams, 300);
}

$('#streams-refresh').addEventListener('click', () => loadStreams());

// Refetches are coalesced: a burst of events for one stream costs one GET.
const refetching = new Map();
function refetchStream(id) {
  if (refetching.has(id)) { refetching.set(id, true); return; }
  refetching.set(id, false);
  (async () => {
    do {
      refetching.set(id, false);
      try {
        upsertStream(await api('GET', `/streams/${encodeURIComponent(id)}`));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) removeStream(id);
        else if (app.streams.has(id)) showError($('.action-error', cardOf(id)), e);
      }
    } while (refetching.get(id));
    refetching.delete(id);
  })();
}

function cardOf(id) {
  return document.querySelector(`.stream[data-stream-id="${CSS.escape(id)}"]`);
}

function upsertStream(s) {
  if (!s || !s.id) return;
  if (s.state === 'DELETED') { removeStream(s.id); return; }
  app.streams.set(s.id, s);
  renderStream(s);
  updateEmpty();
}

function removeStream(id) {
  app.streams.delete(id);
  const card = cardOf(id);
  if (card) {
    stopPreview(card);
    card.remove();
  }
  updateEmpty();
}

function updateEmpty() {
  $('#streams-empty').hidden = app.streams.size > 0;
}

function renderStream(s) {
  let card = cardOf(s.id);
  if (!card) {
    card = $('#stream-template').content.firstElementChild.cloneNode(true);
    card.dataset.streamId = s.id;
    wireStreamCard(card, s.id);
    $('#stream-list').prepend(card);
  }
  card.dataset.state = s.state;
  $('.stream-name', card).textContent = s.name || 'Unnamed stream';
  $('.stream-id', card).textContent = s.id;
  const badge = $('.badge', card);
  badge.textContent = s.state;
  badge.className = `badge state-${String(s.state).toLowerCase()}`;

  $('.reason', card).textContent = s.state === 'FAILED' ? (s.stateReason || 'Failed (no reason given).') : '';

  const offer = app.offers.get(s.offerId);
  $('.stream-offer', card).textContent = offer ? offer.name : (s.offerId || '');
  const input = s.input || {};
  $('.stream-input', card).textContent = input.kind === 'rtmp'
    ? `RTMP push${input.streamKey ? ` (stream key ${input.streamKey})` : ''}`
    : (input.kind === 'test-pattern' ? 'test pattern' : (input.kind || ''));

  const hasIngest = Boolean(s.ingestUrl);
  $('.ingest-label', card).hidden = !hasIngest;
  $('.ingest', card).hidden = !hasIngest;
  $('.ingest-url', card).textContent = s.ingestUrl || '';

  const hasPreview = Boolean(s.previewUrl);
  $('.preview-label', card).hidden = !hasPreview;
  $('.preview', card).hidden = !hasPreview;
  const link = $('.preview-url', card);
  link.textContent = s.previewUrl || '';
  if (hasPreview) link.href = s.previewUrl; else link.removeAttribute('href');

  const allowed = new Set(s.allowedActions || []);
  for (const b of card.querySelectorAll('button[data-action]')) {
    b.hidden = !allowed.has(b.dataset.action);
  }

  $('.preview-toggle', card).hidden = !hasPreview;
  if (!hasPreview) stopPreview(card);
  else if (card.player && card.player.url !== s.previewUrl) startPreview(card, s.previewUrl);
}

function wireStreamCard(card, id) {
  const errEl = $('.action-error', card);
  for (const b of card.querySelectorAll('button[data-action]')) {
    b.addEventListener('click', async () => {
      showError(errEl, null);
      const action = b.dataset.action;
      b.disabled = true;
      try {
        if (action === 'delete') {
          await api('DELETE', `/streams/${encodeURIComponent(id)}`);
          removeStream(id);
        } else {
          upsertStream(await api('POST', `/streams/${encodeURIComponent(id)}/${action}`));
        }
      } catch (e) {
        showError(errEl, e);
        // A 409 means our view is stale: fetch what the server allows now.
        if (e instanceof ApiError && e.status === 409) refetchStream(id);
      } finally {
        b.disabled = false;
      }
    });
  }
  $('.preview-toggle', card).addEventListener('click', () => {
    const s = app.streams.get(id);
    if (card.player) stopPreview(card);
    else if (s && s.previewUrl) startPreview(card, s.previewUrl);
  });
}

// ---------------------------------------------------------------- preview player

function startPreview(card, url) {
  stopPreview(card);
  const box = $('.player', card);
  const video = $('.video', card);
  const status = $('.player-status', card);
  box.hidden = false;
  $('.preview-toggle', card).textContent = 'Hide preview';
  status.textContent = 'Loading…';
  const player = { url, hls: null, retry: null };
  card.player = player;

  const play = () => video.play().catch(() => { /* autoplay refused: the controls are there */ });
  video.onplaying = () => { status.textContent = ''; };

  if (window.Hls && Hls.isSupported()) {
    const hls = new Hls({ liveSyncDurationCount: 3 });
    player.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, play);
    hls.on(Hls.Events.ERROR, (_evt, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      // Until the first segments exist the playlist is missing: try again shortly.
      status.textContent = `Waiting for the stream (${data.details})…`;
      player.retry = setTimeout(() => {
        if (card.player === player) startPreview(card, url);
      }, 3000);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = url;
    video.addEventListener('loadedmetadata', play, { once: true });
    video.onerror = () => { status.textContent = 'The preview cannot be played yet.'; };
  } else {
    status.textContent = 'This browser cannot play HLS.';
  }
}

function stopPreview(card) {
  const player = card.player;
  if (!player) return;
  card.player = null;
  clearTimeout(player.retry);
  if (player.hls) player.hls.destroy();
  const video = $('.video', card);
  video.pause();
  video.removeAttribute('src');
  video.load();
  $('.player', card).hidden = true;
  $('.preview-toggle', card).textContent = 'Preview';
}

// ---------------------------------------------------------------- events

// The seq to replay from is the account's latest when the page loaded: the stream list fetched
// after it already reflects everything before it.
async function loadBaselineAndStreams() {
  const accountId = app.me.accountId;
  if (!app.lastSeq.has(accountId)) {
    try {
      app.lastSeq.set(accountId, await latestSeq());
    } catch (e) {
      showError($('#streams-error'), e);
      app.lastSeq.set(accountId, 0);
    }
  }
  await loadStreams();
}

async function latestSeq() {
  let after = 0;
  // The answer may be paged: follow it until a page adds nothing. Bounded, as a safeguard.
  for (let i = 0; i < 100; i++) {
    const page = await api('GET', `/events?after=${after}`);
    const items = page.items || [];
    const top = Math.max(after, page.lastSeq || 0, ...items.map((e) => e.seq));
    if (items.length === 0 || top === after) return top;
    after = top;
  }
  return after;
}

function setBus(kind, text) {
  const el = $('#bus');
  el.className = `bus bus-${kind}`;
  el.dataset.state = kind;
  $('#bus-text').textContent = text;
}

function disconnectBus() {
  const bus = app.bus;
  app.bus = null;
  if (bus) {
    clearTimeout(bus.timer);
    if (bus.eb) {
      bus.eb.onclose = null;
      try { bus.eb.close(); } catch { /* already closed */ }
    }
  }
  setBus('off', 'events: not connected');
}

function connectBus() {
  disconnectBus();
  if (!window.EventBus) {
    setBus('error', 'events: client library missing');
    return;
  }
  const bus = {
    accountId: app.me.accountId,
    headers: { authorization: `Bearer ${app.key}` },
    eb: null,
    attempts: 0,
    timer: null,
    replaying: false,
    replayAgain: false,
    pending: [],
  };
  app.bus = bus;
  openBus(bus);
}

function openBus(bus) {
  if (app.bus !== bus) return;
  setBus('connecting', bus.attempts ? 'events: reconnecting…' : 'events: connecting…');
  const eb = new EventBus('/eventbus');
  bus.eb = eb;
  eb.onopen = () => {
    if (app.bus !== bus || bus.eb !== eb) return;
    bus.attempts = 0;
    setBus('on', 'events: live');
    eb.registerHandler(`ltm.account.${bus.accountId}`, bus.headers, (err, msg) => {
      if (err) {
        setBus('error', `events: ${err.message || err.failureType || 'error'}`);
        return;
      }
      onLiveEvent(bus, msg.body);
    });
    // Whatever happened while we were away comes first.
    replay(bus);
  };
  // The bridge answers a refused registration or send with an error frame.
  eb.onerror = (err) => {
    if (app.bus !== bus) return;
    const text = (err && (err.body || err.message || err.failureType)) || 'error';
    setBus('error', `events: ${text}`);
  };
  eb.onclose = () => {
    if (app.bus !== bus || bus.eb !== eb) return;
    bus.eb = null;
    // A reply cannot arrive on a closed socket: the next open replays afresh.
    bus.replaying = false;
    bus.replayAgain = false;
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** bus.attempts);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    bus.attempts++;
    setBus('off', `events: disconnected, retrying in ${Math.ceil(delay / 1000)} s`);
    bus.timer = setTimeout(() => openBus(bus), delay);
  };
}

function onLiveEvent(bus, event) {
  // The server's event relay lost its broker connection for a while: ask for whatever it could not deliver.
  if (event && event.type === 'resync') { replay(bus); return; }
  if (!event || typeof event.seq !== 'number') return;
  const last = app.lastSeq.get(bus.accountId) || 0;
  if (event.seq <= last) return;
  if (bus.replaying) {
    // Applied with the replay's answer, in seq order.
    bus.pending.push(event);
    return;
  }
  if (event.seq > last + 1) {
    // A gap: keep this one and let the replay fill in what is missing.
    bus.pending.push(event);
    replay(bus);
    return;
  }
  applyEvent(bus, event);
}

function replay(bus) {
  if (bus.replaying) { bus.replayAgain = true; return; }
  if (!bus.eb || bus.eb.state !== EventBus.OPEN) return;
  bus.replaying = true;
  bus.replayAgain = false;
  const after = app.lastSeq.get(bus.accountId) || 0;
  try {
    bus.eb.send('ltm.events.replay', { after }, bus.headers, (err, reply) => {
      if (app.bus !== bus) return;
      bus.replaying = false;
      if (err) {
        setBus('error', `events: replay failed (${err.message || err.failureType || 'error'})`);
      } else {
        const items = (reply && reply.body && reply.body.items) || [];
        applyInOrder(bus, items.concat(bus.pending));
        bus.pending = [];
      }
      if (bus.replayAgain) replay(bus);
    });
  } catch (e) {
    // The socket closed under us: onclose reconnects and replays.
    bus.replaying = false;
  }
}

function applyInOrder(bus, events) {
  events.sort((a, b) => a.seq - b.seq);
  for (const e of events) {
    if (e.seq > (app.lastSeq.get(bus.accountId) || 0)) applyEvent(bus, e);
  }
}

function applyEvent(bus, e) {
  app.lastSeq.set(bus.accountId, e.seq);
  logEvent(e);
  const detail = e.detail || {};
  const s = e.streamId ? app.streams.get(e.streamId) : null;
  switch (e.type) {
    case 'stream.state':
    case 'stream.failed':
      if (s) {
        // Show the new state at once; the GET below brings allowedActions and URLs.
        const next = { ...s };
        if (e.state) next.state = e.state;
        if (detail.reason) next.stateReason = detail.reason;
        if (detail.previewUrl) next.previewUrl = detail.previewUrl;
        upsertStream(next);
      }
      if (e.streamId && e.state !== 'DELETED') refetchStream(e.streamId);
      else if (e.streamId) removeStream(e.streamId);
      break;
    case 'stream.health':
      if (s) showHealth(e.streamId, detail);
      break;
    case 'order.state':
      // An order placed elsewhere (another tab, the API) brings streams we have not seen.
      reloadStreamsSoon();
      break;
    default:
      break;
  }
}

function showHealth(id, detail) {
  const card = cardOf(id);
  if (!card) return;
  const h = detail.progress || detail;
  const parts = [];
  if (h.bitrateKbps != null) parts.push(`${h.bitrateKbps} kbps`);
  if (h.fps != null) parts.push(`${h.fps} fps`);
  if (h.speed != null) parts.push(`speed ${h.speed}`);
  if (h.dropFrames != null) parts.push(`${h.dropFrames} dropped`);
  $('.health-label', card).hidden = parts.length === 0;
  $('.health', card).hidden = parts.length === 0;
  $('.health', card).textContent = parts.join(' · ');
}

function logEvent(e) {
  const li = document.createElement('li');
  li.value = e.seq;
  const what = [e.type, e.streamId, e.state && (e.previous ? `${e.previous} → ${e.state}` : e.state)]
    .filter(Boolean).join(' ');
  const reason = e.detail && e.detail.reason ? ` — ${e.detail.reason}` : '';
  const at = e.at ? new Date(e.at).toLocaleTimeString() : '';
  li.textContent = `${at} ${what}${reason}`.trim();
  const log = $('#event-log');
  log.prepend(li);
  while (log.children.length > EVENT_LOG_SIZE) log.lastElementChild.remove();
}

// ---------------------------------------------------------------- start

if (app.key) signIn();
