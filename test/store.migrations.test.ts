/**
 * The embedded store's schema migrations (src/store/migrate.ts): a data directory made before
 * schema versions were kept (test/fixtures/data-v1, written by the hub at commit 148f116 with the
 * demo and a few more changes) is recognised as version 1 and upgraded with every row kept and
 * the ledger intact; the new declaration filters answer on it; opening twice applies nothing; a
 * directory newer than this code, or not made by it, is refused and left as it was; a failing
 * migration rolls back.
 *
 * The fixture is only ever read: each test works on a copy in a temporary directory.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { main } from '../src/cli/main.ts';
import type { DeclarationRecord } from '../src/domain/records.ts';
import { boxesIntersect, pointReachBoxes, reachBoxes } from '../src/engine/geodesy/bbox.ts';
import { ManualClock } from '../src/hub/clock.ts';
import { Hub } from '../src/hub/hub.ts';
import { canSee } from '../src/hub/views.ts';
import { verifyChain } from '../src/ledger/chain.ts';
import type { VerifyResult } from '../src/ledger/verify.ts';
import { DataDirectoryTooNew, DataDirectoryUnrecognised, MigrationFailed } from '../src/store/errors.ts';
import { SCHEMA_VERSION } from '../src/store/migrate.ts';
import type { Store } from '../src/store/ports.ts';
import { databaseFile, openSqliteStore } from '../src/store/sqlite.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/data-v1/deconflict.db', import.meta.url));
const MIGRATIONS = [
  '0001_initial',
  '0002_declaration_filters',
  '0003_probing',
  '0004_devices',
  '0005_transparency',
  '0006_agreements',
  '0007_sealed',
  '0008_token_rates',
  '0009_shared_feed',
];
/** Every table of version 1, with the rows the fixture holds in each. */
const V1_ROWS = {
  meta: 1,
  parties: 4,
  members: 17,
  tokens: 1,
  declarations: 26,
  conflicts: 8,
  ledger: 87,
  shifts: 8,
  alerts: 18,
  events: 107,
  channels: 1,
  channel_parties: 2,
  messages: 1,
  webhooks: 1,
  deliveries: 6,
};
const PARTIES = ['coalition', 'northern-forces', 'relief-agency', 'city-police'];

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const fixtureHash = sha256(FIXTURE);

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  // Never modified in place.
  assert.equal(sha256(FIXTURE), fixtureHash);
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-migrate-'));
  dirs.push(dir);
  return dir;
}

/** A data directory holding a copy of the version 1 fixture. */
function v1Copy(): string {
  const dir = freshDir();
  copyFileSync(FIXTURE, databaseFile(dir));
  return dir;
}

/** Run `look` on the directory's database, opened by hand (the store closed). */
function inspect<T>(dir: string, look: (db: Database.Database) => T): T {
  const db = new Database(databaseFile(dir));
  try {
    return look(db);
  } finally {
    db.close();
  }
}

const count = (db: Database.Database, table: string) =>
  Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
const rowCounts = (db: Database.Database) =>
  Object.fromEntries(Object.keys(V1_ROWS).map((t) => [t, count(db, t)]));
const versions = (db: Database.Database) =>
  db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    applied_at: number;
  }[];
const tables = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];

/** Everything the store holds about declarations, superseded versions included. */
async function allVersions(store: Store): Promise<DeclarationRecord[]> {
  const current = await store.read((tx) => tx.declarations.query({ limit: Number.MAX_SAFE_INTEGER }));
  return store.read(async (tx) =>
    (await Promise.all(current.map((r) => tx.declarations.versions(r.id)))).flat(),
  );
}

/** The hub's filter before the store had one: the declaration's own boxes meet a query box. */
function meets(r: DeclarationRecord, boxes: readonly [number, number, number, number][]): boolean {
  const g = r.decl.geometry;
  const own = g.type === 'Point' ? pointReachBoxes(g.coordinates, 0) : reachBoxes(g, 0);
  return own.some((x) => boxes.some((y) => boxesIntersect(x, [...y])));
}

