/**
 * Accounts under attack (issue #11, items 2, 3 and the account parts of 6), on a real hub: the
 * lockout of the person on call, the login flood, known devices, the last administrator, and
 * usernames per party. The two attack scenarios live in `support/attack-login.ts`, where the
 * standing attack suite runs them in long form.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeviceView, MemberView, Session } from '../src/api/accounts.ts';
import type { Io } from '../src/cli/io.ts';
import { main } from '../src/cli/main.ts';
import { DEMO_HUB_ADMIN } from '../src/hub/demo.ts';
import type { Principal } from '../src/hub/hub.ts';
import {
  type Admission,
  type Attempt,
  LoginGate,
  type LoginGateOptions,
  parseOutcome,
  type SharedOutcome,
  sourceOf,
} from '../src/server/login-gate.ts';
import { floodScenario, lockoutScenario, loginFrom, retryAfter } from './support/attack-login.ts';
import { assertError, demoPassword, ok, request, startHub, type TestHub } from './support/hub.ts';
import { run } from './support/serve.ts';
import { DAY } from './support/time.ts';

const TIMEOUT = { timeout: 120_000 };

/**
 * One hub for the whole file (loading the demo hashes seventeen passwords): each test uses its
 * own accounts and client addresses, so that no test's back-off or throttle reaches another.
 */
let t: TestHub;
before(async () => {
  t = await startHub();
});
after(async () => {
  await t.close();
});

function sessionOf(r: Awaited<ReturnType<typeof loginFrom>>): Session {
  return ok<Session>(r, 201);
}

describe('the lockout attack', () => {
  it(
    'a flood of bad passwords never keeps a known console out, and only backs off a new one',
    TIMEOUT,
    async (ctx) => {
      const report = await lockoutScenario(t, { attempts: 30 });
      ctx.diagnostic(JSON.stringify(report));
      // 30 attempts reach the cap: 1, 2, 4, ..., 32, then 60 s.
      assert.equal(report.maxRetryAfter_s, 60);
      assert.ok(report.checked < report.attempts);
    },
  );
});

describe('the login flood', () => {
  it(
    '300 made-up names at once: the excess is answered 429 at once, real members get in first',
    TIMEOUT,
    async (ctx) => {
      const report = await floodScenario(t, { logins: 300, sources: 30 });
      ctx.diagnostic(JSON.stringify(report));
      assert.ok(report.refused > report.checked);
    },
  );
});

