/**
 * Push benchmark: from the commit of a conflicting declaration to its alert on every console
 * concerned, with 1,000 consoles connected across 10 parties (issue #4: p99 ≤ 100 ms).
 *
 * The hub is the real CLI in its own process (`deconflict admin create`, then `deconflict serve
 * --port 0` on a temporary data directory), so that the consoles do not share its event loop.
 * Over HTTP: the hub admin creates 10 parties; each party admin creates an operator and a watch
 * officer (put on call), and issues the consoles' credentials — 2 sessions of the watch officer
 * (each login costs a scrypt) and 98 API tokens with the role watch_officer. Then 1,000
 * WebSocket clients (package `ws`, `Authorization: Bearer`) connect to /api/v1/stream and wait for
 * their `hello`. Each party declares a medical protected site (Point, buffer 200 m) at its own
 * place, 40–55 km from the others.
 *
 * 1. Spaced rounds: a random party's operator submits a strike Point 0–150 m from another random
 *    party's site (buffer 100 m; each round its own one-hour window, so strikes never conflict
 *    with each other). The next round starts once all its deliveries are in, plus a pause: this
 *    measures latency, not queueing. 20 warm-up rounds first, not counted.
 * 2. Bursts: the 10 parties in 5 disjoint pairs, 5 strikes submitted at once, each by a different
 *    operator (the commits queue behind the hub's write lock).
 *
 * Every concerned console (the 100 of each of the two parties) must receive the `alert.created`
 * of the new conflict (and its `conflict.detected`). Times come from performance.now() in this
 * process: t0 just before the POST is sent, t1 when the 201's headers arrived, and each frame's
 * when the client's 'message' handler ran (it only stamps and keeps the frame; frames are parsed
 * after the round). The commit lies between t0 and the first frame of its conflict at any console,
 * so for each delivery "from request sent" is an upper bound of commit → delivery and "from the
 * first console" a lower bound. Also shown: from the event's `at` (the hub's clock when its write
 * began, after any wait for the write lock; compared with this process's clock through
 * performance.timeOrigin, so a cross-process reading), and from t1 — negative, because the hub
 * publishes to the sockets right after the commit, before it writes the HTTP answer. Counted:
 * deliveries missed, frames at a console whose party is not in the conflict (must be 0), other
 * frames, gaps and repeats of each console's `seq`. Before the consoles connect, 30 strikes time
 * the POST without any fan-out.
 *
 * Run: `node --import tsx --max-old-space-size=8192 bench/push.bench.ts` (about 40 s, of which
 * ~15 s setup: scrypt for the accounts, 980 token writes). Seeded (mulberry32). Environment:
 * - PUSH_BENCH_ROUNDS, PUSH_BENCH_BURSTS: the counts of rounds and bursts (default 200 and 40);
 * - PUSH_BENCH_PROFILE=DIR: run the hub with --cpu-prof into DIR and print its hottest functions
 *   during each phase (samples picked by CLOCK_MONOTONIC, which V8's profile and this process share).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { REPO, type Server, startServe } from './serve.ts';
import {
  type CpuProfile,
  count,
  HOUR,
  msFmt,
  msSince,
  mulberry32,
  now,
  offset,
  pick,
  printHottest,
  quantile,
  type Rng,
  roundForJson,
  roundMinute,
  secs,
  section,
  sleep,
  table,
  uniform,
  verdict,
} from './support.ts';

const PARTIES = 10;
const CONSOLES_PER_PARTY = 100;
const SESSIONS_PER_PARTY = 2;
/** Spaced rounds run (and not counted) before phase 1. */
const WARMUP = 20;
/** Strikes submitted before the consoles connect, to time the POST without fan-out. */
const BASELINE = 30;
const ROUNDS = Number(process.env.PUSH_BENCH_ROUNDS ?? 200);
const BURSTS = Number(process.env.PUSH_BENCH_BURSTS ?? 40);
const TARGET_P99_MS = 100;
/** How long a submission's deliveries may take before the missing ones count as missed. */
const DELIVERY_TIMEOUT_MS = 10_000;
const PASSWORD = 'bench-passphrase-not-secret';
const PROFILE_DIR = process.env.PUSH_BENCH_PROFILE;

