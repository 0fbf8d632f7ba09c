/**
 * The fuzzer: requests drawn from the hub's OpenAPI document (requests.ts), sent over real HTTP
 * as the demo accounts (and as nobody, and with broken credentials), every answer judged
 * (check.ts), every distinct failure shrunk by fast-check to a small counterexample and printed
 * readably. Then a sweep: every list every account can read, read strictly, so that a hostile
 * string the hub stored cannot come back out ill-formed to another party.
 *
 * Throughput comes from `lanes`: independent fast-check runs, each sequential, side by side
 * (one request in flight per lane). A lane that meets a failure nobody has reported yet claims
 * its signature and shrinks it — the property fails only on that signature from then on, so the
 * shrink stays on one bug — then goes on with a fresh seed; a failure already claimed is counted
 * and passed over. Shrinking is capped (MAX_SHRINK_STEPS) so that a failure on a 6 MB body does
 * not turn a run into a shrink.
 *
 * The harness keeps its own accounts usable: a token that is revoked (logged out, deleted) is
 * replaced by a new login, and the fuzzer never draws a harness account as a member to change
 * or a login to fail (values.ts), so the run cannot lock itself out.
 */
import fc from 'fast-check';
import { DEMO_HUB_ADMIN, DEMO_PARTIES, demoAccounts } from '../../../src/hub/demo.ts';
import { judge, type Verdict } from './check.ts';
import { type Answer, HttpClient, isAnswer, type NoAnswer } from './http.ts';
import { readStrict, render } from './json.ts';
import { type Operation, operationsOf, poolOfRoute } from './openapi.ts';
import { anyRequest, describeRequest, type FuzzRequest } from './requests.ts';
import type { World } from './values.ts';

/** Shrink steps tried per failure before settling for the smallest found so far. */
const MAX_SHRINK_STEPS = 300;
/** The socket idle timeout of a request, and the bound on its whole answer (ms). */
const REQUEST_TIMEOUT_MS = 60_000;
const WATCHDOG_MS = 120_000;
/** No input answered for this long: the requests in flight are reported (ms). */
const STALL_MS = 30_000;
/** Where the harness's own logins come from (see `fuzz`). */
const HARNESS_ADDRESS = '127.0.0.2';
/** Ids kept per pool (a pool is sampled, not enumerated). */
const POOL_SIZE = 2_000;

export interface Finding {
  readonly signature: string;
  readonly why: string;
  /** How many inputs failed this way (shrink steps included). */
  count: number;
  /** The shrunk request, readable. */
  readonly request: string;
  /** The answer to it: status and the start of the body. */
  readonly answer: string;
  /** fast-check's seed and path, to replay the lane (the hub's state will differ). */
  readonly replay: string;
}

export interface FuzzReport {
  /** Inputs sent (shrink steps included). */
  readonly inputs: number;
  readonly byStatus: ReadonlyMap<number, number>;
  /** Answers 2xx and in all, by route (`POST /api/v1/channels`): which routes the inputs got into. */
  readonly byRoute: ReadonlyMap<string, RouteTally>;
  /** Answers with a 5xx status. */
  readonly serverErrors: number;
  /** Answers that broke the contract otherwise (shape, JSON, status, none). */
  readonly shapeFailures: number;
  readonly findings: readonly Finding[];
  /** Lists read strictly after the run, and what was wrong with them. */
  readonly sweep: { readonly reads: number; readonly problems: readonly string[] };
  /** Logins of the harness's own accounts that failed during the run (not the hub's fault by itself). */
  readonly harness: readonly string[];
  readonly ms: number;
}

/** What one route answered: 2xx, all, and the most frequent refusal (`403 forbidden`). */
export interface RouteTally {
  ok: number;
  all: number;
  readonly refusals: Map<string, number>;
}

export interface FuzzOptions {
  readonly url: string;
  /** Inputs to send (at least; shrinking adds a few). */
  readonly inputs: number;
  /**
   * Stop drawing new inputs after this many milliseconds even if `inputs` was not reached (a long
   * form run to a time budget); the report counts what was sent.
   */
  readonly timeLimitMs?: number;
  /** Requests in flight at once. */
  readonly lanes?: number;
  readonly seed?: number;
  /** The hub's clock (the fuzz hub's manual clock). */
  readonly t0: number;
  readonly parties: readonly string[];
  /** Harness accounts and their passwords. */
  readonly accounts: ReadonlyMap<string, string>;
  /** Called every `progressEvery` inputs. */
  readonly progress?: (done: number, report: () => FuzzReport) => void;
  readonly progressEvery?: number;
  /** Called when no input was answered for STALL_MS, with the requests still waiting. */
  readonly stalled?: (waiting: readonly string[]) => void;
}

