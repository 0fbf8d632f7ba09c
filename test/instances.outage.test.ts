/**
 * PostgreSQL stopped for a few seconds under load: two real `deconflict serve` instances on a
 * throwaway PostgreSQL cluster of this test's own (stopping the shared one would disturb the
 * other test files), six clients submitting through both without pause. While the database is
 * down every request gets a clean, coded answer — 503 `store_unavailable`, never a dropped
 * connection or a 500 — and `/readyz` says the database cannot be reached; once it is back the
 * same processes answer 201 again, without a restart; every submission answered 201, before,
 * during or after, is in the store with its ledger entry, and the chain verifies.
 *
 * The declarations are real GeoJSON: point strikes in a 2 km square near Hunedoara, Romania.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LedgerEntry } from '../src/domain/records.ts';
import { demoAccounts } from '../src/hub/demo.ts';
import { verifyChain } from '../src/ledger/chain.ts';
import { openPostgresStore } from '../src/store/postgres.ts';
import { own } from './support/ids.ts';
import {
  freshPgDatabase,
  type PgDatabase,
  type PrivatePostgres,
  pgSkip,
  startPrivatePostgres,
} from './support/postgres.ts';
import { api, killAll, login, type Served, serve } from './support/serve.ts';
import { iso, MIN } from './support/time.ts';

const SKIP = await pgSkip();
const party = 'coalition';
const account = demoAccounts(party)[0] as { username: string; password: string };

const strike = (i: number, now: number) => ({
  type: 'Feature',
  geometry: {
    type: 'Point',
    coordinates: [22.9 + (i % 40) * 0.0006, 45.75 + Math.floor(i / 40) * 0.0004],
  },
  properties: {
    id: `out-${i}`,
    kind: 'strike',
    start: iso(now + (30 + (i % 60)) * MIN),
    end: iso(now + (45 + (i % 60)) * MIN),
    buffer_m: 20,
  },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL out of reach under load', { skip: SKIP }, () => {
  let pg: PrivatePostgres;
  let db: PgDatabase;
  const nodes: Served[] = [];

  before(async () => {
    if (SKIP) return;
    pg = await startPrivatePostgres();
    db = await freshPgDatabase(pg.url);
    const args = [
      '--database',
      db.url,
      '--detect-workers',
      '1',
      '--rate-limit',
      '5000/s',
      '--rate-burst',
      '5000',
    ];
    nodes.push(await serve([...args, '--demo']));
    nodes.push(await serve(args));
  });

  after(async () => {
    await killAll();
    await db?.drop().catch(() => undefined);
    pg?.destroy();
  });

  it('answers 503 store_unavailable while it is down, recovers by itself, and loses nothing answered', async () => {
    const pids = nodes.map((n) => n.pid);
    const tokens = await Promise.all(nodes.map((n) => login(n.url, account.username, account.password)));
    const now = Date.now();
    type Phase = 'before' | 'down' | 'after';
    let phase: Phase = 'before';
    const answered: string[] = [];
    const outcomes: Record<Phase, Map<string, number>> = {
      before: new Map(),
      down: new Map(),
      after: new Map(),
    };
    const afterBy = [0, 0];
    let next = 0;
    let stop = false;
    const client = async (w: number) => {
      while (!stop) {
        const i = next++;
        const n = (i + w) % 2;
        const at = phase;
        const r = await api(
          (nodes[n] as Served).url,
          tokens[n] as string,
          'POST',
          '/api/v1/declarations',
          strike(i, now),
        );
        const code = r.status === 201 ? '201' : `${r.status} ${r.body?.errors?.[0]?.code}`;
        // A request that began before the stop, or while down, and ended later counts as "down".
        const tally = outcomes[at === phase ? at : 'down'];
        tally.set(code, (tally.get(code) ?? 0) + 1);
        if (r.status === 201) {
          answered.push(own(party, `out-${i}`));
          if (at === 'after' && phase === 'after') afterBy[n] = (afterBy[n] as number) + 1;
        } else await sleep(50);
      }
    };
    const clients = Array.from({ length: 6 }, (_, w) => client(w));
    while (answered.length < 40) await sleep(20);
    pg.stop();
    phase = 'down';
    await sleep(1500);
    const readyDown = await fetch(`${(nodes[0] as Served).url}/readyz`);
    await sleep(1500);
    pg.start();
    // Back: each instance answers 201 again, on its own, with no restart.
    for (;;) {
      const r = await fetch(`${(nodes[1] as Served).url}/readyz`);
      if (r.status === 200) break;
      await sleep(100);
    }
    phase = 'after';
    while ((afterBy[0] as number) < 15 || (afterBy[1] as number) < 15) await sleep(20);
    stop = true;
    await Promise.all(clients);

    const codes = (p: Phase) => [...outcomes[p].keys()].sort();
    assert.deepEqual(codes('before'), ['201']);
    // While down: only clean refusals (and writes that committed just before the stop).
    for (const code of codes('down'))
      assert.ok(code === '201' || code === '503 store_unavailable', `while down: ${code}`);
    assert.ok(outcomes.down.has('503 store_unavailable'), JSON.stringify([...outcomes.down]));
    assert.equal(readyDown.status, 503);
    assert.deepEqual(codes('after'), ['201']);
    assert.deepEqual(
      nodes.map((n) => n.pid),
      pids,
    );
    for (const n of nodes) assert.equal(n.child.exitCode, null, 'still running');

    const store = await openPostgresStore({ url: db.url });
    try {
      for (const id of answered) {
        const cur = await store.read((tx) => tx.declarations.current(id));
        assert.equal(cur?.status, 'active', `answered 201, then lost: ${id}`);
      }
      const entries: LedgerEntry[] = [];
      for (;;) {
        const page = await store.read((tx) => tx.ledger.range(entries.length + 1, 5000));
        entries.push(...page);
        if (page.length < 5000) break;
      }
      const created = new Set(entries.filter((e) => e.type === 'declaration.created').map((e) => e.subject));
      for (const id of answered) assert.ok(created.has(id), `no ledger entry for ${id}`);
      assert.equal(verifyChain(entries).ok, true);
    } finally {
      await store.close();
    }
  });
});
