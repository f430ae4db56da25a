// Provisioning progress from stream.state events: how long each phase of the latest start took, and an
// estimate of what remains (the median of this account's past durations of each phase still ahead, from starts of
// the same kind: a warm start, from a pool's booted machine, takes seconds less than a cold one).

export const PHASES = [
  { state: 'PROVISIONING', label: 'Queued' },
  { state: 'STARTING', label: 'Machine starting' },
  { state: 'READY', label: 'Transcoder ready, waiting for input' },
  { state: 'LIVE', label: 'Live' },
];
const ORDER = PHASES.map((p) => p.state);

/** Start kinds, as the STARTING event's detail.start says; older events said nothing and were cold. */
export const START_KINDS = {
  warm: 'Warm start: a booted machine from the pool',
  'warm-stopped': 'Warm start: a stopped machine from the pool, started again',
  cold: 'Cold start: a new machine is launched',
};

/** How the start beginning at states[from] (a PROVISIONING event) was served, or null while not yet known. */
export function startKindAt(states, from) {
  for (let i = from + 1; i < states.length && states[i].state !== 'PROVISIONING'; i++) {
    if (states[i].state === 'STARTING') return (states[i].detail && states[i].detail.start) || 'cold';
  }
  return null;
}

/**
 * Durations (ms) of completed phases across all streams of the account, by state entered; only starts of the given
 * kind when one is given.
 */
export function pastDurations(events, kind) {
  const byStream = new Map();
  for (const e of events) {
    if (e.type !== 'stream.state' || !e.streamId) continue;
    if (!byStream.has(e.streamId)) byStream.set(e.streamId, []);
    byStream.get(e.streamId).push(e);
  }
  const out = new Map(ORDER.map((s) => [s, []]));
  for (const list of byStream.values()) {
    let runKind = null;
    for (let i = 0; i + 1 < list.length; i++) {
      const cur = list[i];
      if (cur.state === 'PROVISIONING') runKind = startKindAt(list, i);
      if (kind && runKind !== kind) continue;
      const next = list[i + 1];
      const ci = ORDER.indexOf(cur.state);
      // Only a forward step counts: READY → STOPPING says nothing about how long input takes to arrive.
      if (ci >= 0 && ci < ORDER.length - 1 && next.state === ORDER[ci + 1]) {
        out.get(cur.state).push(Date.parse(next.at) - Date.parse(cur.at));
      }
    }
  }
  return out;
}

export function median(values) {
  if (!values || values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The latest start of one stream: [{state, label, enteredAt, tookMs, running, done}], the outcome (null while
 * still on its way, else the state that ended it: LIVE, STOPPING, STOPPED, FAILED), startKind (warm,
 * warm-stopped, cold; null until the machine is known) and remainingMs (estimate from past starts of the same kind,
 * of every kind while it is not known yet; null when unknown).
 */
export function progressOf(streamEvents, allEvents, now, waitsForInput) {
  const states = streamEvents.filter((e) => e.type === 'stream.state');
  let start = -1;
  for (let i = states.length - 1; i >= 0; i--) {
    if (states[i].state === 'PROVISIONING') { start = i; break; }
  }
  if (start < 0) return null;
  const run = states.slice(start);
  const startKind = startKindAt(states, start);
  const medians = pastDurations(allEvents, startKind);
  const phases = PHASES.map((p) => ({ ...p, enteredAt: null, tookMs: null, running: false, done: false }));
  let outcome = null;
  for (let i = 0; i < run.length; i++) {
    const idx = ORDER.indexOf(run[i].state);
    if (idx < 0) { outcome = run[i].state; break; }
    const phase = phases[idx];
    if (phase.enteredAt == null) phase.enteredAt = run[i].at;
    const next = run[i + 1];
    if (next) {
      phase.tookMs = Date.parse(next.at) - Date.parse(phase.enteredAt);
      phase.done = true;
    } else {
      phase.tookMs = now - Date.parse(phase.enteredAt);
      phase.running = idx < ORDER.length - 1;
      phase.done = idx === ORDER.length - 1;
    }
  }
  if (!outcome && phases[ORDER.length - 1].enteredAt) outcome = 'LIVE';
  let remainingMs = null;
  if (!outcome) {
    remainingMs = 0;
    const current = phases.findIndex((p) => p.running);
    for (let i = Math.max(0, current); i < ORDER.length - 1; i++) {
      if (ORDER[i] === 'READY' && waitsForInput) { remainingMs = null; break; }
      const m = median(medians.get(ORDER[i]));
      if (m == null) { remainingMs = null; break; }
      remainingMs += i === current ? Math.max(0, m - phases[i].tookMs) : m;
    }
  }
  return { phases, outcome, remainingMs, startKind };
}