const partyId = (i: number): string => `party-${String(i).padStart(2, '0')}`;
const isoMinute = (t: number): string => new Date(roundMinute(t)).toISOString();

/** Party i's site: a 5 × 2 grid, 0.5° apart (40–55 km), far from the demo's places. */
const sitePlace = (i: number): [number, number] => [23 + (i % 5) * 0.5, 45 + Math.floor(i / 5) * 0.5];

// --- The hub process ----------------------------------------------------------------------------

function cli(args: readonly string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/deconflict.js', ...args], { cwd: REPO });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`deconflict ${args[0]}: ${out}`)),
    );
    child.stdin.end(stdin);
  });
}

async function startServer(dir: string): Promise<Server> {
  const prof = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-interval=200'] : [];
  return startServe(['--data', dir, '--port', '0'], prof);
}

/** CPU seconds a process used so far (Linux /proc; clock ticks of 10 ms), or NaN. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function peakRssMB(pid: number | undefined): string {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? `${(Number(m[1]) / 1024).toFixed(0)} MB` : '?';
  } catch {
    return '?';
  }
}

// --- HTTP ---------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** performance.now() when the answer's headers arrived. */
  at: number;
}

async function call(base: string, method: string, path: string, token: string | null, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token !== null && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const at = performance.now();
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    at,
  } as Answer;
}

async function must(base: string, method: string, path: string, token: string | null, body?: unknown) {
  const a = await call(base, method, path, token, body);
  if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
}

/** Map with at most `n` calls in flight. */
async function pool<T, R>(items: readonly T[], n: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

// --- Consoles -----------------------------------------------------------------------------------

interface Receipt {
  console: number;
  type: string;
  /** performance.now() when the client's 'message' handler ran. */
  t: number;
  /** The event's `at` (the hub's clock when its write began), ms since the epoch. */
  at: number;
}

interface Console {
  readonly index: number;
  readonly party: number;
  readonly ws: WebSocket;
  lastSeq: number;
}

const ALERT_MARK = '"type":"alert.created"';

/**
 * What the consoles received. The 'message' handler only stamps the frame and keeps it (and
 * counts alerts, to know when a round is complete); frames are parsed afterwards, by `drain`, so
 * that parsing 200 frames does not delay the stamps of the frames behind them.
 */
class Inbox {
  readonly byConflict = new Map<string, Receipt[]>();
  readonly other: { console: number; type: string }[] = [];
  /** `declaration.changed` frames: one per strike at every console (the strikes are visible to all). */
  declarations = 0;
  gaps = 0;
  repeats = 0;
  frames = 0;
  alerts = 0;
  private pending: { c: Console; raw: Buffer; t: number }[] = [];
  private waiter: { target: number; done: () => void } | null = null;

  constructor(private readonly consoles: Console[]) {}

  receive(c: Console, raw: Buffer, t: number): void {
    this.pending.push({ c, raw, t });
    if (raw.includes(ALERT_MARK) && ++this.alerts === this.waiter?.target) this.waiter.done();
  }

  /** Resolves once `target` alert frames arrived in all, or after the timeout. */
  until(target: number): Promise<void> {
    if (this.alerts >= target) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
      const timer = setTimeout(done, DELIVERY_TIMEOUT_MS);
      this.waiter = { target, done };
    });
  }

  /** Parse what arrived: file it by conflict, check each console's `seq`. */
  drain(): void {
    for (const { c, raw, t } of this.pending.splice(0)) {
      const f = JSON.parse(raw.toString()) as {
        seq?: number;
        type: string;
        at?: string;
        data?: Record<string, unknown>;
      };
      if (f.seq === undefined) {
        this.other.push({ console: c.index, type: f.type });
        continue;
      }
      this.frames++;
      if (f.seq <= c.lastSeq) this.repeats++;
      else if (f.seq !== c.lastSeq + 1) this.gaps++;
      c.lastSeq = Math.max(c.lastSeq, f.seq);
      // Every console is told of each strike (visibility all): counted, not timed.
      if (f.type === 'declaration.changed') {
        this.declarations++;
        continue;
      }
      const id =
        f.type === 'alert.created'
          ? f.data?.subject
          : f.type === 'conflict.detected'
            ? f.data?.id
            : undefined;
      if (typeof id !== 'string') {
        this.other.push({ console: c.index, type: f.type });
        continue;
      }
      let list = this.byConflict.get(id);
      if (!list) {
        list = [];
        this.byConflict.set(id, list);
      }
      list.push({ console: c.index, type: f.type, t, at: Date.parse(f.at ?? '') });
    }
  }

  partyOf(r: Receipt): number {
    return (this.consoles[r.console] as Console).party;
  }
}

