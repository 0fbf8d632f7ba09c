/**
 * Faults an operator can act on (issue #11, item 7; docs/security.md, "Faults"), met for real:
 *
 * - a full disk while serving: SQLite's `max_page_count` caps the database, which makes a write
 *   fail with SQLITE_FULL exactly as a full disk does. The write is answered 507 `storage_full`
 *   and logged at error level, `/healthz` says `degraded` until a write commits again, nothing
 *   answered 2xx is lost, the ledger verifies, and the hub carries on once space returns (a table
 *   of ballast dropped by another connection frees pages);
 * - start-up on a damaged database, a lock file that is a directory, `--data` that is a file, a
 *   directory the process may not write: the real executable prints one line naming the problem
 *   and what to do, exits 2, and changes nothing;
 * - the data directory's lock is an OS lock: a second `serve` is refused in one line naming the
 *   holder, a SIGKILLed hub's directory is taken at once, and a stale lock file naming some live
 *   pid blocks nothing;
 * - on a real full file system (a small tmpfs; it needs the right to mount, so it is skipped
 *   without): start-up refused in one line, then a running hub that fills it answers 507, says
 *   `degraded`, loses nothing, and recovers when space is freed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../src/hub/clock.ts';
import { loadDemo } from '../src/hub/demo.ts';
import { Hub } from '../src/hub/hub.ts';
import { verifyChain } from '../src/ledger/chain.ts';
import { buildApp } from '../src/server/app.ts';
import { storageFull } from '../src/store/errors.ts';
import { databaseFile, LOCK_FILE, openSqliteStore, PID_FILE } from '../src/store/sqlite.ts';
import { assertError, demoPassword, request, T0 } from './support/hub.ts';
import { BIN, exchange, killAll, login, type RunResult, run, type Served, serve } from './support/serve.ts';
import { DAY, HOUR, iso } from './support/time.ts';

/** Generous: these start real processes, on a machine other tests load too. */
const TIMEOUT = { timeout: 300_000 };
/** How long a `deconflict serve` may take to listen. */
const START_MS = 120_000;

