/**
 * `deconflict verify --database URL`: the record of a PostgreSQL hub checked from the database
 * alone, without trusting the hub — read in one read-only snapshot, never migrated, while an
 * instance may go on writing. The fixture is the ledger `cli.verify.test.ts` checks in a data
 * directory (entries, a member's key, a signed statement, two checkpoints, a cosignature), written
 * here by the PostgreSQL store; then a copy tampered with as a forger with the database's
 * credentials would (the append-only trigger dropped), an export read back by --file, and the
 * refusals: an unreachable server (its password never printed) and a database with no ledger.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MerkleLog } from '../src/ledger/merkle.ts';
import { toBase64 } from '../src/ledger/note.ts';
import type { VerifyResult } from '../src/ledger/verify.ts';
import { openPostgresStore } from '../src/store/postgres.ts';
import { runCli } from './support/cli.ts';
import { makeLedgerFixture, T0 } from './support/ledger-fixture.ts';
import { freshPgDatabase, type PgDatabase, pgSkip, withClient } from './support/postgres.ts';

const skip = await pgSkip();

async function verifyJson(args: string[]): Promise<{ status: number; result: VerifyResult }> {
  const r = await runCli(['verify', ...args, '--format', 'json']);
  return { status: r.status, result: JSON.parse(r.out) as VerifyResult };
}

describe('deconflict verify --database', { skip }, () => {
  const work = mkdtempSync(join(tmpdir(), 'deconflict-verify-pg-'));
  const databases: PgDatabase[] = [];
  let fixture: PgDatabase;
  let origin: string;
  before(async () => {
    if (skip) return;
    fixture = await freshPgDatabase();
    databases.push(fixture);
    ({ origin } = await makeLedgerFixture(await openPostgresStore({ url: fixture.url })));
  });
  after(async () => {
    for (const d of databases) await d.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('says the record holds, with the root of the tree recomputed from the database', async () => {
    const leaves = await withClient(fixture.url, async (c) =>
      (await c.query<{ leaf: string }>('SELECT leaf FROM ledger ORDER BY seq')).rows.map((r) =>
        Buffer.from(r.leaf, 'hex'),
      ),
    );
    assert.equal(leaves.length, 14);
    const root = toBase64(MerkleLog.fromLeaves(leaves).root());
    const text = await runCli(['verify', '--database', fixture.url]);
    assert.equal(text.status, 0, text.out + text.err);
    assert.equal(
      text.out,
      `record holds: 14 entries, tree size 14, root ${root}, checkpoints 2 (1 cosignature), 2 signed statements\n`,
    );
    const j = await verifyJson(['--database', fixture.url]);
    assert.equal(j.status, 0);
    assert.equal(j.result.origin, origin);
    assert.deepEqual(j.result.findings, []);
  });

  it('writes an export that --file verifies to the same root, and changes nothing in the database', async () => {
    const count = () =>
      withClient(fixture.url, async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              'SELECT (SELECT count(*) FROM ledger) + (SELECT count(*) FROM checkpoints) + (SELECT count(*) FROM schema_migrations) AS n',
            )
          ).rows[0]?.n,
        ),
      );
    const before = await count();
    const file = join(work, 'ledger.jsonl');
    const exported = await verifyJson(['--database', fixture.url, '--export', file]);
    assert.equal(exported.status, 0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    // The header, 14 entries, 2 checkpoints, 1 cosignature, 1 member key.
    assert.equal(lines.length, 1 + 14 + 2 + 1 + 1);
    const back = await verifyJson(['--file', file]);
    assert.equal(back.status, 0);
    assert.equal(back.result.root, exported.result.root);
    assert.equal(back.result.origin, origin);
    assert.equal(await count(), before);
  });

  it('verifies one state of the record while an instance goes on appending', async () => {
    const store = await openPostgresStore({ url: fixture.url });
    let stop = false;
    let appended = 0;
    const writer = (async () => {
      while (!stop) {
        await store.transact((tx) =>
          tx.ledger.append({
            at: T0 + appended,
            actor: 'alpha.operator',
            party: 'alpha',
            type: 'declaration.submitted',
            subject: `alpha/live-${appended}`,
            payload: { id: `alpha/live-${appended}` },
          }),
        );
        appended++;
      }
    })();
    try {
      for (let i = 0; i < 3; i++) {
        const j = await verifyJson(['--database', fixture.url]);
        assert.equal(j.status, 0, JSON.stringify(j.result.findings.slice(0, 3)));
        assert.ok(j.result.entries >= 14 + i, `${j.result.entries} entries`);
      }
    } finally {
      stop = true;
      await writer;
      await store.close();
    }
    assert.ok(appended > 0, 'the instance appended while verify read');
    const j = await verifyJson(['--database', fixture.url]);
    assert.equal(j.result.entries, 14 + appended);
  });

  it('names a payload changed in the database by someone with its credentials', async () => {
    const copy = await freshPgDatabase(undefined, fixture.name);
    databases.push(copy);
    await withClient(copy.url, async (c) => {
      await c.query('DROP TRIGGER ledger_append_only_update ON ledger');
      await c.query('UPDATE ledger SET payload = $1 WHERE seq = 5', [
        JSON.stringify({ id: 'alpha/d5', kind: 'other' }),
      ]);
    });
    const r = await runCli(['verify', '--database', copy.url]);
    assert.equal(r.status, 1);
    assert.match(
      r.out,
      /^entry 5: hash does not match content \(\d+ findings in all; --format json lists them\)\n$/,
    );
    const j = await verifyJson(['--database', copy.url]);
    assert.ok(j.result.findings.some((f) => f.code === 'checkpoint_root' && f.size === 9));
  });

  it('refuses a server it cannot reach without printing the password, and a database with no ledger', async () => {
    const unreachable = 'postgres://deconflict:s3cret-pw@127.0.0.1:1/deconflict';
    const r = await runCli(['verify', '--database', unreachable]);
    assert.equal(r.status, 2);
    assert.match(
      r.err,
      /cannot reach the database at postgres:\/\/deconflict@127\.0\.0\.1:1\/deconflict \(password hidden\)/,
    );
    assert.doesNotMatch(r.out + r.err, /s3cret-pw/);
    const empty = await freshPgDatabase();
    databases.push(empty);
    const e = await runCli(['verify', '--database', empty.url]);
    assert.equal(e.status, 2);
    assert.match(e.err, /has no ledger: not a deconflict database/);
    const bad = await runCli(['verify', '--database', 'mysql://x@y/z']);
    assert.equal(bad.status, 2);
    assert.match(bad.err, /must be a postgres:\/\/ URL/);
    const both = await runCli(['verify', '--database', fixture.url, '--data', work]);
    assert.equal(both.status, 2);
    assert.match(both.err, /give one of --data DIR, --database URL/);
  });
});
