/**
 * `deconflict migrate` as an operator runs it: the real executable in child processes, on copies
 * of the version 1 fixture (test/fixtures/data-v1) in temporary directories. Also `serve` on such
 * a copy (it upgrades on start and says so) and the arguments `serve` refuses.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../src/store/migrate.ts';
import { databaseFile } from '../src/store/sqlite.ts';
import { killAll, run, serve } from './support/serve.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/data-v1/deconflict.db', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

const dirs: string[] = [];
after(async () => {
  await killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-cli-migrate-'));
  dirs.push(dir);
  return dir;
}

function v1Copy(): string {
  const dir = freshDir();
  copyFileSync(FIXTURE, databaseFile(dir));
  return dir;
}

describe('deconflict migrate', () => {
  it('is listed by help', TIMEOUT, async () => {
    const r = await run(['help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /deconflict migrate \[--data DIR \| --database URL\]/);
  });

  it(
    'upgrades a version 1 directory and prints from → to; a second run applies nothing',
    TIMEOUT,
    async () => {
      const dir = v1Copy();
      const first = await run(['migrate', '--data', dir]);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(
        first.stdout,
        `${dir}: schema version 1 → ${SCHEMA_VERSION}, applied 0002_declaration_filters, 0003_probing, 0004_devices, 0005_transparency, 0006_agreements, 0007_sealed, 0008_token_rates, 0009_shared_feed.\n`,
      );
      assert.equal(first.stderr, '');
      const second = await run(['migrate', '--data', dir]);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(
        second.stdout,
        `${dir}: schema version ${SCHEMA_VERSION} → ${SCHEMA_VERSION}, already the latest: nothing to apply.\n`,
      );
      // The lock is released: nothing but the database and the (empty, unheld) OS lock file.
      assert.deepEqual(readdirSync(dir).sort(), ['deconflict.db', 'hub.lock']);
    },
  );

  it('refuses a directory written by a newer release (exit 2), naming both versions', TIMEOUT, async () => {
    const dir = v1Copy();
    assert.equal((await run(['migrate', '--data', dir])).status, 0);
    const db = new Database(databaseFile(dir));
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 1,
      '0003_from_the_future',
      Date.now(),
    );
    db.close();
    const r = await run(['migrate', '--data', dir]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      new RegExp(
        `^deconflict migrate: the data directory .* is at schema version ${SCHEMA_VERSION + 1}, but this deconflict knows versions up to ${SCHEMA_VERSION} only`,
      ),
    );
    const s = await run(['serve', '--data', dir, '--port', '0']);
    assert.equal(s.status, 2);
    assert.match(s.stderr, /^deconflict serve: the data directory .* newer release/);
  });

  it('refuses a directory without a database, and bad arguments (exit 2)', TIMEOUT, async () => {
    const dir = freshDir();
    const r = await run(['migrate', '--data', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /holds no deconflict data .*nothing to migrate/);
    assert.deepEqual(readdirSync(dir), []);
    const bad = await run(['migrate', '--dat', dir]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^deconflict migrate: Unknown option '--dat'/);
  });
});

describe('deconflict serve on a version 1 directory', () => {
  it('upgrades it on start and says so', TIMEOUT, async () => {
    const dir = v1Copy();
    const hub = await serve(['--data', dir, '--log-level', 'silent']);
    try {
      assert.match(
        hub.stdout(),
        new RegExp(`Upgraded the data directory from schema version 1 to ${SCHEMA_VERSION}\\.`),
      );
      assert.match(hub.stdout(), /deconflict hub listening on/);
    } finally {
      await hub.stop();
    }
  });

  it('refuses an unknown --log-level (exit 2)', TIMEOUT, async () => {
    const r = await run(['serve', '--data', freshDir(), '--log-level', 'loud']);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
    );
  });
});
