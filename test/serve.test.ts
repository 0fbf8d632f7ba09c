/**
 * `deconflict serve` and `deconflict admin create` as a user meets them: the real executable in
 * child processes on temporary data directories, the API through `fetch` as the README's curl
 * examples use it, stopped with SIGTERM.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SERVE_OPTIONS } from '../src/cli/serve.ts';
import { DEMO_HUB_ADMIN, DEMO_PARTIES, demoAccounts } from '../src/hub/demo.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import {
  activeDeclarations,
  api,
  healthz,
  killAll,
  login,
  run,
  type Served,
  serve,
  start,
} from './support/serve.ts';
import { DAY, HOUR, iso } from './support/time.ts';

/** Generous: each test starts real processes, on a machine other tests load too. */
const TIMEOUT = { timeout: 240_000 };
/** How long a `deconflict serve` may take to listen. */
const START_MS = 120_000;

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-serve-'));
  dirs.push(dir);
  return dir;
}

after(async () => {
  await killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function passwordOf(username: string): string {
  const party = username.slice(0, username.lastIndexOf('.'));
  const a = demoAccounts(party).find((x) => x.username === username);
  if (!a) throw new Error(`no demo account ${username}`);
  return a.password;
}

/** The coalition is party to 6 of the demo's 8 designed conflicts (see hub.smoke.test.ts). */
const COALITION_RULES = ['air_air', 'incursion', 'incursion', 'restricted', 'strike_air', 'strike_protected'];

describe('deconflict serve --demo', () => {
  const dir = freshDir();
  let hub: Served;
  before(async () => {
    hub = await serve(['--data', dir, '--demo'], START_MS);
  });
  after(async () => {
    await hub.stop();
  });

  it('loads the demo into an empty data directory and says where it listens', TIMEOUT, async () => {
    assert.match(hub.stdout(), /Loaded the demo scenario \(24 active declarations\)/);
    assert.match(
      hub.stdout(),
      new RegExp(
        `deconflict hub listening on http://127\\.0\\.0\\.1:\\d+ \\(data: ${dir}, 24 active declarations`,
      ),
    );
    assert.doesNotMatch(hub.stdout(), /No hub administrator yet/);
    assert.equal(hub.stderr(), '');
    assert.deepEqual(await healthz(hub.url), { status: 'ok' });
    assert.equal(await activeDeclarations(hub.url), 24);
  });

  it('answers the README’s curl flow', TIMEOUT, async () => {
    // Log in; the conflicts my party is involved in.
    const coa = await login(hub.url, 'coalition.operator', passwordOf('coalition.operator'));
    const conflicts = await api(hub.url, coa, 'GET', '/api/v1/conflicts');
    assert.equal(conflicts.status, 200);
    const list = conflicts.body.conflicts as {
      rule: string;
      status: string;
      a: { party: string };
      b: { party: string };
    }[];
    assert.deepEqual(list.map((c) => c.rule).sort(), COALITION_RULES);
    for (const c of list) {
      assert.ok(c.a.party === 'coalition' || c.b.party === 'coalition');
      assert.equal(c.status, 'open');
    }
    assert.equal((await api(hub.url, null, 'GET', '/api/v1/conflicts')).status, 401);

    // Submit a strike on the story's first day: answered with its conflict, in the same response.
    const nf = await login(hub.url, 'northern-forces.operator', passwordOf('northern-forces.operator'));
    const day = Math.floor(Date.now() / DAY) * DAY + DAY;
    const strike = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.304, 46.1545] },
      properties: {
        id: 'nf-strike-1',
        kind: 'strike',
        buffer_m: 400,
        start: iso(day + 10 * HOUR),
        end: iso(day + 11 * HOUR),
      },
    };
    const dry = await api(
      hub.url,
      nf,
      'POST',
      '/api/v1/declarations?dry_run=true',
      strike,
      'application/geo+json',
    );
    assert.equal(dry.status, 200);
    assert.equal(dry.body.dry_run, true);
    const submitted = await api(hub.url, nf, 'POST', '/api/v1/declarations', strike, 'application/geo+json');
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    // Ids are per party: the local id comes back with the party's prefix.
    assert.deepEqual(submitted.body.declarations, [{ id: 'northern-forces:nf-strike-1', version: 1 }]);
    assert.ok(submitted.body.conflicts.some((c: { rule: string }) => c.rule === 'strike_protected'));
    assert.equal(await activeDeclarations(hub.url), 25);

    // Read, list, withdraw.
    const read = await api(hub.url, nf, 'GET', '/api/v1/declarations/northern-forces:nf-strike-1');
    assert.equal(read.status, 200);
    assert.equal(read.body.properties.party, 'northern-forces');
    const sites = await api(
      hub.url,
      nf,
      'GET',
      '/api/v1/declarations?bbox=21.2,46.1,21.4,46.25&kind=protected_site',
    );
    assert.equal(sites.status, 200);
    assert.ok(sites.body.features.length > 0);
    for (const f of sites.body.features) assert.equal(f.properties.kind, 'protected_site');
    const withdrawn = await api(
      hub.url,
      nf,
      'POST',
      '/api/v1/declarations/northern-forces:nf-strike-1/withdraw',
      {
        reason: 'target moved',
      },
    );
    assert.deepEqual(withdrawn, {
      status: 200,
      body: { id: 'northern-forces:nf-strike-1', version: 1, status: 'withdrawn' },
    });
    assert.equal(await activeDeclarations(hub.url), 24);
  });

  it('refuses a second hub on the same data directory, naming it', TIMEOUT, async () => {
    const r = await run(['serve', '--data', dir, '--port', '0']);
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.includes(`the data directory ${dir} is in use`), r.stderr);
    assert.ok(r.stderr.includes(`pid ${hub.pid}`), r.stderr);
    assert.doesNotMatch(r.stdout, /listening/);
    // The first hub is unharmed.
    assert.deepEqual(await healthz(hub.url), { status: 'ok' });
    assert.equal(await activeDeclarations(hub.url), 24);
  });

  it('restarts on its data without loading the demo twice', TIMEOUT, async () => {
    assert.deepEqual(await hub.stop(), { code: 0, signal: null });
    assert.equal(existsSync(join(dir, 'deconflict.lock')), false);
    hub = await serve(['--data', dir, '--demo'], START_MS);
    assert.doesNotMatch(hub.stdout(), /Loaded the demo/);
    assert.deepEqual(await healthz(hub.url), { status: 'ok' });
    assert.equal(await activeDeclarations(hub.url), 24);
    const root = await login(hub.url, DEMO_HUB_ADMIN.username, DEMO_HUB_ADMIN.password);
    const parties = await api(hub.url, root, 'GET', '/api/v1/parties');
    assert.equal(parties.status, 200);
    assert.deepEqual(
      (parties.body.parties as { id: string }[]).map((p) => p.id).sort(),
      DEMO_PARTIES.map((p) => p.id).sort(),
    );
    const coa = await login(hub.url, 'coalition.operator', passwordOf('coalition.operator'));
    const conflicts = await api(hub.url, coa, 'GET', '/api/v1/conflicts?status=open');
    assert.deepEqual(
      (conflicts.body.conflicts as { rule: string }[]).map((c) => c.rule).sort(),
      COALITION_RULES,
    );
  });
});

