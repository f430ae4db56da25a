// LTM console: a single-page app in plain JS modules, served from the jar. Globals from vendor/: SockJS,
// EventBus, Hls.
import { api, ApiError, setCsrfToken, showErrors, uuid } from './api.js';
import { Bus } from './bus.js';
import { $, h, badge, money, seconds } from './dom.js';
import { progressOf } from './progress.js';

const ACTIVE = ['PROVISIONING', 'STARTING', 'READY', 'LIVE', 'STOPPING'];

const app = {
  me: null,
  offers: new Map(),
  streams: new Map(),
  events: [], // every event of the account applied so far, in seq order
  lastSeq: 0,
  bus: null,
  view: null, // { name, streamId, refresh(), dispose() }
  health: new Map(), // streamId -> last stream.health detail
  thumbs: new Map(), // streamId -> last thumbnail URL
  applied: [], // seqs applied, for tests: strictly increasing, no duplicate
  freshKeys: new Map(), // streamId -> stream key just issued (purchase, rotation): shown once, then forgotten
};
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
    showSignIn();
  }
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
  showSignIn();
}

window.addEventListener('ltm:signed-out', () => { if (app.me) signedOut(); });

$('#sign-out').addEventListener('click', async () => {
  try { await api('DELETE', '/session'); } catch (e) { console.warn(e); }
  signedOut();
});

function showSignIn() {
  disposeView();
  const form = h('form', { class: 'panel signin', 'data-testid': 'signin-form', novalidate: true },
    h('h2', {}, 'Sign in'),
    h('label', {}, 'E-mail', h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    h('p', { class: 'error', 'data-error-for': 'email' }),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password',
      required: true })),
    h('p', { class: 'error', 'data-error-for': 'password' }),
    h('p', { class: 'error', 'data-error-for': '' }),
    h('button', { type: 'submit' }, 'Sign in'),
    h('p', { class: 'muted' }, '`ltm dev` prints the demo account\'s e-mail and password when it starts.'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(form, null);
    const button = $('button', form);
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const s = await api('POST', '/session', { body: { email: form.email.value.trim(), password: form.password.value } });
      form.password.value = '';
      location.hash = '#/streams';
      await signedIn(s);
    } catch (e) {
      showErrors(form, e);
      button.disabled = false;
      button.textContent = 'Sign in';
    }
  });
  $('#view').replaceChildren(form);
  setBusStatus('off', 'events: not connected');
}

// ---------------------------------------------------------------- data

async function loadOffers() {
  const page = await api('GET', '/offers');
  app.offers = new Map((page.items || []).map((o) => [o.id, o]));
}

async function loadStreams() {
  const page = await api('GET', '/streams');
  app.streams = new Map((page.items || []).map((s) => [s.id, s]));
}

/** Streams bought elsewhere (another tab, the API): added; known ones keep the state their events gave them. */
async function addNewStreams() {
  const page = await api('GET', '/streams');
  for (const s of page.items || []) if (!app.streams.has(s.id)) app.streams.set(s.id, s);
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
      s.allowedActions = allowedActions(event.state);
      if (event.detail && event.detail.previewUrl) s.previewUrl = event.detail.previewUrl;
      if (event.state === 'DELETED') app.streams.delete(event.streamId);
      if (event.state === 'READY' || event.state === 'LIVE') refreshStream(event.streamId);
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
  } else if (event.type === 'stream.config') {
    if (s && event.configVersion) s.configVersion = event.configVersion;
  } else if (event.type === 'order.state') {
    addNewStreams().then(() => app.view && app.view.refresh()).catch(console.warn);
  }
  if (app.view) app.view.onEvent ? app.view.onEvent(event) : app.view.refresh();
}

/** The stream's other facts (preview URL, ingest) fresh from the API; its state stays the events'. */
async function refreshStream(id) {
  try {
    const fresh = await api('GET', `/streams/${id}`);
    const known = app.streams.get(id);
    app.streams.set(id, known ? { ...fresh, state: known.state, allowedActions: known.allowedActions,
      previewUrl: fresh.previewUrl || known.previewUrl } : fresh);
    if (app.view) app.view.refresh();
  } catch (e) { console.warn(e); }
}

function allowedActions(state) {
  if (['CREATED', 'STOPPED', 'FAILED'].includes(state)) return ['start', 'delete'];
  if (['PROVISIONING', 'STARTING', 'READY', 'LIVE'].includes(state)) return ['stop'];
  return [];
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
  else if (name === 'streams' && id) app.view = streamView(id);
  else app.view = streamsView();
  app.view.refresh();
}
window.addEventListener('hashchange', route);

// ---------------------------------------------------------------- streams list

function streamsView() {
  const list = h('div', { class: 'stream-list', 'data-testid': 'stream-list' });
  const root = h('section', { class: 'panel' }, h('div', { class: 'row spread' }, h('h2', {}, 'Streams'),
    h('a', { href: '#/catalog', class: 'button' }, 'Buy streams')), list);
  $('#view').replaceChildren(root);
  return {
    refresh() {
      const streams = [...app.streams.values()].filter((s) => s.state !== 'DELETED');
      if (streams.length === 0) {
        list.replaceChildren(h('p', { class: 'muted', 'data-testid': 'no-streams' }, 'No streams yet: buy one in the catalog.'));
        return;
      }
      list.replaceChildren(...streams.map((s) => h('a', { class: 'card stream-row', href: `#/streams/${s.id}`,
        'data-testid': 'stream-row', 'data-stream-id': s.id },
      h('strong', {}, s.name), h('code', { class: 'muted' }, s.id),
      h('span', { class: 'muted' }, (app.offers.get(s.offerId) || {}).name || s.offerId), badge(s.state))));
    },
  };
}

