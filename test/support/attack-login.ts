/**
 * The two login attacks of issue #11 as scenarios on a real hub (the app, real SQLite, real
 * scrypt; client addresses set per request): the lockout (a flood of bad passwords for the
 * person on call) and the login flood (hundreds of concurrent logins with made-up names). Each
 * asserts what must hold and returns its figures. `test/attack.login.test.ts` runs them in short
 * form; the standing attack suite (`npm run attack`) runs them long and prints the figures.
 *
 * Both read the process-wide hashing counters (`hashCounters`): run them alone in their process,
 * not beside other work that hashes passwords.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { Session } from '../../src/api/accounts.ts';
import { hashCounters, resetHashPeak } from '../../src/hub/secrets.ts';
import { DEFAULT_LOGIN_GATE } from '../../src/server/login-gate.ts';
import { demoPassword, type Res, type TestHub } from './hub.ts';

type Hub = Pick<TestHub, 'app' | 'clock'>;

const GATE = DEFAULT_LOGIN_GATE;

/** One login from a client address; `device`: a device token to present. */
export function loginFrom(
  t: Hub,
  address: string,
  username: string,
  password: string,
  device?: string,
): Promise<Res> {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    remoteAddress: address,
    payload: { username, password, ...(device !== undefined && { device }) },
  });
}

/** A 429 `rate_limited` with a whole number of seconds in `Retry-After`; returns the seconds. */
export function retryAfter(r: Res): number {
  assert.equal(r.statusCode, 429, r.body);
  assert.equal((r.json() as { errors: { code: string }[] }).errors[0]?.code, 'rate_limited', r.body);
  const s = Number(r.headers['retry-after']);
  assert.ok(Number.isInteger(s) && s >= 1, `Retry-After: ${r.headers['retry-after']}`);
  return s;
}

function session(r: Res): Session {
  assert.equal(r.statusCode, 201, r.body);
  return r.json() as Session;
}

function message(r: Res): string {
  return (r.json() as { errors: { message: string }[] }).errors[0]?.message ?? '';
}

export interface LockoutOptions {
  /** Bad passwords the attacker sends for the watch officer (default 24). */
  readonly attempts?: number;
  /** The account attacked (default `relief-agency.watch`, a demo account). */
  readonly victim?: string;
}

export interface LockoutReport {
  readonly attempts: number;
  /** Bad passwords the hub checked (answered 401); the rest were refused unchecked (429). */
  readonly checked: number;
  readonly refused: number;
  /** The longest `Retry-After` the attacker was given (the back-off's cap). */
  readonly maxRetryAfter_s: number;
  /** Hub time the attacker's trickle took (it waits out every second refusal). */
  readonly simulated_s: number;
  /** Wall time of the known console's login in the middle of the attack. */
  readonly knownDevice_ms: number;
  /** How long the right password from a new device was asked to wait. */
  readonly newDeviceWait_s: number;
}

/**
 * The lockout: a console logs in once (a known device). An attacker trickles bad passwords for
 * the same member from one address, waiting out half the refusals to keep the name backed off,
 * then guesses other names from the same address until it is throttled. Then:
 * - the known console logs in at once with the right password, from its own address and from
 *   the attacker's (a shared network);
 * - a new device with the right password is asked to wait (the back-off, at most its cap), and
 *   gets in when the wait is over — a back-off, not a hard lock;
 * - the hub checked no more bad passwords than the free ones plus one per wait the attacker sat
 *   out.
 */