/** The demo's accounts (every role of every party, and the hub admin) with their passwords. */
export function demoAccountMap(): Map<string, string> {
  const m = new Map<string, string>([[DEMO_HUB_ADMIN.username, DEMO_HUB_ADMIN.password]]);
  for (const p of DEMO_PARTIES) for (const a of demoAccounts(p.id)) m.set(a.username, a.password);
  return m;
}

export const DEMO_PARTY_IDS: readonly string[] = DEMO_PARTIES.map((p) => p.id);

/**
 * The harness's sessions: one token per account, replaced when the fuzzer revokes it. A login
 * answer that carries a device token (`device.token`: the hub remembers a client that logged in
 * before) has it sent back on the next login, as a console does, so that the fuzzer's own
 * floods of bad logins from the same address do not keep the harness out.
 */
class Sessions {
  private readonly tokens = new Map<string, string>();
  private readonly devices = new Map<string, string>();
  private readonly renewing = new Map<string, Promise<void>>();
  constructor(
    private readonly client: HttpClient,
    private readonly passwords: ReadonlyMap<string, string>,
  ) {}

  async loginAll(): Promise<void> {
    for (const u of this.passwords.keys()) await this.login(u);
  }

  token(username: string): string | undefined {
    return this.tokens.get(username);
  }

  private async login(username: string): Promise<void> {
    const password = this.passwords.get(username) as string;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const device = this.devices.get(username);
      const a = await this.client.send(
        'POST',
        '/api/v1/session',
        { 'content-type': 'application/json' },
        Buffer.from(JSON.stringify({ username, password, ...(device !== undefined && { device }) })),
      );
      if (isAnswer(a) && a.status === 201) {
        const s = JSON.parse(a.body.toString('utf8')) as { token: string; device?: { token?: unknown } };
        this.tokens.set(username, s.token);
        if (typeof s.device?.token === 'string') this.devices.set(username, s.device.token);
        return;
      }
      // Throttled (the fuzzer's own logins share the address and the names' limits): wait as told.
      if (Date.now() > deadline) {
        throw new Error(`harness login ${username}: ${isAnswer(a) ? `${a.status} ${a.body}` : a.error}`);
      }
      const wait = isAnswer(a) ? Number(a.headers['retry-after']) : Number.NaN;
      await new Promise((r) => setTimeout(r, Number.isFinite(wait) ? Math.min(wait, 30) * 1000 : 2_000));
    }
  }

  /** Until every login in progress has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.renewing.values()]);
  }

  /** Log in again if `used` is still the account's token (once, however many lanes ask). */
  renew(username: string, used: string): Promise<void> {
    if (this.tokens.get(username) !== used) return this.renewing.get(username) ?? Promise.resolve();
    let p = this.renewing.get(username);
    if (!p) {
      p = this.login(username).finally(() => this.renewing.delete(username));
      this.renewing.set(username, p);
    }
    return p;
  }
}

