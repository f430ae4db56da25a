// End-to-end tests of the LTM console in Debian's chromium, driven by playwright-core.
// Starts LTM as a user does (`java -jar target/ltm.jar dev`) on a free port against its own database and
// RabbitMQ vhost (prepared by scripts/e2e), runs the flows, saves a screenshot of every step under target/e2e/,
// stops LTM, and prints `e2e: N passed, N failed`. Exits non-zero when anything failed.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'target', 'e2e');
const AGENTS = path.join(ROOT, 'target', 'e2e-agents');
const WAIT = 120_000;
let shot = 0;
const browserLog = [];

rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const OPERATOR_TOKEN = `e2e-operator-${process.pid}-${Date.now()}`;
const env = {
  ...process.env,
  LTM_HTTP_PORT: String(port),
  LTM_HTTP_HOST: '127.0.0.1',
  LTM_PUBLIC_URL: base,
  LTM_ADVERTISED_HOST: '127.0.0.1',
  LTM_MYSQL_DATABASE: process.env.LTM_E2E_DATABASE || 'ltm_e2e',
  LTM_RABBITMQ_URI: process.env.LTM_E2E_RABBITMQ_URI || 'amqp://guest:guest@127.0.0.1:5672/ltm-e2e',
  LTM_ENV: process.env.LTM_E2E_ENV || 'e2e',
  LTM_AGENT_WORK_DIR: AGENTS,
  LTM_X264_PRESET: 'ultrafast',
  LTM_HEARTBEAT_SECONDS: '1',
  LTM_THUMBNAIL_SECONDS: '2',
  LTM_HEALTH_EVENT_SECONDS: '1',
  // The operator's token: the flow sets a warm pool of one for its stream's offer and drains it at the end.
  LTM_OPERATOR_TOKEN: OPERATOR_TOKEN,
};
const jar = path.join(ROOT, 'target', 'ltm.jar');

// ---------------------------------------------------------------- LTM