export async function lockoutScenario(t: Hub, o: LockoutOptions = {}): Promise<LockoutReport> {
  const victim = o.victim ?? 'relief-agency.watch';
  const party = victim.slice(0, victim.lastIndexOf('.'));
  const password = demoPassword(victim);
  const attempts = o.attempts ?? 24;
  const [CONSOLE, ATTACKER, LAPTOP] = ['10.20.0.7', '203.0.113.66', '198.51.100.23'];

  // 1. The watch console logs in once: from now on it is a known device.
  const known = session(await loginFrom(t, CONSOLE, victim, password)).device;
  assert.match(known.token, /^dcd_[A-Za-z0-9_-]{43}$/);

  // 2. The attacker's trickle of bad passwords for the same member.
  const started = t.clock.now();
  let checked = 0;
  let refused = 0;
  let waited = 0;
  let maxRetryAfter_s = 0;
  let last: Res | null = null;
  for (let i = 0; i < attempts || last?.statusCode !== 401; i++) {
    last = await loginFrom(t, ATTACKER, victim, `not-the-password-${i}`);
    if (last.statusCode === 401) {
      checked += 1;
      continue;
    }
    const s = retryAfter(last);
    assert.match(message(last), /for this name/);
    assert.ok(s * 1000 <= GATE.backoff.cap_ms, `Retry-After ${s} s is beyond the cap`);
    maxRetryAfter_s = Math.max(maxRetryAfter_s, s);
    refused += 1;
    if (refused % 2 === 0) {
      t.clock.advance(s * 1000);
      waited += 1;
    }
  }
  // No bad password was checked while the name was backed off.
  assert.ok(checked <= GATE.backoff.free + waited, `${checked} checked, ${waited} waits`);
  assert.ok(refused > 0, 'the back-off never started');

  // 3. Guessing other names from the same address: throttled within the address's burst.
  let guesses = 0;
  for (;;) {
    const r = await loginFrom(t, ATTACKER, `${party}.guess-${guesses}`, 'not-the-password');
    guesses += 1;
    if (r.statusCode === 429) {
      retryAfter(r);
      assert.match(message(r), /from this address/);
      break;
    }
    assert.equal(r.statusCode, 401, r.body);
    assert.ok(guesses <= GATE.source.burst, `${guesses} guesses from one address were all checked`);
  }
  // That address is throttled for a right password too, unless it comes from a known device.
  const operator = `${party}.operator`;
  retryAfter(await loginFrom(t, ATTACKER, operator, demoPassword(operator)));

  // 4. The known console gets in at once, from its own address and from the attacker's.
  const t0 = performance.now();
  const again = session(await loginFrom(t, CONSOLE, victim, password, known.token));
  const knownDevice_ms = performance.now() - t0;
  assert.equal(again.device.id, known.id);
  assert.equal(again.device.token, known.token);
  session(await loginFrom(t, ATTACKER, victim, password, known.token));

  // 5. A new device with the right password waits out the back-off (at most its cap), then gets in.
  const wait = await loginFrom(t, LAPTOP, victim, password);
  const newDeviceWait_s = retryAfter(wait);
  assert.match(message(wait), /for this name/);
  assert.ok(newDeviceWait_s * 1000 <= GATE.backoff.cap_ms);
  t.clock.advance(newDeviceWait_s * 1000);
  const laptop = session(await loginFrom(t, LAPTOP, victim, password));
  assert.notEqual(laptop.device.id, known.id);

  // 6. Its success ended the back-off: a typo is checked again, not refused.
  assert.equal((await loginFrom(t, LAPTOP, victim, 'a typo of the password')).statusCode, 401);

  return {
    attempts,
    checked,
    refused,
    maxRetryAfter_s,
    simulated_s: (t.clock.now() - started) / 1000,
    knownDevice_ms,
    newDeviceWait_s,
  };
}

export interface FloodOptions {
  /** Concurrent logins with made-up names (default 300, as in the red team's run). */
  readonly logins?: number;
  /** Addresses they come from (default 30). */
  readonly sources?: number;
}

