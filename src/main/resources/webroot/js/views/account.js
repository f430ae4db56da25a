// The account page: API keys (created, listed by prefix, revoked) and usage so far per stream.
import { api, showErrors } from '../api.js';
import { $, h, badge, money } from '../dom.js';
import { submitWith } from '../forms.js';

export function accountView() {
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
  keyForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitWith(keyForm, async () => {
      const k = await api('POST', '/api-keys', { body: { label: keyForm.label.value } });
      created.replaceChildren('New key (copy it now, it is not shown again): ', h('code', { 'data-testid': 'new-key-value' }, k.key));
      keyForm.label.value = '';
      loadKeys();
    }, 'Creating…');
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