/** Ids an answer carries, by pool: the route's own ids and the lists it names. */
function harvest(op: Operation, value: unknown, into: (pool: string, id: string) => void): void {
  if (value === null || typeof value !== 'object') return;
  const v = value as Record<string, unknown>;
  const idOf = (x: unknown): string | null => {
    const o = x as Record<string, unknown> | null;
    if (!o || typeof o !== 'object') return null;
    const props = o.properties as Record<string, unknown> | undefined;
    const id = props?.id ?? o.id ?? o.username;
    return typeof id === 'string' ? id : null;
  };
  const own = poolOfRoute(op.path);
  if (own !== null) {
    const id = own === 'members' ? (v.username as unknown) : idOf(v);
    if (typeof id === 'string') into(own, id);
  }
  for (const [key, list] of Object.entries(v)) {
    if (!Array.isArray(list)) continue;
    const pool = key === 'features' ? 'declarations' : key === 'shifts' ? 'roster' : key;
    for (const x of list) {
      const id = idOf(x);
      if (id !== null) into(pool, id);
    }
  }
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const client = new HttpClient(options.url, (options.lanes ?? 8) + 4);
  // The harness logs in from an address of its own (127.0.0.2, loopback like the fuzzer's
  // 127.0.0.1): the fuzzer's thousands of failed logins throttle their address, as they should,
  // and must not keep the harness from logging in again after the fuzzer revoked its session
  // or its known device.
  const harnessClient = new HttpClient(options.url, 4, HARNESS_ADDRESS);
  const sessions = new Sessions(harnessClient, options.accounts);
  await sessions.loginAll();

  const docAnswer = await client.send('GET', '/api/v1/openapi.json', {}, undefined);
  if (!isAnswer(docAnswer) || docAnswer.status !== 200) throw new Error('no OpenAPI document');
  const ops = operationsOf(JSON.parse(docAnswer.body.toString('utf8')));

  const harness = new Set(options.accounts.keys());
  /** Accounts each route has answered 2xx to (see World.fitting). */
  const fitting = new Map<string, string[]>();
  const pools = new Map<string, string[]>();
  const seen = new Map<string, Set<string>>();
  const addToPool = (pool: string, id: string) => {
    if (pool === 'members' && harness.has(id)) return;
    let p = pools.get(pool);
    let s = seen.get(pool);
    if (!p || !s) {
      p = [];
      s = new Set();
      pools.set(pool, p);
      seen.set(pool, s);
    }
    if (s.has(id)) return;
    s.add(id);
    if (p.length < POOL_SIZE) p.push(id);
    else p[Math.floor(Math.random() * POOL_SIZE)] = id;
  };
  for (const party of options.parties) addToPool('parties', party);

  const world: World = {
    t0: options.t0,
    parties: options.parties,
    accounts: [...options.accounts.keys()],
    pool: (name) => pools.get(name) ?? [],
    fitting: (route) => fitting.get(route) ?? [],
  };

  await prepare(client, sessions, ops, options.parties, addToPool);

  let inputs = 0;
  let serverErrors = 0;
  let shapeFailures = 0;
  const byStatus = new Map<number, number>();
  const byRoute = new Map<string, RouteTally>();
  for (const op of ops) byRoute.set(op.route, { ok: 0, all: 0, refusals: new Map() });
  const findings = new Map<string, Finding>();
  /** Inputs that failed, by signature. */
  const counts = new Map<string, number>();
  const findingOf = (r: FuzzRequest, a: Answer | NoAnswer, v: Verdict, replay: string): Finding => ({
    signature: v.signature,
    why: v.why,
    count: 1,
    request: describeRequest(r),
    answer: isAnswer(a)
      ? `${a.status} ${a.headers['content-type'] ?? '(no content-type)'} ${a.body.toString('utf8').slice(0, 400)}`
      : `no answer: ${a.error}`,
    replay,
  });
  /** Signatures being shrunk by a lane, or done. */
  const claimed = new Set<string>();

  /** Requests being answered, and what else a lane waits for, for the stall report. */
  const inFlight = new Set<{ r: FuzzRequest; since: number }>();
  const elsewhere = new Set<{ what: string; since: number }>();
  const lanePhase: string[] = [];
  /** Harness logins that failed (the account's inputs went on with its revoked token). */
  const harnessProblems: string[] = [];
  let lastDone = inputs;
  const stallCheck = setInterval(() => {
    if (inputs !== lastDone) {
      lastDone = inputs;
      return;
    }
    const now = performance.now();
    const waiting = [
      ...[...inFlight].map((f) => `${Math.round((now - f.since) / 1000)} s: ${describeRequest(f.r)}`),
      ...[...elsewhere].map((f) => `${Math.round((now - f.since) / 1000)} s: ${f.what}`),
      ...lanePhase.map((p, i) => `lane ${i}: ${p}`),
    ];
    options.stalled?.(waiting);
  }, STALL_MS);
  stallCheck.unref();
  /** The size of each request's body as sent, for the judge (see check.ts on the body limit). */
  const sizes = new WeakMap<FuzzRequest, number>();
  const send = async (r: FuzzRequest): Promise<Answer | NoAnswer> => {
    const headers: Record<string, string> = {};
    let used: string | undefined;
    if (r.as.kind === 'account') {
      used = sessions.token(r.as.username);
      if (used) headers.authorization = `Bearer ${used}`;
    } else if (r.as.kind === 'header') headers.authorization = r.as.value;
    if (r.contentType !== null) headers['content-type'] = r.contentType;
    const bytes = r.body === undefined ? undefined : render(r.body);
    const flight = { r, since: performance.now() };
    inFlight.add(flight);
    // The socket's idle timeout ends a request the hub stops answering; this ends one that
    // trickles, or anything else that could hold a lane for ever. A hang is a finding.
    let timer: NodeJS.Timeout | undefined;
    const a = await Promise.race([
      client.send(r.method, r.path, headers, bytes, REQUEST_TIMEOUT_MS),
      new Promise<NoAnswer>((resolve) => {
        timer = setTimeout(() => resolve({ error: `no answer in ${WATCHDOG_MS} ms` }), WATCHDOG_MS);
      }),
    ]);
    clearTimeout(timer);
    inFlight.delete(flight);
    sizes.set(r, bytes?.length ?? 0);
    if (isAnswer(a) && r.as.kind === 'account' && used) {
      const loggedOut =
        r.method === 'DELETE' && r.path.split('?')[0] === '/api/v1/session' && a.status === 204;
      if (a.status === 401 || loggedOut) {
        // In the background: the lanes go on (inputs as this account meanwhile carry the revoked
        // token, and are answered 401, which is an answer like any other).
        const renewing = { what: `logging ${r.as.username} in again`, since: performance.now() };
        elsewhere.add(renewing);
        sessions
          .renew(r.as.username, used)
          .catch((err: unknown) => {
            const m = (err as Error).message;
            if (!harnessProblems.includes(m)) harnessProblems.push(m);
          })
          .finally(() => elsewhere.delete(renewing));
      }
    }
    return a;
  };

  const record = (r: FuzzRequest, a: Answer | NoAnswer): Verdict | null => {
    inputs++;
    if (isAnswer(a)) {
      byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
      if (r.op && r.method === r.op.method) {
        const tally = byRoute.get(r.op.route) ?? { ok: 0, all: 0, refusals: new Map() };
        tally.all++;
        if (a.status >= 400) {
          const read = readStrict(a.body);
          const code = read.ok
            ? String((read.value as { errors?: { code?: unknown }[] }).errors?.[0]?.code)
            : '';
          const key = `${a.status} ${code}`;
          tally.refusals.set(key, (tally.refusals.get(key) ?? 0) + 1);
        }
        if (a.status < 300) {
          tally.ok++;
          const fit = fitting.get(r.op.route) ?? [];
          if (r.as.kind === 'account' && !fit.includes(r.as.username))
            fitting.set(r.op.route, [...fit, r.as.username]);
        }
        byRoute.set(r.op.route, tally);
      }
      if (a.status >= 500) serverErrors++;
      if (a.status < 300 && r.op && r.method === r.op.method) {
        const read = readStrict(a.body);
        if (read.ok) harvest(r.op, read.value, addToPool);
      }
    }
    const v = judge(r, a, sizes.get(r) ?? 0);
    sizes.delete(r);
    if (v) {
      if (!isAnswer(a) || a.status < 500) shapeFailures++;
      counts.set(v.signature, (counts.get(v.signature) ?? 0) + 1);
    }
    if (options.progress && options.progressEvery && inputs % options.progressEvery === 0)
      options.progress(inputs, report);
    return v;
  };

  const report = (): FuzzReport => ({
    inputs,
    byStatus,
    byRoute,
    serverErrors,
    shapeFailures,
    findings: [...findings.values()].map((f) => ({ ...f, count: counts.get(f.signature) ?? f.count })),
    sweep: { reads: 0, problems: [] },
    harness: harnessProblems,
    ms: performance.now() - started,
  });

  const lanes = options.lanes ?? 8;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const arbitrary = anyRequest(ops, world);

  const deadline = options.timeLimitMs === undefined ? undefined : performance.now() + options.timeLimitMs;
  const lane = async (index: number, share: number): Promise<void> => {
    let sent = 0;
    let round = 0;
    while (sent < share) {
      /** The signature this lane is shrinking, and the last failing input and answer. */
      let mine: string | null = null;
      let steps = 0;
      let last: { r: FuzzRequest; a: Answer | NoAnswer; v: Verdict } | null = null;
      const laneSeed = (seed + index * 7919 + round * 104_729) % 2 ** 31;
      const out = await fc.check(
        fc.asyncProperty(arbitrary, async (r) => {
          lanePhase[index] =
            `round ${round}, ${sent}/${share} sent, ${mine === null ? 'drawing' : `shrinking ${mine} (step ${steps})`}`;
          if (mine !== null && ++steps > MAX_SHRINK_STEPS) return true;
          sent++;
          const a = await send(r);
          const v = record(r, a);
          if (v === null) return true;
          if (mine === null) {
            if (claimed.has(v.signature)) return true;
            claimed.add(v.signature);
            mine = v.signature;
          }
          if (v.signature !== mine) {
            // Another failure met while shrinking this one: reported as found (not shrunk), so
            // that nothing seen goes unreported.
            if (!claimed.has(v.signature)) {
              claimed.add(v.signature);
              findings.set(
                v.signature,
                findingOf(r, a, v, 'met while shrinking another finding; not shrunk'),
              );
            }
            return true;
          }
          last = { r, a, v };
          return false;
        }),
        {
          numRuns: share - sent,
          seed: laneSeed,
          // fast-check stops between runs once the time is up; not a failure.
          ...(deadline !== undefined && {
            interruptAfterTimeLimit: Math.max(1, deadline - performance.now()),
          }),
        },
      );
      if (out.interrupted) break;
      lanePhase[index] = `round ${round} ended (${out.failed ? 'a finding' : 'done'})`;
      round++;
      const failed = last as { r: FuzzRequest; a: Answer | NoAnswer; v: Verdict } | null;
      if (out.failed && failed !== null) {
        const { r, a, v } = failed;
        findings.set(
          v.signature,
          findingOf(r, a, v, `seed ${out.seed}, path ${out.counterexamplePath ?? ''}`),
        );
      }
      // A lane that ended without failing has used its share.
      if (!out.failed) break;
    }
  };

  const share = Math.ceil(options.inputs / lanes);
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i, share)));

  clearInterval(stallCheck);
  await sessions.settled();
  const sweep = await sweepLists(client, sessions, options.accounts.keys(), pools);
  client.close();
  harnessClient.close();
  return { ...report(), sweep, ms: performance.now() - started };
}

