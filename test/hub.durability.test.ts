/**
 * Durability across a crash: a real `deconflict serve` process receives a stream of submissions
 * and is killed (SIGKILL) in the middle of it. Restarted on the same data directory (its stale
 * lock taken over), the hub must hold every submission it answered 201 to, each with its
 * `declaration.created` ledger entry, and nothing half-written of those it never answered; the
 * ledger chain must verify. Twice: a few submissions in flight, and bursts of 32 at once, where
 * group commit puts many in each transaction and every fifth reuses an id sent just before it
 * (refused `id_exists` inside the group, without failing its neighbours).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { demoAccounts } from '../src/hub/demo.ts';
import { verifyChain } from '../src/ledger/chain.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { own } from './support/ids.ts';
import { activeDeclarations, api, healthz, killAll, login, type Served, serve } from './support/serve.ts';
import { DAY, HOUR, iso } from './support/time.ts';

const DEMO_DECLARATIONS = 24;
/** Answered submissions before the kill. */
const ANSWERED_BEFORE_KILL = 60;

const party = 'northern-forces';
/** The prefix of this test's declarations, as stored. */
const DUR = own(party, 'dur-');
const account = demoAccounts(party).find((a) => a.username === `${party}.operator`) as {
  username: string;
  password: string;
};

/** A strike of its own: far from the demo's area, each in its own hour (no conflicts among them). */
function strike(i: number, base: number) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [10 + (i % 50) * 0.05, 50 + Math.floor(i / 50) * 0.05] },
    properties: {
      id: `dur-${i}`,
      kind: 'strike',
      start: iso(base + i * HOUR),
      end: iso(base + i * HOUR + HOUR / 2),
      buffer_m: 50,
    },
  };
}

/**
 * The local id submission `i` carries: its own, or with `dupEvery`, every `dupEvery`-th reuses the
 * one before it (exactly one of the two may be stored).
 */
const localId = (i: number, dupEvery: number | undefined) =>
  dupEvery !== undefined && i % dupEvery === dupEvery - 1 ? `dur-${i - 1}` : `dur-${i}`;

