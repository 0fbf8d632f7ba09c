/**
 * Group commit (src/hub/kernel.ts, `Store.transactGroup` in src/store/sqlite.ts), on a real SQLite
 * store: writes queued while a commit is in flight share one transaction and one commit; each is
 * checked against every declaration accepted before it, its own group included; one that fails
 * is undone alone (its rows and its stream events with it) and does not fail its neighbours;
 * nothing is answered before the commit; and a commit that fails takes the whole group with it,
 * the live index read back from the store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EventRecord } from '../src/domain/records.ts';
import { DeconflictError } from '../src/errors.ts';
import { ManualClock } from '../src/hub/clock.ts';
import { loadDemo } from '../src/hub/demo.ts';
import { Hub, type Principal } from '../src/hub/hub.ts';
import type { Store, Tx } from '../src/store/ports.ts';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite.ts';
import { HOUR, iso } from './support/time.ts';

const T0 = Date.parse('2026-11-20T06:00:00Z');
const party = 'northern-forces';
const operator: Principal = { username: `${party}.operator`, party, roles: ['operator'], tokenId: 'test' };

/** A strike far from the demo's theatre (Arad): at 10°E, 50°N plus `i` hundredths of a degree east. */
function strike(id: string, i: number, buffer_m = 50) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [10 + i * 0.01, 50] },
    properties: { id, kind: 'strike', start: iso(T0 + 2 * HOUR), end: iso(T0 + 3 * HOUR), buffer_m },
  };
}

/** A protected site at the same place as `strike(_, i)`. */
function site(id: string, i: number) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [10 + i * 0.01, 50] },
    properties: {
      id,
      kind: 'protected_site',
      category: 'medical',
      start: iso(T0),
      end: iso(T0 + 48 * HOUR),
      buffer_m: 20,
    },
  };
}

/** Count the store's transactions and the units in each, by wrapping its `transactGroup`. */
function countGroups(store: Store): number[] {
  const sizes: number[] = [];
  const group = store.transactGroup.bind(store);
  (store as { transactGroup: Store['transactGroup'] }).transactGroup = (works) => {
    sizes.push(works.length);
    return group(works);
  };
  return sizes;
}

describe('group commit', () => {
  let dir: string;
  let store: SqliteStore;
  let hub: Hub;
  const published: EventRecord[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'deconflict-group-'));
    store = openSqliteStore({ dir });
    hub = await Hub.open(store, new ManualClock(T0));
    await loadDemo(hub);
    hub.kernel.bus.subscribe(party, (e) => published.push(e));
  });
  after(async () => {
    await hub.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares one commit among queued writes, checks each against those before it, and fails only the bad ones', async () => {
    const sizes = countGroups(store);
    const before = hub.declarations.activeCount;
    published.length = 0;
    // Queued in one turn: a site, then 30 strikes (the 7th on the site), a write that emits and
    // then fails, and a strike reusing the id of an earlier one in the same group.
    const writes: Promise<unknown>[] = [hub.declarations.submit(operator, site('g-site', 6))];
    for (let i = 0; i < 30; i++) writes.push(hub.declarations.submit(operator, strike(`g-${i}`, i)));
    writes.push(
      hub.kernel.write(async (_tx: Tx, ctx) => {
        await ctx.emit(party, 'test.undone', { n: 1 });
        throw new DeconflictError([
          { code: 'invalid_request', feature: null, path: '', message: 'this write fails on purpose' },
        ]);
      }),
    );
    writes.push(hub.declarations.submit(operator, strike('g-3', 40)));
    // Nothing is answered before the commit: no promise has settled yet in this turn.
    let settledEarly = 0;
    for (const w of writes)
      void w.then(
        () => settledEarly++,
        () => settledEarly++,
      );
    assert.equal(settledEarly, 0);
    const outcomes = await Promise.allSettled(writes);

    // One group held every write queued in that turn.
    assert.equal(sizes[0], writes.length, `groups: ${sizes.join(', ')}`);
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    assert.equal(fulfilled.length, 31, 'the site and the 30 strikes were accepted');
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.deepEqual(failed.map((o) => (o.reason as DeconflictError).details[0]?.code).sort(), [
      'id_exists',
      'invalid_request',
    ]);
    // The strike on the site, checked against the site accepted earlier in the same group.
    const onSite = (
      outcomes[7] as PromiseFulfilledResult<{ conflicts: { rule: string; b: { id: string } }[] }>
    ).value;
    assert.deepEqual(
      onSite.conflicts.map((c) => c.rule),
      ['strike_protected'],
    );
    assert.equal(hub.declarations.activeCount, before + 31);
    // The failed write's event was rolled back with it: never stored, never published.
    assert.ok(!published.some((e) => e.type === 'test.undone'));
    const stored = await store.read((tx) => tx.events.since(party, 0, 100_000));
    assert.ok(!stored.some((e) => e.type === 'test.undone'));
    // Everything accepted is stored, once.
    for (let i = 0; i < 30; i++) {
      const r = await store.read((tx) => tx.declarations.current(`${party}:g-${i}`));
      assert.equal(r?.version, 1, `g-${i}`);
      assert.deepEqual(r?.decl.geometry, strike(`g-${i}`, i).geometry, `g-${i} is the first one sent`);
    }
  });

  it('fails the whole group when its commit fails, and reads the live index back from the store', async () => {
    const before = hub.declarations.activeCount;
    const group = store.transactGroup;
    // A commit that fails: every unit runs (and applies its change to the index), then the
    // transaction is rolled back and the group is refused, as on a full disk.
    (store as { transactGroup: Store['transactGroup'] }).transactGroup = async (works) => {
      const undo = new Error('rolled back');
      await group(
        works.map((w) => async (tx: Tx) => Promise.reject(Object.assign(undo, { done: await w(tx) }))),
      );
      throw new Error('the commit failed');
    };
    const lost = await Promise.allSettled([
      hub.declarations.submit(operator, site('lost-site', 50)),
      hub.declarations.submit(operator, strike('lost-strike', 51)),
    ]);
    (store as { transactGroup: Store['transactGroup'] }).transactGroup = group;
    assert.deepEqual(
      lost.map((o) => o.status === 'rejected' && (o.reason as Error).message),
      ['the commit failed', 'the commit failed'],
    );
    // The index holds nothing of them: a strike on the lost site meets no conflict, and the ids
    // are free again.
    assert.equal(hub.declarations.activeCount, before);
    const onLost = await hub.declarations.submit(operator, strike('after-loss', 50));
    assert.deepEqual(onLost.conflicts, []);
    const again = await hub.declarations.submit(operator, site('lost-site', 50));
    assert.equal(again.declarations[0]?.id, `${party}:lost-site`);
    assert.equal(again.conflicts.length, 1);
  });
});