// ---------------------------------------------------------------- catalog and purchase

function catalogView() {
  const root = h('section', { class: 'panel' }, h('h2', {}, 'Catalog'));
  const grid = h('div', { class: 'offer-list' });
  root.append(grid);
  $('#view').replaceChildren(root);
  for (const offer of app.offers.values()) grid.append(offerCard(offer));
  return { refresh() {} };
}

function offerCard(offer) {
  const quote = h('p', { class: 'quote', 'data-testid': 'quote' });
  const form = h('form', { class: 'buy', 'data-testid': `buy-${offer.id}`, novalidate: true },
    h('label', {}, 'Name', h('input', { name: 'name', maxlength: 120, placeholder: 'optional' })),
    h('p', { class: 'error', 'data-error-for': 'name' }),
    h('label', {}, 'Quantity', h('input', { name: 'quantity', type: 'number', min: 1, max: 10, value: 1 })),
    h('p', { class: 'error', 'data-error-for': 'quantity' }),
    h('label', {}, 'Input', h('select', { name: 'input.kind' },
      h('option', { value: 'test-pattern' }, 'test pattern'), h('option', { value: 'rtmp' }, 'RTMP push'))),
    h('p', { class: 'error', 'data-error-for': 'input.kind' }),
    quote,
    h('p', { class: 'error', 'data-error-for': 'offerId' }),
    h('p', { class: 'error', 'data-error-for': '' }),
    h('button', { type: 'submit' }, 'Buy'));
  // The hourly price comes from POST /quotes (the offer's own ladder until the stream is configured), times
  // the quantity; the offer's list price stands in while the quote is on its way or if it fails.
  let unitCents = offer.pricePerHourCents;
  let currency = offer.currency;
  const updateQuote = () => {
    const q = Number(form.quantity.value) || 0;
    quote.textContent = q > 0
      ? `${q} × ${money(unitCents, currency)} = ${money(q * unitCents, currency)} per hour while running`
      : '';
  };
  api('POST', '/quotes', { body: { offerId: offer.id } }).then((r) => {
    unitCents = r.pricePerHourCents;
    currency = r.currency;
    updateQuote();
  }).catch((e) => console.warn('quote', e));
  form.quantity.addEventListener('input', updateQuote);
  updateQuote();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(form, null);
    const button = $('button', form);
    button.disabled = true;
    button.textContent = 'Buying…';
    const body = { offerId: offer.id, quantity: Number(form.quantity.value), input: { kind: form['input.kind'].value } };
    if (form.name.value.trim()) body.name = form.name.value.trim();
    try {
      const order = await api('POST', '/orders', { body, headers: { 'Idempotency-Key': uuid() } });
      for (const s of order.streams || []) {
        app.streams.set(s.id, s);
        if (s.input && s.input.streamKey) app.freshKeys.set(s.id, s.input.streamKey);
      }
      location.hash = order.streams && order.streams.length === 1 ? `#/streams/${order.streams[0].id}` : '#/streams';
    } catch (e) {
      showErrors(form, e);
      button.disabled = false;
      button.textContent = 'Buy';
    }
  });
  return h('article', { class: 'card offer', 'data-offer-id': offer.id },
    h('div', { class: 'row spread' }, h('h3', {}, offer.name),
      h('span', { class: 'price' }, `${money(offer.pricePerHourCents, offer.currency)} / hour`)),
    h('p', { class: 'muted' }, offer.description || ''),
    h('ul', { class: 'renditions' }, (offer.renditions || []).map((r) =>
      h('li', {}, `${r.name}: ${r.width}×${r.height}, ${r.fps} fps, video ${r.videoBitrateKbps} kbps, audio ${r.audioBitrateKbps} kbps`))),
    form);
}

// ---------------------------------------------------------------- one stream

