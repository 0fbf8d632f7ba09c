/**
 * The live index's snapshot (src/hub/snapshot.ts): written when the hub closes, read at the next
 * open only when it reflects the store, and otherwise refused with the reason, the index then
 * rebuilt from the store; the index itself restored as built, or built from the snapshot's
 * declarations when its saved state is missing or does not fit. Real SQLite data directories in
 * temporary directories, real files, the demo theatre around Arad; the index is compared through
 * what it answers (dry runs), against a hub that rebuilt it from the store.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { IndexState } from '../src/engine/stindex.ts';
import { DEMO_SCENARIO, demoAccounts } from '../src/hub/demo.ts';
import type { Principal } from '../src/hub/hub.ts';
import { positionOf, SNAPSHOT_FILE, takeSnapshot, writeSnapshot } from '../src/hub/snapshot.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { startHub, T0, type TestHub } from './support/hub.ts';
import { own } from './support/ids.ts';
import { activeDeclarations, api, killAll, login, serve } from './support/serve.ts';
import { DAY, HOUR, iso } from './support/time.ts';

const DEMO_DECLARATIONS = 24;

const operator = (party: string): Principal => ({
  username: `${party}.operator`,
  party,
  roles: ['operator'],
  tokenId: 'test',
});

/** A strike over the whole demo theatre (Arad and the river line) for its first three days. */
const PROBE = {
  type: 'Feature',
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [20.9, 45.9],
        [21.7, 45.9],
        [21.7, 46.4],
        [20.9, 46.4],
        [20.9, 45.9],
      ],
    ],
  },
  properties: { id: 'probe', kind: 'strike', start: iso(T0), end: iso(T0 + 3 * DAY) },
};

/** A protected site in Arad's centre, active through the probe's window. */
const site = (id: string) => ({
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [21.3119, 46.1866] },
  properties: { id, kind: 'protected_site', category: 'medical', start: iso(T0), buffer_m: 200 },
});

/** The conflicts a coalition dry run of the probe finds: what the live index answers. */
async function probe(t: TestHub): Promise<string[]> {
  const r = await t.hub.declarations.submit(operator('coalition'), PROBE, { dryRun: true });
  return r.conflicts.map((c) => JSON.stringify([c.rule, c.a, c.b].map((x) => JSON.stringify(x)))).sort();
}

/** Stop a test hub without writing a snapshot (its detection workers, its app, its store). */
async function shut(t: TestHub): Promise<void> {
  await t.app.close();
  await t.hub.declarations.stop();
  await t.store.close();
}

