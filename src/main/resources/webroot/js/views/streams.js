// The account's streams, each with a state badge that follows the events live.
import { $, h, badge } from '../dom.js';
import { app } from '../state.js';

export function streamsView() {
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