async function connect(url: string, token: string, c: Omit<Console, 'ws' | 'lastSeq'>, inbox: Inbox) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const con: Console = { ...c, ws, lastSeq: 0 };
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`console ${c.index} closed (${code}) before hello`)));
    ws.once('message', (raw) => {
      const hello = JSON.parse(String(raw)) as { type: string; since: number; party: string };
      if (hello.type !== 'hello' || hello.party !== partyId(c.party))
        return reject(new Error(`console ${c.index}: ${String(raw)}`));
      con.lastSeq = hello.since;
      ws.on('message', (data) => inbox.receive(con, data as Buffer, performance.now()));
      resolve();
    });
  });
  ws.removeAllListeners('close');
  ws.removeAllListeners('error');
  ws.on('error', () => undefined);
  return con;
}

// --- Submissions --------------------------------------------------------------------------------

interface Party {
  readonly index: number;
  readonly operator: string;
  readonly admin: string;
  readonly site: [number, number];
}

interface Measured {
  /** Alert receive time − t0 (request sent): an upper bound of commit → delivery. */
  fromSent: number[];
  /** Alert receive time − the first frame of that conflict at any console: a lower bound. */
  fromFirst: number[];
  /** Alert receive time − t1 (the 201's headers received). */
  fromAnswer: number[];
  /** Alert receive time (as wall-clock time) − the event's `at` (the hub's clock as its write began). */
  fromWriteStart: number[];
  /** conflict.detected receive time − t0. */
  detectedFromSent: number[];
  /** t1 − t0: the submission's own HTTP round trip. */
  http: number[];
  missed: number;
  leaked: number;
  repeatedAlerts: number;
  submissions: number;
}

const emptyMeasure = (): Measured => ({
  fromSent: [],
  fromFirst: [],
  fromAnswer: [],
  fromWriteStart: [],
  detectedFromSent: [],
  http: [],
  missed: 0,
  leaked: 0,
  repeatedAlerts: 0,
  submissions: 0,
});

/** A strike 0–150 m from `victim`'s site, in the one-hour window number `slot`. */
function strikeNear(rng: Rng, victim: Party, slot: number, base: number) {
  const r = 150 * Math.sqrt(rng());
  const a = uniform(rng, 0, 2 * Math.PI);
  const start = base + slot * 2 * HOUR;
  return {
    type: 'Feature',
    geometry: {
      type: 'Point',
      coordinates: offset(victim.site, r * Math.cos(a), r * Math.sin(a), roundForJson),
    },
    properties: { kind: 'strike', start: isoMinute(start), end: isoMinute(start + HOUR), buffer_m: 100 },
  };
}

interface Sent {
  id: string;
  concerned: [number, number];
  t0: number;
  t1: number;
}

/** POST one strike by `attacker` near `victim`'s site; the one conflict it must raise. */
async function submitStrike(base: string, attacker: Party, victim: Party, feature: unknown): Promise<Sent> {
  const t0 = performance.now();
  const a = await call(base, 'POST', '/api/v1/declarations', attacker.operator, feature);
  const conflicts = (a.body.conflicts ?? []) as { id: string; rule: string }[];
  if (a.status !== 201 || conflicts.length !== 1 || conflicts[0]?.rule !== 'strike_protected')
    throw new Error(`expected one strike_protected conflict, got ${a.status} ${JSON.stringify(a.body)}`);
  return { id: (conflicts[0] as { id: string }).id, concerned: [attacker.index, victim.index], t0, t1: a.at };
}

