// What the console knows, shared by every view: the account's streams, offers and events as the API and the
// event bus gave them. Views read it; main.js applies events to it.
import { api } from './api.js';

export const ACTIVE = ['PROVISIONING', 'STARTING', 'READY', 'LIVE', 'STOPPING'];
export const IDLE = ['CREATED', 'STOPPED', 'FAILED'];

export const app = {
  me: null,
  offers: new Map(),
  streams: new Map(),
  events: [], // every event of the account applied so far, in seq order
  lastSeq: 0,
  bus: null,
  view: null, // { refresh(), onEvent?(event), dispose?() }
  health: new Map(), // streamId -> last stream.health detail
  thumbs: new Map(), // streamId -> last thumbnail URL
  cdn: new Map(), // streamId -> last stream.cdn event
  applied: [], // seqs applied, for tests: strictly increasing, no duplicate
  freshKeys: new Map(), // streamId -> stream key just issued (purchase, rotation): shown once, then forgotten
};

/** A stream's answer from the API; its state (and what it allows) stays what the events made it. */
export function mergeStream(id, fresh) {
  const known = app.streams.get(id);
  app.streams.set(id, known ? { ...known, ...fresh, state: known.state,
    allowedActions: known.allowedActions || fresh.allowedActions } : fresh);
}

/** The stream's other facts (preview and playback URLs, ingest) fresh from the API. */
export async function refreshStream(id) {
  try {
    const fresh = await api('GET', `/streams/${id}`);
    const known = app.streams.get(id);
    app.streams.set(id, known ? { ...fresh, state: known.state,
      // An event that predates allowedActions on events leaves them unknown: the API's hold for the same state.
      allowedActions: known.allowedActions || (fresh.state === known.state ? fresh.allowedActions : []),
      previewUrl: fresh.previewUrl || known.previewUrl } : fresh);
    if (app.view) app.view.refresh();
  } catch (e) { console.warn(e); }
}

/** Streams bought elsewhere (another tab, the API): added; known ones keep the state their events gave them. */
export async function addNewStreams() {
  const page = await api('GET', '/streams');
  for (const s of page.items || []) if (!app.streams.has(s.id)) app.streams.set(s.id, s);
}
