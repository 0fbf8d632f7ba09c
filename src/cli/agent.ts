/**
 * `deconflict agent`: a party's side of blind matching (docs/blind-matching.md), run at the party
 * with its key — the hub never holds the key nor a sealed geometry.
 *
 *   deconflict agent init --key FILE --party P
 *       Make the party's OPRF key (a random ristretto255 scalar; FILE written mode 0600).
 *   deconflict agent seal FILE --hub URL --token T --key K --state DIR
 *       Seal each declaration of FILE (GeoJSON, `"visibility": "sealed"` optional, each must end):
 *       covered, evaluated under the key, and only the tokens, kind, category and coarse window
 *       sent. The geometry, label and notes stay in DIR/sealed.json.
 *   deconflict agent withdraw ID --hub URL --token T --state DIR
 *   deconflict agent run --hub URL --token T --key K --state DIR [--budget N] [--interval S] [--once]
 *       Answer the hub's blind checks: cover and blind the party's own declarations (fresh
 *       scalars each time, kept in DIR until finalized), evaluate other parties' blinded elements
 *       under the key — at most N a day per asking party (default 5000; past it the check is
 *       refused, and its result is unknown) — and finalize. Once, or every S seconds (default 2).
 *
 * Files in DIR (mode 0600, written whole then renamed): sealed.json (the sealed declarations by
 * hub id), blinds.json (the scalars of checks not finalized yet), budget.json (elements evaluated
 * per asking party on the current UTC day).
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlindParams, BlindTasks, SealedView } from '../api/blind.ts';
import { BlindInputError, loadOprf, type Oprf } from '../blind/oprf.ts';
import { elementsHash, queryInputs, sealTokens, tokenOf } from '../blind/party.ts';
import { parseDeclarations } from '../engine/declaration.ts';
import { checkDeclarations } from '../engine/engine.ts';
import { DeconflictError } from '../engine/errors.ts';
import { formatIsoUtc, parseIsoUtc } from '../engine/time.ts';
import { DEFAULT_OPTIONS, type Declaration, type EngineOptions } from '../engine/types.ts';
import { commandLine } from './args.ts';
import type { Io } from './io.ts';
import { CannotRun, hubRequest } from './verify.ts';

export const AGENT_KEY_FORMAT = 'deconflict.oprf-key/1';
export const DEFAULT_AGENT_BUDGET = 5_000;

interface KeyFile {
  readonly format: typeof AGENT_KEY_FORMAT;
  readonly party: string;
  /** The secret scalar, base64. */
  readonly key: string;
}

interface SealedFile {
  readonly format: 'deconflict.agent-sealed/1';
  /** Hub id → the declaration as given (GeoJSON Feature). */
  readonly declarations: Record<string, unknown>;
}

interface BlindsFile {
  /** Check id → the inputs (base64), their scalars, in the order handed, and the elements' hash. */
  readonly checks: Record<string, { inputs: string[]; blinds: string[]; elements_sha256: string }>;
}

interface BudgetFile {
  readonly day: string;
  readonly used: Record<string, number>;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** Write a file whole, mode 0600, by renaming a temporary one over it. */
async function writePrivate(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 1)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

async function readJson<T>(path: string, empty: T | null): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && empty !== null) return empty;
    throw new CannotRun(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new CannotRun(`${path} is not JSON: ${(err as Error).message}`);
  }
}

export async function readAgentKey(path: string): Promise<KeyFile> {
  const k = await readJson<Partial<KeyFile>>(path, null);
  if (k.format !== AGENT_KEY_FORMAT || typeof k.party !== 'string' || typeof k.key !== 'string')
    throw new CannotRun(`${path} is not a ${AGENT_KEY_FORMAT} file (make one with deconflict agent init)`);
  if (unb64(k.key).length !== 32) throw new CannotRun(`${path}: the key is not 32 bytes`);
  return k as KeyFile;
}

/** The hub's engine options a cover depends on (its reach), from its blind parameters. */
function engineOf(params: BlindParams): EngineOptions {
  return { ...DEFAULT_OPTIONS, horizontalSeparation_m: params.horizontal_separation_m };
}

/** The agent: one party's key and state directory, talking to one hub. */
export class Agent {
  private params: BlindParams | null = null;

  constructor(
    private readonly hub: string,
    private readonly token: string,
    private readonly key: KeyFile,
    private readonly dir: string,
    private readonly oprf: Oprf,
    private readonly budget = DEFAULT_AGENT_BUDGET,
    private readonly clock: () => number = Date.now,
  ) {}

  private request(path: string, init: { method?: string; body?: unknown } = {}): Promise<unknown> {
    return hubRequest(this.hub, path, this.token, init);
  }