export interface FloodReport {
  readonly logins: number;
  readonly sources: number;
  /** Flood logins answered 429 at once (no password hashed) and checked (401). */
  readonly refused: number;
  readonly checked: number;
  /** Passwords hashed during the flood, and the most at once. */
  readonly hashes: number;
  readonly peakHashing: number;
  /** Wall time of the real member's login by name, and of the known device's, under the flood. */
  readonly member_ms: number;
  readonly device_ms: number;
  /** Flood logins checked after the member's (resp. the device's) login was answered. */
  readonly checkedAfterMember: number;
  readonly checkedAfterDevice: number;
  /** Wall time of the flood's 429 answers. */
  readonly refused_ms: { readonly p50: number; readonly p99: number; readonly max: number };
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

/**
 * The login flood: `logins` concurrent logins with made-up names from `sources` addresses, and
 * in their midst a senior officer logging in by name and a watch officer from a known device.
 * - every flood login beyond the queue is answered 429 with a `Retry-After`, and costs no hash;
 * - no more passwords are hashed at once than the gate's bound;
 * - both real logins succeed, ahead of most of the made-up names that were waiting.
 */
export async function floodScenario(t: Hub, o: FloodOptions = {}): Promise<FloodReport> {
  const logins = o.logins ?? 300;
  const sources = o.sources ?? 30;
  const member = 'coalition.senior';
  const watch = 'coalition.watch';
  // A known device of the watch officer, and the fixed hash unknown names are checked against.
  const device = session(await loginFrom(t, '192.0.2.11', watch, demoPassword(watch))).device.token;
  assert.equal((await loginFrom(t, '192.0.2.12', 'nobody.at-all', 'not-the-password')).statusCode, 401);

  const before = hashCounters();
  resetHashPeak();
  let order = 0;
  const flood = Array.from({ length: logins }, async (_, i) => {
    const t0 = performance.now();
    const r = await loginFrom(
      t,
      `10.66.${Math.floor((i % sources) / 250)}.${((i % sources) % 250) + 1}`,
      `ghost-${i}-${Math.random().toString(36).slice(2, 10)}.watch`,
      'not-the-password',
    );
    return { r, ms: performance.now() - t0, at: order++ };
  });
  const real = async (address: string, username: string, dev?: string) => {
    const t0 = performance.now();
    const r = await loginFrom(t, address, username, demoPassword(username), dev);
    return { r, ms: performance.now() - t0, at: order++ };
  };
  const [byName, byDevice] = [real('192.0.2.10', member), real('192.0.2.11', watch, device)];
  const answers = await Promise.all(flood);
  const m = await byName;
  const d = await byDevice;
  const after = hashCounters();

  session(m.r);
  assert.equal(session(d.r).device.token, device);
  const refusedAnswers = answers.filter((a) => a.r.statusCode === 429);
  const checkedAnswers = answers.filter((a) => a.r.statusCode === 401);
  assert.equal(refusedAnswers.length + checkedAnswers.length, logins, 'every flood login is 401 or 429');
  for (const a of refusedAnswers) retryAfter(a.r);
  const hashes = after.computed - before.computed;
  // A refusal costs no hash: only the checked logins and the two real ones were hashed.
  assert.equal(hashes, checkedAnswers.length + 2);
  assert.ok(after.peak <= GATE.concurrency, `${after.peak} hashes at once`);
  // Most of the flood is refused at once: at any moment at most the running and queued logins,
  // and each address's few, are admitted.
  assert.ok(refusedAnswers.length >= logins / 2, `${refusedAnswers.length} of ${logins} refused`);
  // The real logins went ahead of the made-up names waiting when they came.
  const checkedAfterMember = checkedAnswers.filter((a) => a.at > m.at).length;
  const checkedAfterDevice = checkedAnswers.filter((a) => a.at > d.at).length;
  assert.ok(
    checkedAfterMember >= GATE.queue / 2,
    `only ${checkedAfterMember} made-up names after the member`,
  );
  assert.ok(
    checkedAfterDevice >= GATE.queue / 2,
    `only ${checkedAfterDevice} made-up names after the device`,
  );

  const ms = refusedAnswers.map((a) => a.ms).sort((a, b) => a - b);
  return {
    logins,
    sources,
    refused: refusedAnswers.length,
    checked: checkedAnswers.length,
    hashes,
    peakHashing: after.peak,
    member_ms: m.ms,
    device_ms: d.ms,
    checkedAfterMember,
    checkedAfterDevice,
    refused_ms: { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), max: ms.at(-1) ?? 0 },
  };
}
