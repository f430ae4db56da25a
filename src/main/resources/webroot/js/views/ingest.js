// A stream's input: RTMP, SRT or pull, the allow-list and the reconnect window; the stream key shown once and
// rotated with its grace period.
import { api, showErrors } from '../api.js';
import { $, h } from '../dom.js';
import { submitWith } from '../forms.js';
import { app, refreshStream } from '../state.js';

export function ingestForm(id) {
  const form = h('form', { class: 'config', 'data-testid': 'ingest-form', novalidate: true },
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
      h('button', { type: 'submit', class: 'secondary', 'data-testid': 'save-ingest' }, 'Save input'),
      h('p', { 'data-testid': 'stream-key' }),
      h('p', { class: 'muted', 'data-testid': 'previous-key' }),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'rotate-key', onclick: () => rotate() }, 'Rotate stream key'),
      h('p', { class: 'error', 'data-error-for': 'graceSeconds' })),
    h('p', { class: 'error', 'data-error-for': '' }));
  let stream = null;
  let shownFor = null;

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
    $('[data-testid="ingest-saved"]', form).textContent = '';
    const wasRtmp = stream && stream.input && stream.input.kind === 'rtmp';
    const body = { kind: form['ingest.kind'].value };
    if (form['ingest.url'].value.trim()) body.url = form['ingest.url'].value.trim();
    if (form['ingest.passphrase'].value) body.passphrase = form['ingest.passphrase'].value;
    body.allowCidrs = form['ingest.allowCidrs'].value.split(/[\s,]+/).filter(Boolean);
    if (form['ingest.reconnectWindowSeconds'].value !== '') body.reconnectWindowSeconds = Number(form['ingest.reconnectWindowSeconds'].value);
    const ing = await api('PUT', `/streams/${id}/ingest`, { body });
    showIngest(ing, ing.kind === 'rtmp' && !wasRtmp ? ing.streamKey : null);
    $('[data-testid="ingest-saved"]', form).textContent = 'Input saved.';
    refreshStream(id);
  }

  async function rotate() {
    showErrors(form, null);
    try {
      const ing = await api('POST', `/streams/${id}/stream-key/rotate`, { body: {} });
      showIngest(ing, ing.streamKey);
      refreshStream(id);
    } catch (e) { showErrors(form, e); }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitWith(form, saveIngest);
  });

  return {
    el: form,
    update(s) {
      stream = s;
      if (shownFor !== s.id) {
        shownFor = s.id;
        // The key is shown once, right after it was issued; later it stays hidden (rotate for a new one).
        const key = app.freshKeys.get(s.id);
        app.freshKeys.delete(s.id);
        loadIngest(key);
      }
    },
  };
}