function streamView(id) {
  const head = h('div', { class: 'row spread' });
  const reason = h('p', { class: 'error', 'data-testid': 'state-reason' });
  const actions = h('div', { class: 'row actions' });
  const actionError = h('p', { class: 'error', role: 'alert', 'data-testid': 'action-error' });
  const progress = h('div', { class: 'progress', 'data-testid': 'progress' });
  const facts = h('dl', { class: 'facts' });
  const player = playerPanel(id);
  const live = h('div', { class: 'live-figures', 'data-testid': 'health' });
  const timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
  const config = configForm(id);
  const root = h('div', { class: 'stream-page' },
    h('section', { class: 'panel' }, head, reason, facts, actions, actionError,
      h('h3', {}, 'Provisioning'), progress),
    h('section', { class: 'panel' }, h('h3', {}, 'Preview'), player.el, live),
    h('section', { class: 'panel' }, h('h3', {}, 'Configuration'), config.el),
    h('section', { class: 'panel' }, h('h3', {}, 'Event timeline'), timeline));
  $('#view').replaceChildren(root);
  const ticker = setInterval(() => renderProgress(), 1000);

  const act = async (action) => {
    actionError.textContent = '';
    const busy = [...actions.querySelectorAll('button')];
    busy.forEach((b) => { b.disabled = true; });
    try {
      if (action === 'delete') {
        await api('DELETE', `/streams/${id}`);
        app.streams.delete(id);
        location.hash = '#/streams';
        return;
      }
      const s = await api('POST', `/streams/${id}/${action}`);
      const known = app.streams.get(id) || s;
      // The answer is the state right after the call; an event may already have moved the stream further.
      const before = action === 'start' ? ['CREATED', 'STOPPED', 'FAILED'] : ['PROVISIONING', 'STARTING', 'READY', 'LIVE'];
      const state = before.includes(known.state) ? s.state : known.state;
      app.streams.set(id, { ...known, ...s, state, allowedActions: allowedActions(state) });
      render();
    } catch (e) {
      actionError.textContent = e.message;
      busy.forEach((b) => { b.disabled = false; });
    }
  };

  function renderProgress() {
    const s = app.streams.get(id);
    if (!s) return;
    const mine = app.events.filter((e) => e.streamId === id);
    const lastState = mine.filter((e) => e.type === 'stream.state').pop();
    if (s.state === 'PROVISIONING' && (!lastState || lastState.state !== 'PROVISIONING')) {
      // The start's answer came before its event (the event connection may be down): a new run has begun.
      mine.push({ type: 'stream.state', streamId: id, state: 'PROVISIONING', at: s.updatedAt || new Date().toISOString() });
    }
    const p = progressOf(mine, app.events, Date.now(), s.input && s.input.kind === 'rtmp');
    if (!p) { progress.replaceChildren(h('p', { class: 'muted' }, 'Not started yet.')); return; }
    const rows = p.phases.map((ph) => h('li', { class: `phase ${ph.done ? 'done' : ''} ${ph.running ? 'running' : ''}`,
      'data-phase': ph.state },
    h('span', { class: 'phase-label' }, ph.label),
    h('span', { class: 'phase-time' }, ph.enteredAt ? (ph.running ? `${seconds(ph.tookMs)} so far…` : ph.state === 'LIVE' ? 'since ' + new Date(ph.enteredAt).toLocaleTimeString() : `took ${seconds(ph.tookMs)}`) : '')));
    let summary;
    if (p.outcome === 'LIVE') summary = 'Live.';
    else if (p.outcome) summary = `Ended: ${p.outcome}.`;
    else summary = p.remainingMs == null ? (s.input && s.input.kind === 'rtmp' && s.state === 'READY'
      ? 'Waiting for your encoder to push to the ingest URL.' : 'Estimating… (no earlier starts to learn from yet)')
      : `About ${seconds(p.remainingMs)} left (median of this account's earlier starts).`;
    progress.replaceChildren(h('ol', { class: 'phases' }, rows), h('p', { class: 'muted', 'data-testid': 'eta' }, summary));
  }

  function render() {
    const s = app.streams.get(id);
    if (!s) { head.replaceChildren(h('h2', {}, 'No such stream')); return; }
    head.replaceChildren(h('h2', {}, s.name, ' ', h('code', { class: 'muted' }, s.id)), badge(s.state));
    reason.textContent = s.state === 'FAILED' ? (s.stateReason || 'failed') : '';
    facts.replaceChildren(
      h('dt', {}, 'Offer'), h('dd', {}, (app.offers.get(s.offerId) || {}).name || s.offerId),
      h('dt', {}, 'Input'), h('dd', {}, s.input ? s.input.kind : ''),
      ...(s.ingestUrl ? [h('dt', {}, 'Ingest URL'), h('dd', {}, h('code', {}, s.ingestUrl))] : []));
    const allowed = s.allowedActions || allowedActions(s.state);
    actions.replaceChildren(...['start', 'stop', 'delete'].filter((a) => allowed.includes(a)).map((a) =>
      h('button', { type: 'button', class: a === 'delete' ? 'danger' : '', 'data-action': a, onclick: () => act(a) },
        a[0].toUpperCase() + a.slice(1))));
    if (['STOPPING', 'PROVISIONING'].includes(s.state) && allowed.length === 0) actions.append(h('span', { class: 'muted' }, 'Working…'));
    renderProgress();
    player.update(s);
    const hl = app.health.get(id);
    const thumb = app.thumbs.get(id);
    live.replaceChildren(
      thumb ? h('img', { class: 'thumb', src: thumb, alt: 'latest thumbnail', 'data-testid': 'thumbnail' }) : '',
      hl ? healthFigures(hl)
        : h('p', { class: 'muted' }, ACTIVE.includes(s.state) ? 'Health figures appear once the transcoder reports them.' : ''));
    const mine = app.events.filter((e) => e.streamId === id);
    // Health and thumbnail events come every few seconds: they feed the figures above, not the timeline.
    timeline.replaceChildren(...mine.filter((e) => e.type !== 'stream.health' && e.type !== 'stream.thumbnail')
      .reverse().slice(0, 100).map((e) => h('li', { 'data-seq': e.seq, 'data-type': e.type },
      h('time', {}, new Date(e.at).toLocaleTimeString()), ' ', h('strong', {}, e.type), ' ',
      e.state ? `${e.previous ? e.previous + ' → ' : ''}${e.state}` : '',
      e.detail && e.detail.reason ? ` (${e.detail.reason})` : '')));
    config.update(s);
  }
  render();
  return {
    refresh: render,
    onEvent(e) {
      if (e.type === 'stream.config' && e.streamId === id) config.onConfigEvent();
      render();
    },
    dispose() { clearInterval(ticker); player.dispose(); },
  };
}