/**
 * Give the fuzzer something to act on from its first input: a hotline channel every party has
 * accepted, with a message that asks each for an acknowledgement; an API token; a webhook (to a
 * host that cannot resolve); a strike of each party near another party's. Then every list each
 * account can read, to fill the pools of ids. All through the API, as a client would.
 */
async function prepare(
  client: HttpClient,
  sessions: Sessions,
  ops: readonly Operation[],
  parties: readonly string[],
  addToPool: (pool: string, id: string) => void,
): Promise<void> {
  const call = async (username: string, method: string, path: string, body?: unknown): Promise<unknown> => {
    const token = sessions.token(username);
    const a = await client.send(
      method,
      path,
      {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    );
    if (!isAnswer(a) || a.status >= 300) {
      throw new Error(`fuzz setup ${method} ${path}: ${isAnswer(a) ? `${a.status} ${a.body}` : a.error}`);
    }
    const read = readStrict(a.body);
    const op = ops.find(
      (o) =>
        o.method === method &&
        new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0] as string),
    );
    if (read.ok && op) harvest(op, read.value, addToPool);
    return read.ok ? read.value : null;
  };
  const [first, ...others] = parties as [string, ...string[]];
  const channel = (await call(`${first}.admin`, 'POST', '/api/v1/channels', {
    name: 'fuzz',
    parties: others,
  })) as {
    id: string;
  };
  for (const p of others) await call(`${p}.admin`, 'POST', `/api/v1/channels/${channel.id}/accept`, {});
  for (const p of parties)
    await call(`${p}.watch`, 'POST', `/api/v1/channels/${channel.id}/messages`, {
      text: `from ${p}`,
      precedence: 'immediate',
    });
  await call(`${first}.admin`, 'POST', '/api/v1/tokens', { name: 'fuzz' });
  await call(`${first}.admin`, 'POST', '/api/v1/webhooks', { url: 'https://hook-setup.invalid/deconflict' });
  const reads = [
    '/api/v1/declarations?limit=5000',
    '/api/v1/conflicts?limit=5000',
    '/api/v1/alerts?limit=5000',
    '/api/v1/channels',
    `/api/v1/channels/${channel.id}/messages`,
    '/api/v1/roster',
    '/api/v1/tokens',
    '/api/v1/webhooks',
  ];
  for (const p of parties) {
    for (const role of ['admin', 'watch']) {
      for (const path of reads) {
        if (path === '/api/v1/tokens' || path === '/api/v1/webhooks') {
          if (role !== 'admin') continue;
        }
        await call(`${p}.${role}`, 'GET', path);
      }
    }
    await call(`${p}.admin`, 'GET', `/api/v1/parties/${p}/members`);
  }
  await call('hub.admin', 'GET', '/api/v1/parties');
}

