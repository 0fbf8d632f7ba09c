/**
 * `/metrics` and `/readyz`: the counters move with the load between two scrapes (submissions
 * accepted and refused, conflicts and alerts read from the store, group commits), by exactly what
 * the answers said; access is the operator's (a metrics token, else loopback only); no party is
 * named. `/readyz` answers 200 with the database's dialect, and 503 `store_unavailable` once the
 * store under the app is closed.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { SubmissionResult } from '../src/api/declarations.ts';
import { assertError, ok, startHub, type TestHub } from './support/hub.ts';
import { fortressStrike } from './support/service.ts';

/** The value of one sample of a scrape (0 when absent), labels matched exactly. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (got === want) return Number(m[3]);
  }
  return 0;
}

describe('/metrics during load', () => {
  let t: TestHub;
  let token: string;
  before(async () => {
    t = await startHub();
    token = await t.login('northern-forces.operator');
  });
  after(() => t.close());

  const scrape = async (): Promise<string> => {
    const r = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 200, r.body);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return r.body;
  };
  const submit = (body: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/declarations',
      headers: { authorization: `Bearer ${token}` },
      payload: body as object,
    });

  it('shows submissions, conflicts, alerts and commits moving by what was answered', async () => {
    const first = await scrape();
    const N = 24;
    const load = Array.from({ length: N }, (_, i) => submit(fortressStrike(`load-${i}`, i)));
    // A scrape while the submissions are in flight answers too (it never waits for the writes).
    const during = await scrape();
    const answers = await Promise.all(load);
    const refused = await submit(fortressStrike('', 0));
    assertError(refused, 422, 'invalid_property');
    const last = await scrape();

    const conflicts = answers.reduce((n, r) => n + ok<SubmissionResult>(r, 201).conflicts.length, 0);
    assert.ok(conflicts >= N, 'each strike by the fortress records a conflict');
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(last, name, labels) - sample(first, name, labels);
    assert.equal(delta('deconflict_submissions_total', { outcome: 'accepted' }), N);
    assert.equal(delta('deconflict_submissions_total', { outcome: 'refused' }), 1);
    assert.equal(delta('deconflict_conflicts', { status: 'open' }), conflicts);
    const open = (text: string) =>
      [0, 1, 2, 3].reduce(
        (n, level) => n + sample(text, 'deconflict_alerts', { status: 'open', level: String(level) }),
        0,
      );
    assert.ok(open(last) > open(first), 'the conflicts raised alerts');
    assert.ok(delta('deconflict_group_commit_seconds_count', { outcome: 'committed' }) >= 1);
    assert.equal(delta('deconflict_group_commit_writes_total', { outcome: 'committed' }) >= N, true);
    assert.equal(sample(last, 'deconflict_declarations_active'), t.hub.declarations.activeCount);
    assert.equal(sample(last, 'deconflict_store_up'), 1);
    assert.equal(
      delta('deconflict_http_responses_total', {
        method: 'POST',
        route: '/api/v1/declarations',
        status: '201',
      }),
      N,
    );
    assert.ok(sample(during, 'deconflict_submissions_total', { outcome: 'accepted' }) <= N);
    assert.match(last, /^process_cpu_user_seconds_total /m, 'the process metrics');
  });

  it('names no party, member or declaration', async () => {
    const text = await scrape();
    for (const name of ['coalition', 'northern-forces', 'city-police', 'relief-agency', 'load-', 'operator'])
      assert.equal(text.includes(name), false, name);
  });

  it('counts the push streams open, and times each live event from its commit to its console', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const frames: { type: string; seq?: number }[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(String(m))));
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    const before = await scrape();
    assert.equal(sample(before, 'deconflict_push_connections'), 1);
    const pushedBefore = sample(before, 'deconflict_push_delay_seconds_count');
    // A strike of this party, live: its events go out on the stream.
    ok<SubmissionResult>(await submit(fortressStrike('push-timed', 3)), 201);
    const head = await t.store.read((tx) => tx.events.head('northern-forces'));
    while (!frames.some((f) => f.seq === head)) await new Promise((resolve) => setTimeout(resolve, 5));
    const live = frames.filter((f) => f.seq !== undefined).length;
    const after = await scrape();
    assert.equal(sample(after, 'deconflict_push_delay_seconds_count'), pushedBefore + live);
    // The test hub's clock stands still: every delay is 0, in the first bucket.
    assert.equal(sample(after, 'deconflict_push_delay_seconds_bucket', { le: '0.001' }), pushedBefore + live);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close();
    await closed;
  });
});

describe('/metrics access', () => {
  let open: TestHub;
  let guarded: TestHub;
  const secret = 'metrics-0123456789abcdef';
  before(async () => {
    open = await startHub({ demo: false });
    guarded = await startHub({ demo: false, app: { metrics: { token: secret } } });
  });
  after(async () => {
    await open.close();
    await guarded.close();
  });

  it('without a metrics token, answers loopback clients only', async () => {
    const far = await open.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.7' });
    assertError(far, 403, 'forbidden');
    const near = await open.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '::1' });
    assert.equal(near.statusCode, 200);
  });

  it('with one, wants it as a bearer from anywhere', async () => {
    const none = await guarded.app.inject({ method: 'GET', url: '/metrics' });
    assertError(none, 401, 'unauthorized');
    const wrong = await guarded.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer metrics-0123456789abcdeX' },
    });
    assertError(wrong, 401, 'unauthorized');
    const right = await guarded.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '192.0.2.7',
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(right.statusCode, 200);
    assert.match(right.body, /^deconflict_submissions_total\{outcome="accepted"\} 0$/m);
  });
});

describe('/readyz', () => {
  let t: TestHub;
  before(async () => {
    t = await startHub({ demo: false });
  });
  after(() => t.close());

  it('answers 200 with the database link while the store answers', async () => {
    const r = ok<{ ready: boolean; database: { dialect: string; reachable: boolean; ms: number } }>(
      await t.app.inject({ method: 'GET', url: '/readyz' }),
    );
    assert.equal(r.ready, true);
    assert.equal(r.database.dialect, 'sqlite');
    assert.equal(r.database.reachable, true);
  });

  it('answers 503 store_unavailable once the store under the app is closed, and /metrics says so', async () => {
    await t.store.close();
    assertError(await t.app.inject({ method: 'GET', url: '/readyz' }), 503, 'store_unavailable');
    const m = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(m.statusCode, 200);
    assert.equal(sample(m.body, 'deconflict_store_up'), 0);
    assert.equal(sample(m.body, 'deconflict_store_errors_total', { kind: 'store_unavailable' }), 1);
    // Liveness is the process's: it still answers.
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });
});