function healthFigures(hl) {
  const fig = (label, value, testid) => [h('dt', {}, label), h('dd', { 'data-testid': testid }, value ?? '–')];
  const num = (v, digits = 0) => (typeof v === 'number' ? v.toFixed(digits) : v);
  return h('dl', { class: 'facts health', 'data-testid': 'health-figures' },
    // No input before the stream was ever LIVE is waiting, not lost.
    ...fig('Input', hl.inputPresent ? 'present'
      : hl.inputPresent === false ? (hl.state === 'LIVE' ? 'lost' : 'waiting') : '–', 'health-input'),
    ...fig('Input bitrate', hl.inputBitrateKbps != null ? `${num(hl.inputBitrateKbps)} kbps` : null, 'health-input-bitrate'),
    ...fig('Output bitrate', hl.bitrateKbps != null ? `${num(hl.bitrateKbps)} kbps` : null, 'health-bitrate'),
    ...fig('Encoder fps', num(hl.fps, 1), 'health-fps'),
    ...fig('Speed', hl.speed != null ? `${num(hl.speed, 2)}×` : null, 'health-speed'),
    ...fig('Dropped / duplicated frames', `${hl.dropFrames ?? 0} / ${hl.dupFrames ?? 0}`, 'health-frames'),
    ...fig('Reported', hl.at ? new Date(hl.at).toLocaleTimeString() : null, 'health-at'));
}

function playerPanel(id) {
  const video = h('video', { class: 'video', controls: true, muted: true, playsinline: true, 'data-testid': 'video' });
  const picker = h('select', { 'data-testid': 'rendition-picker', disabled: true }, h('option', { value: '-1' }, 'Auto'));
  const status = h('p', { class: 'muted', 'data-testid': 'player-status' });
  const rungs = h('p', { class: 'muted small', 'data-testid': 'rendition-previews' });
  let hls = null;
  let url = null;
  picker.addEventListener('change', () => { if (hls) hls.currentLevel = Number(picker.value); });
  function stop() {
    if (hls) { hls.destroy(); hls = null; }
    url = null;
    video.removeAttribute('src');
    picker.replaceChildren(h('option', { value: '-1' }, 'Auto'));
    picker.disabled = true;
  }
  return {
    el: h('div', {}, video, h('label', { class: 'row' }, 'Rendition ', picker), status, rungs),
    update(s) {
      const playable = (s.state === 'READY' || s.state === 'LIVE') && s.previewUrl;
      // Each rung's own playlist, to open one rendition without adaptive switching.
      const previews = playable ? (s.renditionPreviews || []) : [];
      rungs.replaceChildren(...(previews.length ? ['Single renditions: '] : []), ...previews.flatMap((r, i) =>
        [i ? ' · ' : '', h('a', { href: r.url, target: '_blank', rel: 'noopener' }, r.name)]));
      if (!playable) {
        if (url) stop();
        status.textContent = s.previewUrl ? '' : 'The preview starts when the transcoder is ready.';
        return;
      }
      if (url === s.previewUrl) return;
      stop();
      url = s.previewUrl;
      status.textContent = 'Loading preview…';
      if (window.Hls && Hls.isSupported()) {
        hls = new Hls({ liveDurationInfinity: true });
        hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => {
          picker.replaceChildren(h('option', { value: '-1' }, 'Auto'),
            ...data.levels.map((l, i) => h('option', { value: String(i) }, `${l.height}p · ${Math.round(l.bitrate / 1000)} kbps`)));
          picker.disabled = false;
          status.textContent = '';
          video.play().catch(() => { status.textContent = 'Press play to watch.'; });
        });
        hls.on(Hls.Events.ERROR, (_, data) => {
          if (data.fatal) {
            status.textContent = `Preview error: ${data.details}; retrying…`;
            const again = url;
            setTimeout(() => { if (url === again) { url = null; this.update(app.streams.get(id) || s); } }, 2000);
          }
        });
        hls.loadSource(s.previewUrl);
        hls.attachMedia(video);
      } else {
        video.src = s.previewUrl;
        video.play().catch(() => {});
      }
    },
    dispose: stop,
  };
}

// ---------------------------------------------------------------- configuration (issue 3's API)

const NUM_FIELDS = [['width', 'Width'], ['height', 'Height'], ['videoBitrateKbps', 'Video kbps'],
  ['maxRateKbps', 'Max kbps'], ['fps', 'fps'], ['gopSeconds', 'GOP s'], ['audioBitrateKbps', 'Audio kbps']];
const IDLE = ['CREATED', 'STOPPED', 'FAILED'];

/** Presets and capabilities, fetched once per sign-in. */
let catalogPromise = null;
function configCatalog() {
  if (!catalogPromise) {
    catalogPromise = Promise.all([api('GET', '/presets'), api('GET', '/capabilities')])
      .then(([p, c]) => ({ presets: p.items || [], caps: c }))
      .catch((e) => { catalogPromise = null; throw e; });
  }
  return catalogPromise;
}