describe('the login gate', () => {
  const options: LoginGateOptions = {
    concurrency: 1,
    queue: 2,
    perSource: 2,
    source: { burst: 3, perSecond: 0.1 },
    device: { burst: 2, perSecond: 0.1 },
    backoff: { free: 2, base_ms: 1_000, cap_ms: 8_000, forget_ms: 60_000 },
  };
  const attempt = (n: number, rank: Attempt['rank'], source = `10.0.0.${n}`): Attempt => ({
    source,
    username: `p.user-${n}`,
    rank,
    device: rank === 'device' ? `dev_${n}` : null,
  });
  const admitted = (a: Admission) => {
    assert.equal(a.refused, false);
    return a as Extract<Admission, { refused: false }>;
  };

  it('runs known devices, then members, ahead of unknown names, and makes room for them', async () => {
    const gate = new LoginGate(options, () => 0);
    const first = admitted(await gate.admit(attempt(1, 'unknown')));
    const started: number[] = [];
    const track = (n: number, rank: Attempt['rank']) =>
      gate.admit(attempt(n, rank)).then((a) => {
        if (!a.refused) started.push(n);
        return a;
      });
    const u2 = track(2, 'unknown');
    const u3 = track(3, 'unknown');
    assert.deepEqual(gate.load, { running: 1, waiting: 2 });
    // The queue is full: an unknown name is refused at once, a member takes the newest unknown's place.
    const refused = await gate.admit(attempt(9, 'unknown'));
    assert.equal(refused.refused, true);
    const m4 = track(4, 'member');
    const bumped = await u3;
    assert.equal(bumped.refused, true);
    assert.match((bumped as { message: string }).message, /known members went first/);
    const d5 = track(5, 'device');
    assert.equal((await u2).refused, true);
    assert.deepEqual(gate.load, { running: 1, waiting: 2 });
    // Slots free one at a time: the device first, then the member.
    first.done('failure');
    admitted(await d5).done('success');
    admitted(await m4).done('success');
    assert.deepEqual(started, [5, 4]);
    assert.deepEqual(gate.load, { running: 0, waiting: 0 });
  });

  it('bounds an address at once and over time, but not a known device behind it', async () => {
    let now = 0;
    const gate = new LoginGate(options, () => now);
    const shared = '10.9.9.9';
    const a = admitted(await gate.admit(attempt(1, 'unknown', shared)));
    const b = gate.admit(attempt(2, 'unknown', shared));
    const c = await gate.admit(attempt(3, 'unknown', shared));
    assert.equal(c.refused, true);
    assert.match((c as { message: string }).message, /from this address at once/);
    const device = gate.admit(attempt(4, 'device', shared));
    a.done('failure');
    admitted(await device).done('success');
    admitted(await b).done('failure');
    // Two failures taken of a burst of three: one more try, then the address waits 10 s per try.
    admitted(await gate.admit(attempt(5, 'unknown', shared))).done('failure');
    const throttled = await gate.admit(attempt(6, 'unknown', shared));
    assert.equal(throttled.refused, true);
    assert.equal((throttled as { retryAfter_s: number }).retryAfter_s, 10);
    now += 10_000;
    admitted(await gate.admit(attempt(6, 'unknown', shared))).done('success');
    // A success gives its try back.
    admitted(await gate.admit(attempt(7, 'unknown', shared))).done('error');
  });

  it('backs a name off exponentially up to the cap, forgets it, and checks one login per name at a time', async () => {
    let now = 0;
    const gate = new LoginGate({ ...options, source: { burst: 100, perSecond: 1 } }, () => now);
    const name = (source: string): Attempt => ({ source, username: 'p.watch', rank: 'member', device: null });
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const a = await gate.admit(name(`10.1.0.${i}`));
      if (a.refused) {
        waits.push(a.retryAfter_s);
        now += a.retryAfter_s * 1000;
        i -= 1;
        continue;
      }
      const other = await gate.admit(name('10.2.0.1'));
      assert.equal(other.refused, true, 'a second login for the same name while one is checked');
      a.done('failure');
    }
    assert.deepEqual(waits, [1, 2, 4, 8, 8, 8]);
    now += 60_000;
    admitted(await gate.admit(name('10.3.0.1'))).done('success');
    // A known device's failures count against the device, not the name.
    const device: Attempt = { source: '10.4.0.1', username: 'p.watch', rank: 'device', device: 'dev_1' };
    admitted(await gate.admit(device)).done('failure');
    admitted(await gate.admit(device)).done('failure');
    const held = await gate.admit(device);
    assert.equal(held.refused, true);
    assert.match((held as { message: string }).message, /from this device/);
    admitted(await gate.admit(name('10.5.0.1'))).done('failure');
  });

  it('counts with the other instances: failures told by one back the name off on all', async () => {
    let now = 0;
    const told: { from: string; o: SharedOutcome }[] = [];
    const gates = ['a', 'b'].map(
      (id) =>
        new LoginGate(
          options,
          () => now,
          (o) => told.push({ from: id, o: JSON.parse(JSON.stringify(o)) }),
        ),
    );
    const [a, b] = gates as [LoginGate, LoginGate];
    // What one store signal would carry to the other instance, as text.
    const deliver = () => {
      for (const { from, o } of told.splice(0)) {
        const parsed = parseOutcome(JSON.stringify(o));
        assert.deepEqual(parsed, o);
        (from === 'a' ? b : a).learn(parsed as SharedOutcome);
      }
    };
    const guess = (source: string): Attempt => ({
      source,
      username: 'p.shared',
      rank: 'member',
      device: null,
    });
    // The free failures (2) spread over both instances: the second one is on b.
    admitted(await a.admit(guess('10.6.0.1'))).done('failure');
    deliver();
    admitted(await b.admit(guess('10.6.0.2'))).done('failure');
    deliver();
    for (const gate of [a, b]) {
      const held = await gate.admit(guess('10.6.0.3'));
      assert.equal(held.refused, true, 'each instance backs the name off');
      assert.match((held as { message: string }).message, /too many failed logins for this name/);
    }
    // One address's failures on a and b drain one bucket (burst 3): the third is refused on a.
    now += 60_000 + 1;
    admitted(await a.admit({ ...guess('10.6.9.9'), username: 'p.one' })).done('failure');
    deliver();
    admitted(await b.admit({ ...guess('10.6.9.9'), username: 'p.two' })).done('failure');
    deliver();
    admitted(await a.admit({ ...guess('10.6.9.9'), username: 'p.three' })).done('failure');
    deliver();
    const drained = await b.admit({ ...guess('10.6.9.9'), username: 'p.four' });
    assert.equal(drained.refused, true);
    assert.match((drained as { message: string }).message, /from this address/);
    // A right password on a ends the name's back-off on b too.
    now += 60_000 + 1;
    admitted(await a.admit(guess('10.6.0.4'))).done('failure');
    admitted(await a.admit(guess('10.6.0.5'))).done('failure');
    deliver();
    assert.equal((await b.admit(guess('10.6.0.6'))).refused, true);
    now += 1_000;
    admitted(await a.admit(guess('10.6.0.7'))).done('success');
    deliver();
    // Counted afresh on b: one failure is a free one again (b's count would be 3, a wait, else).
    admitted(await b.admit(guess('10.6.0.8'))).done('failure');
    admitted(await b.admit(guess('10.6.0.9'))).done('error');
    // A known device's failures are charged to the device on the other instance.
    const device: Attempt = { source: '10.6.1.1', username: 'p.dev', rank: 'device', device: 'dev_shared' };
    admitted(await a.admit(device)).done('failure');
    deliver();
    admitted(await b.admit(device)).done('failure');
    deliver();
    assert.match(((await a.admit(device)) as { message: string }).message, /from this device/);
    assert.equal(told.length, 0, 'an error is told to nobody');
  });

  it('hears only well-formed outcomes from other instances', () => {
    const good = { outcome: 'failure', source: '10.0.0.1', username: 'p.x', rank: 'member', device: null };
    assert.deepEqual(parseOutcome(JSON.stringify(good)), good);
    for (const bad of [
      'not json',
      'null',
      '[]',
      JSON.stringify({ ...good, outcome: 'error' }),
      JSON.stringify({ ...good, rank: 'admin' }),
      JSON.stringify({ ...good, username: '' }),
      JSON.stringify({ ...good, source: 'x'.repeat(257) }),
      JSON.stringify({ ...good, rank: 'device' }),
      JSON.stringify({ ...good, device: 'dev_1' }),
    ])
      assert.equal(parseOutcome(bad), null, bad);
  });

  it('keys an address by itself, an IPv6 one by its /64', () => {
    assert.equal(sourceOf('192.0.2.1'), '192.0.2.1');
    assert.equal(sourceOf('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(sourceOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(sourceOf('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64');
    assert.equal(sourceOf('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(sourceOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.notEqual(sourceOf('2001:db8:1:3::1'), sourceOf('2001:db8:1:2::1'));
  });
});

describe('known devices', () => {
  /** Back a name off: bad passwords from one address until a refusal. */
  async function backOff(username: string, address: string): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const r = await loginFrom(t, address, username, 'not-the-password');
      if (r.statusCode === 429) return;
      assert.equal(r.statusCode, 401);
    }
    assert.fail(`${username} was never backed off`);
  }

  it('a backed-off name answers an unknown name and a member exactly alike', TIMEOUT, async () => {
    const seen = async (username: string, address: string) => {
      const out: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await loginFrom(t, address, username, 'not-the-password');
        out.push(`${r.statusCode} ${r.headers['retry-after'] ?? '-'} ${r.body}`);
      }
      return out;
    };
    const member = await seen('northern-forces.operator', '198.51.100.1');
    const ghost = await seen('northern-forces.ghost', '198.51.100.2');
    assert.deepEqual(ghost, member);
    assert.match(member.at(-1) as string, /^429 /);
  });

  it(
    'counts only for its own member, and not once expired, revoked or its member disabled',
    TIMEOUT,
    async () => {
      const watch = 'city-police.watch';
      const senior = 'city-police.senior';
      const known = sessionOf(await loginFrom(t, '10.30.0.1', watch, demoPassword(watch))).device;
      // Another member's device token is no key to a backed-off name.
      await backOff(senior, '10.30.0.66');
      retryAfter(await loginFrom(t, '10.30.0.1', senior, demoPassword(senior), known.token));
      // A malformed or unknown one is no error: the login goes on as from a new device.
      const fresh = sessionOf(
        await loginFrom(t, '10.30.0.2', watch, demoPassword(watch), 'not a device token'),
      );
      assert.notEqual(fresh.device.id, known.id);
      t.clock.advance(1000);

      await backOff(watch, '10.30.0.66');
      sessionOf(await loginFrom(t, '10.30.0.1', watch, demoPassword(watch), known.token));
      // Listed for its member (newest use first), without the token.
      const token = await t.login('city-police.operator');
      const mine = sessionOf(await loginFrom(t, '10.30.0.3', watch, demoPassword(watch), known.token)).token;
      const { devices } = ok<{ devices: DeviceView[] }>(await request(t.app, mine, 'GET', '/api/v1/devices'));
      assert.deepEqual(
        devices.map((d) => d.id),
        [known.id, fresh.device.id],
      );
      assert.ok(!JSON.stringify(devices).includes('dcd_'));
      // Another member's device: not found, as one that does not exist.
      assertError(await request(t.app, token, 'DELETE', `/api/v1/devices/${known.id}`), 404, 'not_found');
      // Revoked by its member: no longer known.
      assert.equal((await request(t.app, mine, 'DELETE', `/api/v1/devices/${known.id}`)).statusCode, 204);
      retryAfter(await loginFrom(t, '10.30.0.1', watch, demoPassword(watch), known.token));
      // Revoked by the party's admin: the fresh one; then disabling the member forgets them all.
      const admin = await t.login('city-police.admin');
      assert.equal(
        (await request(t.app, admin, 'DELETE', `/api/v1/devices/${fresh.device.id}`)).statusCode,
        204,
      );
      assertError(
        await request(t.app, mine, 'DELETE', `/api/v1/devices/${fresh.device.id}`),
        404,
        'not_found',
      );
      // An API token (a system) has no devices.
      const api = ok<{ token: string }>(
        await request(t.app, admin, 'POST', '/api/v1/tokens', { name: 'gw' }),
        201,
      );
      assertError(await request(t.app, api.token, 'GET', '/api/v1/devices'), 403, 'forbidden');
    },
  );

  it('a device is known for 90 days from its last login, then no more', TIMEOUT, async () => {
    const op = 'relief-agency.operator';
    const known = sessionOf(await loginFrom(t, '10.40.0.1', op, demoPassword(op))).device;
    t.clock.advance(89 * DAY);
    const used = sessionOf(await loginFrom(t, '10.40.0.1', op, demoPassword(op), known.token)).device;
    assert.equal(used.id, known.id);
    assert.equal(used.expires_at, new Date(t.clock.now() + 90 * DAY).toISOString());
    t.clock.advance(90 * DAY);
    await backOff(op, '10.40.0.66');
    retryAfter(await loginFrom(t, '10.40.0.1', op, demoPassword(op), known.token));
  });

  it('a known device has its own bound on failures', TIMEOUT, async () => {
    const op = 'coalition.operator';
    const known = sessionOf(await loginFrom(t, '10.50.0.1', op, demoPassword(op))).device;
    let failures = 0;
    for (;;) {
      const r = await loginFrom(t, '10.50.0.1', op, 'not-the-password', known.token);
      if (r.statusCode === 429) {
        assert.match(r.body, /from this device/);
        break;
      }
      assert.equal(r.statusCode, 401);
      failures += 1;
      assert.ok(failures <= 10);
    }
    assert.equal(failures, 10);
    const s = retryAfter(await loginFrom(t, '10.50.0.1', op, demoPassword(op), known.token));
    t.clock.advance(s * 1000);
    sessionOf(await loginFrom(t, '10.50.0.1', op, demoPassword(op), known.token));
  });
});

