// One stream: actions, provisioning progress, the preview and its health figures, the configuration (with
// ingest) and the event timeline.
import { api } from '../api.js';
import { $, h, badge, seconds } from '../dom.js';
import { progressOf, START_KINDS } from '../progress.js';
import { app, ACTIVE } from '../state.js';
import { playerPanel } from './player.js';
import { configForm } from './config.js';
import { ingestForm } from './ingest.js';

export function streamView(id) {
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
  const ingest = ingestForm(id);
  const root = h('div', { class: 'stream-page' },
    h('section', { class: 'panel' }, head, reason, facts, actions, actionError,
      h('h3', {}, 'Provisioning'), progress),
    h('section', { class: 'panel' }, h('h3', {}, 'Preview'), player.el, live),
    h('section', { class: 'panel' }, h('h3', {}, 'Configuration'), config.el, ingest.el),
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
      // The answer is the state right after the call; an event may already have moved the stream further, and
      // then the action is no longer among what the known state allows.
      const fresh = (known.allowedActions || []).includes(action);
      app.streams.set(id, { ...known, ...s, state: fresh ? s.state : known.state,
        allowedActions: fresh ? s.allowedActions : known.allowedActions });
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
      : `About ${seconds(p.remainingMs)} left (median of this account's earlier ${p.startKind ? p.startKind + ' ' : ''}starts).`;
    const kind = p.startKind ? h('p', { class: `start-kind start-${p.startKind}`, 'data-testid': 'start-kind',
      'data-kind': p.startKind }, START_KINDS[p.startKind] || p.startKind) : '';
    progress.replaceChildren(kind, h('ol', { class: 'phases' }, rows), h('p', { class: 'muted', 'data-testid': 'eta' }, summary));
  }

  function render() {
    const s = app.streams.get(id);
    if (!s) { head.replaceChildren(h('h2', {}, 'No such stream')); return; }
    head.replaceChildren(h('h2', {}, s.name, ' ', h('code', { class: 'muted' }, s.id)), badge(s.state));
    reason.textContent = s.state === 'FAILED' ? (s.stateReason || 'failed') : '';
    facts.replaceChildren(
      h('dt', {}, 'Offer'), h('dd', {}, (app.offers.get(s.offerId) || {}).name || s.offerId),
      h('dt', {}, 'Input'), h('dd', {}, s.input ? s.input.kind : ''),
      ...(s.ingestUrl ? [h('dt', {}, 'Ingest URL'), h('dd', {}, h('code', {}, s.ingestUrl))] : []),
      ...(s.playbackUrl ? [h('dt', {}, 'Playback URL'), h('dd', { 'data-testid': 'playback-url' }, h('code', {}, s.playbackUrl),
        s.activeCdn ? ` (via ${s.activeCdn})` : '')] : []),
      ...(s.dashPlaybackUrl ? [h('dt', {}, 'DASH playback URL'),
        h('dd', { 'data-testid': 'dash-playback-url' }, h('code', {}, s.dashPlaybackUrl))] : []));
    const allowed = s.allowedActions || [];
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
      e.type === 'stream.cdn' ? `now via ${(e.detail && e.detail.activeName) || e.active} (was ${e.previous})` : '',
      e.detail && e.detail.reason ? ` (${e.detail.reason})` : '')));
    config.update(s);
    ingest.update(s);
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
    // A test pattern is drawn on the machine: no bytes arrive, so there is no input bitrate to show.
    ...fig('Input bitrate', hl.inputBitrateKbps != null ? `${num(hl.inputBitrateKbps)} kbps`
      : hl.inputKind === 'test-pattern' ? 'none (test pattern drawn on the transcoder)' : null, 'health-input-bitrate'),
    ...fig('Output bitrate', hl.bitrateKbps != null ? `${num(hl.bitrateKbps)} kbps` : null, 'health-bitrate'),
    ...fig('Encoder fps', num(hl.fps, 1), 'health-fps'),
    ...fig('Speed', hl.speed != null ? `${num(hl.speed, 2)}×` : null, 'health-speed'),
    ...fig('Dropped / duplicated frames', `${hl.dropFrames ?? 0} / ${hl.dupFrames ?? 0}`, 'health-frames'),
    ...fig('Reported', hl.at ? new Date(hl.at).toLocaleTimeString() : null, 'health-at'),
    // Each CDN the stream goes out through: how fast uploads are, how many failed or were dropped, how far behind.
    ...(hl.cdn || []).flatMap((c) => fig(`CDN ${c.name} (${c.role}${c.active ? ', active' : ''})`,
      `${c.state}; upload ${c.uploadLatencyMs ?? '–'} ms; ${c.failures ?? 0} failures; ${c.dropped ?? 0} dropped; `
      + `${c.secondsBehind == null ? '–' : num(c.secondsBehind, 1)} s behind${c.lastError && c.state !== 'ok' ? `; ${c.lastError}` : ''}`,
      `health-cdn-${c.role}`)));
}