  private async hubParams(): Promise<BlindParams> {
    this.params ??= (await this.request('/api/v1/blind/params')) as BlindParams;
    return this.params;
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  private get secret(): Uint8Array {
    return unb64(this.key.key);
  }

  /** Parse a FeatureCollection (or Feature) of the party's declarations to seal. */
  parseSealed(input: unknown): Declaration[] {
    return parseDeclarations(input as never, { party: this.key.party, sealed: true });
  }

  /** Seal each declaration: tokens to the hub, the declaration kept here. Lines to print. */
  async seal(input: unknown): Promise<string[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const features = featuresOf(input);
    const decls = this.parseSealed(input);
    const params = await this.hubParams();
    const engine = engineOf(params);
    const kept = await readJson<SealedFile>(this.file('sealed.json'), {
      format: 'deconflict.agent-sealed/1',
      declarations: {},
    });
    const out: string[] = [];
    for (const [i, d] of decls.entries()) {
      const t = sealTokens(this.oprf, this.secret, d, engine, params.resolution, params.max_tokens);
      const view = (await this.request('/api/v1/sealed', {
        method: 'POST',
        body: {
          kind: d.kind,
          ...(d.category && { category: d.category }),
          start: formatIsoUtc(t.start),
          end: formatIsoUtc(t.end),
          slot_ms: t.slot_ms,
          resolution: t.resolution,
          tokens: t.tokens.map(b64),
        },
      })) as SealedView;
      kept.declarations[view.id] = features[i];
      await writePrivate(this.file('sealed.json'), kept);
      out.push(
        `sealed ${d.id} as ${view.id}: ${t.cells} cells × ${t.tokens.length / t.cells} slots of ${t.slot_ms / 3_600_000} h = ${t.tokens.length} tokens (ledger entry ${view.entry})`,
      );
      out.push(...(await this.checkInClear(d, engine)));
    }
    return out;
  }

  /**
   * The sealed declaration checked exactly, here, against every active declaration the party may
   * see in clear (its own included): the engine's answer, with distances, that blind matching
   * cannot give — and that the hub never learns. The blind checks still run, for the record and
   * for what the party may not see.
   */
  private async checkInClear(d: Declaration, engine: EngineOptions): Promise<string[]> {
    const query = `start=${formatIsoUtc(d.start)}&end=${formatIsoUtc(d.end as number)}&status=active&limit=5000`;
    const page = (await this.request(`/api/v1/declarations?${query}`)) as {
      features: { properties: Record<string, unknown> }[];
    };
    const visible = page.features.map(asSubmitted);
    const others =
      visible.length === 0
        ? []
        : parseDeclarations({ type: 'FeatureCollection', features: visible } as never);
    const found = checkDeclarations([d, ...others], engine).filter((c) => c.a === d.id || c.b === d.id);
    const lines = found.map((c) => {
      const other = c.a === d.id ? c.b : c.a;
      return `  in clear: ${c.severity} ${c.rule} with ${other}, ${Math.round(c.distance_m)} m apart`;
    });
    return [
      `  checked in clear against the ${others.length} declarations your party may see: ${found.length === 0 ? 'no conflict' : `${found.length} conflicts`}`,
      ...lines,
    ];
  }

  async withdraw(id: string): Promise<string> {
    const view = (await this.request(`/api/v1/sealed/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    })) as SealedView;
    return `withdrew ${view.id} (${view.status})`;
  }

  /** One of the party's declarations, as the agent covers it: sealed (kept here) or from the hub. */
  private async declaration(id: string, version: number, sealed: boolean): Promise<Declaration> {
    if (sealed) {
      const kept = await readJson<SealedFile>(this.file('sealed.json'), {
        format: 'deconflict.agent-sealed/1',
        declarations: {},
      });
      const f = kept.declarations[id];
      if (f === undefined)
        throw new CannotRun(`sealed declaration ${id} is not in ${this.file('sealed.json')}`);
      return this.parseSealed(f)[0] as Declaration;
    }
    const f = (await this.request(`/api/v1/declarations/${encodeURIComponent(id)}?version=${version}`)) as {
      properties: Record<string, unknown>;
    };
    return parseDeclarations(asSubmitted(f) as never, { party: this.key.party })[0] as Declaration;
  }

  /** Cover, blind (fresh scalars, kept until finalized) and hand one check's elements. */
  private async blind(
    t: {
      check: string;
      declaration: string;
      version: number;
      sealed: boolean;
      resolution: number;
      slot_ms: number;
      slots: string[];
    },
    blinds: BlindsFile,
  ): Promise<string> {
    const params = await this.hubParams();
    const d = await this.declaration(t.declaration, t.version, t.sealed);
    const slots = t.slots.map((s) => parseIsoUtc(s) as number);
    const q = queryInputs(d, engineOf(params), t.resolution, slots, t.slot_ms, params.max_elements);
    const { blinds: scalars, elements } = this.oprf.blindMany(q.inputs);
    const handed = elements.map(b64);
    blinds.checks[t.check] = {
      inputs: q.inputs.map(b64),
      blinds: scalars.map(b64),
      elements_sha256: elementsHash(handed),
    };
    await writePrivate(this.file('blinds.json'), blinds);
    await this.request(`/api/v1/blind/checks/${t.check}/blinded`, {
      method: 'POST',
      body: { elements: handed.map((element, i) => ({ slot: q.slotIndex[i] as number, element })) },
    });
    return `check ${t.check}: ${t.declaration} covered and blinded, ${elements.length} elements`;
  }

  /** One round: every task the hub has for this party. Lines to print. */
  async round(): Promise<string[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tasks = (await this.request('/api/v1/blind/tasks')) as BlindTasks;
    const out: string[] = [];
    const blinds = await readJson<BlindsFile>(this.file('blinds.json'), { checks: {} });
    // Finalize first: a check offered both to finalize and to blind afresh (its evaluation waited
    // long) is finalized by the agent that holds its scalars, and blinded again by no one.
    const finalized = new Set<string>();
    for (const t of tasks.finalize) {
      const kept = blinds.checks[t.check];
      if (!kept || kept.elements_sha256 !== t.elements_sha256) {
        // Not the elements this agent blinded: another agent of the party blinded again since,
        // and only its scalars finalize them (these would turn the outputs into noise, and miss
        // a match). If its scalars are lost, the check goes past its deadline (unknown, both
        // parties alerted) and the hub offers it to be blinded afresh.
        out.push(
          `check ${t.check}: the evaluated elements are not this agent's blinding; left to the agent that made them`,
        );
        continue;
      }
      const outputs = this.oprf
        .finalizeMany(kept.inputs.map(unb64), kept.blinds.map(unb64), t.evaluated.map(unb64))
        .map((o) => b64(tokenOf(o)));
      const res = (await this.request(`/api/v1/blind/checks/${t.check}/outputs`, {
        method: 'POST',
        body: { outputs },
      })) as { check: { matched: unknown[] }; conflicts: { id: string; rule: string; severity: string }[] };
      delete blinds.checks[t.check];
      finalized.add(t.check);
      await writePrivate(this.file('blinds.json'), blinds);
      out.push(
        `check ${t.check}: ${res.conflicts.length === 0 ? 'no conflict' : res.conflicts.map((c) => `${c.severity} ${c.rule} ${c.id}`).join(', ')}`,
      );
    }
    for (const t of tasks.blind) if (!finalized.has(t.check)) out.push(await this.blind(t, blinds));
    for (const t of tasks.evaluate) out.push(await this.evaluate(t));
    return out;
  }