describe('the last administrator', () => {
  const url = (party: string, username = '') =>
    `/api/v1/parties/${party}/members${username && `/${username}`}`;

  it('a party cannot demote or disable its last active party_admin', TIMEOUT, async () => {
    const admin = await t.login('northern-forces.admin');
    const self = url('northern-forces', 'northern-forces.admin');
    assert.equal(
      assertError(await request(t.app, admin, 'PATCH', self, { roles: ['operator'] }), 409, 'last_admin')
        .path,
      'roles',
    );
    assert.equal(
      assertError(await request(t.app, admin, 'PATCH', self, { disabled: true }), 409, 'last_admin').path,
      'disabled',
    );
    // Nothing changed.
    const { members } = ok<{ members: MemberView[] }>(
      await request(t.app, admin, 'GET', url('northern-forces')),
    );
    assert.deepEqual(
      members.find((m) => m.username === 'northern-forces.admin'),
      {
        username: 'northern-forces.admin',
        party: 'northern-forces',
        roles: ['party_admin'],
        disabled: false,
      },
    );
    // With a second administrator, the first may step down; the second is then the last.
    ok(
      await request(t.app, admin, 'PATCH', url('northern-forces', 'northern-forces.senior'), {
        roles: ['senior_officer', 'party_admin'],
      }),
    );
    ok(await request(t.app, admin, 'PATCH', self, { roles: ['operator', 'party_admin'] }));
    ok(await request(t.app, admin, 'PATCH', self, { disabled: true }), 200);
    const senior = await t.login('northern-forces.senior');
    assertError(
      await request(t.app, senior, 'PATCH', url('northern-forces', 'northern-forces.senior'), {
        roles: ['senior_officer'],
      }),
      409,
      'last_admin',
    );
    // A disabled admin is no administrator: re-enabling one brings it back, and others may go.
    ok(await request(t.app, senior, 'PATCH', self, { disabled: false }));
    ok(
      await request(t.app, senior, 'PATCH', url('northern-forces', 'northern-forces.senior'), {
        roles: ['senior_officer'],
      }),
    );
  });

  it('the hub administrator adds a party administrator to a party (the recovery path)', TIMEOUT, async () => {
    const hub = await t.login(DEMO_HUB_ADMIN.username);
    const created = ok<MemberView>(
      await request(t.app, hub, 'POST', url('relief-agency'), {
        username: 'relief-agency.admin-2',
        password: 'a recovered administrator',
        roles: ['party_admin'],
      }),
      201,
    );
    assert.deepEqual(created, {
      username: 'relief-agency.admin-2',
      party: 'relief-agency',
      roles: ['party_admin'],
      disabled: false,
    });
    const admin2 = await t.login('relief-agency.admin-2', 'a recovered administrator');
    ok(await request(t.app, admin2, 'GET', url('relief-agency')));
    // Party administrators only, in a party that exists, named for it.
    assertError(
      await request(t.app, hub, 'POST', url('relief-agency'), {
        username: 'relief-agency.op-9',
        password: 'a long enough password',
        roles: ['operator'],
      }),
      403,
      'forbidden',
    );
    assertError(
      await request(t.app, hub, 'POST', url('atlantis'), {
        username: 'atlantis.admin',
        password: 'a long enough password',
        roles: ['party_admin'],
      }),
      404,
      'not_found',
    );
    assertError(
      await request(t.app, hub, 'POST', url('relief-agency'), {
        username: 'coalition.admin-9',
        password: 'a long enough password',
        roles: ['party_admin'],
      }),
      422,
      'username_prefix',
      'username',
    );
  });

  it(
    '`deconflict admin create --party` adds a party administrator at the data directory',
    TIMEOUT,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'deconflict-admin-'));
      try {
        // A data directory with one party and no one who can log in to manage it.
        const setup = await startHub({ dir, demo: false });
        const operator: Principal = { username: 'root', party: null, roles: ['hub_admin'], tokenId: 'cli' };
        await setup.hub.accounts.createParty(operator, {
          id: 'city-police',
          name: 'City Police',
          admin: { username: 'city-police.admin', password: 'a password nobody remembers' },
        });
        await setup.close(true);

        // As the operator meets it: the executable, the password on standard input.
        const password = 'a party admin from the CLI';
        const args = ['admin', 'create', '--data', dir, '--party', 'city-police', '--username'];
        const made = await run([...args, 'city-police.chief'], `${password}\n`);
        assert.equal(made.status, 0, made.stderr);
        assert.match(made.stdout, /Created party administrator "city-police.chief" of city-police/);
        // Refusals, in process (the same command, without starting Node again for each).
        const refused = async (argv: string[]) => {
          const out = { stdout: '', stderr: '' };
          const io: Io = {
            stdout: (x) => {
              out.stdout += x;
            },
            stderr: (x) => {
              out.stderr += x;
            },
            read: async () => `${password}\n`,
          };
          assert.equal(await main(argv, io), 2);
          assert.equal(out.stdout, '');
          return out.stderr;
        };
        assert.match(await refused([...args, 'coalition.chief']), /username_prefix/);
        assert.match(
          await refused([
            'admin',
            'create',
            '--data',
            dir,
            '--party',
            'atlantis',
            '--username',
            'atlantis.chief',
          ]),
          /not_found: no party atlantis/,
        );
        assert.match(
          await refused([...args, 'city-police.x', '--role', 'hub_admin']),
          /with --party the role is party_admin/,
        );

        const h = await startHub({ dir, demo: false });
        try {
          const chief = await h.login('city-police.chief', password);
          const { members } = ok<{ members: MemberView[] }>(
            await request(h.app, chief, 'GET', url('city-police')),
          );
          assert.deepEqual(
            members.map((m) => [m.username, m.roles]),
            [
              ['city-police.admin', ['party_admin']],
              ['city-police.chief', ['party_admin']],
            ],
          );
          // The ledger says who did it: the hub itself (no actor), at the data directory.
          const entries = await h.store.read((tx) => tx.ledger.range(1, 100));
          const entry = entries.find((e) => e.type === 'member.created' && e.subject === 'city-police.chief');
          assert.equal(entry?.actor, null);
        } finally {
          await h.close(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('usernames per party', () => {
  const create = async (as: string, party: string, username: string) =>
    request(t.app, await t.login(as), 'POST', `/api/v1/parties/${party}/members`, {
      username,
      password: 'a long enough password',
      roles: ['operator'],
    });

  it(
    'a member is named "<party>.<name>"; another party\'s name answers alike whether it exists or not',
    TIMEOUT,
    async () => {
      ok(await create('city-police.admin', 'city-police', 'city-police.night_watch-2'), 201);
      const taken = await create('city-police.admin', 'city-police', 'coalition.operator');
      const free = await create('city-police.admin', 'city-police', 'coalition.nobody');
      assertError(taken, 422, 'username_prefix', 'username');
      assert.equal(taken.body.replace('coalition.operator', 'X'), free.body.replace('coalition.nobody', 'X'));
      assert.doesNotMatch(taken.body, /coalition\.operator|exists/);
      // The name has no dot of its own (else "city-police.a.b" could be party "city-police.a"'s).
      assertError(
        await create('city-police.admin', 'city-police', 'city-police.a.b'),
        422,
        'username_prefix',
      );
      assertError(await create('city-police.admin', 'city-police', 'city-police.'), 422, 'username_prefix');
      assertError(
        await create('city-police.admin', 'city-police', 'city-policeX.op'),
        422,
        'username_prefix',
      );
      // Within its own namespace a taken name is taken.
      assertError(await create('city-police.admin', 'city-police', 'city-police.watch'), 409, 'id_exists');
    },
  );

  it(
    "a new party's administrator is named for the party; the hub's administrators keep their names",
    TIMEOUT,
    async () => {
      const hub = await t.login(DEMO_HUB_ADMIN.username);
      assertError(
        await request(t.app, hub, 'POST', '/api/v1/parties', {
          id: 'border-guard',
          name: 'Border Guard',
          admin: { username: 'bg.admin', password: 'border-guard-admin-pw' },
        }),
        422,
        'username_prefix',
        'admin.username',
      );
      ok(
        await request(t.app, hub, 'POST', '/api/v1/parties', {
          id: 'border-guard',
          name: 'Border Guard',
          admin: { username: 'border-guard.admin', password: 'border-guard-admin-pw' },
        }),
        201,
      );
      await t.hub.accounts.createHubAdmin('root', 'a hub administrator passphrase');
      assert.ok(await t.login('root', 'a hub administrator passphrase'));
    },
  );
});