/** Score a submission once its frames are drained. */
function score(inbox: Inbox, s: Sent, m: Measured): void {
  m.submissions++;
  m.http.push(s.t1 - s.t0);
  const list = inbox.byConflict.get(s.id) ?? [];
  const first = Math.min(...list.map((r) => r.t));
  const seen = new Set<number>();
  for (const r of list) {
    if (!s.concerned.includes(inbox.partyOf(r))) {
      m.leaked++;
      continue;
    }
    if (r.type === 'conflict.detected') {
      m.detectedFromSent.push(r.t - s.t0);
      continue;
    }
    if (seen.has(r.console)) {
      m.repeatedAlerts++;
      continue;
    }
    seen.add(r.console);
    m.fromSent.push(r.t - s.t0);
    m.fromFirst.push(r.t - first);
    m.fromAnswer.push(r.t - s.t1);
    m.fromWriteStart.push(performance.timeOrigin + r.t - r.at);
  }
  m.missed += s.concerned.length * CONSOLES_PER_PARTY - seen.size;
}

/** Every frame received, late ones included, against the parties of its conflict. */
function leaks(inbox: Inbox, sent: Map<string, readonly number[]>): number {
  let leaked = 0;
  for (const [id, list] of inbox.byConflict) {
    const concerned = sent.get(id);
    for (const r of list) if (!concerned?.includes(inbox.partyOf(r))) leaked++;
  }
  return leaked;
}

function sorted(xs: readonly number[]): Float64Array {
  return Float64Array.from(xs).sort();
}

function latencyRows(label: string, xs: readonly number[], target = false, which = [0.5, 0.95, 0.99, 1]) {
  const s = sorted(xs);
  return which.map((q) => {
    const v = quantile(s, q);
    const name = q === 1 ? 'max' : `p${Math.round(q * 100)}`;
    const withTarget = target && q === 0.99;
    return [
      `${label} ${name}`,
      msFmt(v),
      withTarget ? `≤ ${TARGET_P99_MS} ms` : '',
      withTarget ? verdict(v <= TARGET_P99_MS) : '',
    ];
  });
}

/** Prints the phase's table; returns whether each bound of the p99 met the target, all delivered. */
function report(
  m: Measured,
  expected: number,
  extraRows: string[][] = [],
): { sent: boolean; write: boolean } {
  const complete =
    m.fromSent.length === expected && m.missed === 0 && m.leaked === 0 && m.repeatedAlerts === 0;
  const sent = complete && quantile(sorted(m.fromSent), 0.99) <= TARGET_P99_MS;
  const write = complete && quantile(sorted(m.fromWriteStart), 0.99) <= TARGET_P99_MS;
  console.log(
    table(
      ['measure', 'value', 'target', ''],
      [
        ['submissions (each raising one strike_protected conflict)', count(m.submissions), '', ''],
        [
          'alert.created delivered to the concerned consoles',
          `${count(m.fromSent.length)} of ${count(expected)}`,
          'all',
          verdict(m.fromSent.length === expected),
        ],
        ...latencyRows('alert: request sent → console (upper bound)', m.fromSent, true),
        ...latencyRows('alert: first console → console (lower bound)', m.fromFirst),
        ...latencyRows(
          "alert: hub's write began → console (hub clock)",
          m.fromWriteStart,
          false,
          [0.5, 0.99],
        ),
        ...latencyRows('alert: 201 received → console', m.fromAnswer, false, [0.5, 1]),
        ...latencyRows('conflict.detected: request sent → console', m.detectedFromSent, false, [0.5, 0.99]),
        ...latencyRows('POST: request sent → 201 headers', m.http, false, [0.5, 0.99]),
        ['deliveries missed', count(m.missed), '0', verdict(m.missed === 0)],
        [
          "frames at a console whose party isn't in the conflict",
          count(m.leaked),
          '0',
          verdict(m.leaked === 0),
        ],
        [
          'alert.created received twice by a console',
          count(m.repeatedAlerts),
          '0',
          verdict(m.repeatedAlerts === 0),
        ],
        ...extraRows,
      ],
    ),
  );
  return { sent, write };
}

// --- Profile of the hub process (PUSH_BENCH_PROFILE) ------------------------------------------------

/** CLOCK_MONOTONIC in µs: the clock of V8's profile timestamps, the same in every process. */
const monoMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** The hub's hottest functions (self and total time) between `from` and `to` (monoMicros). */
function printProfile(dir: string, windows: readonly { name: string; from: number; to: number }[]): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return void console.log(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  for (const w of windows) {
    printHottest(
      profile,
      (n, idle) =>
        `\nhub process CPU profile, ${w.name}: ${count(n)} samples, ${idle} % idle (${join(dir, file)})`,
      (t) => t >= w.from && t <= w.to,
    );
  }
}

