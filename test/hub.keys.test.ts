/**
 * Conflict ids are keyed with the hub's own secret (an HMAC of what the conflict is between):
 * the same conflict gets the same id on one hub, across restarts, and a different id on another
 * hub — so a party cannot confirm a guessed hidden declaration id by hashing it offline.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startHub, type TestHub } from './support/hub.ts';

async function conflictIds(t: TestHub): Promise<string[]> {
  const rows = await t.store.read((tx) => tx.conflicts.query({ party: 'coalition', limit: 1e6 }));
  return rows.map((c) => `${c.rule}|${c.a}|${c.b}=${c.id}`).sort();
}

describe('hub key', () => {
  const opened: TestHub[] = [];
  after(async () => {
    for (const t of opened) await t.close().catch(() => undefined);
  });

  it('keys conflict ids per hub, and keeps the key across a restart', async () => {
    const one = await startHub();
    const two = await startHub();
    opened.push(two);
    const a = await conflictIds(one);
    const b = await conflictIds(two);
    assert.ok(a.length > 0, 'the demo has coalition conflicts');
    // Same conflicts (rule and sides), different ids.
    assert.deepEqual(
      a.map((x) => x.split('=')[0]),
      b.map((x) => x.split('=')[0]),
    );
    const idsA = new Set(a.map((x) => x.split('=')[1]));
    for (const x of b) assert.ok(!idsA.has(x.split('=')[1]), `id shared between hubs: ${x}`);

    const key = await one.store.read((tx) => tx.meta.get('hub_key'));
    assert.ok(key && Buffer.from(key, 'base64').length === 32, 'a 256-bit key');
    await one.close(true);
    const again = await startHub({ dir: one.dir, demo: false });
    opened.push(again);
    assert.equal(await again.store.read((tx) => tx.meta.get('hub_key')), key);
    // The stored conflicts keep their ids after the restart.
    assert.deepEqual(await conflictIds(again), a);
  });
});
