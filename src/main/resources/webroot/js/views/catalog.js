// The catalog: each offer with its ladder and a price quote; buying goes straight to the new stream.
import { api, uuid } from '../api.js';
import { $, h, money } from '../dom.js';
import { submitWith } from '../forms.js';
import { app } from '../state.js';

export function catalogView() {
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
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { offerId: offer.id, quantity: Number(form.quantity.value), input: { kind: form['input.kind'].value } };
    if (form.name.value.trim()) body.name = form.name.value.trim();
    submitWith(form, async () => {
      const order = await api('POST', '/orders', { body, headers: { 'Idempotency-Key': uuid() } });
      for (const s of order.streams || []) {
        app.streams.set(s.id, s);
        if (s.input && s.input.streamKey) app.freshKeys.set(s.id, s.input.streamKey);
      }
      location.hash = order.streams && order.streams.length === 1 ? `#/streams/${order.streams[0].id}` : '#/streams';
    }, 'Buying…');
  });
  return h('article', { class: 'card offer', 'data-offer-id': offer.id },
    h('div', { class: 'row spread' }, h('h3', {}, offer.name),
      h('span', { class: 'price' }, `${money(offer.pricePerHourCents, offer.currency)} / hour`)),
    h('p', { class: 'muted' }, offer.description || ''),
    h('ul', { class: 'renditions' }, (offer.renditions || []).map((r) =>
      h('li', {}, `${r.name}: ${r.width}×${r.height}, ${r.fps} fps, video ${r.videoBitrateKbps} kbps, audio ${r.audioBitrateKbps} kbps`))),
    form);
}