const dirs: string[] = [];
function freshDir(prefix = 'deconflict-faults-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A strike no demo declaration is near: one submission, one version, no conflict. */
function strike(id: string, i: number) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [-60 + (i % 100) * 0.01, -40 + Math.floor(i / 100) * 0.01] },
    properties: {
      id,
      kind: 'strike',
      buffer_m: 10,
      start: iso(T0 + 2 * DAY),
      end: iso(T0 + 2 * DAY + HOUR),
      notes: 'x'.repeat(400),
    },
  };
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** What `deconflict COMMAND` printed is one line of its own, and no stack trace. */
function assertOneLine(r: RunResult, command = 'serve'): string {
  assert.equal(r.status, 2, `exit status: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /listening/);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.ok(lines[0]?.startsWith(`deconflict ${command}: `), r.stderr);
  assert.doesNotMatch(r.stderr, /\s+at \S+ \(|Error:|node:internal/, 'no stack trace');
  return lines[0] as string;
}

/** Run the real executable, as another user when given (root ignores permissions). */
function runAs(args: readonly string[], uid?: number): Promise<RunResult> {
  if (uid === undefined) return run(args, '', START_MS);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      uid,
      gid: uid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), START_MS);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

// --- A full disk while serving ---------------------------------------------------------------

type App = Awaited<ReturnType<typeof buildApp>>;

async function loginIn(app: App, username: string): Promise<string> {
  const r = await request(app, null, 'POST', '/api/v1/session', {
    username,
    password: demoPassword(username),
  });
  assert.equal(r.statusCode, 201, r.body);
  return (r.json() as { token: string }).token;
}

/** Pages of a database file, read by a connection of its own. */
function pageCount(dir: string): number {
  const db = new Database(databaseFile(dir), { readonly: true });
  try {
    return db.pragma('page_count', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('a full disk while the hub serves (SQLite max_page_count)', () => {
  it(
    'answers 507 storage_full, logs it, says degraded on /healthz, loses nothing, and recovers',
    TIMEOUT,
    async () => {
      const dir = freshDir();
      // A data directory with the demo, then ballast beside it: pages another connection can free.
      {
        const store = openSqliteStore({ dir });
        await loadDemo(await Hub.open(store, new ManualClock(T0)));
        await store.close();
        const db = new Database(databaseFile(dir));
        db.exec('CREATE TABLE ballast (b BLOB)');
        const put = db.prepare('INSERT INTO ballast VALUES (randomblob(3000))');
        for (let i = 0; i < 200; i++) put.run();
        db.close();
      }
      // The "disk" has room for a few more pages than the database holds.
      const store = openSqliteStore({ dir, maxPageCount: pageCount(dir) + 16 });
      const hub = await Hub.open(store, new ManualClock(T0));
      const lines: string[] = [];
      const log = new Writable({
        write(chunk, _enc, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      });
      const app = await buildApp({
        hub,
        rate: { perSecond: 10_000, burst: 10_000 },
        log: { level: 'info', stream: log },
      });
      const accepted: string[] = [];
      const refused: string[] = [];
      try {
        const operator = await loginIn(app, 'coalition.operator');
        const health = () => app.inject({ method: 'GET', url: '/healthz' });
        assert.deepEqual((await health()).json(), { status: 'ok' });

        // Fill it, until two writes in a row are refused (bounded: the free pages are few).
        let i = 0;
        while (refused.length < 2) {
          assert.ok(i < 2_000, `still not full after ${i} submissions`);
          const id = `fill-${i}`;
          const r = await request(app, operator, 'POST', '/api/v1/declarations', strike(id, i++));
          if (r.statusCode === 201) {
            assert.equal(refused.length, 0, 'once full, full until space returns');
            accepted.push(`coalition:${id}`);
          } else {
            const e = assertError(r, 507, 'storage_full', '');
            assert.match(e.message, /not applied/);
            refused.push(`coalition:${id}`);
          }
        }
        assert.ok(accepted.length > 0, 'some fitted before the disk was full');
        // Said on /healthz while full, and logged at error level.
        const degraded = await health();
        assert.equal(degraded.statusCode, 503);
        assert.deepEqual(degraded.json(), { status: 'degraded', storage: 'full' });
        assert.equal(storageFull(store), true);
        const errors = lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => Number(l.level) >= 50);
        assert.ok(
          errors.some((l) => l.status === 507) &&
            errors.some((l) => /storage is full/.test(JSON.stringify(l.err))),
          `an error-level line for each refused write: ${lines.slice(-4).join('\n')}`,
        );
        // Reads go on; nothing of a refused write was applied.
        for (const id of refused)
          assertError(await request(app, operator, 'GET', `/api/v1/declarations/${id}`), 404, 'not_found');

        // Space returns (another connection drops the ballast): the next write commits, /healthz is ok.
        const db = new Database(databaseFile(dir));
        db.pragma('busy_timeout = 5000');
        db.exec('DROP TABLE ballast');
        db.close();
        const again = await request(app, operator, 'POST', '/api/v1/declarations', strike('after-space', i));
        assert.equal(again.statusCode, 201, again.body);
        accepted.push('coalition:after-space');
        const healthy = await health();
        assert.equal(healthy.statusCode, 200);
        assert.deepEqual(healthy.json(), { status: 'ok' });
        assert.equal(storageFull(store), false);
      } finally {
        await app.close();
        await store.close();
      }

      // Read back from the directory: every acknowledged submission is there, no refused one is,
      // and the ledger verifies.
      const reopened = openSqliteStore({ dir });
      try {
        await reopened.read(async (tx) => {
          const ledger = await tx.ledger.range(1, Number.MAX_SAFE_INTEGER);
          assert.deepEqual(verifyChain(ledger), { ok: true, entries: ledger.length });
          const created = new Set(
            ledger.filter((e) => e.type === 'declaration.created').map((e) => e.subject),
          );
          for (const id of accepted) {
            assert.ok(created.has(id), `${id} in the ledger`);
            assert.equal((await tx.declarations.current(id))?.status, 'active', `${id} stored`);
          }
          for (const id of refused) {
            assert.ok(!created.has(id), `${id} not in the ledger`);
            assert.equal(await tx.declarations.current(id), null, `${id} not stored`);
          }
        });
      } finally {
        await reopened.close();
      }
    },
  );
});

// --- Start-up faults, as a real process ------------------------------------------------------

describe('start-up on a data directory the hub cannot use: one line, what to do, exit 2', () => {
  /** A hub's data directory (its schema, its key), made once and copied for each fault. */
  let made: string;
  before(async () => {
    made = freshDir();
    const store = openSqliteStore({ dir: made });
    await Hub.open(store, new ManualClock(T0));
    await store.close();
  });
  const copyOfHub = (): string => {
    const dir = join(freshDir(), 'data');
    cpSync(made, dir, { recursive: true });
    return dir;
  };

  it('refuses a database that is not one (garbage), and leaves it as it was', TIMEOUT, async () => {
    const dir = freshDir();
    writeFileSync(databaseFile(dir), Buffer.alloc(64 * 1024, 0x5a));
    const before = sha256(databaseFile(dir));
    const line = assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
    assert.ok(line.includes(`the database ${databaseFile(dir)} is damaged (file is not a database)`), line);
    assert.match(line, /Restore the data directory from a backup/);
    assert.equal(sha256(databaseFile(dir)), before);
    // migrate and admin create refuse it the same way.
    assertOneLine(await run(['migrate', '--data', dir], '', START_MS), 'migrate');
    assert.equal(sha256(databaseFile(dir)), before);
  });

  it('refuses a damaged database (cut short), and leaves it as it was', TIMEOUT, async () => {
    const dir = copyOfHub();
    truncateSync(databaseFile(dir), Math.floor(statSync(databaseFile(dir)).size / 2));
    const before = sha256(databaseFile(dir));
    const line = assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
    assert.ok(line.includes(`the database ${databaseFile(dir)} is damaged`), line);
    assert.equal(sha256(databaseFile(dir)), before);
    // And keeps refusing: bad data is never repaired into something else.
    assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
    assert.equal(sha256(databaseFile(dir)), before);
  });

  it('refuses a lock file that is a directory, naming it', TIMEOUT, async () => {
    for (const name of [LOCK_FILE, PID_FILE]) {
      const dir = copyOfHub();
      rmSync(join(dir, name), { force: true });
      mkdirSync(join(dir, name));
      const line = assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
      assert.ok(line.includes(`${join(dir, name)} is a directory`), line);
      assert.match(line, /move it out of the way/);
    }
    const dir = copyOfHub();
    rmSync(databaseFile(dir));
    mkdirSync(databaseFile(dir));
    const line = assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
    assert.ok(line.includes(`${databaseFile(dir)} is a directory`), line);
  });

  it('refuses --data that is a file, or a path through a file', TIMEOUT, async () => {
    const file = join(freshDir(), 'data');
    writeFileSync(file, 'not a directory\n');
    for (const data of [file, join(file, 'inside')]) {
      const line = assertOneLine(await run(['serve', '--data', data, '--port', '0'], '', START_MS));
      assert.ok(line.includes(`${data} is not a directory`), line);
    }
    assert.equal(readFileSync(file, 'utf8'), 'not a directory\n');
  });

  it('refuses a data directory it may not write, saying so', TIMEOUT, async () => {
    const parent = freshDir();
    chmodSync(parent, 0o755);
    const dir = join(parent, 'data');
    mkdirSync(dir, { mode: 0o555 });
    chmodSync(dir, 0o555);
    // Root writes anywhere: run as nobody then (as another user, the mode is enough).
    const uid = process.getuid?.() === 0 ? 65534 : undefined;
    for (const data of [dir, join(dir, 'sub')]) {
      const line = assertOneLine(await runAs(['serve', '--data', data, '--port', '0'], uid));
      assert.ok(line.includes(`cannot write in the data directory ${data} (permission denied)`), line);
    }
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });
});

// --- The lock --------------------------------------------------------------------------------

describe('the data directory lock is an OS lock, not a pid', () => {
  it(
    'refuses a second hub in one line naming the holder; a SIGKILLed hub’s directory is free at once',
    TIMEOUT,
    async () => {
      const dir = freshDir();
      let first: Served | undefined = await serve(['--data', dir], START_MS);
      try {
        const line = assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
        assert.ok(
          line.includes(
            `the data directory ${dir} is in use by another deconflict process (pid ${first.pid})`,
          ),
          line,
        );
        assert.equal(readFileSync(join(dir, PID_FILE), 'utf8'), `${first.pid}\n`);

        // SIGKILL: no clean-up ran, its pid file is left behind, and yet the next hub starts at once.
        assert.equal((await first.kill()).signal, 'SIGKILL');
        assert.equal(readFileSync(join(dir, PID_FILE), 'utf8'), `${first.pid}\n`);
        first = await serve(['--data', dir], START_MS);
        const again = assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
        assert.ok(again.includes(`(pid ${first.pid})`), again);
        assert.deepEqual(await first.stop(), { code: 0, signal: null });
        first = undefined;
        assert.equal(existsSync(join(dir, PID_FILE)), false, 'a clean stop removes the pid file');
        assert.equal(statSync(join(dir, LOCK_FILE)).size, 0, 'the lock file stays, empty');
      } finally {
        await first?.kill();
      }
    },
  );

  it('is not blocked by a stale lock file naming a live, unrelated pid', TIMEOUT, async () => {
    const dir = freshDir();
    // This test's own process is alive and is no hub; a lock file with garbage in it holds nothing.
    writeFileSync(join(dir, PID_FILE), `${process.pid}\n`);
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
    const hub = await serve(['--data', dir], START_MS);
    try {
      assert.equal(readFileSync(join(dir, PID_FILE), 'utf8'), `${hub.pid}\n`);
      assert.equal(statSync(join(dir, LOCK_FILE)).size, 0);
    } finally {
      assert.deepEqual(await hub.stop(), { code: 0, signal: null });
    }
  });

  it('refuses a second store in the same process, and the lock dies with its process', TIMEOUT, async () => {
    const dir = freshDir();
    const store = openSqliteStore({ dir });
    try {
      assert.throws(
        () => openSqliteStore({ dir }),
        /is in use by another deconflict process \(pid \d+, this process\)/,
      );
      // Another process is refused as long as this one holds it...
      const line = assertOneLine(await run(['migrate', '--data', dir], '', START_MS), 'migrate');
      assert.ok(line.includes(`(pid ${process.pid})`), line);
    } finally {
      await store.close();
    }
    // ...and takes it as soon as it is released.
    const r = await run(['migrate', '--data', dir], '', START_MS);
    assert.equal(r.status, 0, r.stderr);
  });
});

// --- A real full file system (tmpfs) ---------------------------------------------------------

/** Mount a tmpfs of `size` on `dir`; false when this process may not mount. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fill the file system holding `dir` with one file, until it is full; returns that file. */
function fill(dir: string): string {
  const path = join(dir, 'ballast');
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try {
        writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
    // The last pages a smaller write still fits in.
    for (const size of [4096, 512, 1]) {
      try {
        for (;;) writeSync(fd, chunk.subarray(0, size));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('a real full file system (a small tmpfs; needs the right to mount)', () => {
  const mounts: string[] = [];
  const mounted = (size: string): string | null => {
    const dir = freshDir('deconflict-tmpfs-');
    if (!mountTmpfs(dir, size)) return null;
    mounts.push(dir);
    return dir;
  };
  after(async () => {
    await killAll();
    for (const m of mounts) execFileSync('umount', [m]);
  });

  it('refuses to start on a full disk in one line, and starts once space is freed', TIMEOUT, async (t) => {
    const disk = mounted('1m');
    if (disk === null) return t.skip('cannot mount a tmpfs here (needs root)');
    const ballast = fill(disk);
    const dir = join(disk, 'data');
    const line = assertOneLine(await run(['serve', '--data', dir, '--port', '0'], '', START_MS));
    assert.ok(line.includes(`the disk holding the data directory ${dir} is full`), line);
    rmSync(ballast);
    const hub = await serve(['--data', dir], START_MS);
    assert.deepEqual(await hub.stop(), { code: 0, signal: null });
  });

  it('answers 507 while the disk is full, says degraded, loses nothing, and recovers', TIMEOUT, async (t) => {
    const disk = mounted('32m');
    if (disk === null) return t.skip('cannot mount a tmpfs here (needs root)');
    const dir = join(disk, 'data');
    const hub = await serve(['--data', dir, '--demo'], START_MS);
    const accepted: string[] = [];
    const refused: string[] = [];
    try {
      const token = await login(hub.url, 'coalition.operator', demoPassword('coalition.operator'));
      const ballast = fill(disk);
      for (let i = 0; refused.length < 2; i++) {
        assert.ok(i < 5_000, `still not full after ${i} submissions`);
        const r = await exchange<{ errors?: { code: string }[] }>(
          hub.url,
          token,
          'POST',
          '/api/v1/declarations',
          strike(`disk-${i}`, i),
        );
        if (r.status === 201) accepted.push(`coalition:disk-${i}`);
        else {
          assert.equal(r.status, 507, r.text);
          assert.equal(r.body.errors?.[0]?.code, 'storage_full');
          refused.push(`coalition:disk-${i}`);
        }
      }
      const degraded = await exchange(hub.url, null, 'GET', '/healthz');
      assert.deepEqual(
        { status: degraded.status, body: degraded.body },
        { status: 503, body: { status: 'degraded', storage: 'full' } },
      );
      assert.match(hub.stdout(), /"level":50.*storage is full/);

      rmSync(ballast);
      const r = await exchange(hub.url, token, 'POST', '/api/v1/declarations', strike('disk-after', 0));
      assert.equal(r.status, 201, r.text);
      accepted.push('coalition:disk-after');
      const healthy = await exchange(hub.url, null, 'GET', '/healthz');
      assert.deepEqual(
        { status: healthy.status, body: healthy.body },
        { status: 200, body: { status: 'ok' } },
      );
    } finally {
      assert.deepEqual(await hub.stop(), { code: 0, signal: null });
    }
    const store = openSqliteStore({ dir });
    try {
      await store.read(async (tx) => {
        const ledger = await tx.ledger.range(1, Number.MAX_SAFE_INTEGER);
        assert.deepEqual(verifyChain(ledger), { ok: true, entries: ledger.length });
        for (const id of accepted) assert.equal((await tx.declarations.current(id))?.status, 'active', id);
        for (const id of refused) assert.equal(await tx.declarations.current(id), null, id);
      });
    } finally {
      await store.close();
    }
  });
});
