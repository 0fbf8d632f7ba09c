/**
 * Whole-hub export and import (`deconflict hub export` / `hub import`): a demo hub with its
 * conflicts, alerts, logins and a webhook goes to an archive and into a new store; every table
 * comes back row for row but the secrets, none of which is in the archive; the hub starts on the
 * copy and shows a party the same declarations, conflicts and alerts, over a ledger that continues
 * the source's. Damaged, cut, foreign-version archives and non-empty stores are refused, whole.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ManualClock } from '../src/hub/clock.ts';
import { DEMO_PARTIES } from '../src/hub/demo.ts';
import { IMPORT_ACTOR, importHub, NO_PASSWORD, SECRET_TABLES, verifyLedger } from '../src/hub/hub-archive.ts';
import { SCHEMA_VERSION } from '../src/store/migrate.ts';
import type { DumpRow, Store } from '../src/store/ports.ts';
import { openPostgresStore } from '../src/store/postgres.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { runCli } from './support/cli.ts';
import { ok, request, startHub, T0, type TestHub } from './support/hub.ts';
import { freshPgDatabase, type PgDatabase, pgSkip } from './support/postgres.ts';

const PARTY = (DEMO_PARTIES[0] as { id: string }).id;
const VIEWS = ['/api/v1/declarations', '/api/v1/conflicts', '/api/v1/alerts'] as const;
const HOUR = 3_600_000;

/** A webhook with its secret, which an export must leave out. */
async function addWebhook(hub: TestHub): Promise<void> {
  await hub.store.transact((tx) =>
    tx.webhooks.insert({
      id: 'wh-arad-ops',
      party: PARTY,
      url: 'https://hooks.example.org/deconflict',
      secret: 'whsec-arad-0123456789abcdefghijklmnopqrstuv',
      created_at: hub.clock.now(),
      created_by: `${PARTY}.admin`,
      disabled_at: null,
    }),
  );
}

async function allRows(store: Store, table: string): Promise<DumpRow[]> {
  const out: DumpRow[] = [];
  let cursor: string | null = null;
  do {
    const page: { rows: DumpRow[]; next: string | null } = await store.dump(table, cursor, 7);
    out.push(...page.rows);
    cursor = page.next;
  } while (cursor !== null);
  return out;
}

/** The archive's lines, and the file written back from (changed) lines with sums recomputed. */
const linesOf = (file: string): string[] =>
  gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
function resealed(lines: readonly string[]): Buffer {
  const [head, ...rest] = lines;
  const rows = rest.slice(0, -1);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const trailer = {
    end: true,
    rows: rows.length,
    sha256: sha(rows.map((l) => `${l}\n`).join('')),
    header_sha256: sha(`${head}\n`),
  };
  return gzipSync(`${[head, ...rows, JSON.stringify(trailer)].join('\n')}\n`);
}

/** Rows in one order whatever the store's key order (collations differ between SQLite and PostgreSQL). */
const sorted = (rows: DumpRow[]): DumpRow[] =>
  rows
    .map((r) => [JSON.stringify(r), r] as const)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([, r]) => r);

/**
 * Store `b`, into which an archive of store `a` was imported, holds every table of `a` as it was
 * but the secrets: no tokens or devices; members without their password; a disabled webhook with
 * a new secret; a new hub key; the log's keys without their private halves, and one new key,
 * whose `log.key` entry is the one the import appended to the ledger.
 */
