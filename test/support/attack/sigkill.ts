/**
 * The SIGKILL loop: a real `deconflict serve` process (bin/deconflict.js, as an operator runs it)
 * under mixed load — submissions and amendments, acknowledgements of conflict alerts, hotline
 * messages and their acknowledgements, from the four demo parties at once — killed with SIGKILL
 * at a random moment, again and again. After each kill:
 *
 * 1. the data directory as the kill left it is copied (the database and its write-ahead log), and
 *    the copy is opened through the store: its ledger must verify, and every request answered 2xx
 *    so far must have its ledger entry (a declaration's creation and each amendment, an
 *    acknowledgement, a message) — durability is about what is on disk at the moment of death;
 * 2. the hub is restarted on the directory itself (taking over the dead process's lock, recovering
 *    the log) and timed until /healthz answers;
 * 3. every request ever answered 2xx is checked through the API of the restarted hub: each
 *    declaration present with at least the version it was answered with, each acknowledged
 *    alert acknowledged by that member, each message in its channel, each message
 *    acknowledgement on the message's receipt.
 *
 * "Answered 2xx" means the status line arrived: the hub answers after its transaction committed
 * (synchronous=FULL), so from that moment the change must survive anything. Requests cut off by
 * the kill may or may not have committed; either is fine, and neither is counted.
 *
 * After the last kill the hub is restarted, checked, stopped cleanly (exit 0), and the ledger of
 * the directory itself verified.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PARTIES, demoAccounts } from '../../../src/hub/demo.ts';
import { verifyChain } from '../../../src/ledger/chain.ts';
import { seeded } from '../random.ts';
import { login, type Served, serve } from '../serve.ts';
import { readLedger } from './processes.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SigkillOptions {
  /** How many times the hub is killed. */
  readonly kills: number;
  /** Load before each kill: a random time in [min, max] ms. */
  readonly loadMs?: readonly [number, number];
  /** Requests in flight at once. */
  readonly workers?: number;
  readonly seed?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface SigkillReport {
  readonly kills: number;
  /** Requests sent, answered 2xx, answered otherwise (by status), cut off by a kill. */
  readonly sent: number;
  readonly answered2xx: number;
  readonly refused: ReadonlyMap<number, number>;
  readonly cutOff: number;
  /** Distinct changes answered 2xx (declarations, amendments, acknowledgements, messages, message acks). */
  readonly changes: {
    declarations: number;
    amendments: number;
    acks: number;
    messages: number;
    messageAcks: number;
  };
  /** Checks of one answered change against a restarted hub or a crash image, all told. */
  readonly checks: number;
  /** Changes answered 2xx that a check did not find (must be empty). */
  readonly missing: readonly string[];
  /** The ledger of every crash image and of the directory at the end. */
  readonly ledger: {
    readonly verified: number;
    readonly failures: readonly string[];
    readonly entries: number;
  };
  /** Restart times (spawn to /healthz answering), ms. */
  readonly restartMs: readonly number[];
  readonly ms: number;
}

interface Decl {
  readonly party: string;
  readonly local: string;
  readonly lon: number;
  readonly lat: number;
  readonly start: number;
  /** The highest version answered 2xx. */
  version: number;
  busy: boolean;
}

interface Msg {
  readonly party: string;
  readonly text: string;
  /** Known when the answer's body was read. */
  id: string | null;
  readonly requiresAck: boolean;
}

const PARTIES = DEMO_PARTIES.map((p) => p.id);
const password = (party: string): string => (demoAccounts(party)[0] as { password: string }).password;