/**
 * Read every list as every account, strictly: whatever the fuzzer stored must come back out as
 * strict JSON with well-formed strings, to the party that stored it and to every other.
 */
async function sweepLists(
  client: HttpClient,
  sessions: Sessions,
  accounts: Iterable<string>,
  pools: ReadonlyMap<string, readonly string[]>,
): Promise<{ reads: number; problems: string[] }> {
  const paths = [
    '/api/v1/declarations?limit=5000',
    '/api/v1/declarations?limit=5000&status=withdrawn',
    '/api/v1/conflicts?limit=5000',
    '/api/v1/alerts?limit=5000',
    '/api/v1/events?limit=1000',
    '/api/v1/channels',
    '/api/v1/roster',
    '/api/v1/tokens',
    '/api/v1/webhooks',
    '/api/v1/parties',
    '/api/v1/probing',
    ...(pools.get('channels') ?? [])
      .slice(0, 50)
      .map((c) => `/api/v1/channels/${encodeURIComponent(c)}/messages`),
    ...(pools.get('parties') ?? [])
      .slice(0, 20)
      .map((p) => `/api/v1/parties/${encodeURIComponent(p)}/members`),
  ];
  let reads = 0;
  /** Problem → the accounts that met it (one line per problem, not per account). */
  const met = new Map<string, string[]>();
  const problem = (what: string, username: string) => met.set(what, [...(met.get(what) ?? []), username]);
  for (const username of accounts) {
    for (const path of paths) {
      const token = sessions.token(username);
      const a = await client.send('GET', path, token ? { authorization: `Bearer ${token}` } : {}, undefined);
      reads++;
      if (!isAnswer(a)) {
        problem(`GET ${path}: no answer (${a.error})`, username);
        continue;
      }
      if (a.status >= 500) problem(`GET ${path}: ${a.status}`, username);
      const read = readStrict(a.body);
      if (!read.ok) problem(`GET ${path}: ${a.status}, ${read.why.replace(/\[\d+\]/g, '[…]')}`, username);
    }
  }
  const problems = [...met].map(
    ([what, who]) => `${what} (as ${who.length === 1 ? who[0] : `${who.length} accounts`})`,
  );
  return { reads, problems };
}