describe('schema migrations', () => {
  it('knows the migrations in order', () => {
    assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  });

  it('creates a new data directory at the latest version', async () => {
    const dir = freshDir();
    const store = openSqliteStore({ dir });
    assert.deepEqual(store.migration, { from: 0, to: SCHEMA_VERSION, applied: MIGRATIONS });
    await store.close();
    assert.deepEqual(
      inspect(dir, versions).map((v) => [v.version, v.name]),
      MIGRATIONS.map((name, i) => [i + 1, name]),
    );
  });

  it('an upgraded directory joins the transparency log: its old entries, unsalted, and the hub’s key after them verify', async () => {
    const dir = v1Copy();
    const store = openSqliteStore({ dir });
    const hub = await Hub.open(store, new ManualClock(Date.now()));
    const latest = await hub.transparency.latest();
    const key = await store.read((tx) => tx.ledger.get(V1_ROWS.ledger + 1));
    await hub.close();
    await store.close();
    // The hub's key is the first entry it adds (then the declarations long expired, expiring);
    // the tree holds every old entry before it.
    assert.equal(key?.type, 'log.key');
    assert.ok(latest.size > V1_ROWS.ledger);
    const out: string[] = [];
    const io = {
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => out.push(t),
      read: async () => '',
    };
    const status = await main(['verify', '--data', dir, '--format', 'json'], io);
    const result = JSON.parse(out.join('')) as VerifyResult;
    assert.equal(status, 0, out.join(''));
    assert.equal(result.ok, true);
    assert.equal(result.entries, latest.size);
    assert.equal(
      result.unsalted,
      V1_ROWS.ledger,
      'the entries written before the log are committed unsalted',
    );
    assert.equal(result.checkpoints, 1);
  });

  describe('a data directory from before schema versions (the v1 fixture)', () => {
    const dir = v1Copy();
    const before = inspect(dir, rowCounts);
    let store: ReturnType<typeof openSqliteStore>;
    after(async () => {
      await store?.close();
    });

    it('holds what the fixture was made with, and no schema version', () => {
      assert.deepEqual(before, V1_ROWS);
      assert.ok(!inspect(dir, tables).includes('schema_migrations'));
    });

    it('is recognised as version 1 and upgraded to the latest', async () => {
      const t0 = Date.now();
      store = openSqliteStore({ dir });
      assert.deepEqual(store.migration, { from: 1, to: SCHEMA_VERSION, applied: MIGRATIONS.slice(1) });
      await store.close();
      const applied = inspect(dir, versions);
      assert.deepEqual(
        applied.map((v) => [v.version, v.name]),
        MIGRATIONS.map((name, i) => [i + 1, name]),
      );
      for (const v of applied) assert.ok(v.applied_at >= t0 && v.applied_at <= Date.now());
    });

    it('keeps every row, and the ledger still verifies', async () => {
      assert.deepEqual(inspect(dir, rowCounts), before);
      store = openSqliteStore({ dir });
      const ledger = await store.read((tx) => tx.ledger.range(1, Number.MAX_SAFE_INTEGER));
      assert.equal(ledger.length, V1_ROWS.ledger);
      assert.deepEqual(verifyChain(ledger), { ok: true, entries: V1_ROWS.ledger });
      assert.equal((await allVersions(store)).length, V1_ROWS.declarations);
    });

    it('reads its tokens as taking the hub’s default rate (none of their own)', async () => {
      const ids = inspect(dir, (db) => db.prepare('SELECT id FROM tokens').pluck().all() as string[]);
      assert.equal(ids.length, V1_ROWS.tokens);
      for (const id of ids) {
        const t = await store.read((tx) => tx.tokens.get(id));
        assert.equal(t?.id, id);
        assert.equal(t?.rate, null);
      }
    });

    it('answers visibleTo on the upgraded declarations as canSee does', async () => {
      const current = await store.read((tx) => tx.declarations.query({ limit: Number.MAX_SAFE_INTEGER }));
      assert.equal(current.length, 25);
      for (const party of [...PARTIES, 'nobody']) {
        const seen = await store.read((tx) => tx.declarations.query({ visibleTo: party, limit: 5000 }));
        assert.deepEqual(
          seen.map((r) => r.id),
          current.filter((r) => canSee(party, r.decl)).map((r) => r.id),
          party,
        );
      }
      // The relief agency's clinic is shown to the coalition only; the date-line zone to the
      // northern forces only.
      const sees = async (party: string, id: string) =>
        (await store.read((tx) => tx.declarations.query({ visibleTo: party }))).some((r) => r.id === id);
      assert.ok(await sees('coalition', 'relief-agency:site-relief-clinic'));
      assert.ok(!(await sees('northern-forces', 'relief-agency:site-relief-clinic')));
      assert.ok(await sees('northern-forces', 'coalition:coa-pacific-zone'));
      assert.ok(!(await sees('city-police', 'coalition:coa-pacific-zone')));
    });

    it('answers bbox on the upgraded declarations as the hub’s filter did', async () => {
      const current = await store.read((tx) => tx.declarations.query({ limit: Number.MAX_SAFE_INTEGER }));
      const queries: [number, number, number, number][][] = [
        [[21.2, 46.1, 21.4, 46.25]],
        [[21.3, 46.15, 21.33, 46.2]],
        [[21.25, 46.17, 21.26, 46.18]],
        [[-180, -90, 180, 90]],
        [
          [179.9, -16.6, 180, -16.4],
          [-180, -16.6, -179.9, -16.4],
        ],
        [[0, 0, 1, 1]],
      ];
      for (const bbox of queries) {
        const found = await store.read((tx) => tx.declarations.query({ bbox, limit: 5000 }));
        assert.deepEqual(
          found.map((r) => r.id),
          current.filter((r) => meets(r, bbox)).map((r) => r.id),
          JSON.stringify(bbox),
        );
      }
      const pacific = await store.read((tx) =>
        tx.declarations.query({ bbox: [[-180, -16.6, -179.9, -16.4]], visibleTo: 'northern-forces' }),
      );
      assert.deepEqual(
        pacific.map((r) => r.id),
        ['coalition:coa-pacific-zone'],
      );
    });

    it('applies nothing when opened again', async () => {
      await store.close();
      const applied = inspect(dir, versions);
      const boxes = inspect(dir, (db) => count(db, 'declaration_boxes'));
      const readers = inspect(dir, (db) => count(db, 'declaration_readers'));
      store = openSqliteStore({ dir });
      assert.deepEqual(store.migration, { from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
      await store.close();
      assert.deepEqual(inspect(dir, versions), applied);
      assert.equal(
        inspect(dir, (db) => count(db, 'declaration_boxes')),
        boxes,
      );
      assert.equal(
        inspect(dir, (db) => count(db, 'declaration_readers')),
        readers,
      );
      assert.deepEqual(inspect(dir, rowCounts), before);
    });
  });

  it('reads every party’s stream of an upgraded directory as it was, a shared event after it', async () => {
    const dir = v1Copy();
    const rows = inspect(
      dir,
      (db) =>
        db.prepare('SELECT party, seq, at, type, data FROM events ORDER BY party, seq').all() as {
          party: string;
          seq: number;
          at: number;
          type: string;
          data: string;
        }[],
    );
    const store = openSqliteStore({ dir });
    try {
      const heads: Record<string, number> = {};
      for (const party of PARTIES) {
        const old = rows.filter((r) => r.party === party).map((r) => ({ ...r, data: JSON.parse(r.data) }));
        assert.ok(old.length > 0, party);
        assert.deepEqual(await store.read((tx) => tx.events.since(party, 0, 1_000_000)), old, party);
        heads[party] = await store.read((tx) => tx.events.head(party));
        assert.equal(heads[party], old.length, party);
      }
      const change = { id: 'coalition:coa-pacific-zone', status: 'withdrawn' };
      await store.transact((tx) =>
        tx.events.appendShared({ at: 1, type: 'declaration.changed', data: change }),
      );
      for (const party of PARTIES) {
        const seq = (heads[party] as number) + 1;
        assert.deepEqual(await store.read((tx) => tx.events.get(party, seq)), {
          party,
          seq,
          at: 1,
          type: 'declaration.changed',
          data: change,
        });
      }
    } finally {
      await store.close();
    }
  });

  it('recognises a directory of a hub older still (without the watch tables) as version 1', async () => {
    const dir = freshDir();
    inspect(dir, (db) => {
      db.exec(
        readFileSync(new URL('../src/store/migrations/sqlite/0001_initial.sql', import.meta.url), 'utf8'),
      );
      for (const t of [
        'shifts',
        'alerts',
        'events',
        'channels',
        'channel_parties',
        'messages',
        'webhooks',
        'deliveries',
      ])
        db.exec(`DROP TABLE ${t}`);
    });
    const store = openSqliteStore({ dir });
    assert.deepEqual(store.migration, { from: 1, to: SCHEMA_VERSION, applied: MIGRATIONS.slice(1) });
    await store.transact((tx) => tx.webhooks.listByParty('alpha'));
    await store.close();
    assert.ok(inspect(dir, tables).includes('deliveries'));
  });

  it('refuses a directory newer than this code, and leaves it untouched', async () => {
    const dir = v1Copy();
    await openSqliteStore({ dir }).close();
    inspect(dir, (db) =>
      db
        .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
        .run(SCHEMA_VERSION + 1, '0003_from_the_future', Date.now()),
    );
    const hash = sha256(databaseFile(dir));
    const files = readdirSync(dir).sort();
    assert.throws(
      () => openSqliteStore({ dir }),
      (err: unknown) => {
        assert.ok(err instanceof DataDirectoryTooNew);
        assert.equal(err.code, 'data_directory_too_new');
        assert.equal(err.found, SCHEMA_VERSION + 1);
        assert.equal(err.supported, SCHEMA_VERSION);
        assert.match(
          err.message,
          new RegExp(
            `schema version ${SCHEMA_VERSION + 1}, but this deconflict knows versions up to ${SCHEMA_VERSION}`,
          ),
        );
        assert.match(err.message, /newer release/);
        assert.match(err.message, /Nothing was changed/);
        return true;
      },
    );
    assert.equal(sha256(databaseFile(dir)), hash);
    // No lock file (or anything else) left behind: another deconflict may open it at once.
    assert.deepEqual(readdirSync(dir).sort(), files);
    assert.equal(inspect(dir, versions).length, SCHEMA_VERSION + 1);
  });

  it('refuses a database it did not make, and leaves it untouched', async () => {
    const dir = freshDir();
    inspect(dir, (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)'));
    assert.throws(
      () => openSqliteStore({ dir }),
      (err: unknown) =>
        err instanceof DataDirectoryUnrecognised &&
        err.code === 'data_directory_unrecognised' &&
        /tables but no schema version/.test(err.message),
    );
    assert.deepEqual(inspect(dir, tables), ['notes']);
    assert.ok(!existsSync(join(dir, 'deconflict.lock')));
  });

  it('refuses a version applied under another name (a diverging build)', async () => {
    const dir = freshDir();
    await openSqliteStore({ dir }).close();
    inspect(dir, (db) =>
      db.prepare("UPDATE schema_migrations SET name = '0002_other' WHERE version = 2").run(),
    );
    assert.throws(
      () => openSqliteStore({ dir }),
      (err: unknown) =>
        err instanceof DataDirectoryUnrecognised &&
        /version 2 was applied as 0002_other, but this deconflict's version 2 is 0002_declaration_filters/.test(
          err.message,
        ),
    );
  });

  it('rolls a failing migration back: the directory stays at the version before it', async () => {
    const dir = v1Copy();
    // A declaration body the 0002 step cannot read.
    inspect(dir, (db) =>
      db.prepare("UPDATE declarations SET body = '{' WHERE id = 'coalition:coa-pacific-zone'").run(),
    );
    assert.throws(
      () => openSqliteStore({ dir }),
      (err: unknown) =>
        err instanceof MigrationFailed &&
        err.code === 'migration_failed' &&
        /migration 0002_declaration_filters of the data directory .* failed: .*still at schema version 1/.test(
          err.message,
        ),
    );
    assert.deepEqual(
      inspect(dir, versions).map((v) => v.name),
      ['0001_initial'],
    );
    const after = inspect(dir, tables);
    assert.ok(!after.includes('declaration_readers') && !after.includes('declaration_boxes'));
    const columns = inspect(dir, (db) =>
      db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('declarations'),
    );
    assert.ok(!columns.includes('visibility'));
    assert.ok(!existsSync(join(dir, 'deconflict.lock')));
  });
});