export async function sigkillLoop(options: SigkillOptions): Promise<SigkillReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const rnd = seeded(options.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const [minLoad, maxLoad] = options.loadMs ?? [300, 2_500];
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-sigkill-'));
  const images = mkdtempSync(join(tmpdir(), 'deconflict-sigkill-image-'));

  const decls = new Map<string, Decl>();
  const acks = new Map<string, { party: string; username: string }>();
  const messages = new Map<string, Msg>();
  const messageAcks = new Map<string, { message: string; party: string }>();
  let amendments = 0;
  let sent = 0;
  let answered2xx = 0;
  let cutOff = 0;
  let checks = 0;
  const refused = new Map<number, number>();
  const missing: string[] = [];
  const ledgerFailures: string[] = [];
  let ledgerVerified = 0;
  let ledgerEntries = 0;
  const restartMs: number[] = [];
  // Five days ahead on the hour: past the demo's story, and nothing expires during the run.
  const base = Math.ceil((Date.now() + 5 * DAY) / HOUR) * HOUR;
  let serial = 0;

  let hub: Served = await serve(['--data', dir, '--demo', '--log-level', 'fatal']);
  const tokens = new Map<string, string>();
  for (const party of PARTIES) {
    for (const role of ['operator', 'watch', 'admin']) {
      const u = `${party}.${role}`;
      tokens.set(u, await login(hub.url, u, password(party)));
    }
  }
  const as = (u: string): string => tokens.get(u) as string;

  /**
   * One request of the load; the status when the status line arrived, null when the kill cut it
   * off. `load: false` for the harness's own requests (setup, checks), which are not counted.
   */
  const call = async (
    user: string,
    method: string,
    path: string,
    body?: unknown,
    load = true,
  ): Promise<{ status: number; body: unknown } | null> => {
    if (load) sent++;
    let r: Response;
    try {
      r = await fetch(`${hub.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${as(user)}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      if (load) cutOff++;
      return null;
    }
    if (load && r.status >= 200 && r.status < 300) answered2xx++;
    else if (load) refused.set(r.status, (refused.get(r.status) ?? 0) + 1);
    // The status arrived; the body may not (the kill can land in between).
    const parsed = await r
      .text()
      .then((t) => (t === '' ? null : (JSON.parse(t) as unknown)))
      .catch(() => undefined);
    return { status: r.status, body: parsed };
  };

  // A channel among all four parties, accepted by each.
  const opened = await call(
    'coalition.admin',
    'POST',
    '/api/v1/channels',
    { name: 'sigkill loop', parties: PARTIES.filter((p) => p !== 'coalition') },
    false,
  );
  if (opened?.status !== 201) throw new Error(`channel: ${JSON.stringify(opened)}`);
  const channel = (opened.body as { id: string }).id;
  for (const party of PARTIES.slice(1)) {
    const r = await call(`${party}.admin`, 'POST', `/api/v1/channels/${channel}/accept`, {}, false);
    if (r?.status !== 200) throw new Error(`accept: ${JSON.stringify(r)}`);
  }

  const feature = (d: Decl, buffer: number) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [d.lon, d.lat] },
    properties: {
      id: d.local,
      kind: 'strike',
      start: new Date(d.start).toISOString(),
      end: new Date(d.start + HOUR / 2).toISOString(),
      buffer_m: buffer,
    },
  });

  // --- The load ---------------------------------------------------------------------------------
  let killed = false;

  const submit = async () => {
    const party = pick(PARTIES);
    const own = [...decls.values()].filter((d) => d.party === party && !d.busy);
    if (own.length > 0 && rnd() < 0.2) {
      // Amend one of its own.
      const d = pick(own);
      d.busy = true;
      const r = await call(
        `${party}.operator`,
        'PUT',
        `/api/v1/declarations/${encodeURIComponent(`${party}:${d.local}`)}`,
        feature(d, 50 + d.version),
      );
      d.busy = false;
      if (r && r.status === 200) {
        const v = (r.body as { declarations?: { properties?: { version?: number } }[] } | undefined)
          ?.declarations?.[0]?.properties?.version;
        d.version = typeof v === 'number' ? v : d.version + 1;
        amendments++;
      }
      return;
    }
    // A new strike: alone, or on top of another party's (a conflict: alerts to acknowledge).
    const others = [...decls.values()].filter((d) => d.party !== party);
    const target = others.length > 0 && rnd() < 0.4 ? pick(others) : null;
    const n = serial++;
    const d: Decl = {
      party,
      local: `sk-${n}`,
      lon: target ? target.lon : 10 + (n % 100) * 0.05,
      lat: target ? target.lat : 50 + Math.floor(n / 100) * 0.05,
      start: target ? target.start : base + n * HOUR,
      version: 1,
      busy: false,
    };
    const r = await call(`${party}.operator`, 'POST', '/api/v1/declarations', feature(d, 50));
    if (r && r.status === 201) decls.set(`${party}:${d.local}`, d);
  };

  const acknowledge = async () => {
    const party = pick(PARTIES);
    const r = await call(`${party}.watch`, 'GET', '/api/v1/alerts?status=open&limit=50');
    const alerts = (
      (r?.body as { alerts?: { id: string; subject_type: string }[] } | undefined)?.alerts ?? []
    ).filter((a) => a.subject_type === 'conflict' && !acks.has(a.id));
    if (alerts.length === 0 || killed) return;
    const a = pick(alerts);
    const ack = await call(`${party}.watch`, 'POST', `/api/v1/alerts/${a.id}/ack`, { reply: `seen ${a.id}` });
    if (ack && ack.status === 200) acks.set(a.id, { party, username: `${party}.watch` });
  };

  const hotline = async () => {
    const party = pick(PARTIES);
    const pending = [...messages.entries()].filter(
      ([, m]) => m.id !== null && m.requiresAck && m.party !== party && !messageAcks.has(`${m.id}|${party}`),
    );
    if (pending.length > 0 && rnd() < 0.5) {
      const [, m] = pick(pending);
      const r = await call(`${party}.watch`, 'POST', `/api/v1/messages/${m.id}/ack`, { reply: 'copied' });
      if (r && r.status === 200) messageAcks.set(`${m.id}|${party}`, { message: m.id as string, party });
      return;
    }
    const text = `sigkill message ${serial++}`;
    const requiresAck = rnd() < 0.5;
    const r = await call(`${party}.watch`, 'POST', `/api/v1/channels/${channel}/messages`, {
      text,
      precedence: requiresAck ? 'immediate' : 'routine',
    });
    if (r && r.status === 201) {
      const id = (r.body as { id?: string } | undefined)?.id ?? null;
      messages.set(text, { party, text, id, requiresAck });
    }
  };

  const workers = options.workers ?? 4;
  const jobs = [submit, submit, acknowledge, hotline];
  const load = async (w: number) => {
    const job = jobs[w % jobs.length] as () => Promise<void>;
    while (!killed) await job();
  };

  // --- The checks -------------------------------------------------------------------------------
  const lost = (what: string) => {
    if (missing.length < 1_000) missing.push(what);
  };

  /**
   * A request of the checks: the running hub must answer it. A 429 (the checks read hundreds of
   * records one by one once a list outgrows its page, past the token's 100 requests/s) is waited
   * out and asked again: a throttled read is not a lost record. Any other answer but 200 and 404
   * means the check could not run, which is an error of its own, never counted as missing.
   */
  const read = async (user: string, path: string): Promise<{ status: number; body: unknown }> => {
    for (;;) {
      const r = await call(user, 'GET', path, undefined, false);
      if (r === null) throw new Error(`the restarted hub did not answer GET ${path}`);
      if (r.status === 200 || r.status === 404) return r;
      if (r.status !== 429) throw new Error(`GET ${path} answered ${r.status}: the check could not run`);
      await new Promise((done) => setTimeout(done, 1_000));
    }
  };

  /** Every change answered 2xx, through the API of the running hub. */
  const checkApi = async (): Promise<void> => {
    for (const party of PARTIES) {
      const r = await read(`${party}.operator`, `/api/v1/declarations?party=${party}&limit=5000`);
      const listed = new Map<string, number>();
      for (const f of (r?.body as { features?: { properties: { id: string; version: number } }[] })
        ?.features ?? [])
        listed.set(f.properties.id, f.properties.version);
      for (const [id, d] of decls) {
        if (d.party !== party) continue;
        checks++;
        let version = listed.get(id);
        if (version === undefined) {
          const one = await read(`${party}.operator`, `/api/v1/declarations/${encodeURIComponent(id)}`);
          version = (one?.body as { properties?: { version?: number } } | undefined)?.properties?.version;
        }
        if (version === undefined) lost(`declaration ${id} (answered 2xx) is gone`);
        else if (version < d.version)
          lost(`declaration ${id} is at version ${version}, answered ${d.version}`);
      }
      // Acknowledged alerts stay acknowledged or are closed later (their conflict resolved); the
      // rest of the ~100 kills' alerts (open, and closed unacknowledged) can outgrow one page.
      const alerts = new Map<string, { ack: { username: string } | null }>();
      for (const status of ['acknowledged', 'closed']) {
        const al = await read(`${party}.watch`, `/api/v1/alerts?status=${status}&limit=5000`);
        for (const a of (al?.body as { alerts?: { id: string; ack: { username: string } | null }[] })
          ?.alerts ?? [])
          alerts.set(a.id, a);
      }
      for (const [id, a] of acks) {
        if (a.party !== party) continue;
        checks++;
        let alert = alerts.get(id);
        if (alert === undefined) {
          const one = await read(`${party}.watch`, `/api/v1/alerts/${id}`);
          alert = one?.status === 200 ? (one.body as { ack: { username: string } | null }) : undefined;
        }
        if (!alert) lost(`alert ${id} (acknowledged 2xx) is gone`);
        else if (alert.ack?.username !== a.username) lost(`alert ${id} lost its acknowledgement`);
      }
    }
    const byText = new Map<string, { id: string; receipts: { party: string; acked_at: string | null }[] }>();
    for (let after = 0; ; ) {
      const r = await read(
        'coalition.watch',
        `/api/v1/channels/${channel}/messages?after=${after}&limit=1000`,
      );
      const page =
        (r?.body as { messages?: { id: string; seq: number; text: string; receipts: [] }[] } | undefined)
          ?.messages ?? [];
      for (const m of page) byText.set(m.text, m);
      if (page.length < 1000) break;
      after = (page[page.length - 1] as { seq: number }).seq;
    }
    for (const m of messages.values()) {
      checks++;
      if (!byText.has(m.text)) lost(`message "${m.text}" (answered 201) is gone`);
    }
    const byId = new Map([...byText.values()].map((m) => [m.id, m]));
    for (const { message, party } of messageAcks.values()) {
      checks++;
      const receipt = byId.get(message)?.receipts.find((x) => x.party === party);
      if (!receipt?.acked_at) lost(`message ${message}: ${party}'s acknowledgement (answered 200) is gone`);
    }
  };

  /** The crash image: a copy of the database as the kill left it; its ledger, and every answered change in it. */
  const checkImage = async (kill: number): Promise<void> => {
    const image = join(images, `kill-${kill}`);
    mkdirSync(image);
    for (const f of ['deconflict.db', 'deconflict.db-wal']) {
      if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(image, f));
    }
    try {
      const ledger = await readLedger(image);
      const check = verifyChain(ledger);
      ledgerVerified++;
      ledgerEntries = ledger.length;
      if (!check.ok) ledgerFailures.push(`kill ${kill}: ${JSON.stringify(check.broken)}`);
      const versions = new Map<string, number>();
      const subjects = new Set<string>();
      for (const e of ledger) {
        subjects.add(`${e.type} ${e.subject}`);
        if (e.type === 'declaration.created' || e.type === 'declaration.amended') {
          const v = (e.payload as { version?: number }).version ?? 0;
          versions.set(e.subject, Math.max(versions.get(e.subject) ?? 0, v));
        }
      }
      for (const [id, d] of decls) {
        checks++;
        if ((versions.get(id) ?? 0) < d.version)
          lost(`kill ${kill}: no ledger entry for ${id} version ${d.version}`);
      }
      for (const id of acks.keys()) {
        checks++;
        if (!subjects.has(`alert.acknowledged ${id}`))
          lost(`kill ${kill}: no ledger entry for the acknowledgement of ${id}`);
      }
      for (const m of messages.values()) {
        if (m.id === null) continue;
        checks++;
        if (!subjects.has(`message.sent ${m.id}`)) lost(`kill ${kill}: no ledger entry for message ${m.id}`);
      }
    } finally {
      rmSync(image, { recursive: true, force: true });
    }
  };

  try {
    for (let kill = 1; kill <= options.kills; kill++) {
      killed = false;
      const running = Promise.all(Array.from({ length: workers }, (_, w) => load(w)));
      if (kill === 1) {
        // The first kill waits until a change of every kind has been answered (at most a minute),
        // so that even a short run checks each kind across a crash.
        const until = Date.now() + 60_000;
        while (
          Date.now() < until &&
          (decls.size === 0 || acks.size === 0 || messages.size === 0 || messageAcks.size === 0)
        )
          await new Promise((r) => setTimeout(r, 50));
      }
      const wait = minLoad + rnd() * (maxLoad - minLoad);
      await new Promise((r) => setTimeout(r, wait));
      killed = true;
      const exit = await hub.kill();
      if (exit.signal !== 'SIGKILL') throw new Error(`the hub exited by itself: ${JSON.stringify(exit)}`);
      await running;
      await checkImage(kill);
      const t = performance.now();
      hub = await serve(['--data', dir, '--log-level', 'fatal']);
      restartMs.push(performance.now() - t);
      await checkApi();
      log(
        `kill ${kill}/${options.kills}: ${answered2xx} answered 2xx, ${cutOff} cut off, ` +
          `restart ${Math.round(restartMs[restartMs.length - 1] as number)} ms, ${missing.length} missing`,
      );
    }
    const stopped = await hub.stop();
    if (stopped.code !== 0) ledgerFailures.push(`the last hub stopped with ${JSON.stringify(stopped)}`);
    const ledger = await readLedger(dir);
    const final = verifyChain(ledger);
    ledgerVerified++;
    ledgerEntries = ledger.length;
    if (!final.ok) ledgerFailures.push(`the final directory: ${JSON.stringify(final.broken)}`);
  } finally {
    if (hub.child.exitCode === null && hub.child.signalCode === null) await hub.kill();
    rmSync(dir, { recursive: true, force: true });
    rmSync(images, { recursive: true, force: true });
  }
  return {
    kills: options.kills,
    sent,
    answered2xx,
    refused,
    cutOff,
    changes: {
      declarations: decls.size,
      amendments,
      acks: acks.size,
      messages: messages.size,
      messageAcks: messageAcks.size,
    },
    checks,
    missing,
    ledger: { verified: ledgerVerified, failures: ledgerFailures, entries: ledgerEntries },
    restartMs,
    ms: performance.now() - started,
  };
}

