/**
 * The login gate: who may have a password checked, and when. Checking a password costs one
 * scrypt (32 MiB, ~0.1 s of a core), so logins are where an attacker can both lock people out
 * and stall the hub. The gate answers both, in memory, per hub process (docs/security.md):
 *
 * - **Throttle the source, back off the name, let a known device in.** Failed logins are counted
 *   per client address (a token bucket: a burst, then a slow refill) and per login name (after a
 *   few failures, each one makes the next check wait twice as long, up to a cap). A login that
 *   presents a valid device token of the member it names (a device that logged in as that member
 *   before, OWASP's "device cookies") skips both and has its own bound instead: failures of others
 *   for the same name, from anywhere, never keep the person on call out of a known console.
 * - **Bound the hashing.** At most `concurrency` passwords are hashed at once; a few more logins
 *   wait, in a queue bounded hub-wide and per address; the excess is answered at once with 429
 *   and a `Retry-After`. Known devices, then names of existing members, go ahead of unknown
 *   names, and take the place of the newest unknown name when the queue is full: a flood of
 *   made-up names cannot delay a real member's login by more than a few hashes.
 *
 * The gate decides before any password is hashed, from what the hub can look up by key (the
 * ranking: `Accounts.loginClass`), and learns each outcome when the check is done.
 *
 * Several instances on one database (PostgreSQL) share what the counts are about: each checked
 * outcome is told to the others ({@link SharedOutcome}, through `Store.signal`), which count it as
 * their own. A guesser who spreads over three instances meets one back-off per name and one
 * bucket per address, not three. What stays per instance is load: the hashing slots, the queue
 * and the logins in flight are each process's own cores.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface Bucket {
  /** Attempts allowed at once. */
  readonly burst: number;
  /** How fast the allowance comes back, per second. */
  readonly perSecond: number;
}

export interface LoginGateOptions {
  /** Passwords hashed at once, hub-wide. */
  readonly concurrency: number;
  /** Logins that may wait for a hashing slot, hub-wide. */
  readonly queue: number;
  /** Logins one address may have waiting or being checked at once (known devices aside). */
  readonly perSource: number;
  /** Failed logins per address (known devices aside): taken on arrival, given back on success. */
  readonly source: Bucket;
  /** Failed logins per known device. */
  readonly device: Bucket;
  /** Back-off per login name, for logins without a known device. */
  readonly backoff: {
    /** Failures before the first wait (typos): the `free`-th failure starts it. */
    readonly free: number;
    /** The first wait, doubled at each further failure... */
    readonly base_ms: number;
    /** ...up to this. */
    readonly cap_ms: number;
    /** A name's failures are forgotten this long after the last one. */
    readonly forget_ms: number;
  };
}

/**
 * scrypt runs on libuv's thread pool (4 threads unless `UV_THREADPOOL_SIZE` says otherwise),
 * which file reads and DNS lookups (webhook deliveries) share: hash on at most one thread per
 * core, and always leave one pool thread free.
 */
function defaultConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(availableParallelism(), pool - 1));
}

/**
 * The defaults, and why:
 * - a queue of 32: with 2 hashes at ~0.1 s at once, the last in line waits ~1.6 s — a flood
 *   costs a real login that much at most, and the queue absorbs a shift change's logins;
 * - 4 at once per address: a console, a script and a retry, not a flood;
 * - 20 failures per address, then one per 10 s: an office behind one address makes typos, a
 *   guessing run from one address is slowed to 360 guesses an hour spread over all names;
 * - 5 free failures per name, then 1 s doubling to 60 s: a person who mistypes waits seconds,
 *   a guesser gets one try a minute per name, and someone on a new device whose name is under
 *   attack is held at most a minute at a time (never a hard lock; see docs/security.md);
 * - a known device: 10 failures, then one per 30 s (a stolen device token is no guessing
 *   engine either).
 */
export const DEFAULT_LOGIN_GATE: LoginGateOptions = {
  concurrency: defaultConcurrency(),
  queue: 32,
  perSource: 4,
  source: { burst: 20, perSecond: 0.1 },
  device: { burst: 10, perSecond: 1 / 30 },
  backoff: { free: 5, base_ms: 1_000, cap_ms: 60_000, forget_ms: 15 * 60_000 },
};