let ltmLog = '';
const ltm = spawn('java', ['-jar', jar, 'dev'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
ltm.stdout.on('data', (d) => { ltmLog += d; });
ltm.stderr.on('data', (d) => { ltmLog += d; });

async function until(what, fn, timeout = WAIT, every = 200) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** The operator's endpoints (pools), with the operator token. */
async function operator(method, path, body) {
  const res = await fetch(`${base}/operator/v1/${path}`, { method, headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`,
    'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  if (!res.ok) throw new Error(`${method} /operator/v1/${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function idleIn(poolClass) {
  const status = await operator('GET', 'pools');
  const p = status.pools.find((x) => x.class === poolClass);
  return p ? p.idle : 0;
}

function stopLtm() {
  if (ltm.exitCode === null) ltm.kill('SIGTERM');
}

let demo;
let other;
let browser;
const results = [];
try {
  demo = await until('ltm dev to print the demo sign-in', () => {
    if (ltm.exitCode !== null) throw new Error(`ltm dev exited ${ltm.exitCode}:\n${ltmLog.slice(-3000)}`);
    const m = ltmLog.match(/Demo sign-in: (\S+) \/ (\S+)/);
    return m && { email: m[1], password: m[2] };
  }, 120_000, 250);
  const out = execFileSync('java', ['-jar', jar, 'account', `other-${Date.now()}@example.test`, 'Other customer'],
    { env, encoding: 'utf8' });
  const m = out.match(/sign-in: (\S+) \/ (\S+)/);
  if (!m) throw new Error(`ltm account printed no sign-in: ${out}`);
  other = { email: m[1], password: m[2] };

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required'],
  });
  await runTests();
} catch (e) {
  results.push({ name: 'setup', error: e });
  console.log(`not ok - setup: ${e.stack || e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  // Warm machines are left running by a stopped LTM, on purpose; this run's are drained first (reaped below anyway).
  await operator('POST', 'pools/drain', {}).then(() => until('the pools to drain', async () => {
    const status = await operator('GET', 'pools');
    return status.pools.every((p) => p.idle + p.booting + p.stopped === 0);
  }, 30_000)).catch((e) => console.log(`  (drain: ${e.message})`));
  stopLtm();
  await until('ltm to stop', () => ltm.exitCode !== null, 30_000).catch(() => ltm.kill('SIGKILL'));
  reapAgents();
}

const failed = results.filter((r) => r.error).length;
if (failed) console.log(`--- last lines of ltm dev ---\n${ltmLog.split('\n').slice(-60).join('\n')}`);
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

/** Agents this run started (their command line names this run's work dir) must not outlive it. */
function reapAgents() {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(AGENTS) && Number(pid) !== process.pid) {
        process.kill(Number(pid), 'SIGKILL');
        console.log(`reaped leftover process ${pid}`);
      }
    } catch { /* gone already */ }
  }
}

// ---------------------------------------------------------------- helpers

/** nginx with WebDAV (PUT/DELETE behind basic auth, GET open) on a free port, in a folder of its own. */
async function startDav() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ltm-e2e-dav-'));
  const port = await freePort();
  const password = `pw-${Date.now()}`;
  mkdirSync(path.join(dir, 'www'));
  writeFileSync(path.join(dir, 'htpasswd'), `ltm:{PLAIN}${password}\n`);
  const root = process.getuid && process.getuid() === 0;
  writeFileSync(path.join(dir, 'nginx.conf'), `${root ? 'user root root;\n' : ''}daemon off;\nmaster_process off;
pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 128; }
http { access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/f;
  uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  server { listen 127.0.0.1:${port}; root ${dir}/www;
    location / { dav_methods PUT DELETE; create_full_put_path on; client_max_body_size 64m;
      add_header Access-Control-Allow-Origin * always;
      limit_except GET HEAD OPTIONS { auth_basic ltm; auth_basic_user_file ${dir}/htpasswd; } } } }
`);
  const proc = spawn('/usr/sbin/nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await until('nginx to listen', () => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  }), 15_000);
  return {
    url: `http://127.0.0.1:${port}/cdn`,
    password,
    stop() { proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function snap(page, name) {
  shot++;
  await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function signIn(page, who) {
  await page.goto(base + '/');
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  await page.click('form[data-testid=signin-form] button[type=submit]');
  await page.waitForSelector('[data-testid=stream-list]');
  await page.waitForSelector('#bus[data-state=on]', { timeout: 30_000 });
}

/** Records every state the page's badge shows, live, without reload. */
async function watchBadge(page) {
  await page.evaluate(() => {
    window.__badges = [];
    window.__noReload = true;
    const seen = (el) => {
      for (const b of el.matches?.('[data-testid=badge]') ? [el] : el.querySelectorAll?.('[data-testid=badge]') || []) {
        if (window.__badges[window.__badges.length - 1] !== b.dataset.state) window.__badges.push(b.dataset.state);
      }
    };
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(seen)))
      .observe(document.querySelector('.stream-page'), { childList: true, subtree: true });
  });
}

async function badgeIs(page, state) {
  await page.waitForSelector(`.stream-page [data-testid=badge][data-state=${state}]`, { timeout: WAIT });
}

function assert(cond, message) { if (!cond) throw new Error(message); }

function inOrder(seen, wanted) {
  let i = 0;
  for (const s of seen) if (s === wanted[i]) i++;
  return i === wanted.length;
}

async function buy(page, offerId) {
  await page.click('a[data-nav=catalog]');
  const form = page.locator(`form[data-testid=buy-${offerId}]`);
  await form.locator('input[name=quantity]').fill('1');
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('.stream-page');
  return page.evaluate(() => location.hash.split('/')[2]);
}

async function videoAdvances(page) {
  const t1 = await until('the preview to play', () => page.evaluate(() => {
    const v = document.querySelector('[data-testid=video]');
    return v && v.currentTime > 0.5 ? v.currentTime : 0;
  }), 60_000);
  const t2 = await until('the preview to keep playing', () => page.evaluate((t) => {
    const v = document.querySelector('[data-testid=video]');
    return v.currentTime > t + 1 ? v.currentTime : 0;
  }, t1), 30_000);
  return [t1, t2];
}

async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name });
    console.log(`ok - ${name} (${Math.round((Date.now() - started) / 1000)} s)`);
  } catch (e) {
    results.push({ name, error: e });
    console.log(`not ok - ${name}: ${e.stack || e}`);
    if (browserLog.length) console.log(`  browser said:\n  ${browserLog.splice(0).join('\n  ')}`);
  }
}

// ---------------------------------------------------------------- the flows

async function runTests() {
  await test('provisioning progress: each phase\'s duration from event times, the rest estimated by medians', async () => {
    const { progressOf } = await import(new URL('../src/main/resources/webroot/js/progress.js', import.meta.url));
    const t = (s) => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();
    const ev = (streamId, state, s) => ({ type: 'stream.state', streamId, state, at: t(s) });
    const past = [ev('p1', 'PROVISIONING', 0), ev('p1', 'STARTING', 2), ev('p1', 'READY', 12), ev('p1', 'LIVE', 13),
      ev('p2', 'PROVISIONING', 20), ev('p2', 'STARTING', 24), ev('p2', 'READY', 30), ev('p2', 'LIVE', 32)];
    const now = [ev('s', 'CREATED', 40), ev('s', 'PROVISIONING', 50), ev('s', 'STARTING', 51)];
    const p = progressOf(now, past.concat(now), Date.parse(t(55)), false);
    assert(p.phases[0].done && p.phases[0].tookMs === 1000, `queued ${JSON.stringify(p.phases[0])}`);
    assert(p.phases[1].running && p.phases[1].tookMs === 4000, `starting ${JSON.stringify(p.phases[1])}`);
    // Medians: STARTING (10 s, 6 s) → 8 s, 4 s of it gone; READY → LIVE (1 s, 2 s) → 1.5 s.
    assert(p.remainingMs === 5500 && p.outcome === null, `remaining ${p.remainingMs}, outcome ${p.outcome}`);
    const rtmp = progressOf(now, past.concat(now), Date.parse(t(55)), true);
    assert(rtmp.remainingMs === null, 'waiting for a pushed input has no estimate');
    const live = progressOf(now.concat([ev('s', 'READY', 60), ev('s', 'LIVE', 61)]), past, Date.parse(t(70)), false);
    assert(live.outcome === 'LIVE' && live.phases[2].tookMs === 1000 && live.remainingMs === null, JSON.stringify(live));
    // A warm start is estimated from earlier warm starts only: they skip the machine's boot.
    const kindOf = (e, start) => (e.state === 'STARTING' ? { ...e, detail: { start } } : e);
    const mixed = past.map((e) => kindOf(e, 'cold')).concat([ev('w1', 'PROVISIONING', 100),
      kindOf(ev('w1', 'STARTING', 100), 'warm'), ev('w1', 'READY', 102), ev('w1', 'LIVE', 103)]);
    const warmNow = [ev('s', 'PROVISIONING', 200), kindOf(ev('s', 'STARTING', 200), 'warm')];
    const w = progressOf(warmNow, mixed.concat(warmNow), Date.parse(t(201)), false);
    assert(w.startKind === 'warm' && w.remainingMs === 2000, `warm estimate ${w.remainingMs} (${w.startKind})`);
    const c = progressOf(now, mixed.concat(now), Date.parse(t(55)), false);
    assert(c.startKind === 'cold' && c.remainingMs === 5500, `an unlabelled start is cold: ${c.remainingMs}`);
  });

  const ctxA = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const ctxB = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  for (const [name, p] of [['A', a], ['B', b]]) {
    p.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') browserLog.push(`${name} console.${m.type()}: ${m.text()}`); });
    p.on('pageerror', (e) => browserLog.push(`${name} page error: ${e.message}`));
  }
  let streamA;

  await test('a wrong password is refused next to the password field', async () => {
    await a.goto(base + '/');
    await a.fill('input[name=email]', demo.email);
    await a.fill('input[name=password]', 'not-the-password');
    await a.click('form[data-testid=signin-form] button[type=submit]');
    await a.waitForSelector('[data-error-for=password]:not(:empty)');
    await snap(a, 'sign-in-refused');
    const cookies = await ctxA.cookies();
    assert(!cookies.some((c) => c.name === 'ltm_session'), 'no session cookie after a refused sign-in');
  });

  await test('sign in sets an HttpOnly SameSite=Strict session and the API wants the CSRF token for writes', async () => {
    await signIn(a, demo);
    await snap(a, 'signed-in');
    const cookie = (await ctxA.cookies()).find((c) => c.name === 'ltm_session');
    assert(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', `session cookie ${JSON.stringify(cookie)}`);
    const status = await a.evaluate(async () => (await fetch('/api/v1/orders', { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ offerId: 'mobile' }) })).status);
    assert(status === 403, `a write without the CSRF token answered ${status}`);
    await signIn(b, other);
  });

  await test('a purchase the API refuses shows its error next to the field it names', async () => {
    await a.click('a[data-nav=catalog]');
    const form = a.locator('form[data-testid=buy-mobile]');
    await form.locator('input[name=quantity]').fill('2');
    const quote = await form.locator('[data-testid=quote]').textContent();
    assert(quote.includes('2 × $0.60 = $1.20'), `quote for 2 mobile streams: ${quote}`);
    await form.locator('input[name=quantity]').fill('0');
    await form.locator('button[type=submit]').click();
    await a.waitForSelector('form[data-testid=buy-mobile] [data-error-for=quantity]:not(:empty)');
    assert(await form.locator('input[name=quantity][aria-invalid=true]').count() === 1, 'the quantity field is not marked');
    await snap(a, 'purchase-refused');
    const streams = await a.evaluate(async () => (await (await fetch('/api/v1/streams')).json()).items.length);
    assert(streams === 0, `a refused purchase left ${streams} streams`);
  });

  await test('buy, configure a ladder, start: the badge walks the states live, the preview plays, stop', async () => {
    streamA = await buy(a, 'mobile');
    await snap(a, 'bought');
    await watchBadge(a);
    // A custom ladder: a mistake is named next to its field and saves nothing; then a third rendition is added.
    await a.waitForSelector('[data-testid=ladder] tr:nth-child(2)');
    await a.waitForSelector('[data-testid=config-quote]:has-text("per hour")');
    await a.fill('[data-testid=ladder] input[name="renditions[0].height"]', '241');
    await a.click('form[data-testid=config-form] button[type=submit]');
    await a.waitForSelector('[data-error-for="renditions[0].height"]:not(:empty)');
    await snap(a, 'ladder-refused');
    await a.fill('[data-testid=ladder] input[name="renditions[0].height"]', '240');
    await a.click('[data-testid=add-rendition]');
    await a.fill('[data-testid=ladder] input[name="renditions[2].name"]', '180p');
    await a.click('form[data-testid=config-form] button[type=submit]');
    await a.waitForSelector('[data-testid=config-saved]:has-text("version 2")');
    const config = await a.evaluate(async (id) => (await (await fetch(`/api/v1/streams/${id}/config`)).json()), streamA);
    assert(config.version === 2 && config.renditions.map((r) => r.name).join() === '240p,144p,180p',
      `configuration after saving: ${JSON.stringify(config)}`);
    await snap(a, 'configured');
    // A pool of one booted machine for the offer: this start takes it, and the panel says so.
    await operator('PUT', 'pools/mobile', { minIdle: 1, maxIdle: 1 });
    await until('a warm machine in the mobile pool', async () => (await idleIn('mobile')) >= 1, 90_000, 500);
    await a.click('.stream-page button[data-action=start]');
    // From a warm machine STARTING can last a few milliseconds before READY: waiting for it to be on screen races
    // the render, so wait for the badge watcher (a MutationObserver: it sees every badge the page draws) to have
    // recorded it.
    await until('the badge to show STARTING after PROVISIONING', () => a.evaluate(() => {
      const seen = window.__badges;
      const provisioning = seen.indexOf('PROVISIONING');
      return provisioning >= 0 && seen.indexOf('STARTING', provisioning) > provisioning;
    }));
    await snap(a, 'starting');
    await badgeIs(a, 'LIVE');
    const kind = await a.getAttribute('[data-testid=start-kind]', 'data-kind');
    assert(kind === 'warm', `the progress panel says the start was ${kind}, not warm`);
    await snap(a, 'live');
    const [t1, t2] = await videoAdvances(a);
    const options = await a.locator('[data-testid=rendition-picker] option').count();
    assert(options === 4, `the rendition picker offers ${options - 1} renditions, the ladder has 3`);
    // Live figures from stream.health events and a thumbnail from stream.thumbnail events.
    await a.waitForSelector('[data-testid=health-fps]:not(:has-text("–"))', { timeout: 30_000 });
    // Every figure is true: the output bitrate is measured from the segments written (never 0 on a LIVE
    // stream), and a test pattern, drawn on the transcoder, has no input bitrate rather than a false 0.
    const out = await until('a measured output bitrate', async () => {
      const t = await a.textContent('[data-testid=health-bitrate]');
      return /^[1-9]\d* kbps$/.test(t.trim()) && t;
    }, 30_000);
    const inBitrate = await a.textContent('[data-testid=health-input-bitrate]');
    assert(/test pattern/.test(inBitrate), `input bitrate of a test pattern reads "${inBitrate}", output "${out}"`);
    await until('a thumbnail to show', () => a.evaluate(() => {
      const img = document.querySelector('[data-testid=thumbnail]');
      return img && img.complete && img.naturalWidth > 0;
    }), 30_000);
    await snap(a, 'playing');
    await a.click('.stream-page button[data-action=stop]');
    await badgeIs(a, 'STOPPED');
    await snap(a, 'stopped');
    const seen = await a.evaluate(() => window.__badges);
    const reloaded = await a.evaluate(() => !window.__noReload);
    assert(!reloaded, 'the page reloaded');
    assert(inOrder(seen, ['PROVISIONING', 'STARTING', 'READY', 'LIVE', 'STOPPING', 'STOPPED']),
      `badge states seen: ${seen.join(' → ')}`);
    const phases = await a.locator('[data-testid=progress] .phase.done').count();
    assert(phases >= 3, `provisioning shows ${phases} finished phases`);
    console.log(`  badge: ${seen.join(' → ')}; video ${t1.toFixed(1)} s → ${t2.toFixed(1)} s`);
  });

  await test('the other account never sees the first one\'s streams or events', async () => {
    await b.reload();
    await b.waitForSelector('[data-testid=stream-list]');
    await snap(b, 'other-account');
    const rows = await b.locator('[data-testid=stream-row]').count();
    assert(rows === 0, `the other account lists ${rows} streams`);
    const applied = await b.evaluate(() => window.ltmConsole.appliedSeqs().length);
    const history = await b.evaluate(async () => (await (await fetch('/api/v1/events')).json()).items.length);
    assert(applied === 0 && history === 0, `the other account got ${applied} live and ${history} stored events`);
    const status = await b.evaluate(async (id) => (await fetch(`/api/v1/streams/${id}`)).status, streamA);
    assert(status === 404, `the other account reading the stream answered ${status}`);
    const accountA = await a.evaluate(async () => (await (await fetch('/api/v1/me')).json()).accountId);
    const refused = await b.evaluate((acc) => new Promise((resolve) => {
      const eb = new EventBus('/eventbus');
      eb.onopen = () => eb.registerHandler(`ltm.account.${acc}`, {}, (err) => { if (err) resolve(true); });
      eb.onerror = () => resolve(true);
      setTimeout(() => resolve(false), 5000);
    }), accountA);
    assert(refused, 'the bridge let the other account register on the first one\'s address');
  });

  await test('killing the event socket mid-start and restoring it misses no state and applies none twice', async () => {
    await a.goto(`${base}/#/streams/${streamA}`);
    await a.waitForSelector('#bus[data-state=on]');
    await watchBadge(a);
    const replayedBefore = await a.evaluate(() => window.ltmConsole.replayedCount());
    await a.click('.stream-page button[data-action=start]');
    await a.evaluate(() => window.ltmConsole.killSocket(4000));
    await a.waitForSelector('#bus-banner:not([hidden])');
    await snap(a, 'socket-down');
    await a.waitForSelector('#bus[data-state=on]', { timeout: 30_000 });
    // What happened while the socket was down arrives through the replay, not live.
    const replayed = await until('the replay after reconnect', () => a.evaluate((n) =>
      window.ltmConsole.replayedCount() > n && window.ltmConsole.replayedCount(), replayedBefore), 15_000);
    console.log(`  ${replayed - replayedBefore} event(s) caught up by replay after the outage`);
    await badgeIs(a, 'LIVE');
    await snap(a, 'resumed-live');
    await a.click('.stream-page button[data-action=stop]');
    await badgeIs(a, 'STOPPED');
    const applied = await a.evaluate(() => window.ltmConsole.appliedSeqs());
    const stored = await a.evaluate(async () => {
      const before = window.ltmConsole.appliedSeqs()[0];
      return (await (await fetch(`/api/v1/events?after=${before - 1}&limit=1000`)).json()).items.map((e) => e.seq);
    });
    const last = await a.evaluate(() => window.ltmConsole.lastSeq());
    const storedUpTo = stored.filter((s) => s <= last);
    assert(JSON.stringify(applied) === JSON.stringify(storedUpTo),
      `applied ${applied.join(',')} but the server stored ${storedUpTo.join(',')}`);
    const seen = await a.evaluate(() => window.__badges);
    assert(inOrder(seen, ['LIVE', 'STOPPING', 'STOPPED']), `badge states after the outage: ${seen.join(' → ')}`);
    const timeline = await a.locator('[data-testid=timeline] li[data-type="stream.state"]').allTextContents();
    for (const st of ['PROVISIONING', 'STARTING', 'READY', 'LIVE']) {
      assert(timeline.filter((t) => t.endsWith(` → ${st}`)).length >= 2, `the timeline misses a second ${st}`);
    }
    await snap(a, 'stopped-again');
  });

  await test('account page: an API key is shown once, listed by prefix, revoked; usage shows the stream', async () => {
    await a.click('a[data-nav=account]');
    await a.fill('form[data-testid=key-form] input[name=label]', 'e2e key');
    await a.click('form[data-testid=key-form] button[type=submit]');
    const key = await (await a.waitForSelector('[data-testid=new-key-value]')).textContent();
    assert(/^ltm_[a-z0-9]+_[a-z0-9]+$/.test(key), `new key ${key}`);
    const ok = await a.evaluate(async (k) => (await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${k}` } })).status, key);
    assert(ok === 200, `the new key answered ${ok}`);
    await snap(a, 'api-key-created');
    const prefix = key.split('_')[1];
    const row = a.locator('[data-testid=api-keys] tr', { hasText: `ltm_${prefix}_` });
    await row.locator('button[data-testid=revoke]').click();
    await a.waitForSelector(`[data-testid=api-keys] tr:has-text("ltm_${prefix}_") >> text=revoked`);
    const after = await a.evaluate(async (k) => (await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${k}` } })).status, key);
    assert(after === 401, `the revoked key answered ${after}`);
    await a.waitForSelector('[data-testid=usage] tr');
    const usage = await a.evaluate(async () => (await (await fetch('/api/v1/usage')).json()).items);
    assert(usage.length === 1 && usage[0].billedSeconds > 0 && usage[0].costCents >= 0, `usage ${JSON.stringify(usage)}`);
    await snap(a, 'account');
  });

  await test('an RTMP stream key is shown once; rotating shows a new one and when the old one stops working', async () => {
    await a.click('a[data-nav=catalog]');
    const form = a.locator('form[data-testid=buy-mobile]');
    await form.locator('select[name="input.kind"]').selectOption('rtmp');
    await form.locator('button[type=submit]').click();
    const first = await (await a.waitForSelector('[data-testid=stream-key-value]')).textContent();
    await snap(a, 'stream-key-once');
    await a.reload();
    await a.waitForSelector('[data-testid=stream-key]:has-text("hidden")');
    await a.click('[data-testid=rotate-key]');
    const second = await (await a.waitForSelector('[data-testid=stream-key-value]')).textContent();
    assert(first && second && first !== second, `keys ${first} then ${second}`);
    await a.waitForSelector('[data-testid=previous-key]:has-text("keeps working until")');
    await snap(a, 'stream-key-rotated');
  });

  await test('an http-put CDN profile, checked and chosen: the stream plays from the CDN URL', async () => {
    const dav = await startDav();
    try {
      await a.goto(`${base}/#/cdn`);
      await a.fill('form[data-testid=cdn-form] [name=name]', 'e2e dav');
      await a.selectOption('form[data-testid=cdn-form] [name=kind]', 'http-put');
      await a.fill('form[data-testid=cdn-form] [name=url]', dav.url);
      await a.selectOption('form[data-testid=cdn-form] [name=authType]', 'basic');
      await a.fill('form[data-testid=cdn-form] [name=username]', 'ltm');
      await a.fill('form[data-testid=cdn-form] [name=password]', 'wrong');
      await a.click('form[data-testid=cdn-form] button[type=submit]');
      // A wrong password is named next to its field and nothing is stored.
      await a.waitForSelector('form[data-testid=cdn-form] [data-error-for=password]:has-text("refused")');
      await a.fill('form[data-testid=cdn-form] [name=password]', dav.password);
      await a.click('form[data-testid=cdn-form] button[type=submit]');
      await a.waitForSelector('[data-testid=cdn-created]:has-text("Checked and created")');
      const row = await a.waitForSelector('[data-testid=cdn-profiles] tr:has-text("e2e dav")');
      const profileId = await row.getAttribute('data-profile-id');
      assert(!(await a.content()).includes(dav.password), 'the page shows the CDN password');
      await snap(a, 'cdn-profile');
      const id = await buy(a, 'mobile');
      await a.waitForSelector(`[data-testid=cdn-primary] option[value="${profileId}"]`, { state: 'attached' });
      await a.selectOption('[data-testid=cdn-primary]', profileId);
      await a.check('form[data-testid=config-form] [name="outputs.dash"]');
      await a.click('form[data-testid=config-form] button[type=submit]');
      await a.waitForSelector('[data-testid=config-saved]:has-text("version 2")');
      await a.click('.stream-page button[data-action=start]');
      await badgeIs(a, 'LIVE');
      const playback = await (await a.waitForSelector(`[data-testid=playback-url]:has-text("${dav.url}")`)).textContent();
      await until('the player to load the CDN URL', () => a.evaluate((u) =>
        (document.querySelector('[data-testid=video]').dataset.src || '').startsWith(u), dav.url), 30_000);
      await videoAdvances(a);
      await a.waitForSelector('[data-testid=health-cdn-primary]', { timeout: 30_000 });
      await snap(a, 'cdn-playing');
      assert(playback.includes(id), `playback URL ${playback} names the stream`);
      // DASH is on: its manifest on the same CDN is shown beside the HLS playback URL.
      const dash = await (await a.waitForSelector(`[data-testid=dash-playback-url]:has-text("${dav.url}")`)).textContent();
      assert(dash.includes(id) && dash.endsWith('/dash/manifest.mpd'), `DASH playback URL ${dash}`);
      await a.click('.stream-page button[data-action=stop]');
      await badgeIs(a, 'STOPPED');
    } finally {
      dav.stop();
    }
  });

  await test('sign out ends the session: the API and the event bridge refuse it', async () => {
    await a.click('#sign-out');
    await a.waitForSelector('form[data-testid=signin-form]');
    const status = await a.evaluate(async () => (await fetch('/api/v1/streams')).status);
    assert(status === 401, `after sign-out the API answered ${status}`);
    await snap(a, 'signed-out');
  });
}