/** A report as lines for a person. */
export function formatSigkill(r: SigkillReport): string {
  const mean = r.restartMs.reduce((a, b) => a + b, 0) / Math.max(1, r.restartMs.length);
  const max = Math.max(0, ...r.restartMs);
  return [
    `kills:                  ${r.kills}`,
    `requests:               ${r.sent.toLocaleString('en')} sent, ${r.answered2xx.toLocaleString('en')} answered 2xx, ${r.cutOff} cut off by a kill`,
    `refused (not 2xx):      ${[...r.refused.entries()].map(([s, n]) => `${s}×${n}`).join(' ') || 'none'}`,
    `changes answered 2xx:   ${r.changes.declarations} declarations, ${r.changes.amendments} amendments, ${r.changes.acks} alert acknowledgements, ${r.changes.messages} messages, ${r.changes.messageAcks} message acknowledgements`,
    `checks:                 ${r.checks.toLocaleString('en')} (each answered change, after every kill, in the crash image and through the restarted hub)`,
    `missing:                ${r.missing.length}`,
    `ledger:                 ${r.ledger.failures.length === 0 ? 'verified' : 'BROKEN'} ${r.ledger.verified} times (the crash image after every kill, and the directory at the end: ${r.ledger.entries.toLocaleString('en')} entries)`,
    `restart:                mean ${Math.round(mean)} ms, max ${Math.round(max)} ms`,
    `time:                   ${(r.ms / 1000).toFixed(1)} s`,
    ...r.missing.slice(0, 50).map((m) => `MISSING ${m}`),
    ...r.ledger.failures.map((f) => `LEDGER ${f}`),
  ].join('\n');
}
