// LTM console: a single-page app in plain JS modules, served from the jar. Globals from vendor/: SockJS,
// EventBus, Hls. This module signs in, loads what the account has, applies live events and routes to one
// view per page (views/*.js).
import { api, ApiError, setCsrfToken } from './api.js';
import { Bus } from './bus.js';
import { $ } from './dom.js';
import { app, refreshStream, addNewStreams } from './state.js';
import { showSignIn } from './views/signin.js';
import { streamsView } from './views/streams.js';
import { catalogView } from './views/catalog.js';
import { streamView } from './views/stream.js';
import { accountView } from './views/account.js';
import { cdnView } from './views/cdn.js';

window.ltmConsole = {
  killSocket: (holdMs) => app.bus && app.bus.kill(holdMs),
  appliedSeqs: () => [...app.applied],
  lastSeq: () => app.lastSeq,
  replayedCount: () => (app.bus ? app.bus.replayed : 0),
};

// ---------------------------------------------------------------- session

async function boot() {
  try {
    const s = await api('GET', '/session');
    await signedIn(s);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) console.warn(e);
    signIn();
  }
}

function signIn() {
  disposeView();
  showSignIn(signedIn);
  setBusStatus('off', 'events: not connected');
}

async function signedIn(session) {
  app.me = session;
  setCsrfToken(session.csrfToken);
  $('#nav').hidden = false;
  $('#sign-out').hidden = false;
  $('#who').textContent = `${session.name} · ${session.email}`;
  // History first, streams second: the streams then reflect at least every event up to lastSeq, and the bus
  // applies everything after it. The other order could leave a state change between the two unapplied.
  await Promise.all([loadOffers(), loadHistory().then(loadStreams)]);
  app.bus = new Bus(session.accountId, app.lastSeq, onEvent, setBusStatus);
  app.bus.start();
  if (!location.hash || location.hash.startsWith('#/signin')) location.hash = '#/streams';
  route();
}

function signedOut() {
  if (app.bus) app.bus.stop();
  app.bus = null;
  app.me = null;
  setCsrfToken('');
  app.streams.clear();
  app.events = [];
  app.lastSeq = 0;
  $('#nav').hidden = true;
  $('#sign-out').hidden = true;
  $('#who').textContent = '';
  signIn();
}

window.addEventListener('ltm:signed-out', () => { if (app.me) signedOut(); });

$('#sign-out').addEventListener('click', async () => {
  try { await api('DELETE', '/session'); } catch (e) { console.warn(e); }
  signedOut();
});

// ---------------------------------------------------------------- data

async function loadOffers() {
  const page = await api('GET', '/offers');
  app.offers = new Map((page.items || []).map((o) => [o.id, o]));
}

async function loadStreams() {
  const page = await api('GET', '/streams');
  app.streams = new Map((page.items || []).map((s) => [s.id, s]));
}

/** The account's history, so timelines and estimates have their past; live events continue from its end. */
async function loadHistory() {
  let after = 0;
  const all = [];
  for (let i = 0; i < 200; i++) {
    const page = await api('GET', `/events?after=${after}&limit=1000`);
    const items = page.items || [];
    all.push(...items);
    if (items.length < 1000) { after = Math.max(after, page.lastSeq || 0); break; }
    after = items[items.length - 1].seq;
  }
  app.events = all;
  app.lastSeq = after;
  for (const e of all) if (e.type === 'stream.cdn') app.cdn.set(e.streamId, e);
}

function onEvent(event) {
  app.lastSeq = event.seq;
  app.applied.push(event.seq);
  app.events.push(event);
  if (app.events.length > 5000) app.events.splice(0, app.events.length - 5000);
  const s = event.streamId && app.streams.get(event.streamId);
  if (event.type === 'stream.state') {
    if (s) {
      s.state = event.state;
      s.stateReason = (event.detail && event.detail.reason) || (event.state === 'FAILED' ? s.stateReason : null);
      // The server says what the new state allows; the page keeps no copy of the state machine.
      s.allowedActions = event.allowedActions || null;
      if (event.detail && event.detail.previewUrl) s.previewUrl = event.detail.previewUrl;
      if (event.detail && 'playbackUrl' in event.detail) s.playbackUrl = event.detail.playbackUrl;
      if (event.detail && 'dashPlaybackUrl' in event.detail) s.dashPlaybackUrl = event.detail.dashPlaybackUrl;
      if (event.state === 'DELETED') app.streams.delete(event.streamId);
      if (event.state === 'READY' || event.state === 'LIVE' || !event.allowedActions) refreshStream(event.streamId);
    } else if (event.state !== 'DELETED') {
      refreshStream(event.streamId);
    }
  } else if (event.type === 'stream.health') {
    app.health.set(event.streamId, { ...(event.health || event.detail || {}), at: event.at, state: event.state });
  } else if (event.type === 'stream.thumbnail') {
    // The URL is stable; the version in the query fetches the new picture past any cache.
    const url = (event.detail && event.detail.imageUrl)
      || (event.thumbnailUrl && `${event.thumbnailUrl}?v=${event.version || event.seq}`);
    if (url) app.thumbs.set(event.streamId, url);
  } else if (event.type === 'stream.cdn') {
    app.cdn.set(event.streamId, event);
    if (s && event.detail && event.detail.playbackUrl) s.playbackUrl = event.detail.playbackUrl;
    if (s && event.detail && 'dashPlaybackUrl' in event.detail) s.dashPlaybackUrl = event.detail.dashPlaybackUrl;
  } else if (event.type === 'stream.config') {
    if (s && event.configVersion) s.configVersion = event.configVersion;
  } else if (event.type === 'order.state') {
    addNewStreams().then(() => app.view && app.view.refresh()).catch(console.warn);
  }
  if (app.view) app.view.onEvent ? app.view.onEvent(event) : app.view.refresh();
}

function setBusStatus(kind, text) {
  const el = $('#bus');
  el.className = `bus bus-${kind}`;
  el.dataset.state = kind;
  $('#bus-text').textContent = text;
  $('#bus-banner').hidden = !app.me || kind === 'on' || kind === 'connecting' && !app.bus?.attempts;
}

// ---------------------------------------------------------------- routing

function disposeView() {
  if (app.view && app.view.dispose) app.view.dispose();
  app.view = null;
}

function route() {
  if (!app.me) return;
  disposeView();
  const [, name, id] = (location.hash || '#/streams').split('/');
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('current', a.dataset.nav === name);
  if (name === 'catalog') app.view = catalogView();
  else if (name === 'account') app.view = accountView();
  else if (name === 'cdn') app.view = cdnView();
  else if (name === 'streams' && id) app.view = streamView(id);
  else app.view = streamsView();
  app.view.refresh();
}
window.addEventListener('hashchange', route);

boot();