  /** Evaluate another party's blinded elements under the key, within its budget for today. */
  private async evaluate(t: { check: string; asker: string; elements: string[] }): Promise<string> {
    const day = new Date(this.clock()).toISOString().slice(0, 10);
    const stored = await readJson<BudgetFile>(this.file('budget.json'), { day, used: {} });
    const budget: BudgetFile = stored.day === day ? stored : { day, used: {} };
    const used = budget.used[t.asker] ?? 0;
    const refuse = async (reason: string) => {
      await this.request(`/api/v1/blind/checks/${t.check}/refuse`, { method: 'POST', body: { reason } });
      return `check ${t.check}: refused ${t.asker} (${reason})`;
    };
    if (used + t.elements.length > this.budget)
      return refuse(`over budget: ${used} of ${this.budget} elements used today, ${t.elements.length} asked`);
    let evaluated: Uint8Array[];
    try {
      evaluated = this.oprf.blindEvaluateMany(this.secret, t.elements.map(unb64));
    } catch (err) {
      if (err instanceof BlindInputError) return refuse(`invalid element: ${err.message}`);
      throw err;
    }
    budget.used[t.asker] = used + t.elements.length;
    await writePrivate(this.file('budget.json'), budget);
    await this.request(`/api/v1/blind/checks/${t.check}/evaluated`, {
      method: 'POST',
      body: { elements: evaluated.map(b64) },
    });
    return `check ${t.check}: evaluated ${t.elements.length} elements for ${t.asker} (${used + t.elements.length} of ${this.budget} today)`;
  }
}