describe('the live index snapshot', () => {
  const dirs: string[] = [];
  const fresh = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-snapshot-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    await killAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The demo theatre with a site added, one withdrawn and one amended: versions 1 and 2. */
  async function theatre(dir: string): Promise<void> {
    const path = join(dir, SNAPSHOT_FILE);
    const t = await startHub({ dir, hub: { snapshot: { path } } });
    assert.deepEqual(t.hub.indexSource, { from: 'store', why: 'no snapshot' });
    const police = operator('city-police');
    await t.hub.declarations.submit(police, site('snap-1'));
    await t.hub.declarations.submit(police, site('snap-2'));
    await t.hub.declarations.withdraw(police, own('city-police', 'snap-2'), 'moved');
    await t.hub.declarations.amend(police, own('city-police', 'snap-1'), {
      ...site('snap-1'),
      properties: { ...site('snap-1').properties, id: own('city-police', 'snap-1'), buffer_m: 400 },
    });
    await t.close(true);
    assert.ok(existsSync(path), 'a snapshot is written when the hub closes');
  }

  /** A hub on `dir` rebuilt from the store (no snapshot kept): the reference. */
  async function rebuilt(dir: string): Promise<{ active: number; conflicts: string[] }> {
    const t = await startHub({ dir, demo: false });
    try {
      return { active: t.hub.declarations.activeCount, conflicts: await probe(t) };
    } finally {
      await t.close(true);
    }
  }

  it('is written at close and read at open, answering as a rebuild does', async () => {
    const dir = fresh();
    const path = join(dir, SNAPSHOT_FILE);
    await theatre(dir);
    const t = await startHub({ dir, demo: false, hub: { snapshot: { path } } });
    let fromSnapshot: { active: number; conflicts: string[] };
    try {
      assert.equal(t.hub.indexSource.from, 'snapshot', t.hub.indexSource.why);
      assert.match(t.hub.indexSource.why, /matches the store; the index restored as built$/);
      assert.ok(!existsSync(path), 'a snapshot is read once, then removed');
      fromSnapshot = { active: t.hub.declarations.activeCount, conflicts: await probe(t) };
    } finally {
      await t.close(true);
    }
    const reference = await rebuilt(dir);
    assert.equal(reference.active, DEMO_DECLARATIONS + 1);
    assert.ok(reference.conflicts.length > 0, 'the probe meets the theatre');
    assert.deepEqual(fromSnapshot, reference);
  });

  it('is refused when the store moved on after it (a declaration added, one withdrawn)', async () => {
    const dir = fresh();
    const path = join(dir, SNAPSHOT_FILE);
    await theatre(dir);
    // A hub that keeps no snapshot changes the store and leaves the old snapshot in place.
    const other = await startHub({ dir, demo: false });
    const police = operator('city-police');
    await other.hub.declarations.submit(police, site('snap-3'));
    await other.hub.declarations.withdraw(police, own('city-police', 'snap-1'), null);
    await other.close(true);
    assert.ok(existsSync(path));
    const t = await startHub({ dir, demo: false, hub: { snapshot: { path } } });
    let answered: { active: number; conflicts: string[] };
    try {
      assert.equal(t.hub.indexSource.from, 'store');
      assert.match(
        t.hub.indexSource.why,
        /does not match the store: taken at ledger entry \d+, the store is at/,
      );
      answered = { active: t.hub.declarations.activeCount, conflicts: await probe(t) };
    } finally {
      // Without a snapshot kept, so that the reference below rebuilds too.
      await shut(t);
    }
    assert.deepEqual(answered, await rebuilt(dir));
    assert.equal(answered.active, DEMO_DECLARATIONS + 1);
  });

  it('is refused when its active set differs from the store at the same ledger position', async () => {
    const dir = fresh();
    const path = join(dir, SNAPSHOT_FILE);
    await theatre(dir);
    const good = takeSnapshot(path);
    if ('ok' in good) assert.fail(`the snapshot reads back: ${good.reason}`);
    const store = openSqliteStore({ dir });
    const head = positionOf(await store.read((tx) => tx.ledger.head()));
    await store.close();
    assert.deepEqual(good.position, head);
    const amended = own('city-police', 'snap-1');
    const cases: [string, typeof good.entries, RegExp][] = [
      [
        'a version edited',
        good.entries.map((e) => (e.decl.id === amended ? { ...e, version: 1 } : e)),
        /declaration city-police:snap-1 is version 1, the store has 2/,
      ],
      ['a declaration missing', good.entries.slice(1), /24 active declarations, the store has 25/],
    ];
    for (const [what, entries, reason] of cases) {
      writeSnapshot(path, head, entries);
      const t = await startHub({ dir, demo: false, hub: { snapshot: { path } } });
      try {
        assert.equal(t.hub.indexSource.from, 'store', what);
        assert.match(t.hub.indexSource.why, reason, what);
        assert.equal(t.hub.declarations.activeCount, DEMO_DECLARATIONS + 1, what);
      } finally {
        await t.close(true);
      }
    }
  });

  it('builds the index from its declarations when its index state is missing or does not fit', async () => {
    const dir = fresh();
    const path = join(dir, SNAPSHOT_FILE);
    await theatre(dir);
    const good = takeSnapshot(path);
    if ('ok' in good) assert.fail(`the snapshot reads back: ${good.reason}`);
    assert.ok(good.index !== null && good.index.slots.length === good.entries.length, 'it holds the index');
    const reference = await rebuilt(dir);
    const cases: [string, IndexState | null, RegExp][] = [
      ['no index state', null, /matches the store; no index state, index rebuilt$/],
      [
        'boxes made otherwise',
        { ...good.index, boxes: 'boxes 0; horizontal separation 9260 m' },
        /matches the store; its index state was not used: its boxes were made as "boxes 0; .*", index rebuilt$/,
      ],
      [
        'the slots of other declarations',
        { ...good.index, slots: good.index.slots.map((s, i) => (i === 0 ? s + 1 : s)) },
        /its index state was not used: .*, index rebuilt$/,
      ],
    ];
    for (const [what, index, reason] of cases) {
      writeSnapshot(path, good.position, good.entries, index);
      const t = await startHub({ dir, demo: false, hub: { snapshot: { path } } });
      try {
        assert.equal(t.hub.indexSource.from, 'snapshot', what);
        assert.match(t.hub.indexSource.why, reason, what);
        assert.deepEqual(
          { active: t.hub.declarations.activeCount, conflicts: await probe(t) },
          reference,
          what,
        );
      } finally {
        await shut(t);
      }
    }
  });

  it('refuses a snapshot of the previous format (declarations only) by its number', async () => {
    const dir = fresh();
    const path = join(dir, SNAPSHOT_FILE);
    await theatre(dir);
    const store = openSqliteStore({ dir });
    const head = positionOf(await store.read((tx) => tx.ledger.head()));
    await store.close();
    // A whole file of format 1 (its checksum holds): magic, header, no part, SHA-256.
    const header = Buffer.from(JSON.stringify({ format: 1, position: head, declarations: 0, parts: 0 }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.byteLength);
    const body = Buffer.concat([Buffer.from('deconflict index snapshot\n', 'latin1'), length, header]);
    writeFileSync(path, Buffer.concat([body, createHash('sha256').update(body).digest()]));
    const t = await startHub({ dir, demo: false, hub: { snapshot: { path } } });
    try {
      assert.deepEqual(t.hub.indexSource, { from: 'store', why: 'the snapshot is of format 1' });
      assert.equal(t.hub.declarations.activeCount, DEMO_DECLARATIONS + 1);
    } finally {
      await shut(t);
    }
  });

  it('is refused when truncated, damaged or not a snapshot at all', async () => {
    const dir = fresh();
    const path = join(dir, SNAPSHOT_FILE);
    await theatre(dir);
    const whole = readFileSync(path);
    const flipped = Buffer.from(whole);
    const middle = Math.floor(whole.length / 2);
    flipped.writeUInt8(flipped.readUInt8(middle) ^ 0x01, middle);
    const cases: [string, Buffer, RegExp][] = [
      ['cut in half', whole.subarray(0, Math.floor(whole.length / 2)), /checksum: truncated or damaged/],
      ['its checksum cut off', whole.subarray(0, whole.length - 32), /checksum/],
      ['one bit flipped', flipped, /checksum: truncated or damaged/],
      ['empty', Buffer.alloc(0), /truncated/],
      ['a GeoJSON file', readFileSync(DEMO_SCENARIO), /not a snapshot file/],
    ];
    const reference = await rebuilt(dir);
    for (const [what, bytes, reason] of cases) {
      writeFileSync(path, bytes);
      const t = await startHub({ dir, demo: false, hub: { snapshot: { path } } });
      try {
        assert.equal(t.hub.indexSource.from, 'store', what);
        assert.match(t.hub.indexSource.why, reason, what);
        assert.ok(!existsSync(path), `${what}: removed once read`);
        assert.deepEqual({ active: t.hub.declarations.activeCount, conflicts: await probe(t) }, reference);
      } finally {
        // Closed without a snapshot kept: the next case starts from its own file.
        await shut(t);
      }
    }
  });

  it('is not trusted after a SIGKILL: the hub rebuilds and holds every answered submission', {
    timeout: 60_000,
  }, async () => {
    const dir = fresh();
    const first = await serve(['--data', dir, '--demo']);
    assert.match(first.stdout(), /live index rebuilt from the store: no snapshot/);
    await first.stop();
    assert.ok(existsSync(join(dir, SNAPSHOT_FILE)), 'a clean stop writes the snapshot');

    const second = await serve(['--data', dir]);
    assert.match(second.stdout(), /live index read from its snapshot/);
    const [account] = demoAccounts('northern-forces');
    const token = await login(second.url, account?.username ?? '', account?.password ?? '');
    const base = Math.ceil((Date.now() + 5 * DAY) / HOUR) * HOUR;
    const r = await api(second.url, token, 'POST', '/api/v1/declarations', {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.3, 46.15] },
      properties: { id: 'after-snapshot', kind: 'strike', start: iso(base), end: iso(base + HOUR) },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await second.kill()).signal, 'SIGKILL');

    const third = await serve(['--data', dir]);
    try {
      assert.match(third.stdout(), /live index rebuilt from the store: no snapshot/);
      assert.equal(await activeDeclarations(third.url), DEMO_DECLARATIONS + 1);
    } finally {
      await third.stop();
    }
  });
});