async function assertImported(a: Store, b: Store): Promise<void> {
  for (const t of a.tables()) {
    const [from, to] = [sorted(await allRows(a, t)), sorted(await allRows(b, t))];
    if (SECRET_TABLES.has(t)) {
      assert.ok(from.length > 0, `the source has ${t}`);
      assert.deepEqual(to, [], `${t} are not imported`);
    } else if (t === 'members') {
      assert.deepEqual(
        to,
        from.map((m) => ({ ...m, password_hash: NO_PASSWORD })),
      );
    } else if (t === 'webhooks') {
      const [w] = to.map((x) => JSON.parse(String(x.body)));
      assert.equal(to.length, 1);
      assert.notEqual(w.secret, JSON.parse(String(from[0]?.body)).secret);
      assert.notEqual(w.disabled_at, null, 'an imported webhook is disabled');
    } else if (t === 'meta') {
      const noKey = (rows: DumpRow[]) => rows.filter((x) => x.key !== 'hub_key');
      assert.deepEqual(noKey(to), noKey(from));
      const key = (rows: DumpRow[]) => rows.find((x) => x.key === 'hub_key')?.value;
      assert.notEqual(key(to), key(from), 'a new hub key');
    } else if (t === 'log_keys' || t === 'ledger') {
      const bySeq = (rows: DumpRow[]) => [...rows].sort((x, y) => Number(x.seq) - Number(y.seq));
      const [was, is] = [bySeq(from), bySeq(to)];
      assert.deepEqual(
        is.slice(0, was.length),
        t === 'ledger' ? was : was.map((k) => ({ ...k, private_key: '' })),
        `${t}: the source's, byte for byte`,
      );
      assert.equal(is.length, was.length + 1, `${t}: one new checkpoint key`);
      if (t === 'ledger')
        assert.deepEqual(
          is.slice(was.length).map((e) => [e.type, e.actor]),
          [['log.key', IMPORT_ACTOR]],
        );
    } else if (t === 'declaration_boxes' && b.dialect === 'sqlite') {
      // SQLite's R*Tree keeps the index box in 32-bit floats, rounded outward; the exact box is
      // in west/south/east/north, which come over unchanged.
      const exact = ({ min_lon: _, max_lon: __, min_lat: ___, max_lat: ____, ...rest }: DumpRow) => rest;
      assert.deepEqual(to.map(exact), from.map(exact), t);
      from.forEach((f, i) => {
        const r = to[i] as DumpRow;
        for (const c of ['min_lon', 'max_lon', 'min_lat', 'max_lat'])
          assert.equal(Math.fround(Number(r[c])), r[c], `${c} is a 32-bit float`);
        assert.ok(
          Number(r.min_lon) <= Number(f.min_lon) &&
            Number(r.min_lat) <= Number(f.min_lat) &&
            Number(r.max_lon) >= Number(f.max_lon) &&
            Number(r.max_lat) >= Number(f.max_lat),
          `the index box of ${String(f.decl_id)} holds the exact one`,
        );
      });
    } else assert.deepEqual(to, from, t);
  }
}