/** A declaration as the hub shows it, back in the form it was submitted in (for the engine). */
function asSubmitted<F extends { properties: Record<string, unknown> }>(f: F): F {
  // The hub's own annotations are not part of the declaration as submitted.
  const { version: _v, status: _s, created_at: _c, created_by: _b, ...props } = f.properties;
  // An open end is written null by the hub, absent in a submission.
  if (props.end === null) delete props.end;
  return { ...f, properties: props };
}

function featuresOf(input: unknown): unknown[] {
  const o = input as { type?: unknown; features?: unknown };
  if (o?.type === 'FeatureCollection' && Array.isArray(o.features)) return o.features;
  return [input];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function agentCommand(args: readonly string[], io: Io): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`deconflict agent: ${message}\n`);
    return 2;
  };
  const parsed = commandLine(args, {
    hub: { type: 'string' },
    token: { type: 'string' },
    key: { type: 'string' },
    party: { type: 'string' },
    state: { type: 'string' },
    budget: { type: 'string' },
    interval: { type: 'string' },
    once: { type: 'boolean' },
  });
  if ('error' in parsed) return fail(parsed.error);
  const { values, positionals } = parsed;
  const [sub, ...rest] = positionals;
  const need = (...names: string[]): string | null => {
    for (const n of names) if (typeof values[n] !== 'string') return `--${n} is required`;
    return null;
  };
  try {
    if (sub === 'init') {
      const missing = need('key', 'party');
      if (missing) return fail(missing);
      const oprf = await loadOprf();
      const file: KeyFile = {
        format: AGENT_KEY_FORMAT,
        party: values.party as string,
        key: b64(oprf.generateKey()),
      };
      try {
        await writeFile(values.key as string, `${JSON.stringify(file)}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        return fail(`cannot write ${values.key}: ${(err as Error).message}`);
      }
      io.stdout(
        `made the OPRF key of party ${file.party} in ${values.key} (keep it secret: it opens every sealed declaration to a brute force of cells)\n`,
      );
      return 0;
    }
    if (sub !== 'seal' && sub !== 'withdraw' && sub !== 'run')
      return fail('give a subcommand: init, seal FILE, withdraw ID or run');
    const missing = need('hub', 'token', 'state', ...(sub === 'withdraw' ? [] : ['key']));
    if (missing) return fail(missing);
    if (!/^https?:\/\//.test(values.hub as string)) return fail('--hub must be an http:// or https:// URL');
    const key: KeyFile =
      sub === 'withdraw'
        ? { format: AGENT_KEY_FORMAT, party: '', key: b64(new Uint8Array(32)) }
        : await readAgentKey(values.key as string);
    let budget = DEFAULT_AGENT_BUDGET;
    if (values.budget !== undefined) {
      budget = Number(values.budget);
      if (!Number.isInteger(budget) || budget < 0)
        return fail(`--budget must be a whole number ≥ 0, got "${values.budget}"`);
    }
    let interval = 2;
    if (values.interval !== undefined) {
      interval = Number(values.interval);
      if (!Number.isFinite(interval) || interval <= 0)
        return fail(`--interval must be seconds > 0, got "${values.interval}"`);
    }
    const agent = new Agent(
      values.hub as string,
      values.token as string,
      key,
      values.state as string,
      await loadOprf(),
      budget,
    );
    if (sub === 'seal') {
      const [path] = rest;
      if (path === undefined || rest.length > 1) return fail('give one GeoJSON file to seal');
      let input: unknown;
      try {
        input = JSON.parse(await io.read(path));
      } catch (err) {
        return fail(`cannot read ${path}: ${(err as Error).message}`);
      }
      for (const line of await agent.seal(input)) io.stdout(`${line}\n`);
      return 0;
    }
    if (sub === 'withdraw') {
      const [id] = rest;
      if (id === undefined || rest.length > 1) return fail('give the sealed declaration id to withdraw');
      io.stdout(`${await agent.withdraw(id)}\n`);
      return 0;
    }
    for (;;) {
      try {
        for (const line of await agent.round()) io.stdout(`${line}\n`);
        if (values.once) return 0;
      } catch (err) {
        if (!(err instanceof CannotRun)) throw err;
        if (values.once) return fail(err.message);
        io.stderr(`deconflict agent: ${err.message} (trying again in ${interval} s)\n`);
      }
      await sleep(interval * 1000);
    }
  } catch (err) {
    if (err instanceof DeconflictError) {
      for (const e of err.details) io.stderr(`deconflict agent: ${e.code} ${e.path}: ${e.message}\n`);
      return 2;
    }
    if (err instanceof CannotRun || err instanceof RangeError) return fail(err.message);
    throw err;
  }
}