describe('deconflict serve on an empty data directory, without --demo', () => {
  it('explains how to create the first hub administrator, and creates no party', TIMEOUT, async () => {
    const dir = freshDir();
    const hub = await serve(['--data', dir], START_MS);
    try {
      assert.match(hub.stdout(), /No hub administrator yet/);
      assert.ok(
        hub.stdout().includes(`deconflict admin create --data ${dir} --username <name>`),
        hub.stdout(),
      );
      assert.deepEqual(await healthz(hub.url), { status: 'ok' });
      const r = await api(hub.url, null, 'POST', '/api/v1/session', {
        username: DEMO_HUB_ADMIN.username,
        password: DEMO_HUB_ADMIN.password,
      });
      assert.equal(r.status, 401);
    } finally {
      assert.deepEqual(await hub.stop(), { code: 0, signal: null });
    }
    const store = openSqliteStore({ dir });
    try {
      await store.read(async (tx) => {
        assert.deepEqual(await tx.parties.list(), []);
        assert.equal(await tx.members.countHubAdmins(), 0);
      });
    } finally {
      await store.close();
    }
  });
});

describe('deconflict admin create', () => {
  it('creates a hub administrator from the password on standard input', TIMEOUT, async () => {
    const dir = freshDir();
    const password = 'correct horse battery staple';
    const created = await run(['admin', 'create', '--data', dir, '--username', 'root'], `${password}\n`);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /Created hub administrator "root"/);
    assert.ok(!created.stdout.includes(password) && !created.stderr.includes(password));

    const weak = await run(['admin', 'create', '--data', dir, '--username', 'weakling'], 'short\n');
    assert.equal(weak.status, 2);
    assert.match(weak.stderr, /weak_password/);
    const again = await run(['admin', 'create', '--data', dir, '--username', 'root'], `${password}\n`);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /id_exists/);
    const nameless = await run(['admin', 'create', '--data', dir], `${password}\n`);
    assert.equal(nameless.status, 2);
    assert.match(nameless.stderr, /--username is required/);

    const hub = await serve(['--data', dir], START_MS);
    try {
      assert.doesNotMatch(hub.stdout(), /No hub administrator yet/);
      const token = await login(hub.url, 'root', password);
      const me = await api(hub.url, null, 'POST', '/api/v1/session', { username: 'root', password });
      assert.deepEqual(me.body.member, { username: 'root', party: null, roles: ['hub_admin'] });
      const weakLogin = await api(hub.url, null, 'POST', '/api/v1/session', {
        username: 'weakling',
        password: 'short',
      });
      assert.equal(weakLogin.status, 401);
      // The first hub administrator creates the first party.
      const party = await api(hub.url, token, 'POST', '/api/v1/parties', {
        id: 'alpha',
        name: 'Alpha Force',
        admin: { username: 'alpha.admin', password: 'another long passphrase' },
      });
      assert.equal(party.status, 201, JSON.stringify(party.body));
      assert.ok(await login(hub.url, 'alpha.admin', 'another long passphrase'));
      // The data directory is the hub's while it runs.
      const busy = await run(['admin', 'create', '--data', dir, '--username', 'root2'], `${password}\n`);
      assert.equal(busy.status, 2);
      assert.ok(busy.stderr.includes(`the data directory ${dir} is in use`), busy.stderr);
    } finally {
      assert.deepEqual(await hub.stop(), { code: 0, signal: null });
    }
  });
});

