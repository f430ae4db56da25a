// CDN profiles: create (checked against the CDN first), list, check again, delete. Secrets are write-only: the
// page sends them once and only ever sees which are set.
import { api, showErrors } from '../api.js';
import { $, h } from '../dom.js';
import { submitWith } from '../forms.js';

const FIELDS = {
  'http-put': [['url', 'Upload URL (PUT/DELETE)'], ['playbackUrl', 'Playback URL (optional)'],
    ['authType', 'Auth', ['none', 'basic', 'token']], ['username', 'User'], ['password', 'Password', 'secret'],
    ['headerName', 'Token header'], ['token', 'Token', 'secret']],
  s3: [['bucket', 'Bucket'], ['prefix', 'Prefix'], ['region', 'Region'], ['endpoint', 'Endpoint (empty: AWS)'],
    ['accessKeyId', 'Access key id'], ['secretAccessKey', 'Secret access key', 'secret'],
    ['publicBaseUrl', 'Public base URL (CloudFront)']],
  rtmp: [['url', 'Ingest URL rtmp://host/app'], ['streamKey', 'Stream key', 'secret'], ['rendition', 'Rendition (empty: top)'],
    ['playbackUrl', 'Playback URL ({streamId} allowed)']],
};

export function cdnView() {
  const list = h('tbody', { 'data-testid': 'cdn-profiles' });
  const kind = h('select', { name: 'kind' }, Object.keys(FIELDS).map((k) => h('option', { value: k }, k)));
  const fields = h('div', { class: 'cdn-fields' });
  const note = h('p', { class: 'ok', 'data-testid': 'cdn-created' });
  const form = h('form', { class: 'panel', 'data-testid': 'cdn-form', novalidate: true },
    h('h2', {}, 'CDN profiles'),
    h('p', { class: 'muted' }, 'The built-in origin (the transcoder serves HLS itself) needs no profile.'),
    h('div', { class: 'row' }, h('label', {}, 'Name ', h('input', { name: 'name', maxlength: 100 })), h('label', {}, 'Kind ', kind)),
    h('p', { class: 'error', 'data-error-for': 'name' }), fields,
    h('p', { class: 'error', 'data-error-for': '' }), note,
    h('button', { type: 'submit' }, 'Check and create'));
  const root = h('div', {}, form, h('section', { class: 'panel' }, h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', {}, 'Where'), h('th', {}, 'Secrets'), h('th', {}))), list)));
  $('#view').replaceChildren(root);

  function showFields() {
    fields.replaceChildren(...FIELDS[kind.value].map(([name, label, type]) => h('div', {},
      h('label', {}, `${label} `, Array.isArray(type)
        ? h('select', { name }, type.map((t) => h('option', { value: t }, t)))
        : h('input', { name, type: type === 'secret' ? 'password' : 'text', autocomplete: 'off', size: 40 })),
      h('p', { class: 'error', 'data-error-for': name }))));
  }
  kind.addEventListener('change', showFields);
  showFields();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    note.textContent = '';
    submitWith(form, async () => {
      const body = { name: form.name.value.trim(), kind: kind.value };
      for (const [name] of FIELDS[kind.value]) if (form[name] && form[name].value !== '') body[name] = form[name].value;
      const p = await api('POST', '/cdn-profiles', { body });
      note.textContent = `Checked and created ${p.name} (${p.id}).`;
      for (const [name, , type] of FIELDS[kind.value]) if (type === 'secret' && form[name]) form[name].value = '';
      load();
    }, 'Checking…');
  });

  async function load() {
    try {
      const page = await api('GET', '/cdn-profiles');
      list.replaceChildren(...page.items.map((p) => {
        const status = h('span', { class: 'muted', 'data-testid': 'cdn-check-result' });
        return h('tr', { 'data-profile-id': p.id },
          h('td', {}, p.name), h('td', {}, p.kind), h('td', {}, h('code', {}, p.url || (p.bucket && `s3://${p.bucket}/${p.prefix || ''}`) || '')),
          h('td', {}, (p.secretsSet || []).join(', ') || '–'),
          h('td', {}, h('button', { type: 'button', class: 'secondary small', onclick: async () => {
            status.textContent = 'checking…';
            try { const r = await api('POST', `/cdn-profiles/${p.id}/check`); status.textContent = `ok (${r.latencyMs} ms)`; }
            catch (e) { status.textContent = `${e.code}: ${e.message}`; }
          } }, 'Check'), ' ',
          h('button', { type: 'button', class: 'danger small', 'data-testid': 'cdn-delete', onclick: async () => {
            try { await api('DELETE', `/cdn-profiles/${p.id}`); load(); } catch (e) { status.textContent = e.message; }
          } }, 'Delete'), ' ', status));
      }));
    } catch (e) { showErrors(form, e); }
  }
  load();
  return { refresh() {} };
}