/** How a login ranks: a known device of the member, an existing member's name, or neither. */
export type Rank = 'device' | 'member' | 'unknown';
const RANKS: readonly Rank[] = ['device', 'member', 'unknown'];

export interface Attempt {
  /** The client's address as {@link sourceOf} keys it. */
  readonly source: string;
  readonly username: string;
  readonly rank: Rank;
  /** The known device's id (rank `device`). */
  readonly device: string | null;
}

/** How a checked login ended: the password was right, wrong, or the hub failed. */
export type Outcome = 'success' | 'failure' | 'error';

export type Admission =
  | { readonly refused: true; readonly retryAfter_s: number; readonly message: string }
  | {
      readonly refused: false;
      /** Say how the check ended, once: frees the slot for the next login. */
      done(outcome: Outcome): void;
    };

/**
 * A checked login's outcome as the other instances learn it: what the counts are keyed by, and
 * nothing else (no password, no token; a device by its id).
 */
export interface SharedOutcome {
  readonly outcome: 'success' | 'failure';
  readonly source: string;
  readonly username: string;
  readonly rank: Rank;
  readonly device: string | null;
}

/** The longest key a shared outcome may carry (an address, a login name, a device id). */
const MAX_KEY_LENGTH = 256;

/** A shared outcome read back from another instance's message, or null when it is not one. */
export function parseOutcome(text: string): SharedOutcome | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  const key = (v: unknown): v is string =>
    typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY_LENGTH;
  if (typeof o !== 'object' || o === null) return null;
  if (o.outcome !== 'success' && o.outcome !== 'failure') return null;
  if (!key(o.source) || !key(o.username) || !RANKS.includes(o.rank as Rank)) return null;
  if (o.rank === 'device' ? !key(o.device) : o.device !== null) return null;
  return {
    outcome: o.outcome,
    source: o.source,
    username: o.username,
    rank: o.rank as Rank,
    device: o.device as string | null,
  };
}

/** Entries kept per table at most: a flood of made-up names or addresses cannot grow them. */
const MAX_KEYS = 100_000;

/** Token buckets per key, in the hub's time. A bucket may go below zero: failures all count. */
class Buckets {
  private readonly table = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly b: Bucket,
    private readonly now: () => number,
  ) {}

  private level(key: string): number {
    const e = this.table.get(key);
    if (e === undefined) return this.b.burst;
    return Math.min(this.b.burst, e.tokens + ((this.now() - e.at) / 1000) * this.b.perSecond);
  }

  private set(key: string, tokens: number): void {
    if (tokens >= this.b.burst) {
      this.table.delete(key);
      return;
    }
    if (!this.table.has(key) && this.table.size >= MAX_KEYS) this.evict();
    this.table.set(key, { tokens, at: this.now() });
  }

  /** Milliseconds until one attempt is allowed (0: now). */
  wait_ms(key: string): number {
    const l = this.level(key);
    return l >= 1 ? 0 : Math.ceil(((1 - l) / this.b.perSecond) * 1000);
  }

  /** Take one attempt if there is one. */
  take(key: string): boolean {
    const l = this.level(key);
    if (l < 1) return false;
    this.set(key, l - 1);
    return true;
  }

  /** Count one attempt, whatever is left. */
  charge(key: string): void {
    this.set(key, this.level(key) - 1);
  }

  give(key: string): void {
    this.set(key, this.level(key) + 1);
  }

  /** Drop full buckets (they hold nothing); if all are in use, the oldest. */
  private evict(): void {
    for (const k of [...this.table.keys()]) if (this.level(k) >= this.b.burst) this.table.delete(k);
    for (const k of this.table.keys()) {
      if (this.table.size < MAX_KEYS) break;
      this.table.delete(k);
    }
  }
}

interface Waiter {
  readonly attempt: Attempt;
  readonly resolve: (a: Admission) => void;
}