describe('hub durability', () => {
  const dirs: string[] = [];
  after(async () => {
    await killAll();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'keeps every answered submission across SIGKILL, and nothing half-written',
    {
      timeout: 60_000,
    },
    (t) => crashAndRestart(t, 4),
  );

  it(
    'keeps every answered submission of bursts across SIGKILL (group commit), refusing only the duplicates',
    {
      timeout: 90_000,
    },
    (t) => crashAndRestart(t, 32, 5),
  );

  /**
   * Serve, submit with `inFlight` clients until ANSWERED_BEFORE_KILL were answered, SIGKILL,
   * restart, and check the data directory against what was answered.
   */
  async function crashAndRestart(
    t: { diagnostic(m: string): void },
    inFlight: number,
    dupEvery?: number,
  ): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-durability-'));
    dirs.push(dir);
    // --- Before the crash ----------------------------------------------------------------------
    const first: Served = await serve(['--data', dir, '--demo']);
    assert.equal(await activeDeclarations(first.url), DEMO_DECLARATIONS);
    const token = await login(first.url, account.username, account.password);
    // Five days ahead, on the hour: past the demo's story, and nothing expires during the test.
    const base = Math.ceil((Date.now() + 5 * DAY) / HOUR) * HOUR;

    const answered = new Set<string>();
    const unanswered = new Set<string>();
    const refused: string[] = [];
    /** Refused as `id_exists`: the other submission of the same id was accepted before it. */
    const duplicates: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const i = next++;
        const id = own(party, localId(i, dupEvery));
        let status: number;
        try {
          const r = await fetch(`${first.url}/api/v1/declarations`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/geo+json' },
            body: JSON.stringify({
              ...strike(i, base),
              properties: { ...strike(i, base).properties, id: localId(i, dupEvery) },
            }),
            signal: AbortSignal.timeout(10_000),
          });
          status = r.status;
          // The status line came: the hub answered (it answers after the commit).
          if (status === 201) answered.add(id);
          const body = await r.text().catch(() => '');
          if (status === 409 && dupEvery !== undefined && /"id_exists"/.test(body)) duplicates.push(id);
          else if (status !== 201) refused.push(`${id}: ${status} ${body}`);
        } catch {
          unanswered.add(id);
          continue;
        }
        if (!killed && answered.size >= ANSWERED_BEFORE_KILL) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const exit = await first.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.deepEqual(refused, [], 'every submission answered before the kill was accepted');
    // An id refused as a duplicate was answered 201 to its other submission (or that one was cut off).
    for (const id of duplicates)
      assert.ok(answered.has(id) || unanswered.has(id), `${id} refused, never accepted`);
    assert.ok(answered.size >= ANSWERED_BEFORE_KILL);
    const sent = next;
    t.diagnostic(
      `${inFlight} in flight: sent ${sent}, answered 201: ${answered.size}, duplicates refused: ${duplicates.length}, cut off: ${unanswered.size}`,
    );
    // The killed hub could not remove its lock: the restart must take it over.
    assert.equal(readFileSync(join(dir, 'deconflict.lock'), 'utf8').trim(), String(first.pid));

    // --- After the restart ---------------------------------------------------------------------
    const second = await serve(['--data', dir]);
    const token2 = await login(second.url, account.username, account.password);
    for (const id of answered) {
      const r = await api(second.url, token2, 'GET', `/api/v1/declarations/${id}`);
      assert.equal(r.status, 200, `${id} was answered 201 but is gone: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.properties.id, id);
      assert.equal(r.body.properties.version, 1);
      assert.equal(r.body.properties.status, 'active');
    }
    const survivors = new Set<string>();
    for (const id of unanswered) {
      if (answered.has(id)) continue;
      const r = await api(second.url, token2, 'GET', `/api/v1/declarations/${id}`);
      assert.ok(r.status === 200 || r.status === 404, `${id}: ${r.status}`);
      if (r.status === 200) survivors.add(id);
    }
    t.diagnostic(`cut off but committed: ${survivors.size}`);
    assert.deepEqual(await healthz(second.url), { status: 'ok' });
    assert.equal(await activeDeclarations(second.url), DEMO_DECLARATIONS + answered.size + survivors.size);
    const stopped = await second.stop();
    assert.deepEqual(stopped, { code: 0, signal: null });
    assert.equal(existsSync(join(dir, 'deconflict.lock')), false, 'a clean stop releases the lock');

    // --- The ledger, read from the data directory ----------------------------------------------
    const store = openSqliteStore({ dir });
    try {
      const ledger = await store.read((tx) => tx.ledger.range(1, Number.MAX_SAFE_INTEGER));
      assert.deepEqual(verifyChain(ledger), { ok: true, entries: ledger.length });
      const created = new Map<string, number>();
      for (const e of ledger) {
        if (e.type !== 'declaration.created' || !e.subject.startsWith(DUR)) continue;
        created.set(e.subject, (created.get(e.subject) ?? 0) + 1);
        assert.equal((e.payload as { declaration: { id: string } }).declaration.id, e.subject);
        assert.equal(e.actor, account.username);
        assert.equal(e.party, party);
      }
      for (const [id, n] of created) assert.equal(n, 1, `${id} has ${n} declaration.created entries`);
      for (const id of answered) assert.ok(created.has(id), `${id} was answered 201 but has no ledger entry`);
      for (const id of unanswered) {
        if (answered.has(id)) continue;
        const stored = await store.read((tx) => tx.declarations.current(id));
        // All or nothing: the declaration and its ledger entry together, or neither.
        assert.equal(stored !== null, created.has(id), `${id} is half-written`);
        assert.equal(stored !== null, survivors.has(id));
      }
      // Nothing that was never sent, nothing beyond what was answered or cut off.
      for (const id of created.keys())
        assert.ok(answered.has(id) || unanswered.has(id), `${id} was never sent`);
      const active = await store.read((tx) =>
        tx.declarations.query({ status: 'active', party, limit: 100_000 }),
      );
      assert.equal(active.filter((r) => r.id.startsWith(DUR)).length, answered.size + survivors.size);
    } finally {
      await store.close();
    }
  }
});