/** A report as lines for a person. */
/** One finding, as the report prints it (and the long form as soon as it is found). */
export function formatFinding(f: FuzzReport['findings'][number]): string {
  return [
    `FINDING ${f.signature} (${f.count.toLocaleString('en')} inputs)`,
    `  ${f.why}`,
    `  shrunk request: ${f.request.replace(/\n/g, '\n  ')}`,
    `  answer: ${f.answer.replace(/\n/g, ' ')}`,
    `  replay: ${f.replay}`,
  ].join('\n');
}

export function formatReport(r: FuzzReport): string {
  const lines = [
    `inputs tried:     ${r.inputs.toLocaleString('en')}`,
    `5xx answers:      ${r.serverErrors.toLocaleString('en')}`,
    `shape failures:   ${r.shapeFailures.toLocaleString('en')}`,
    `distinct findings: ${r.findings.length}`,
    `statuses:         ${[...r.byStatus.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
    `routes:           ${r.byRoute.size} fuzzed, ${[...r.byRoute.values()].filter((x) => x.ok > 0).length} of them answered 2xx at least once`,
    `never 2xx:        ${
      [...r.byRoute.entries()]
        .filter(([, x]) => x.ok === 0)
        .map(([route, x]) => {
          const top = [...x.refusals].sort((a, b) => b[1] - a[1])[0];
          return `${route} (${x.all}${top ? `, mostly ${top[0]}` : ''})`;
        })
        .join(', ') || 'none'
    }`,
    `sweep:            ${r.sweep.reads} lists read strictly, ${r.sweep.problems.length} problems`,
    `time:             ${(r.ms / 1000).toFixed(1)} s, ${Math.round(r.inputs / (r.ms / 1000))} inputs/s`,
  ];
  for (const f of r.findings) lines.push('', formatFinding(f));
  for (const p of r.sweep.problems) lines.push(`SWEEP ${p}`);
  for (const h of r.harness) lines.push(`HARNESS ${h}`);
  return lines.join('\n');
}