export class LoginGate {
  private readonly sources: Buckets;
  private readonly devices: Buckets;
  private readonly failures = new Map<string, { count: number; last: number; until: number }>();
  private readonly bySource = new Map<string, number>();
  private readonly byName = new Map<string, number>();
  private readonly waiting: Record<Rank, Waiter[]> = { device: [], member: [], unknown: [] };
  private running = 0;
  /** A running mean of how long a check takes (real time, for `Retry-After`). */
  private check_ms = 100;

  /**
   * @param tell hears each outcome this gate counts itself, for the other instances' gates
   *   ({@link learn}); errors are not told (they count nothing).
   */
  constructor(
    readonly options: LoginGateOptions,
    private readonly now: () => number,
    private readonly tell: (o: SharedOutcome) => void = () => undefined,
  ) {
    this.sources = new Buckets(options.source, now);
    this.devices = new Buckets(options.device, now);
  }

  /** Logins being checked and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waitingCount() };
  }

  /**
   * Admit a login to have its password checked (now, or when a slot frees), or refuse it at once
   * with how long to wait. Each admission must be ended with `done`.
   */
  admit(a: Attempt): Promise<Admission> {
    const refused = this.refusal(a);
    if (refused !== null) return Promise.resolve(refused);
    this.hold(a);
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return Promise.resolve(this.pass(a));
    }
    if (this.waitingCount() >= this.options.queue && !this.evictBelow(a.rank)) {
      this.unhold(a, true);
      return Promise.resolve(this.busy('too many logins are waiting'));
    }
    return new Promise((resolve) => this.waiting[a.rank].push({ attempt: a, resolve }));
  }

  /** Why a login may not even wait, or null. */
  private refusal(a: Attempt): Admission | null {
    if (a.rank === 'device') {
      const wait = this.devices.wait_ms(a.device as string);
      return wait > 0 ? refuse(wait, 'too many failed logins from this device') : null;
    }
    const backoff = this.backoff_ms(a.username);
    if (backoff > 0) return refuse(backoff, 'too many failed logins for this name');
    // One check per name at a time: concurrent guesses would each pass the back-off before the
    // first failure counted.
    if ((this.byName.get(a.username) ?? 0) > 0) return refuse(1000, 'a login for this name is being checked');
    if ((this.bySource.get(a.source) ?? 0) >= this.options.perSource)
      return this.busy('too many logins from this address at once');
    if (!this.sources.take(a.source))
      return refuse(this.sources.wait_ms(a.source), 'too many failed logins from this address');
    return null;
  }

  private pass(a: Attempt): Admission {
    const started = performance.now();
    let ended = false;
    return {
      refused: false,
      done: (outcome) => {
        if (ended) return;
        ended = true;
        this.running -= 1;
        if (outcome !== 'error') this.check_ms = 0.8 * this.check_ms + 0.2 * (performance.now() - started);
        this.unhold(a, outcome !== 'failure');
        // A right password from an unknown device ends the name's back-off. One from a known device
        // does not: the failures were not on its path, and the person at the known console must
        // not hand a guesser a fresh set of free tries by logging in.
        if (outcome === 'success' && a.rank !== 'device') this.failures.delete(a.username);
        if (outcome === 'failure') {
          if (a.rank === 'device') this.devices.charge(a.device as string);
          else this.fail(a.username);
        }
        if (outcome !== 'error')
          this.tell({ outcome, source: a.source, username: a.username, rank: a.rank, device: a.device });
        this.next();
      },
    };
  }

  /**
   * Count an outcome another instance checked, as this gate counts its own: a failure charges
   * the device, or the name's back-off and the address's bucket (there it took the attempt on
   * arrival); a right password from an unknown device ends the name's back-off.
   */
  learn(o: SharedOutcome): void {
    if (o.outcome === 'success') {
      if (o.rank !== 'device') this.failures.delete(o.username);
      return;
    }
    if (o.rank === 'device') {
      this.devices.charge(o.device as string);
      return;
    }
    this.fail(o.username);
    this.sources.charge(o.source);
  }

  /** Start the best waiting logins while slots are free: known devices, then members, then the rest. */
  private next(): void {
    while (this.running < this.options.concurrency) {
      const rank = RANKS.find((r) => this.waiting[r].length > 0);
      if (rank === undefined) return;
      const w = this.waiting[rank].shift() as Waiter;
      this.running += 1;
      w.resolve(this.pass(w.attempt));
    }
  }

  /** Make room for a login of `rank`: refuse the newest waiting one of a lower rank. */
  private evictBelow(rank: Rank): boolean {
    for (const r of [...RANKS].reverse()) {
      if (r === rank) return false;
      const w = this.waiting[r].pop();
      if (w !== undefined) {
        this.unhold(w.attempt, true);
        w.resolve(this.busy('too many logins are waiting; known members went first'));
        return true;
      }
    }
    return false;
  }

  /** Count a login against its address and name while it waits or is checked. */
  private hold(a: Attempt): void {
    if (a.rank === 'device') return;
    this.bySource.set(a.source, (this.bySource.get(a.source) ?? 0) + 1);
    this.byName.set(a.username, (this.byName.get(a.username) ?? 0) + 1);
  }

  /** Stop counting it; `refund`: give its address its attempt back (it did not fail). */
  private unhold(a: Attempt, refund: boolean): void {
    if (a.rank === 'device') return;
    decrement(this.bySource, a.source);
    decrement(this.byName, a.username);
    if (refund) this.sources.give(a.source);
  }

  /** How long a name's next check must wait (0: now). */
  private backoff_ms(username: string): number {
    const f = this.failures.get(username);
    if (f === undefined) return 0;
    const now = this.now();
    if (now - f.last >= this.options.backoff.forget_ms) {
      this.failures.delete(username);
      return 0;
    }
    return Math.max(0, f.until - now);
  }

  /** A failed check for a name: the next one waits longer once the free ones are used. */
  private fail(username: string): void {
    const { free, base_ms, cap_ms, forget_ms } = this.options.backoff;
    const now = this.now();
    const f = this.failures.get(username);
    const count = (f !== undefined && now - f.last < forget_ms ? f.count : 0) + 1;
    const wait = count < free ? 0 : Math.min(cap_ms, base_ms * 2 ** Math.min(count - free, 30));
    this.failures.delete(username);
    if (this.failures.size >= MAX_KEYS) this.forget(now);
    this.failures.set(username, { count, last: now, until: now + wait });
  }

  /** Drop forgotten names; if every name is still fresh, the least recently failed. */
  private forget(now: number): void {
    for (const [k, f] of this.failures)
      if (now - f.last >= this.options.backoff.forget_ms) this.failures.delete(k);
    for (const k of this.failures.keys()) {
      if (this.failures.size < MAX_KEYS) break;
      this.failures.delete(k);
    }
  }

  private waitingCount(): number {
    return this.waiting.device.length + this.waiting.member.length + this.waiting.unknown.length;
  }

  /** Refused for load: retry once the logins ahead of it are likely done. */
  private busy(message: string): Admission {
    const ahead = this.running + this.waitingCount();
    return refuse((ahead / this.options.concurrency) * this.check_ms, message);
  }
}

function refuse(wait_ms: number, message: string): Admission {
  const retryAfter_s = Math.max(1, Math.ceil(wait_ms / 1000));
  return { refused: true, retryAfter_s, message: `${message}; retry in ${retryAfter_s} s` };
}

function decrement(m: Map<string, number>, key: string): void {
  const n = (m.get(key) ?? 0) - 1;
  if (n > 0) m.set(key, n);
  else m.delete(key);
}

/**
 * The key of a client address: an IPv4 address as it is (an IPv4-mapped IPv6 one too), an IPv6
 * address by its /64 — one subscriber's network, the least an attacker holds, so a flood from one
 * network counts as one source.
 */
export function sourceOf(address: string): string {
  const ip = address.split('%')[0] as string;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in lower-case hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  const groups = (part: string): string[] => {
    if (part === '') return [];
    const out: string[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
      } else out.push(g);
    }
    return out;
  };
  const [head = '', tail] = ip.split('::');
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return all.map((g) => Number.parseInt(g, 16).toString(16));
}
