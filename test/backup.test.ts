/**
 * Online backup of the embedded store: `deconflict backup` copies the data directory while a real
 * `deconflict serve` keeps taking submissions on it, `deconflict restore` puts the copy in a new
 * directory, and a hub started there has every declaration answered 201 before the backup
 * began, over a ledger that verifies. A directory that already holds a database is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from './support/cli.ts';
import { demoPassword } from './support/hub.ts';
import { exchange, killAll, login, serve } from './support/serve.ts';

const HOUR = 3_600_000;

/** What a submission answers: the declarations it stored, by their ids at the hub. */
type Submitted = { declarations: { id: string; version: number }[] };

/** A strike on the Mureș west of Arad, an hour long, two days from now (the hub's clock is real). */
function strike(id: string, i: number) {
  const start = Math.floor(Date.now() / HOUR) * HOUR + 48 * HOUR;
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [21.2 + (i % 50) * 0.002, 46.17 + Math.floor(i / 50) * 0.002] },
    properties: {
      id,
      kind: 'strike',
      buffer_m: 10,
      start: new Date(start).toISOString(),
      end: new Date(start + HOUR).toISOString(),
    },
  };
}

describe('online backup and restore of the embedded store', () => {
  const work = mkdtempSync(join(tmpdir(), 'deconflict-backup-'));
  after(async () => {
    await killAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up while the hub takes submissions; the restored hub has every one answered before', async () => {
    const data = join(work, 'data');
    const hub = await serve(['--data', data, '--demo']);
    const user = 'coalition.operator';
    const token = await login(hub.url, user, demoPassword(user));
    // The ids the hub answered with (a party's local id qualified with the party).
    const before: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await exchange<Submitted>(
        hub.url,
        token,
        'POST',
        '/api/v1/declarations',
        strike(`bk-before-${i}`, i),
      );
      assert.equal(r.status, 201, r.text);
      before.push(...r.body.declarations.map((d) => d.id));
    }
    assert.equal(new Set(before).size, 20);
    // Submissions keep coming while the backup runs.
    let writing = true;
    const during = (async () => {
      for (let i = 0; writing; i++)
        await exchange(hub.url, token, 'POST', '/api/v1/declarations', strike(`bk-during-${i}`, 100 + i));
    })();
    const copy = join(work, 'hub.backup.db');
    const b = await runCli(['backup', '--data', data, '--out', copy]);
    writing = false;
    await during;
    assert.equal(b.status, 0, b.err);
    await hub.stop();

    const restored = join(work, 'restored');
    const r = await runCli(['restore', '--from', copy, '--data', restored]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /the ledger verifies/);
    assert.equal((await runCli(['verify', '--data', restored])).status, 0);

    const again = await serve(['--data', restored]);
    const t = await login(again.url, user, demoPassword(user));
    for (const id of before) {
      const d = await exchange<{ id: string }>(
        again.url,
        t,
        'GET',
        `/api/v1/declarations/${encodeURIComponent(id)}`,
      );
      assert.equal(d.status, 200, `${id}: ${d.text}`);
      assert.equal(d.body.id, id);
    }
    await again.stop();
  });

  it('refuses to restore into a directory that holds a database, and to overwrite a backup', async () => {
    const dir = join(work, 'restored');
    const r = await runCli(['restore', '--from', join(work, 'hub.backup.db'), '--data', dir]);
    assert.equal(r.status, 2);
    assert.match(r.err, /already holds a database/);
    const b = await runCli(['backup', '--data', dir, '--out', join(work, 'hub.backup.db')]);
    assert.equal(b.status, 2);
    assert.match(b.err, /exists/);
  });

  it('refuses to restore a file that is not a backup', async () => {
    const junk = join(work, 'junk.db');
    writeFileSync(junk, 'not a database at all, just text that looks like nothing');
    const r = await runCli(['restore', '--from', junk, '--data', join(work, 'never')]);
    assert.equal(r.status, 2);
    assert.match(r.err, /not a deconflict backup/);
  });
});