/**
 * The stream's configuration (issue 3's API): a preset or a custom ladder, its outputs, a live quote of the
 * edited configuration, and the versions with restore. Changes are accepted while the stream is stopped.
 */
function configForm(id) {
  const ladder = h('tbody', { 'data-testid': 'ladder' });
  const preset = h('select', { name: 'preset', 'data-testid': 'preset' });
  const quote = h('p', { class: 'quote', 'data-testid': 'config-quote' });
  const versions = h('ol', { class: 'versions', 'data-testid': 'config-versions', reversed: true });
  const lock = h('p', { class: 'muted', 'data-testid': 'config-lock' });
  const rtmpRendition = h('select', { name: 'outputs.rtmp.rendition' });
  const form = h('form', { class: 'config', 'data-testid': 'config-form', novalidate: true },
    lock,
    h('label', {}, 'Preset ', preset),
    h('p', { class: 'error', 'data-error-for': 'preset' }),
    h('div', { class: 'ladder-wrap' }, h('table', { class: 'ladder' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'),
      ...NUM_FIELDS.map(([, l]) => h('th', {}, l)), h('th', {}, 'Video codec'), h('th', {}, 'Audio codec'), h('th', {}))), ladder)),
    h('p', { class: 'error', 'data-error-for': 'renditions' }),
    h('button', { type: 'button', class: 'secondary', 'data-testid': 'add-rendition', onclick: () => { addRow(newRendition()); changed(); } }, 'Add rendition'),
    h('fieldset', {}, h('legend', {}, 'Outputs'),
      h('div', { class: 'row' },
        h('label', {}, 'HLS segments ', h('select', { name: 'outputs.hls.segmentType' }, h('option', { value: 'ts' }, 'MPEG-TS'), h('option', { value: 'fmp4' }, 'fMP4 / CMAF'))),
        h('label', {}, 'Segment s ', h('input', { name: 'outputs.hls.segmentSeconds', type: 'number', class: 'num' })),
        h('label', {}, 'Window (segments) ', h('input', { name: 'outputs.hls.windowSegments', type: 'number', class: 'num' }))),
      h('p', { class: 'error', 'data-error-for': 'outputs.hls.segmentType' }),
      h('p', { class: 'error', 'data-error-for': 'outputs.hls.segmentSeconds' }),
      h('p', { class: 'error', 'data-error-for': 'outputs.hls.windowSegments' }),
      h('label', { class: 'row' }, h('input', { type: 'checkbox', name: 'outputs.dash' }), ' DASH (CMAF) manifest'),
      h('div', { class: 'row' },
        h('label', { class: 'row' }, h('input', { type: 'checkbox', name: 'rtmpOn' }), ' RTMP re-stream of '), rtmpRendition,
        h('label', {}, 'to ', h('input', { name: 'outputs.rtmp.url', placeholder: 'rtmp://host/app/key', size: 40 }))),
      h('p', { class: 'error', 'data-error-for': 'outputs.rtmp.rendition' }),
      h('p', { class: 'error', 'data-error-for': 'outputs.rtmp.url' }),
      h('p', { class: 'error', 'data-error-for': 'outputs' })),
    h('fieldset', {}, h('legend', {}, 'Delivery'),
      h('label', {}, 'CDN ', h('select', { name: 'cdn', disabled: true }, h('option', { value: 'origin' }, 'origin (the transcoder serves HLS itself)'))),
      h('p', { class: 'muted' }, 'Other CDNs become selectable when they are configured.')),
    h('fieldset', { 'data-testid': 'ingest' }, h('legend', {}, 'Ingest'),
      h('div', { class: 'row' },
        h('label', {}, 'Input ', h('select', { name: 'ingest.kind' }, ['test-pattern', 'rtmp', 'srt', 'pull'].map((k) => h('option', { value: k }, k)))),
        h('label', {}, 'Pull URL ', h('input', { name: 'ingest.url', size: 40, placeholder: 'https://…/index.m3u8 or rtmp://…' })),
        h('label', {}, 'SRT passphrase ', h('input', { name: 'ingest.passphrase', type: 'password', autocomplete: 'new-password' }))),
      h('p', { class: 'error', 'data-error-for': 'kind' }), h('p', { class: 'error', 'data-error-for': 'url' }),
      h('p', { class: 'error', 'data-error-for': 'passphrase' }),
      h('div', { class: 'row' },
        h('label', {}, 'Allowed sources (CIDRs, one per line) ', h('textarea', { name: 'ingest.allowCidrs', rows: 2, cols: 30 })),
        h('label', {}, 'Reconnect window s ', h('input', { name: 'ingest.reconnectWindowSeconds', type: 'number', class: 'num' }))),
      h('p', { class: 'error', 'data-error-for': 'allowCidrs' }), h('p', { class: 'error', 'data-error-for': 'reconnectWindowSeconds' }),
      h('p', { class: 'ok', 'data-testid': 'ingest-saved' }),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'save-ingest', onclick: () => saveIngest() }, 'Save input'),
      h('p', { 'data-testid': 'stream-key' }),
      h('p', { class: 'muted', 'data-testid': 'previous-key' }),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'rotate-key', onclick: () => rotate() }, 'Rotate stream key'),
      h('p', { class: 'error', 'data-error-for': 'graceSeconds' })),
    quote,
    h('p', { class: 'error', 'data-error-for': '' }),
    h('p', { class: 'ok', 'data-testid': 'config-saved' }),
    h('button', { type: 'submit' }, 'Save configuration'),
    h('h4', {}, 'Versions'), versions);
  let shownFor = null;
  let stream = null;
  let quoteTimer = null;
  let quoteSeq = 0;

  function select(name, options, value) {
    return h('select', { name }, options.map((o) => h('option', { value: o.codec, disabled: o.available === false,
      selected: o.codec === value }, o.available === false ? `${o.codec} (not available)` : o.codec)));
  }

  function addRow(r, caps = lastCaps) {
    const i = ladder.children.length;
    const cell = (name, input) => h('td', {}, input, h('div', { class: 'error', 'data-error-for': name }));
    ladder.append(h('tr', { 'data-testid': 'rendition-row' },
      cell(`renditions[${i}].name`, h('input', { name: `renditions[${i}].name`, value: r.name, size: 6 })),
      ...NUM_FIELDS.map(([k]) => cell(`renditions[${i}].${k}`,
        h('input', { name: `renditions[${i}].${k}`, type: 'number', value: r[k] ?? '', class: 'num', 'data-key': k }))),
      cell(`renditions[${i}].videoCodec`, select(`renditions[${i}].videoCodec`,
        [...(caps ? caps.videoCodecs : [{ codec: 'h264' }]), { codec: 'none' }], r.videoCodec || 'h264')),
      cell(`renditions[${i}].audioCodec`, select(`renditions[${i}].audioCodec`,
        caps ? caps.audioCodecs : [{ codec: 'aac' }], r.audioCodec || 'aac')),
      h('td', {}, h('button', { type: 'button', class: 'secondary small', title: 'remove', onclick: (ev) => {
        ev.target.closest('tr').remove(); renumber(); changed(); } }, '✕'))));
  }

  /** After a removal the rows are renumbered, so an error's renditions[i] still points at the right row. */
  function renumber() {
    [...ladder.children].forEach((tr, i) => {
      for (const el of tr.querySelectorAll('[name], [data-error-for]')) {
        for (const attr of ['name', 'data-error-for']) {
          const v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/^renditions\[\d+\]/, `renditions[${i}]`));
        }
      }
    });
  }

  let lastCaps = null;
  function setLadder(renditions) {
    ladder.replaceChildren();
    for (const r of renditions || []) addRow(r);
    refreshRtmpChoices();
  }

  function setOutputs(o = {}) {
    const hls = o.hls || {};
    form['outputs.hls.segmentType'].value = hls.segmentType || 'ts';
    form['outputs.hls.segmentSeconds'].value = hls.segmentSeconds ?? '';
    form['outputs.hls.windowSegments'].value = hls.windowSegments ?? '';
    form['outputs.dash'].checked = !!o.dash;
    form.rtmpOn.checked = !!o.rtmp;
    form['outputs.rtmp.url'].value = (o.rtmp && o.rtmp.url) || '';
    refreshRtmpChoices(o.rtmp && o.rtmp.rendition);
  }

  function refreshRtmpChoices(chosen) {
    const keep = chosen || rtmpRendition.value;
    const names = [...ladder.children].map((tr) => tr.querySelector('input').value.trim()).filter(Boolean);
    rtmpRendition.replaceChildren(...names.map((n) => h('option', { value: n, selected: n === keep }, n)));
  }

  /** A new row takes the frame rate, GOP and codecs of the row above (they must agree across a ladder). */
  function newRendition() {
    const above = readLadder().pop() || {};
    return { name: '', width: 320, height: 180, videoBitrateKbps: 300, fps: above.fps || 25, gopSeconds: above.gopSeconds,
      videoCodec: above.videoCodec, audioCodec: above.audioCodec, audioBitrateKbps: above.audioBitrateKbps || 64 };
  }

  function readLadder() {
    return [...ladder.children].map((tr) => {
      const r = { name: tr.querySelector('input').value.trim() };
      for (const input of tr.querySelectorAll('input[data-key]')) {
        if (input.value !== '') r[input.dataset.key] = Number(input.value);
      }
      const [vc, ac] = tr.querySelectorAll('select');
      r.videoCodec = vc.value;
      r.audioCodec = ac.value;
      return r;
    });
  }

  function readOutputs() {
    const hls = { segmentType: form['outputs.hls.segmentType'].value };
    if (form['outputs.hls.segmentSeconds'].value !== '') hls.segmentSeconds = Number(form['outputs.hls.segmentSeconds'].value);
    if (form['outputs.hls.windowSegments'].value !== '') hls.windowSegments = Number(form['outputs.hls.windowSegments'].value);
    return { hls, dash: form['outputs.dash'].checked,
      rtmp: form.rtmpOn.checked ? { rendition: rtmpRendition.value, url: form['outputs.rtmp.url'].value.trim() } : null };
  }

  /** The body PATCH and quotes take: a preset as chosen, or the edited ladder. */
  function body() {
    return preset.value && !form.dataset.edited ? { preset: preset.value, outputs: readOutputs() }
      : { renditions: readLadder(), outputs: readOutputs() };
  }

  function changed() {
    form.dataset.edited = '1';
    refreshRtmpChoices();
    scheduleQuote();
  }
  form.addEventListener('input', (ev) => { if (ev.target !== preset) changed(); });

  function scheduleQuote() {
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(async () => {
      if (!stream) return;
      const mine = ++quoteSeq;
      quote.textContent = 'Pricing…';
      try {
        const q = await api('POST', '/quotes', { body: { offerId: stream.offerId, ...body() } });
        if (mine !== quoteSeq) return;
        quote.textContent = `This configuration: ${money(q.pricePerHourCents, q.currency)} per hour while running`
          + (q.lines && q.lines.length ? ` (${q.lines.map((l) => `${l.item} ${money(l.cents, q.currency)}`).join(', ')})` : '');
      } catch (e) {
        if (mine !== quoteSeq) return;
        quote.textContent = '';
        showErrors(form, e);
      }
    }, 300);
  }

  preset.addEventListener('change', async () => {
    const { presets } = await configCatalog();
    const p = presets.find((x) => x.id === preset.value);
    if (p) {
      setLadder(p.renditions);
      setOutputs(p.outputs);
      delete form.dataset.edited;
      scheduleQuote();
    }
  });

  async function loadVersions() {
    try {
      const v = await api('GET', `/streams/${id}/config/versions`);
      versions.replaceChildren(...v.items.map((c) => h('li', { 'data-version': c.version },
        `v${c.version}${c.version === v.currentVersion ? ' (current)' : ''}: `,
        c.preset ? `preset ${c.preset}, ` : '', `${c.renditions.map((r) => r.name).join(' / ')} · ${c.reason || ''} `,
        c.version === v.currentVersion ? '' : h('button', { type: 'button', class: 'secondary small', 'data-testid': 'restore',
          disabled: !IDLE.includes(stream && stream.state), onclick: () => restore(c.version) }, 'Restore'))));
    } catch (e) { console.warn(e); }
  }

  async function loadCurrent() {
    try {
      const [{ presets, caps }, current] = await Promise.all([configCatalog(), api('GET', `/streams/${id}/config`)]);
      lastCaps = caps;
      preset.replaceChildren(h('option', { value: '' }, 'custom'),
        ...presets.map((p) => h('option', { value: p.id }, `${p.name} (${p.renditions.length} renditions)`)));
      preset.value = current.preset || '';
      setLadder(current.renditions);
      setOutputs(current.outputs);
      delete form.dataset.edited;
      scheduleQuote();
    } catch (e) { showErrors(form, e); }
    loadVersions();
  }

  async function restore(version) {
    showErrors(form, null);
    try {
      const s = await api('POST', `/streams/${id}/config/versions/${version}/restore`);
      mergeStream(id, s);
      $('[data-testid="config-saved"]', form).textContent = `Restored as version ${s.configVersion}.`;
      loadCurrent();
    } catch (e) { showErrors(form, e); }
  }

  function showIngest(ing, freshKey) {
    form['ingest.kind'].value = ing.kind;
    form['ingest.url'].value = ing.url || '';
    form['ingest.passphrase'].value = '';
    form['ingest.passphrase'].placeholder = ing.passphraseSet ? 'set (unchanged)' : '';
    form['ingest.allowCidrs'].value = (ing.allowCidrs || []).join('\n');
    form['ingest.reconnectWindowSeconds'].value = ing.reconnectWindowSeconds ?? '';
    const keyEl = $('[data-testid="stream-key"]', form);
    if (ing.kind !== 'rtmp') keyEl.textContent = `Input: ${ing.kind} (no stream key).`;
    else if (freshKey) keyEl.replaceChildren('Stream key (copy it now, it is not shown again): ', h('code', { 'data-testid': 'stream-key-value' }, freshKey));
    else keyEl.textContent = 'Stream key: hidden. Rotate it to get a new one.';
    $('[data-testid="previous-key"]', form).textContent = ing.previousStreamKeyValidUntil
      ? `The previous key keeps working until ${new Date(ing.previousStreamKeyValidUntil).toLocaleTimeString()}.` : '';
    if (ing.thumbnailUrl && !app.thumbs.has(id)) app.thumbs.set(id, ing.thumbnailUrl);
  }

  async function loadIngest(freshKey) {
    try { showIngest(await api('GET', `/streams/${id}/ingest`), freshKey); } catch (e) { showErrors(form, e); }
  }

  async function saveIngest() {
    showErrors(form, null);
    $('[data-testid="ingest-saved"]', form).textContent = '';
    const wasRtmp = stream && stream.input && stream.input.kind === 'rtmp';
    const body = { kind: form['ingest.kind'].value };
    if (form['ingest.url'].value.trim()) body.url = form['ingest.url'].value.trim();
    if (form['ingest.passphrase'].value) body.passphrase = form['ingest.passphrase'].value;
    body.allowCidrs = form['ingest.allowCidrs'].value.split(/[\s,]+/).filter(Boolean);
    if (form['ingest.reconnectWindowSeconds'].value !== '') body.reconnectWindowSeconds = Number(form['ingest.reconnectWindowSeconds'].value);
    try {
      const ing = await api('PUT', `/streams/${id}/ingest`, { body });
      showIngest(ing, ing.kind === 'rtmp' && !wasRtmp ? ing.streamKey : null);
      $('[data-testid="ingest-saved"]', form).textContent = 'Input saved.';
      refreshStream(id);
    } catch (e) { showErrors(form, e); }
  }

  async function rotate() {
    showErrors(form, null);
    try {
      const ing = await api('POST', `/streams/${id}/stream-key/rotate`, { body: {} });
      showIngest(ing, ing.streamKey);
      refreshStream(id);
    } catch (e) { showErrors(form, e); }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(form, null);
    $('[data-testid="config-saved"]', form).textContent = '';
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    button.textContent = 'Saving…';
    try {
      const s = await api('PATCH', `/streams/${id}`, { body: body() });
      mergeStream(id, s);
      $('[data-testid="config-saved"]', form).textContent = `Saved as version ${s.configVersion}.`;
      loadCurrent();
    } catch (e) {
      showErrors(form, e);
    } finally {
      button.disabled = false;
      button.textContent = 'Save configuration';
    }
  });

  return {
    el: form,
    update(s) {
      stream = s;
      const idle = IDLE.includes(s.state);
      lock.textContent = idle ? '' : `The configuration can change while the stream is stopped (now ${s.state}).`;
      form.querySelector('button[type=submit]').disabled = !idle;
      if (shownFor !== s.id) {
        shownFor = s.id;
        // The key is shown once, right after it was issued; later it stays hidden (rotate for a new one).
        const key = app.freshKeys.get(s.id);
        app.freshKeys.delete(s.id);
        loadIngest(key);
        loadCurrent();
      }
    },
    onConfigEvent() { if (!form.dataset.edited) loadCurrent(); else loadVersions(); },
  };
}