describe('deconflict serve, stopping and failing to start', () => {
  it('stops cleanly on SIGTERM while loading the demo; the next start has all of it', TIMEOUT, async () => {
    const dir = freshDir();
    const starting = start(['serve', '--data', dir, '--port', '0', '--demo']);
    // The store is open (the database file exists): the demo is being loaded.
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(dir, 'deconflict.db'))) {
      assert.ok(Date.now() < deadline, `no database after 30 s: ${starting.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    starting.child.kill('SIGTERM');
    assert.deepEqual(await starting.exited, { code: 0, signal: null }, starting.stderr());
    assert.equal(existsSync(join(dir, 'deconflict.lock')), false);

    const hub = await serve(['--data', dir, '--demo'], START_MS);
    try {
      assert.deepEqual(await healthz(hub.url), { status: 'ok' });
      assert.equal(await activeDeclarations(hub.url), 24);
      const root = await login(hub.url, DEMO_HUB_ADMIN.username, DEMO_HUB_ADMIN.password);
      const parties = await api(hub.url, root, 'GET', '/api/v1/parties');
      assert.equal(parties.body.parties.length, DEMO_PARTIES.length);
      for (const p of DEMO_PARTIES) {
        for (const a of demoAccounts(p.id)) assert.ok(await login(hub.url, a.username, a.password));
      }
    } finally {
      assert.deepEqual(await hub.stop(), { code: 0, signal: null });
    }
  });

  it('exits 2 with a clear message on a busy port, leaving the data directory free', TIMEOUT, async () => {
    const dir = freshDir();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    try {
      const r = await run(['serve', '--data', dir, '--port', String(port)]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`deconflict serve: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(existsSync(join(dir, 'deconflict.lock')), false);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('exits 2 on a bad port', TIMEOUT, async () => {
    const r = await run(['serve', '--data', freshDir(), '--port', '70000']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--port must be 0–65535, got "70000"/);
  });
});

describe('deconflict help', () => {
  it('lists every flag the README documents and every option serve takes', TIMEOUT, async () => {
    const help = await run(['help']);
    assert.equal(help.status, 0, help.stderr);
    const listed = new Set(help.stdout.match(/--[a-z][a-z-]*/g));
    // The README's flags, but not those of the node and npm commands it shows.
    const documented = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line.includes('deconflict') || !/\b(node|npm)\s/.test(line))
      .flatMap((line) => line.match(/--[a-z][a-z-]*/g) ?? []);
    assert.ok(documented.includes('--data') && documented.includes('--log-level'), 'the README was read');
    for (const flag of new Set(documented))
      assert.ok(listed.has(flag), `${flag} is in the README but not in help`);
    for (const option of Object.keys(SERVE_OPTIONS))
      assert.ok(listed.has(`--${option}`), `serve takes --${option} but help does not list it`);
    // With no command it prints the same and exits 2; an unknown one says so.
    const none = await run([]);
    assert.equal(none.status, 2);
    assert.equal(none.stdout, help.stdout);
    const unknown = await run(['serv']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "serv"/);
  });
});