describe('whole-hub export and import (SQLite → archive → SQLite)', () => {
  const work = mkdtempSync(join(tmpdir(), 'deconflict-hub-export-'));
  const archive = join(work, 'hub.jsonl.gz');
  const copyDir = join(work, 'copy');
  let source: TestHub;
  const seen = new Map<string, unknown>();
  const secrets: string[] = [];
  let sourceHead = 0;

  before(async () => {
    source = await startHub({ dir: join(work, 'source') });
    const token = await source.login(`${PARTY}.admin`);
    await addWebhook(source);
    for (const url of VIEWS) seen.set(url, ok(await request(source.app, token, 'GET', url)));
    await source.close(true);
    const store = openSqliteStore({ dir: join(work, 'source') });
    for (const r of await allRows(store, 'members')) secrets.push(String(r.password_hash));
    for (const r of await allRows(store, 'tokens')) secrets.push(String(r.hash));
    for (const r of await allRows(store, 'devices')) secrets.push(String(r.hash));
    for (const r of await allRows(store, 'log_keys')) secrets.push(String(r.private_key));
    for (const r of await allRows(store, 'webhooks')) secrets.push(String(JSON.parse(String(r.body)).secret));
    for (const r of await allRows(store, 'meta')) if (r.key === 'hub_key') secrets.push(String(r.value));
    sourceHead = (await store.read((tx) => tx.ledger.head()))?.seq ?? 0;
    await store.close();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('exports the hub, and no secret of the source is anywhere in the archive', async () => {
    const r = await runCli(['hub', 'export', '--data', join(work, 'source'), '--out', archive]);
    assert.equal(r.status, 0, r.err);
    assert.ok(secrets.filter((s) => s.length > 0).length >= 5, 'the source has passwords, tokens and keys');
    const text = gunzipSync(readFileSync(archive)).toString('utf8');
    for (const s of secrets)
      if (s.length > 0) assert.ok(!text.includes(s), `a secret is in the archive: ${s.slice(0, 8)}…`);
    const header = JSON.parse(linesOf(archive)[0] as string);
    assert.equal(header.schema, SCHEMA_VERSION);
    for (const t of SECRET_TABLES) assert.ok(!header.tables.some((x: { name: string }) => x.name === t));
  });

  it('imports into an empty store: every table as it was but the secrets', async () => {
    // At the source's time: opened later, the hub would also expire what ended meanwhile.
    const b = openSqliteStore({ dir: copyDir });
    const report = await importHub(b, archive, new ManualClock(T0));
    assert.deepEqual([report.ledgerSeq, report.appended], [sourceHead, 1]);
    const a = openSqliteStore({ dir: join(work, 'source') });
    try {
      await assertImported(a, b);
      assert.equal((await allRows(a, 'ledger')).length, sourceHead);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('starts on the copy and shows a party the same declarations, conflicts and alerts', async () => {
    const copy = await startHub({ dir: copyDir, demo: false });
    try {
      assert.equal(
        await copy.login(`${PARTY}.admin`).catch(() => 'refused'),
        'refused',
        'no password came along',
      );
      await copy.hub.accounts.createPartyAdmin(PARTY, `${PARTY}.restored`, 'a new long password');
      const token = await copy.login(`${PARTY}.restored`, 'a new long password');
      for (const url of VIEWS)
        assert.deepEqual(ok(await request(copy.app, token, 'GET', url)), seen.get(url), url);
      const conflicts = seen.get('/api/v1/conflicts') as { conflicts?: unknown[] };
      assert.ok(
        (conflicts.conflicts ?? (conflicts as unknown as unknown[])).length > 0,
        'the demo has conflicts',
      );
      const verify = await runCli(['verify', '--data', copyDir]);
      assert.equal(verify.status, 0, verify.out + verify.err);
    } finally {
      await copy.close(true);
    }
  });

  it('verifies the ledger a page at a time, and finds a changed entry past the first page', async () => {
    const a = openSqliteStore({ dir: join(work, 'source') });
    const ledger = await allRows(a, 'ledger');
    await a.close();
    assert.ok(ledger.length > 3 * 7, 'the demo ledger spans several pages of 7');
    for (const size of [1, 7, ledger.length, ledger.length + 1]) {
      const whole = openSqliteStore({ dir: mkdtempSync(join(work, 'ledger-')) });
      await whole.load('ledger', ledger);
      assert.equal(await verifyLedger(whole, size), ledger.length, `pages of ${size}`);
      await whole.close();
    }
    const at = 3 * 7 + 2;
    const changed = ledger.map((e) => (e.seq === at ? { ...e, actor: `${String(e.actor)}x` } : e));
    const store = openSqliteStore({ dir: mkdtempSync(join(work, 'ledger-')) });
    try {
      await store.load('ledger', changed);
      await assert.rejects(verifyLedger(store, 7), new RegExp(`at entry ${at}: hash does not match content`));
    } finally {
      await store.close();
    }
  });

  it('refuses a store that is not empty, and writes nothing', async () => {
    const r = await runCli(['hub', 'import', archive, '--data', copyDir]);
    assert.equal(r.status, 2);
    assert.match(r.err, /not empty/);
  });

  const refusals: [string, (lines: string[]) => Buffer, RegExp][] = [
    [
      'a changed row (bad checksum)',
      (lines) => {
        const changed = [...lines];
        changed[2] = (changed[2] as string).replace(/"r":\{"/, '"r":{"x":1,"');
        return gzipSync(`${changed.join('\n')}\n`);
      },
      /checksum does not match/,
    ],
    ['a file cut short', (lines) => gzipSync(`${lines.slice(0, -2).join('\n')}\n`), /cut short/],
    [
      'a newer schema version',
      (lines) => {
        const header = JSON.parse(lines[0] as string);
        return resealed([JSON.stringify({ ...header, schema: SCHEMA_VERSION + 1 }), ...lines.slice(1)]);
      },
      /newer than this deconflict/,
    ],
  ];
  for (const [what, make, why] of refusals)
    it(`refuses ${what}, and the store stays empty`, async () => {
      const bad = join(work, 'bad.jsonl.gz');
      writeFileSync(bad, make(linesOf(archive)));
      const dir = mkdtempSync(join(work, 'target-'));
      const r = await runCli(['hub', 'import', bad, '--data', dir]);
      assert.equal(r.status, 2, r.out);
      assert.match(r.err, why);
      const store = openSqliteStore({ dir });
      try {
        for (const t of store.tables()) assert.deepEqual(await allRows(store, t), [], t);
      } finally {
        await store.close();
      }
    });

  it('names a database it cannot use in one line, without its password', async () => {
    const out = join(work, 'never.jsonl.gz');
    const foreign = await runCli(['hub', 'export', '--database', 'mysql://ops:s3cret@db/hub', '--out', out]);
    assert.equal(foreign.status, 2);
    assert.match(foreign.err, /^deconflict hub export: .*must be a postgres:\/\/ URL/);
    const away = await runCli([
      'hub',
      'export',
      '--database',
      'postgres://ops:s3cret@127.0.0.1:1/hub',
      '--out',
      out,
    ]);
    assert.equal(away.status, 2);
    assert.match(away.err, /^deconflict hub export: .*127\.0\.0\.1:1/);
    for (const r of [foreign, away]) {
      assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
      assert.ok(!r.err.includes('s3cret'), r.err);
    }
    assert.equal(existsSync(out), false);
  });

  it('refuses a gzip stream cut in the middle', async () => {
    const bytes = readFileSync(archive);
    const bad = join(work, 'cut.jsonl.gz');
    writeFileSync(bad, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await runCli(['hub', 'import', bad, '--data', mkdtempSync(join(work, 'target-'))]);
    assert.equal(r.status, 2);
    assert.match(r.err, /cut short|not a readable gzip/);
  });
});

/** A strike on the Mureș west of Arad, an hour long, a day and a half after T0. */
const strike = (id: string) => ({
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [21.21, 46.172] },
  properties: {
    id,
    kind: 'strike',
    buffer_m: 50,
    start: new Date(T0 + 36 * HOUR).toISOString(),
    end: new Date(T0 + 37 * HOUR).toISOString(),
  },
});

const skip = await pgSkip();

describe('whole-hub export and import between SQLite and PostgreSQL', { skip }, () => {
  const work = mkdtempSync(join(tmpdir(), 'deconflict-hub-export-pg-'));
  const fromSqlite = join(work, 'sqlite.jsonl.gz');
  const fromPostgres = join(work, 'postgres.jsonl.gz');
  const databases: PgDatabase[] = [];
  let pg: PgDatabase;
  let sourceHead = 0;
  /** What a party sees on the source, and on the PostgreSQL hub after a submission there. */
  const seen = new Map<string, unknown>();
  const seenOnPg = new Map<string, unknown>();
  let pgHead = 0;

  before(async () => {
    const source = await startHub({ dir: join(work, 'source') });
    await addWebhook(source);
    const token = await source.login(`${PARTY}.admin`);
    for (const url of VIEWS) seen.set(url, ok(await request(source.app, token, 'GET', url)));
    sourceHead = (await source.store.read((tx) => tx.ledger.head()))?.seq ?? 0;
    await source.close(true);
    const r = await runCli(['hub', 'export', '--data', join(work, 'source'), '--out', fromSqlite]);
    assert.equal(r.status, 0, r.err);
    pg = await freshPgDatabase();
    databases.push(pg);
  });
  after(async () => {
    for (const d of databases) await d.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('SQLite → archive → PostgreSQL: every table as it was but the secrets', async () => {
    const b = await openPostgresStore({ url: pg.url });
    const a = openSqliteStore({ dir: join(work, 'source') });
    try {
      const report = await importHub(b, fromSqlite, new ManualClock(T0));
      assert.deepEqual([report.ledgerSeq, report.appended], [sourceHead, 1]);
      await assertImported(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a hub starts on the PostgreSQL copy: the same ledger, declarations, conflicts and alerts', async () => {
    const store = await openPostgresStore({ url: pg.url });
    const copy = await startHub({ dir: join(work, 'pg-hub'), store, demo: false });
    try {
      assert.equal((await store.read((tx) => tx.ledger.head()))?.seq, sourceHead + 1);
      assert.equal(await verifyLedger(store), sourceHead + 1);
      assert.equal(
        await copy.login(`${PARTY}.admin`).catch(() => 'refused'),
        'refused',
        'no password came along',
      );
      await copy.hub.accounts.createPartyAdmin(PARTY, `${PARTY}.restored`, 'a new long password');
      const token = await copy.login(`${PARTY}.restored`, 'a new long password');
      for (const url of VIEWS)
        assert.deepEqual(ok(await request(copy.app, token, 'GET', url)), seen.get(url), url);
      // A submission on PostgreSQL: its rows (versions, boxes, conflicts, alerts, feed) go back too.
      const sub = ok<{ conflicts: unknown[] }>(
        await request(copy.app, token, 'POST', '/api/v1/declarations', strike('pg-strike-1')),
        201,
      );
      assert.ok(sub.conflicts.length > 0, 'the strike conflicts with the demo');
      for (const url of VIEWS) seenOnPg.set(url, ok(await request(copy.app, token, 'GET', url)));
      pgHead = (await store.read((tx) => tx.ledger.head()))?.seq ?? 0;
    } finally {
      await copy.close(true);
    }
  });

  it('PostgreSQL → archive → SQLite: every table as it was, and the hub shows the same', async () => {
    const r = await runCli(['hub', 'export', '--database', pg.url, '--out', fromPostgres]);
    assert.equal(r.status, 0, r.err);
    const a = await openPostgresStore({ url: pg.url });
    const dir = join(work, 'back');
    const b = openSqliteStore({ dir });
    try {
      const report = await importHub(b, fromPostgres, new ManualClock(T0));
      assert.deepEqual([report.header.dialect, report.ledgerSeq, report.appended], ['postgres', pgHead, 1]);
      await assertImported(a, b);
    } finally {
      await a.close();
      await b.close();
    }
    const back = await startHub({ dir, demo: false });
    try {
      assert.equal(await verifyLedger(back.store), pgHead + 1, 'the ledger of PostgreSQL, and the new key');
      await back.hub.accounts.createPartyAdmin(PARTY, `${PARTY}.again`, 'another long password');
      const token = await back.login(`${PARTY}.again`, 'another long password');
      for (const url of VIEWS)
        assert.deepEqual(ok(await request(back.app, token, 'GET', url)), seenOnPg.get(url), url);
    } finally {
      await back.close(true);
    }
  });

  it('imports from the command line into a new PostgreSQL database', async () => {
    const fresh = await freshPgDatabase();
    databases.push(fresh);
    const r = await runCli(['hub', 'import', fromSqlite, '--database', fresh.url]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, new RegExp(`made .* on sqlite\\); the ledger verifies through entry ${sourceHead},`));
    const store = await openPostgresStore({ url: fresh.url });
    try {
      assert.ok((await verifyLedger(store)) > sourceHead);
    } finally {
      await store.close();
    }
  });

  it('refuses to import into a PostgreSQL database that is not empty', async () => {
    const r = await runCli(['hub', 'import', fromSqlite, '--database', pg.url]);
    assert.equal(r.status, 2);
    assert.match(r.err, /not empty/);
  });
});