/** A stream's answer from the API; its state stays what the events made it. */
function mergeStream(id, fresh) {
  const known = app.streams.get(id);
  app.streams.set(id, known ? { ...known, ...fresh, state: known.state, allowedActions: known.allowedActions } : fresh);
}

// ---------------------------------------------------------------- account

function accountView() {
  const keys = h('tbody', { 'data-testid': 'api-keys' });
  const created = h('p', { class: 'ok', 'data-testid': 'new-key' });
  const keyForm = h('form', { class: 'row', novalidate: true, 'data-testid': 'key-form' },
    h('label', {}, 'Label ', h('input', { name: 'label', maxlength: 100, placeholder: 'e.g. CI deploy' })),
    h('button', { type: 'submit' }, 'Create API key'),
    h('p', { class: 'error', 'data-error-for': 'label' }), h('p', { class: 'error', 'data-error-for': '' }));
  const usage = h('tbody', { 'data-testid': 'usage' });
  const usageNote = h('p', { class: 'muted' });
  const root = h('div', { class: 'account' },
    h('section', { class: 'panel' }, h('h2', {}, 'API keys'), keyForm, created,
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Prefix'), h('th', {}, 'Label'), h('th', {}, 'Created'),
        h('th', {}, 'Status'), h('th', {}))), keys)),
    h('section', { class: 'panel' }, h('h2', {}, 'Usage so far'), usageNote,
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Stream'), h('th', {}, 'State'), h('th', {}, 'Stream-minutes'),
        h('th', {}, 'Price / hour'), h('th', {}, 'Cost'))), usage)));
  $('#view').replaceChildren(root);
  keyForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(keyForm, null);
    try {
      const k = await api('POST', '/api-keys', { body: { label: keyForm.label.value } });
      created.replaceChildren('New key (copy it now, it is not shown again): ', h('code', { 'data-testid': 'new-key-value' }, k.key));
      keyForm.label.value = '';
      loadKeys();
    } catch (e) { showErrors(keyForm, e); }
  });
  async function loadKeys() {
    try {
      const page = await api('GET', '/api-keys');
      keys.replaceChildren(...page.items.map((k) => h('tr', { 'data-key-id': k.id },
        h('td', {}, h('code', {}, `ltm_${k.prefix}_…`)), h('td', {}, k.label), h('td', {}, new Date(k.createdAt).toLocaleString()),
        h('td', {}, k.revokedAt ? `revoked ${new Date(k.revokedAt).toLocaleString()}` : 'active'),
        h('td', {}, k.revokedAt ? '' : h('button', { type: 'button', class: 'danger small', 'data-testid': 'revoke',
          onclick: async () => { try { await api('DELETE', `/api-keys/${k.id}`); } catch (e) { showErrors(keyForm, e); } loadKeys(); } }, 'Revoke')))));
    } catch (e) { showErrors(keyForm, e); }
  }
  async function loadUsage() {
    try {
      const u = await api('GET', '/usage');
      usageNote.textContent = `Billed: time in ${u.billedStates.join(', ')}, to the second, at the order's price per hour. `
        + `Total: ${u.totals.map((t) => money(t.costCents, t.currency)).join(' + ') || money(0, 'USD')}.`;
      usage.replaceChildren(...u.items.map((i) => h('tr', {}, h('td', {}, i.name), h('td', {}, badge(i.state)),
        h('td', {}, i.streamMinutes.toFixed(2)), h('td', {}, money(i.pricePerHourCents, i.currency)),
        h('td', {}, money(i.costCents, i.currency)))));
    } catch (e) { usageNote.textContent = e.message; }
  }
  loadKeys();
  loadUsage();
  return { refresh() {}, onEvent(e) { if (e.type === 'stream.state') loadUsage(); } };
}

boot();
