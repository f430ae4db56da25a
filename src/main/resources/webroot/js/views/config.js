// The stream's configuration (the configuration API): a preset or a custom ladder, its outputs, a live quote of
// the edited configuration, and the versions with restore. Changes are accepted while the stream is stopped.
import { api, showErrors } from '../api.js';
import { $, h, money } from '../dom.js';
import { submitWith } from '../forms.js';
import { mergeStream } from '../state.js';

/** Nothing runs, so the configuration may change: exactly the states from which a stream can be started. */
export function idle(stream) {
  return !!stream && (stream.allowedActions || []).includes('start');
}

const NUM_FIELDS = [['width', 'Width'], ['height', 'Height'], ['videoBitrateKbps', 'Video kbps'],
  ['maxRateKbps', 'Max kbps'], ['fps', 'fps'], ['gopSeconds', 'GOP s'], ['audioBitrateKbps', 'Audio kbps']];

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
export function configForm(id) {
  const ladder = h('tbody', { 'data-testid': 'ladder' });
  const preset = h('select', { name: 'preset', 'data-testid': 'preset' });
  const quote = h('p', { class: 'quote', 'data-testid': 'config-quote' });
  const versions = h('ol', { class: 'versions', 'data-testid': 'config-versions', reversed: true });
  const lock = h('p', { class: 'muted', 'data-testid': 'config-lock' });
  const rtmpRendition = h('select', { name: 'outputs.rtmp.rendition' });
  const cdnPrimary = h('select', { name: 'cdn.primary', 'data-testid': 'cdn-primary' });
  const cdnBackup = h('select', { name: 'cdn.backup', 'data-testid': 'cdn-backup' });
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
    h('fieldset', { 'data-testid': 'delivery' }, h('legend', {}, 'Delivery'),
      h('div', { class: 'row' },
        h('label', {}, 'CDN ', cdnPrimary), h('label', {}, 'Backup ', cdnBackup),
        h('label', {}, 'Mode ', h('select', { name: 'cdn.mode' }, h('option', { value: 'failover' }, 'failover (switch on failure)'),
          h('option', { value: 'both' }, 'both at once'))),
        h('label', { class: 'row' }, h('input', { type: 'checkbox', name: 'cdn.failback' }), ' switch back when the primary recovers')),
      h('p', { class: 'error', 'data-error-for': 'cdn.primary' }), h('p', { class: 'error', 'data-error-for': 'cdn.backup' }),
      h('p', { class: 'error', 'data-error-for': 'cdn.mode' }),
      h('p', { class: 'muted' }, h('a', { href: '#/cdn' }, 'CDN profiles'), ' are created and checked on their own page.')),
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

  function readCdn() {
    return { primary: cdnPrimary.value || 'origin', backup: cdnBackup.value || null, mode: form['cdn.mode'].value,
      failback: form['cdn.failback'].checked };
  }

  /** The CDN choices: the built-in origin and the account's profiles. */
  async function setCdn(cdn = {}) {
    let profiles = [];
    try { profiles = (await api('GET', '/cdn-profiles')).items || []; } catch (e) { console.warn(e); }
    const options = (none) => [...(none ? [h('option', { value: '' }, 'none')] : []),
      h('option', { value: 'origin' }, 'origin (the transcoder serves HLS itself)'),
      ...profiles.map((p) => h('option', { value: p.id }, `${p.name} (${p.kind})`))];
    cdnPrimary.replaceChildren(...options(false));
    cdnBackup.replaceChildren(...options(true));
    cdnPrimary.value = cdn.primary || 'origin';
    cdnBackup.value = cdn.backup || '';
    form['cdn.mode'].value = cdn.mode || 'failover';
    form['cdn.failback'].checked = cdn.failback !== false;
  }

  /** The body PATCH and quotes take: a preset as chosen, or the edited ladder. */
  function body() {
    return preset.value && !form.dataset.edited ? { preset: preset.value, outputs: readOutputs(), cdn: readCdn() }
      : { renditions: readLadder(), outputs: readOutputs(), cdn: readCdn() };
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
          disabled: !idle(stream), onclick: () => restore(c.version) }, 'Restore'))));
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
      await setCdn(current.cdn);
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

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('[data-testid="config-saved"]', form).textContent = '';
    submitWith(form, async () => {
      const s = await api('PATCH', `/streams/${id}`, { body: body() });
      mergeStream(id, s);
      $('[data-testid="config-saved"]', form).textContent = `Saved as version ${s.configVersion}.`;
      loadCurrent();
    });
  });

  return {
    el: form,
    update(s) {
      stream = s;
      lock.textContent = idle(s) ? '' : `The configuration can change while the stream is stopped (now ${s.state}).`;
      form.querySelector('button[type=submit]').disabled = !idle(s);
      if (shownFor !== s.id) {
        shownFor = s.id;
        loadCurrent();
      }
    },
    onConfigEvent() { if (!form.dataset.edited) loadCurrent(); else loadVersions(); },
  };
}

