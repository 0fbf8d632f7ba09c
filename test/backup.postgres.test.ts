/**
 * Backup and restore of a PostgreSQL hub with PostgreSQL's own tools, as docs/operations.md gives
 * them: `pg_dump -Fc` of a hub database that holds the demo and a submission, `pg_restore` into a
 * new database, and the store opened there finds its schema current (nothing to migrate), the same
 * ledger head over a chain that verifies, and a party sees what it saw before. Unlike a whole-hub
 * archive, a dump is the database itself: passwords and keys come along, so members log in as
 * before.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_PARTIES } from '../src/hub/demo.ts';
import { verifyLedger } from '../src/hub/hub-archive.ts';
import { openPostgresStore } from '../src/store/postgres.ts';
import { ok, request, startHub, T0 } from './support/hub.ts';
import { freshPgDatabase, type PgDatabase, pgSkip } from './support/postgres.ts';

const PARTY = (DEMO_PARTIES[0] as { id: string }).id;
const VIEWS = ['/api/v1/declarations', '/api/v1/conflicts', '/api/v1/alerts'] as const;
const HOUR = 3_600_000;

/** A strike on the Mureș west of Arad, an hour long, a day and a half after T0. */
const strike = {
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [21.21, 46.172] },
  properties: {
    id: 'dump-strike-1',
    kind: 'strike',
    buffer_m: 50,
    start: new Date(T0 + 36 * HOUR).toISOString(),
    end: new Date(T0 + 37 * HOUR).toISOString(),
  },
};

const skip = await pgSkip();

describe('pg_dump and pg_restore of a PostgreSQL hub', { skip }, () => {
  const work = mkdtempSync(join(tmpdir(), 'deconflict-pg-dump-'));
  const databases: PgDatabase[] = [];
  after(async () => {
    for (const d of databases) await d.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('restores into a new database: same schema, same ledger head, and a party sees the same', async () => {
    const source = await freshPgDatabase();
    databases.push(source);
    const hub = await startHub({
      dir: join(work, 'source'),
      store: await openPostgresStore({ url: source.url }),
    });
    const seen = new Map<string, unknown>();
    let head: number;
    try {
      const token = await hub.login(`${PARTY}.operator`);
      const sub = ok<{ conflicts: unknown[] }>(
        await request(hub.app, token, 'POST', '/api/v1/declarations', strike),
        201,
      );
      assert.ok(sub.conflicts.length > 0, 'the strike conflicts with the demo');
      for (const url of VIEWS) seen.set(url, ok(await request(hub.app, token, 'GET', url)));
      head = (await hub.store.read((tx) => tx.ledger.head()))?.seq ?? 0;
      assert.ok(head > 0);
    } finally {
      await hub.close(true);
    }

    // The commands of docs/operations.md, on the same server and credentials.
    const dump = join(work, 'hub.dump');
    execFileSync('pg_dump', ['--format=custom', '--file', dump, '--dbname', source.url]);
    const target = await freshPgDatabase();
    databases.push(target);
    execFileSync('pg_restore', ['--exit-on-error', '--no-owner', '--dbname', target.url, dump]);

    const store = await openPostgresStore({ url: target.url });
    assert.deepEqual(store.migration.applied, [], 'the restored schema is current');
    assert.equal(await verifyLedger(store), head);
    const again = await startHub({ dir: join(work, 'restored'), store, demo: false });
    try {
      const token = await again.login(`${PARTY}.operator`);
      for (const url of VIEWS)
        assert.deepEqual(ok(await request(again.app, token, 'GET', url)), seen.get(url), url);
    } finally {
      await again.close(true);
    }
  });
});