// --- Main ---------------------------------------------------------------------------------------

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

async function main(): Promise<void> {
  const start = now();
  const cpus = os.cpus();
  console.log('deconflict push benchmark');
  console.log(`node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}`);
  console.log(
    `CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores, ${(os.totalmem() / 2 ** 20).toFixed(0)} MB` +
      ` RAM; load average (1 / 5 / 15 min): ${loadavg()}`,
  );
  const dir = mkdtempSync(join(os.tmpdir(), 'deconflict-push-bench-'));
  let server: Server | undefined;
  const consoles: Console[] = [];
  const profiled: { name: string; from: number; to: number }[] = [];
  try {
    section('Setup');
    const s0 = now();
    await cli(['admin', 'create', '--data', dir, '--username', 'bench.hubadmin'], `${PASSWORD}\n`);
    server = await startServer(dir);
    const base = server.address;
    const pid = server.child.pid;
    console.log(
      `hub: node bin/deconflict.js serve --data DIR --port 0 → ${base} (its own process, pid ${pid})`,
    );
    const hubAdmin = (await must(base, 'POST', '/api/v1/session', null, {
      username: 'bench.hubadmin',
      password: PASSWORD,
    })) as { token: string };

    // Parties, members, the watch officer on call, and the consoles' credentials.
    const t = Date.now();
    const creds: { party: number; token: string }[] = [];
    // Logins are admitted a few at a time per address (the login gate, docs/security.md): the
    // ten parties' setup logs in at once, so a 429 is waited out and asked again.
    const login = async (username: string): Promise<string> => {
      for (;;) {
        const a = await call(base, 'POST', '/api/v1/session', null, { username, password: PASSWORD });
        if (a.status === 429) {
          await sleep(250);
          continue;
        }
        if (a.status >= 300) throw new Error(`POST /api/v1/session: ${a.status} ${JSON.stringify(a.body)}`);
        return (a.body as { token: string }).token;
      }
    };
    const parties: Party[] = await Promise.all(
      Array.from({ length: PARTIES }, async (_, i): Promise<Party> => {
        const id = partyId(i);
        await must(base, 'POST', '/api/v1/parties', hubAdmin.token, {
          id,
          name: `Bench party ${i}`,
          admin: { username: `${id}.admin`, password: PASSWORD },
        });
        const admin = await login(`${id}.admin`);
        for (const [who, role] of [
          ['operator', 'operator'],
          ['watch', 'watch_officer'],
        ] as const) {
          await must(base, 'POST', `/api/v1/parties/${id}/members`, admin, {
            username: `${id}.${who}`,
            password: PASSWORD,
            roles: [role],
          });
        }
        await must(base, 'POST', '/api/v1/roster', admin, {
          role: 'watch_officer',
          username: `${id}.watch`,
          start: new Date(t - HOUR).toISOString(),
          end: new Date(t + 2 * 24 * HOUR).toISOString(),
        });
        const operator = await login(`${id}.operator`);
        for (let k = 0; k < SESSIONS_PER_PARTY; k++)
          creds.push({ party: i, token: await login(`${id}.watch`) });
        return { index: i, operator, admin, site: sitePlace(i) };
      }),
    );
    const accountsMs = msSince(s0);
    const k0 = now();
    const asks = parties.flatMap((p) =>
      Array.from({ length: CONSOLES_PER_PARTY - SESSIONS_PER_PARTY }, (_, k) => ({ p, k })),
    );
    await pool(asks, 20, async ({ p, k }) => {
      const tok = (await must(base, 'POST', '/api/v1/tokens', p.admin, {
        name: `console ${k}`,
        roles: ['watch_officer'],
      })) as { token: string };
      creds.push({ party: p.index, token: tok.token });
    });
    console.log(
      `${PARTIES} parties, each: admin, operator, watch officer (on call) — ${secs(accountsMs)} (scrypt);` +
        ` the consoles' credentials: per party ${SESSIONS_PER_PARTY} sessions of the watch officer and` +
        ` ${CONSOLES_PER_PARTY - SESSIONS_PER_PARTY} API tokens (role watch_officer) — ${secs(msSince(k0))}` +
        ' for the tokens',
    );

    // The sites, one per party.
    const now0 = Date.now();
    for (const p of parties) {
      const b = await must(base, 'POST', '/api/v1/declarations', p.operator, {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: p.site },
        properties: {
          kind: 'protected_site',
          category: 'medical',
          start: isoMinute(now0 - HOUR),
          buffer_m: 200,
          visibility: 'all',
        },
      });
      if ((b.conflicts as unknown[]).length !== 0) throw new Error('the sites conflict with something');
    }
    console.log(
      `${PARTIES} medical protected sites (Point, buffer 200 m, visibility all) on a 5 × 2 grid 0.5° apart,` +
        ' 23°E–25°E × 45°N–45.5°N',
    );

    const rng = mulberry32(0x9005);
    const slotBase = Math.ceil((Date.now() + 24 * HOUR) / HOUR) * HOUR;
    let slot = 0;
    const randomPair = (): [Party, Party] => {
      const attacker = pick(rng, parties);
      let victim = pick(rng, parties);
      while (victim === attacker) victim = pick(rng, parties);
      return [attacker, victim];
    };

    // The same submissions with no console connected: what the POST costs without the fan-out.
    const baseline: number[] = [];
    for (let r = 0; r < BASELINE; r++) {
      const [attacker, victim] = randomPair();
      const s = await submitStrike(base, attacker, victim, strikeNear(rng, victim, slot++, slotBase));
      baseline.push(s.t1 - s.t0);
      await sleep(uniform(rng, 10, 30));
    }

    // The consoles.
    const inbox = new Inbox(consoles);
    const c0 = now();
    const url = `${base.replace(/^http/, 'ws')}/api/v1/stream`;
    creds.sort((a, b) => a.party - b.party);
    const opened = await pool(creds, 50, (c, i) =>
      connect(url, c.token, { index: i, party: c.party }, inbox),
    );
    consoles.push(...opened);
    console.log(
      `${count(consoles.length)} consoles connected (ws, Authorization: Bearer, 50 handshakes in flight);` +
        ` every hello in ${secs(msSince(c0))}`,
    );
    await sleep(500);
    inbox.drain();
    const framesBefore = inbox.frames + inbox.other.length;
    const declarationsBefore = inbox.declarations;
    const sent = new Map<string, readonly number[]>();
    console.log(`load average now: ${loadavg()}`);

    // 1. Spaced rounds.
    section(
      `1. ${ROUNDS} spaced rounds: one strike at a time, ${count(consoles.length)} consoles, ${PARTIES} parties`,
    );
    const spaced = async (rounds: number, m: Measured) => {
      for (let r = 0; r < rounds; r++) {
        const [attacker, victim] = randomPair();
        const f = strikeNear(rng, victim, slot++, slotBase);
        const done = inbox.until(inbox.alerts + 2 * CONSOLES_PER_PARTY);
        const s = await submitStrike(base, attacker, victim, f);
        await done;
        inbox.drain();
        score(inbox, s, m);
        sent.set(s.id, s.concerned);
        await sleep(uniform(rng, 10, 30));
      }
    };
    const warm = emptyMeasure();
    await spaced(WARMUP, warm);
    const one = emptyMeasure();
    const r0 = now();
    const m1 = monoMicros();
    const cpu1 = cpuSeconds(pid);
    await spaced(ROUNDS, one);
    const oneMs = msSince(r0);
    profiled.push({ name: 'spaced rounds', from: m1, to: monoMicros() });
    const cpuOne = cpuSeconds(pid) - cpu1;
    console.log(
      "each round: a random party's operator POSTs a strike Point 0–150 m from another random party's site" +
        ' (buffer 100 m, a 1 h window of its own); the next round starts 10–30 ms after all 200 alerts are in.' +
        ` ${secs(oneMs)} in all; hub process CPU ${cpuOne.toFixed(2)} s. Before them, ${WARMUP} warm-up rounds,` +
        ` not counted (the first fan-outs after the consoles connect are slower): alert from request sent p50` +
        ` ${msFmt(quantile(sorted(warm.fromSent), 0.5))}, max ${msFmt(quantile(sorted(warm.fromSent), 1))},` +
        ` ${warm.missed} missed`,
    );
    const okOne = report(one, ROUNDS * 2 * CONSOLES_PER_PARTY, [
      ...latencyRows(`POST with no console connected (${BASELINE} strikes)`, baseline, false, [0.5, 0.99]),
    ]);

    // 2. Bursts of concurrent submissions.
    section(`2. ${BURSTS} bursts: ${PARTIES / 2} strikes submitted at once (disjoint pairs of parties)`);
    const two = emptyMeasure();
    const b0 = now();
    const m2 = monoMicros();
    const cpu2 = cpuSeconds(pid);
    for (let b = 0; b < BURSTS; b++) {
      const order = [...parties];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [order[i], order[j]] = [order[j] as Party, order[i] as Party];
      }
      const done = inbox.until(inbox.alerts + PARTIES * CONSOLES_PER_PARTY);
      const burst = await Promise.all(
        Array.from({ length: PARTIES / 2 }, (_, k) => {
          const attacker = order[2 * k] as Party;
          const victim = order[2 * k + 1] as Party;
          return submitStrike(base, attacker, victim, strikeNear(rng, victim, slot++, slotBase));
        }),
      );
      await done;
      inbox.drain();
      for (const s of burst) {
        score(inbox, s, two);
        sent.set(s.id, s.concerned);
      }
      await sleep(uniform(rng, 10, 30));
    }
    const twoMs = msSince(b0);
    profiled.push({ name: 'bursts', from: m2, to: monoMicros() });
    const cpuTwo = cpuSeconds(pid) - cpu2;
    console.log(
      "each burst: the parties shuffled into 5 pairs, each pair's first party strikes the other's site;" +
        ' the 5 POSTs sent together by 5 operators; the next burst 10–30 ms after all 1,000 alerts are in.' +
        ` ${secs(twoMs)} in all; hub process CPU ${cpuTwo.toFixed(2)} s`,
    );

    // Late frames too: wait a little, then check everything received against its conflict.
    await sleep(500);
    inbox.drain();
    const received = inbox.frames + inbox.other.length - framesBefore;
    const declFrames = inbox.declarations - declarationsBefore;
    const expectedDecl = sent.size * PARTIES * CONSOLES_PER_PARTY;
    const expectedFrames = sent.size * 2 * 2 * CONSOLES_PER_PARTY + expectedDecl;
    const leaked = leaks(inbox, sent);
    const okTwo = report(two, BURSTS * PARTIES * CONSOLES_PER_PARTY, [
      [
        'both phases: frames received / expected (2 per concerned console per conflict, 1 per console per strike)',
        `${count(received)} / ${count(expectedFrames)}`,
        'equal',
        verdict(received === expectedFrames),
      ],
      [
        'both phases: declaration.changed frames / expected (every console, each strike)',
        `${count(declFrames)} / ${count(expectedDecl)}`,
        'equal',
        verdict(declFrames === expectedDecl),
      ],
      ['both phases: frames at an unconcerned console', count(leaked), '0', verdict(leaked === 0)],
      ['both phases: other frames', count(inbox.other.length), '0', verdict(inbox.other.length === 0)],
      [
        'both phases: seq gaps / repeats',
        `${inbox.gaps} / ${inbox.repeats}`,
        '0 / 0',
        verdict(inbox.gaps + inbox.repeats === 0),
      ],
    ]);
    if (inbox.other.length > 0)
      console.log(`other frames: ${[...new Set(inbox.other.map((o) => o.type))].join(', ')}`);
    console.log(
      `\nhub process: peak RSS ${peakRssMB(pid)}; this process (1,000 clients): peak RSS` +
        ` ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average after: ${loadavg()}`,
    );
    const orderly =
      received === expectedFrames && declFrames === expectedDecl && leaked === 0 && inbox.other.length === 0;
    console.log(
      `\np99 ≤ ${TARGET_P99_MS} ms — spaced rounds: from request sent ${verdict(okOne.sent)}, from the hub's write` +
        ` ${verdict(okOne.write)}; bursts: from request sent ${verdict(okTwo.sent)} (includes waiting for the` +
        ` hub's write lock), from the hub's write ${verdict(okTwo.write)}. Delivery complete, isolated and in order` +
        ` ${verdict(orderly && inbox.gaps + inbox.repeats === 0)}; total ${secs(msSince(start))}`,
    );
  } finally {
    for (const c of consoles) c.ws.terminate();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (PROFILE_DIR && profiled.length > 0) printProfile(PROFILE_DIR, profiled);
  }
}

await main();
