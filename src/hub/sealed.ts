/**
 * Sealed declarations and blind checks (docs/blind-matching.md): the hub's part, which is to hold
 * tokens, relay and match — never to see a sealed geometry, never to evaluate anything itself.
 *
 * - A sealed declaration arrives as its kind, category, coarse window (whole slots) and tokens:
 *   OPRF outputs (RFC 9497, ristretto255-SHA512, first 32 bytes) under its owner's key, one per
 *   (H3 cell, slot) of its geometry widened by its reach. The hub keeps them in the store and in
 *   memory (token → sealed declarations) to match.
 * - A declaration of another party that could conflict with one (a rule for the kinds, windows
 *   that meet) makes a *blind check* per (owner, slot length): its party's side covers it the same
 *   way over the slots where the windows meet, blinds each input with a fresh scalar and hands
 *   the elements (the hub knows each one's slot, never its cell); the owner's agent evaluates them
 *   under its key and its budget; the asking side unblinds, finalizes and hands the outputs, which
 *   the hub matches against the owner's tokens. A match is a conflict with a sealed side: rule and
 *   severity from the kinds, the matching slots as its window. Outputs are kept per (declaration
 *   version, owner, slot length), so a sealed declaration made later is matched against them at
 *   once, without asking the owner's agent again.
 * - Fail closed: a check unanswered past its deadline (`timeout`), or refused by the owner's agent,
 *   is *unknown* — both parties are alerted as for a risk — and stays open, retried, until it is
 *   answered.
 * - For a clear asking declaration the hub computes the cover size itself and refuses another
 *   count: the asking side cannot pad a real declaration's query with cells of its choosing.
 */
import { createHash } from 'node:crypto';
import type { BlindCheckView, BlindParams, BlindTasks, SealBody, SealedView } from '../api/blind.ts';
import { MAX_ELEMENTS, MAX_TOKENS } from '../api/blind.ts';
import { coverCells } from '../blind/cover.ts';
import {
  DEFAULT_RESOLUTION,
  MAX_SEALED_WINDOW_MS,
  MAX_SLOTS,
  SLOT_LADDER_MS,
  slotLengthFor,
  slotsOf,
} from '../blind/params.ts';
import { elementsHash } from '../blind/party.ts';
import { type BlindSide, blindReach, blindRule } from '../blind/rules.ts';
import type {
  BlindCheckRecord,
  BlindCheckStatus,
  BlindOutputRecord,
  ConflictRecord,
  DeclarationRecord,
  SealedRecord,
} from '../domain/records.ts';
import { overlap } from '../engine/rules.ts';
import { formatIsoUtc } from '../engine/time.ts';
import { type Conflict, DEFAULT_OPTIONS, type EngineOptions } from '../engine/types.ts';
import { parseTime } from '../field/dtg.ts';
import { actingParty, fail, type Principal } from './access.ts';
import { announce, closeConflictsOf, conflictRecord, insertConflicts, viewsFor } from './conflicts.ts';
import type { Kernel, WriteCtx } from './kernel.ts';
import { accountProbes, DEFAULT_PROBE_BUDGET } from './probing.ts';
import { newId } from './secrets.ts';
import { closeAlerts, raiseAlert } from './watch.ts';

/** An unanswered check is unknown (alerted as a risk) after this long, unless the hub sets another. */
export const DEFAULT_BLIND_TIMEOUT_MS = 120_000;
const OPEN: readonly BlindCheckStatus[] = ['awaiting_blind', 'awaiting_evaluation', 'awaiting_outputs'];
const SUBMIT_ROLES = ['operator', 'party_admin'] as const;
/** The most checks one answer of /blind/tasks lists, and elements it carries in all. */
const TASKS_MAX = 50;
const TASK_ELEMENTS_MAX = 200_000;
const RECENT_MS = 7 * 86_400_000;

export interface SealedOptions {
  /** An unanswered check is unknown after this long (ms). */
  readonly timeout_ms?: number;
  /** The H3 resolution every cover uses. */
  readonly resolution?: number;
  readonly engine?: Partial<EngineOptions>;
  /** Hidden conflicts answered per (caller, owner) and UTC day by default (probing.ts). */
  readonly probeBudget?: number;
}

/** A declaration asking about sealed ones: what the hub knows of it. */
interface Asking {
  readonly id: string;
  readonly version: number;
  readonly party: string;
  readonly sealed: boolean;
  readonly side: BlindSide;
  readonly start: number;
  readonly end: number | null;
}

const iso = (t: number): string => formatIsoUtc(t);
const isoOrNull = (t: number | null): string | null => (t === null ? null : iso(t));
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

function sideOfSealed(s: SealedRecord): BlindSide {
  return { kind: s.kind, party: s.party, ...(s.category && { category: s.category }) };
}

function askingOf(r: DeclarationRecord): Asking {
  const d = r.decl;
  return {
    id: r.id,
    version: r.version,
    party: r.party,
    sealed: false,
    side: {
      kind: d.kind,
      party: d.party,
      ...(d.category && { category: d.category }),
      ...(d.applies_to && { applies_to: d.applies_to }),
      ...(d.ground_only !== undefined && { ground_only: d.ground_only }),
    },
    start: d.start,
    end: d.end,
  };
}

function askingOfSealed(s: SealedRecord): Asking {
  return {
    id: s.id,
    version: 1,
    party: s.party,
    sealed: true,
    side: sideOfSealed(s),
    start: s.start,
    end: s.end,
  };
}

/** The slots of `slotMs` where the asking declaration's window meets a sealed one's. */
function slotsBetween(a: Asking, s: SealedRecord): number[] {
  const w = overlap({ start: a.start, end: a.end }, { start: s.start, end: s.end });
  if (w === null) return [];
  return slotsOf(w.start, w.end ?? s.end, s.slot_ms);
}

/** Which of the sealed declarations each output matched, and in which slots. */
function matchedSlots(
  outputs: readonly { slot: number; output: string }[],
  lookup: (token: string) => readonly string[] | undefined,
): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const o of outputs) {
    for (const id of lookup(o.output) ?? []) {
      const slots = out.get(id) ?? new Set<number>();
      out.set(id, slots);
      slots.add(o.slot);
    }
  }
  return out;
}

export class Sealed {
  /** Active sealed declarations, by id. */
  private readonly active = new Map<string, SealedRecord>();
  /** Token (base64) → the active sealed declarations holding it. */
  private readonly byToken = new Map<string, string[]>();
  /** Cover sizes of clear declarations (id\nversion → cells), to check a query's count. */
  private readonly coverSizes = new Map<string, number>();
  private readonly engine: EngineOptions;

  constructor(
    private readonly k: Kernel,
    private readonly options: SealedOptions = {},
  ) {
    this.engine = { ...DEFAULT_OPTIONS, ...options.engine };
    k.onDeclared((ctx, r) => this.declared(ctx, r));
    k.onReset(() => this.load());
    // Another instance sealed, withdrew or expired declarations (a shared store): read them again.
    k.onFollow(async (_tx, entries) => {
      if (entries.some((e) => e.type.startsWith('sealed.'))) await this.load();
    });
  }

  get resolution(): number {
    return this.options.resolution ?? DEFAULT_RESOLUTION;
  }

  get timeout(): number {
    return this.options.timeout_ms ?? DEFAULT_BLIND_TIMEOUT_MS;
  }

  /** Load the active sealed declarations and their tokens (at start). */
  async load(): Promise<void> {
    this.active.clear();
    this.byToken.clear();
    const rows = await this.k.read((tx) => tx.sealed.list(null, 'active'));
    for (const s of rows) {
      const tokens = await this.k.read((tx) => tx.sealed.tokens(s.id));
      this.remember(s, tokens);
    }
  }

  private remember(s: SealedRecord, tokens: Uint8Array): void {
    this.active.set(s.id, s);
    for (let i = 0; i < tokens.length; i += 32) {
      const t = b64(tokens.subarray(i, i + 32));
      const list = this.byToken.get(t);
      if (list) list.push(s.id);
      else this.byToken.set(t, [s.id]);
    }
  }

  /**
   * Drop a sealed declaration that stopped counting: from the active ones at once (called as its
   * write's `apply`, so no match made after the commit can use it; matches look only among the
   * active), then its tokens from the index.
   */
  private forget(id: string): void {
    if (!this.active.delete(id)) return;
    // Tokens left in the index (the store closing meanwhile) match nothing: every lookup keeps
    // only the active declarations.
    this.dropTokens(id).catch(() => undefined);
  }

  private async dropTokens(id: string): Promise<void> {
    const tokens = await this.k.read((tx) => tx.sealed.tokens(id));
    for (let i = 0; i < tokens.length; i += 32) {
      const t = b64(tokens.subarray(i, i + 32));
      const list = (this.byToken.get(t) ?? []).filter((x) => x !== id);
      if (list.length === 0) this.byToken.delete(t);
      else this.byToken.set(t, list);
    }
  }

  params(): BlindParams {
    return {
      suite: 'OPRF(ristretto255, SHA-512)',
      resolution: this.resolution,
      slot_ladder_ms: [...SLOT_LADDER_MS],
      max_slots: MAX_SLOTS,
      max_window_ms: MAX_SEALED_WINDOW_MS,
      max_tokens: MAX_TOKENS,
      max_elements: MAX_ELEMENTS,
      token_input: 'UTF-8 of "deconflict-blind-v1|<H3 cell>|<slot ms>|<slot start, epoch ms>"',
      horizontal_separation_m: this.engine.horizontalSeparation_m,
      timeout_s: Math.round(this.timeout / 1000),
    };
  }

  // --- The owner: seal, withdraw, list -----------------------------------------------------------

  /** A new sealed declaration: recorded, then matched against what already asked (or to ask). */
  async seal(p: Principal, body: SealBody): Promise<SealedView> {
    const party = actingParty(p, ...SUBMIT_ROLES);
    // ISO 8601 UTC or a date-time group, as every time a client types (invalid_time otherwise).
    const start = parseTime(body.start);
    const end = parseTime(body.end);
    const bad = (message: string, path: string): never => fail('invalid_sealed', message, path);
    if (end <= start) bad('end must be after start', 'end');
    if (end - start > MAX_SEALED_WINDOW_MS)
      bad(`a sealed window may last at most ${MAX_SEALED_WINDOW_MS / 86_400_000} days`, 'end');
    if (start % body.slot_ms !== 0 || end % body.slot_ms !== 0)
      bad(`start and end must be on the grid of ${body.slot_ms} ms slots (whole slots)`, 'start');
    const expected = slotLengthFor(start, end);
    if (body.slot_ms !== expected)
      bad(`a window of ${(end - start) / 3_600_000} h is sealed in slots of ${expected} ms`, 'slot_ms');
    if (body.resolution !== this.resolution)
      bad(`this hub covers at H3 resolution ${this.resolution}, not ${body.resolution}`, 'resolution');
    if (new Set(body.tokens).size !== body.tokens.length) bad('the tokens repeat', 'tokens');
    const tokens = new Uint8Array(body.tokens.length * 32);
    body.tokens.forEach((t, i) => {
      tokens.set(Buffer.from(t, 'base64'), i * 32);
    });
    const tokens_sha256 = createHash('sha256').update(tokens).digest('hex');
    return this.k.write(async (tx, ctx) => {
      if (end <= ctx.now) fail('invalid_sealed', 'the window has already ended', 'end');
      const id = newId('sd');
      const summary = {
        kind: body.kind,
        ...(body.category && { category: body.category }),
        start: iso(start),
        end: iso(end),
        slot_ms: body.slot_ms,
        resolution: body.resolution,
        token_count: body.tokens.length,
        tokens_sha256,
      };
      const entry = await ctx.log(p.username, party, 'sealed.declared', id, summary);
      const s: SealedRecord = {
        id,
        party,
        kind: body.kind,
        ...(body.category && { category: body.category }),
        start,
        end,
        slot_ms: body.slot_ms,
        resolution: body.resolution,
        token_count: body.tokens.length,
        tokens_sha256,
        status: 'active',
        created_at: ctx.now,
        created_by: p.username,
        entry: entry.seq,
      };
      await tx.sealed.insert(s, tokens);
      await ctx.emit(party, 'sealed.changed', this.sealedView(s));
      // Every other party's declaration that could conflict asks: from the outputs it already
      // handed under this owner's key, at once; for the slots it never covered, by a new check.
      const own = new Set(body.tokens);
      const lookup = (t: string) => (own.has(t) ? [id] : undefined);
      const declared = await tx.declarations.query({ status: 'active', start, end, limit: 100_000 });
      const askers = [
        ...declared.filter((r) => r.party !== party).map(askingOf),
        ...[...this.active.values()].filter((x) => x.party !== party).map(askingOfSealed),
      ];
      for (const a of askers) await this.ask(ctx, a, 'owner', [s], lookup);
      return { result: this.sealedView(s), apply: () => this.remember(s, tokens) };
    });
  }

  async withdraw(p: Principal, id: string): Promise<SealedView> {
    const party = actingParty(p, ...SUBMIT_ROLES);
    const result = await this.k.write(async (tx, ctx) => {
      const s = await tx.sealed.get(id);
      if (!s || s.party !== party) fail('not_found', `no sealed declaration ${id}`);
      if (s.status !== 'active') fail('declaration_closed', `sealed declaration ${id} is ${s.status}`);
      await tx.sealed.setStatus(id, 'withdrawn');
      await ctx.log(p.username, party, 'sealed.withdrawn', id, {});
      await this.closeSealed(ctx, p, s, 'withdrawn');
      const next = { ...s, status: 'withdrawn' as const };
      await ctx.emit(party, 'sealed.changed', this.sealedView(next));
      return { result: this.sealedView(next), apply: () => this.forget(id) };
    });
    return result;
  }

  private async closeSealed(
    ctx: WriteCtx,
    p: Principal | null,
    s: SealedRecord,
    why: 'withdrawn' | 'expired',
  ): Promise<void> {
    await closeConflictsOf(this.k, ctx, p, s.id, why);
    for (const c of await ctx.tx.blind.openFor(s.id)) await this.cancel(ctx, c);
  }

  async list(p: Principal): Promise<{ sealed: SealedView[] }> {
    const party = actingParty(p);
    const rows = await this.k.read((tx) => tx.sealed.list(party));
    return { sealed: rows.map((s) => this.sealedView(s)) };
  }

  private sealedView(s: SealedRecord): SealedView {
    return {
      id: s.id,
      party: s.party,
      kind: s.kind,
      ...(s.category && { category: s.category }),
      start: iso(s.start),
      end: iso(s.end),
      slot_ms: s.slot_ms,
      resolution: s.resolution,
      token_count: s.token_count,
      tokens_sha256: s.tokens_sha256,
      status: s.status,
      created_at: iso(s.created_at),
      entry: s.entry,
    };
  }

  // --- Checks: made, relayed, matched -------------------------------------------------------------

  /** A clear declaration version created or closed (kernel hook, inside its write). */
  private async declared(ctx: WriteCtx, r: DeclarationRecord): Promise<void> {
    for (const c of await ctx.tx.blind.openFor(r.id)) {
      if (r.status !== 'active' || c.version !== r.version) await this.cancel(ctx, c);
    }
    if (r.status !== 'active') return;
    await this.ask(ctx, askingOf(r), 'asker', [...this.active.values()], (t) => this.byToken.get(t));
  }

  /**
   * Check `a` against those of `candidates` that could conflict with it: match what it already
   * handed under each owner's key; open a check for the slots it has not covered yet.
   */
  private async ask(
    ctx: WriteCtx,
    a: Asking,
    trigger: 'asker' | 'owner',
    candidates: readonly SealedRecord[],
    lookup: (token: string) => readonly string[] | undefined,
  ): Promise<void> {
    const groups = new Map<
      string,
      { owner: string; slot_ms: number; sealed: SealedRecord[]; slots: Set<number> }
    >();
    for (const s of candidates) {
      if (s.party === a.party || s.status !== 'active' || s.resolution !== this.resolution) continue;
      if (blindRule(a.side, sideOfSealed(s)) === null) continue;
      const slots = slotsBetween(a, s);
      if (slots.length === 0) continue;
      const key = `${s.party}\n${s.slot_ms}`;
      const g = groups.get(key) ?? {
        owner: s.party,
        slot_ms: s.slot_ms,
        sealed: [],
        slots: new Set<number>(),
      };
      groups.set(key, g);
      g.sealed.push(s);
      for (const t of slots) g.slots.add(t);
    }
    for (const g of groups.values()) {
      const cached = await ctx.tx.blind.outputs(a.id, a.version, g.owner, g.slot_ms);
      if (cached.length > 0) {
        const ids = new Set(g.sealed.map((s) => s.id));
        const matches = matchedSlots(cached, (t) => lookup(t)?.filter((x) => ids.has(x)));
        await this.recordMatches(
          ctx,
          a,
          g.slot_ms,
          matches,
          trigger,
          new Map(g.sealed.map((s) => [s.id, s])),
        );
      }
      const covered = new Set(cached.map((o) => o.slot));
      for (const c of await ctx.tx.blind.openFor(a.id)) {
        if (c.version === a.version && c.owner === g.owner && c.slot_ms === g.slot_ms)
          for (const t of c.slots) covered.add(t);
      }
      const missing = [...g.slots].filter((t) => !covered.has(t)).sort((x, y) => x - y);
      if (missing.length === 0) continue;
      const c: BlindCheckRecord = {
        id: newId('bc'),
        asker: a.party,
        declaration: a.id,
        version: a.version,
        asker_sealed: a.sealed,
        owner: g.owner,
        slot_ms: g.slot_ms,
        resolution: this.resolution,
        slots: missing,
        trigger,
        status: 'awaiting_blind',
        created_at: ctx.now,
        due_at: ctx.now + this.timeout,
        overdue_at: null,
        answered_at: null,
        elements: null,
        element_slots: null,
        evaluated: null,
        element_count: 0,
        refused_reason: null,
        matched: [],
      };
      await ctx.tx.blind.insert(c);
      await ctx.log(null, a.party, 'blind.check', c.id, {
        declaration: a.id,
        version: a.version,
        owner: g.owner,
        slot_ms: g.slot_ms,
        slots: missing.length,
        trigger,
      });
      await ctx.emit(a.party, 'blind.task', { check: c.id, step: 'blind' });
    }
  }

  /** Record the conflicts of blind matches (a conflict found again keeps its record, slots added). */
  private async recordMatches(
    ctx: WriteCtx,
    a: Asking,
    slot_ms: number,
    matches: ReadonlyMap<string, ReadonlySet<number>>,
    trigger: 'asker' | 'owner',
    sealed: ReadonlyMap<string, SealedRecord>,
  ): Promise<ConflictRecord[]> {
    const found: ConflictRecord[] = [];
    for (const [id, set] of matches) {
      const s = sealed.get(id);
      if (!s) continue;
      const rule = blindRule(a.side, sideOfSealed(s));
      const w = overlap({ start: a.start, end: a.end }, { start: s.start, end: s.end });
      if (rule === null || w === null) continue;
      const slots = [...set].sort((x, y) => x - y);
      const start = Math.max(w.start, slots[0] as number);
      const end = Math.min(w.end ?? s.end, (slots.at(-1) as number) + slot_ms);
      if (end <= start) continue;
      const conflict: Conflict = {
        rule: rule.rule,
        severity: rule.severity,
        a: a.id,
        b: s.id,
        internal: false,
        distance_m: 0,
        window: { start, end },
        closest: [
          [0, 0],
          [0, 0],
        ],
      };
      const pending = new Map([
        [a.id, { version: a.version, party: a.party }],
        [s.id, { version: 1, party: s.party }],
      ]);
      const base = await conflictRecord(this.k, ctx.tx, conflict, pending, ctx.now);
      const record: ConflictRecord = {
        ...base,
        sealed: { slot_ms, slots, ...(a.sealed && { a_kind: a.side.kind }), b_kind: s.kind },
      };
      const existing = await ctx.tx.conflicts.get(record.id);
      if (existing) {
        const before = existing.sealed?.slots ?? [];
        const union = [...new Set([...before, ...slots])].sort((x, y) => x - y);
        if (existing.status === 'open' && existing.sealed && union.length > before.length)
          await ctx.tx.conflicts.update({ ...existing, sealed: { ...existing.sealed, slots: union } });
        continue;
      }
      found.push(record);
    }
    if (found.length === 0) return [];
    // A match the asker's own declaration made is a probe of the owner's sealed ones (probing.ts).
    const records =
      trigger === 'asker'
        ? await accountProbes(
            this.k,
            ctx,
            a.party,
            found,
            [],
            this.options.probeBudget ?? DEFAULT_PROBE_BUDGET,
          )
        : found;
    const known = a.sealed
      ? []
      : [await ctx.tx.declarations.version(a.id, a.version)].filter((r) => r !== null);
    await insertConflicts(this.k, ctx, null, records);
    await announce(this.k, ctx, records, known);
    return records;
  }

  private async cancel(ctx: WriteCtx, c: BlindCheckRecord): Promise<void> {
    const next: BlindCheckRecord = { ...c, status: 'cancelled', elements: null, evaluated: null };
    await ctx.tx.blind.update(next);
    await ctx.log(null, c.asker, 'blind.cancelled', c.id, { audience: [c.owner] });
    await closeAlerts(ctx, 'blind_check', c.id, 'cancelled');
  }

  /** What the caller's agent has to do: cover and blind, evaluate, finalize. */
  async tasks(p: Principal): Promise<BlindTasks> {
    const party = actingParty(p, ...SUBMIT_ROLES);
    const open = await this.k.read((tx) => tx.blind.forParty(party, OPEN, 1000));
    const out: BlindTasks = { blind: [], evaluate: [], finalize: [] };
    let elements = 0;
    let n = 0;
    for (const c of open) {
      if (n >= TASKS_MAX || elements >= TASK_ELEMENTS_MAX) break;
      // An evaluation no agent of the party finalized for a whole timeout (the scalars that
      // blinded it are lost with an agent) is offered to be blinded afresh too.
      const stuck =
        c.status === 'awaiting_outputs' &&
        (c.evaluated_at ?? c.created_at) + this.timeout <= this.k.clock.now();
      // What the asking side needs to cover its declaration (to blind, or to blind afresh).
      const cover = {
        check: c.id,
        declaration: c.declaration,
        version: c.version,
        sealed: c.asker_sealed,
        resolution: c.resolution,
        slot_ms: c.slot_ms,
        slots: c.slots.map(iso),
      };
      if (c.asker === party && (c.status === 'awaiting_blind' || stuck)) out.blind.push(cover);
      if (c.owner === party && c.status === 'awaiting_evaluation' && c.elements) {
        out.evaluate.push({ check: c.id, asker: c.asker, elements: [...c.elements] });
        elements += c.elements.length;
      }
      if (c.asker === party && c.status === 'awaiting_outputs' && c.evaluated) {
        out.finalize.push({
          ...cover,
          elements_sha256: c.elements_sha256 ?? '',
          evaluated: [...c.evaluated],
        });
        elements += c.evaluated.length;
      }
      n++;
    }
    return out;
  }

  /** A check the caller takes `role` in (another party's, or none: not found). */
  private async checkOf(party: string, id: string, role: 'asker' | 'owner'): Promise<BlindCheckRecord> {
    const c = await this.k.read((tx) => tx.blind.get(id));
    if (!c || (c.asker !== party && c.owner !== party)) fail('not_found', `no blind check ${id}`);
    if (c[role] !== party)
      fail('blind_state', `only the ${role === 'asker' ? 'asking party' : 'owner'} answers this step`);
    return c;
  }

  /** How many cells the hub's own cover of a clear asking declaration has (its query's per slot). */
  private async cellsOf(c: BlindCheckRecord): Promise<number | null> {
    if (c.asker_sealed) return null;
    const key = `${c.declaration}\n${c.version}`;
    const known = this.coverSizes.get(key);
    if (known !== undefined) return known;
    const r = await this.k.read((tx) => tx.declarations.version(c.declaration, c.version));
    if (!r) return null;
    let n: number;
    try {
      n = coverCells(r.decl.geometry, blindReach(r.decl, this.engine), c.resolution, MAX_ELEMENTS).length;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      // Too large to check blind: the check stays unknown, alerted to both (fail closed).
      fail(
        'bad_elements',
        `declaration ${c.declaration} covers more than ${MAX_ELEMENTS} cells: it cannot be checked blind (split it)`,
        'elements',
      );
    }
    if (this.coverSizes.size > 1000) this.coverSizes.clear();
    this.coverSizes.set(key, n);
    return n;
  }

  /** The asking side hands its blinded elements (again, after a restart: fresh blinding). */
  async blinded(p: Principal, id: string, elements: readonly { slot: number; element: string }[]) {
    const party = actingParty(p, ...SUBMIT_ROLES);
    const c = await this.checkOf(party, id, 'asker');
    if (!OPEN.includes(c.status)) fail('blind_state', `blind check ${id} is ${c.status}`);
    const perSlot = new Array<number>(c.slots.length).fill(0);
    elements.forEach((e, i) => {
      if (e.slot >= c.slots.length)
        fail(
          'bad_elements',
          `element ${i}: slot ${e.slot} is not one of the check's ${c.slots.length}`,
          `elements/${i}/slot`,
        );
      perSlot[e.slot] = (perSlot[e.slot] as number) + 1;
    });
    const cells = await this.cellsOf(c);
    const want = cells ?? perSlot[0];
    const off = perSlot.findIndex((n) => n !== want);
    if (off >= 0)
      fail(
        'bad_elements',
        cells === null
          ? `every slot must have as many elements (the cover's cells); slot ${off} has ${perSlot[off]}, slot 0 ${want}`
          : `the declaration's cover has ${cells} cells: slot ${off} has ${perSlot[off]} elements`,
        'elements',
      );
    return this.k.write(async (tx, ctx) => {
      const cur = await tx.blind.get(id);
      if (!cur || !OPEN.includes(cur.status))
        fail('blind_state', `blind check ${id} is ${cur?.status ?? 'gone'}`);
      const list = elements.map((e) => e.element);
      const elements_sha256 = elementsHash(list);
      const next: BlindCheckRecord = {
        ...cur,
        status: 'awaiting_evaluation',
        elements: list,
        elements_sha256,
        element_slots: elements.map((e) => e.slot),
        evaluated: null,
        element_count: list.length,
      };
      await tx.blind.update(next);
      await ctx.log(p.username, party, 'blind.queried', id, {
        owner: c.owner,
        elements: list.length,
        elements_sha256,
        audience: [c.owner],
      });
      await ctx.emit(c.owner, 'blind.task', { check: id, step: 'evaluate' });
      return { result: this.checkView(next, party) };
    });
  }

  /** A step of the owner's agent on a check waiting for its evaluation: one write. */
  private async ownerStep(
    p: Principal,
    id: string,
    step: (c: BlindCheckRecord, ctx: WriteCtx, party: string) => Promise<BlindCheckRecord>,
  ) {
    const party = actingParty(p, ...SUBMIT_ROLES);
    await this.checkOf(party, id, 'owner');
    return this.k.write(async (tx, ctx) => {
      const c = (await tx.blind.get(id)) as BlindCheckRecord;
      if (c.status !== 'awaiting_evaluation') fail('blind_state', `blind check ${id} is ${c.status}`);
      const next = await step(c, ctx, party);
      await tx.blind.update(next);
      return { result: this.checkView(next, party) };
    });
  }

  /** The owner's agent hands the evaluated elements, in the order given. */
  evaluated(p: Principal, id: string, elements: readonly string[]) {
    return this.ownerStep(p, id, async (c, ctx, party) => {
      if (elements.length !== c.element_count)
        fail(
          'bad_elements',
          `the check relayed ${c.element_count} elements, not ${elements.length}`,
          'elements',
        );
      await ctx.log(p.username, party, 'blind.evaluated', id, {
        asker: c.asker,
        elements: elements.length,
        audience: [c.asker],
      });
      await ctx.emit(c.asker, 'blind.task', { check: id, step: 'finalize' });
      return {
        ...c,
        status: 'awaiting_outputs',
        elements: null,
        evaluated: [...elements],
        evaluated_at: ctx.now,
      };
    });
  }

  /** The owner's agent refuses (over its budget): the result is unknown, both parties alerted. */
  refuse(p: Principal, id: string, reason: string) {
    return this.ownerStep(p, id, async (c, ctx, party) => {
      const next: BlindCheckRecord = {
        ...c,
        status: 'refused',
        elements: null,
        refused_reason: reason,
        overdue_at: c.overdue_at ?? ctx.now,
      };
      await ctx.log(p.username, party, 'blind.refused', id, { asker: c.asker, reason, audience: [c.asker] });
      if (c.overdue_at === null) await this.alertUnknown(ctx, next);
      return next;
    });
  }

  /** The asking side hands the outputs; the hub matches them and records the conflicts. */
  async outputs(p: Principal, id: string, outputs: readonly string[]) {
    const party = actingParty(p, ...SUBMIT_ROLES);
    await this.checkOf(party, id, 'asker');
    return this.k.write(async (tx, ctx) => {
      const c = (await tx.blind.get(id)) as BlindCheckRecord;
      if (c.status !== 'awaiting_outputs') fail('blind_state', `blind check ${id} is ${c.status}`);
      if (outputs.length !== c.element_count)
        fail(
          'bad_elements',
          `the check relayed ${c.element_count} elements, not ${outputs.length}`,
          'outputs',
        );
      const slotOf = c.element_slots ?? [];
      const rows: BlindOutputRecord[] = outputs.map((output, i) => ({
        declaration: c.declaration,
        version: c.version,
        owner: c.owner,
        slot_ms: c.slot_ms,
        slot: c.slots[slotOf[i] as number] as number,
        output,
      }));
      await tx.blind.putOutputs(rows);
      const candidates = new Map(
        [...this.active.values()]
          .filter((s) => s.party === c.owner && s.slot_ms === c.slot_ms)
          .map((s) => [s.id, s]),
      );
      const matches = matchedSlots(rows, (t) => this.byToken.get(t)?.filter((x) => candidates.has(x)));
      const a = await this.askingFor(c);
      const records = a ? await this.recordMatches(ctx, a, c.slot_ms, matches, c.trigger, candidates) : [];
      const next: BlindCheckRecord = {
        ...c,
        status: 'done',
        answered_at: ctx.now,
        evaluated: null,
        element_slots: null,
        matched: [...matches].map(([sealed, slots]) => ({ sealed, slots: [...slots].sort((x, y) => x - y) })),
      };
      await tx.blind.update(next);
      await ctx.log(p.username, party, 'blind.matched', id, {
        owner: c.owner,
        outputs: outputs.length,
        matched: next.matched.length,
        conflicts: records.map((r) => r.id),
        audience: [c.owner],
      });
      await closeAlerts(ctx, 'blind_check', id, 'answered');
      const known =
        a && !a.sealed ? [await tx.declarations.version(a.id, a.version)].filter((r) => r !== null) : [];
      return {
        result: { check: this.checkView(next, party), conflicts: await viewsFor(tx, records, party, known) },
      };
    });
  }

  /** The asking declaration of a check as it stands (null when it is gone). */
  private async askingFor(c: BlindCheckRecord): Promise<Asking | null> {
    if (c.asker_sealed) {
      const s = await this.k.read((tx) => tx.sealed.get(c.declaration));
      return s ? askingOfSealed(s) : null;
    }
    const r = await this.k.read((tx) => tx.declarations.version(c.declaration, c.version));
    return r ? askingOf(r) : null;
  }

  /** The caller's checks of the last 7 days, as asker or owner, newest first. */
  async checks(p: Principal): Promise<{ checks: BlindCheckView[] }> {
    const party = actingParty(p);
    const now = this.k.clock.now();
    const rows = await this.k.read((tx) => tx.blind.recent(party, now - RECENT_MS, 500));
    return { checks: rows.map((c) => this.checkView(c, party)) };
  }

  private checkView(c: BlindCheckRecord, party: string): BlindCheckView {
    const asker = party === c.asker;
    const unknown = c.status === 'refused' || (OPEN.includes(c.status) && c.overdue_at !== null);
    return {
      id: c.id,
      role: asker ? 'asker' : 'owner',
      asker: c.asker,
      owner: c.owner,
      ...(asker && { declaration: c.declaration, version: c.version }),
      status: c.status,
      unknown,
      trigger: c.trigger,
      slot_ms: c.slot_ms,
      slots: c.slots.length,
      element_count: c.element_count,
      created_at: iso(c.created_at),
      due_at: iso(c.due_at),
      answered_at: isoOrNull(c.answered_at),
      refused_reason: c.refused_reason,
      matched: c.matched.map((m) => ({
        ...(!asker && { sealed: m.sealed }),
        slots: m.slots.map((t) => ({ start: iso(t), end: iso(t + c.slot_ms) })),
      })),
    };
  }

  /** Alert both parties that a check's result is unknown: a risk until it is answered. */
  private async alertUnknown(ctx: WriteCtx, c: BlindCheckRecord): Promise<void> {
    for (const party of [c.asker, c.owner]) {
      await raiseAlert(ctx, this.k.deadlines, {
        id: newId('al'),
        party,
        subject_type: 'blind_check',
        subject: c.id,
        precedence: 'immediate',
        summary: { blind_check: this.checkView(c, party) },
      });
    }
  }

  /**
   * What is due: checks unanswered past their deadline become unknown (alerted once; they stay
   * open and are answered whenever the agents come back), sealed declarations past their end
   * expire. Idempotent.
   */
  async runDue(): Promise<number> {
    const now = this.k.clock.now();
    const open = await this.k.read((tx) => tx.blind.withStatus(OPEN));
    const late = open.filter((c) => c.overdue_at === null && c.due_at <= now);
    const ended = [...this.active.values()].filter((s) => s.end <= now);
    if (late.length === 0 && ended.length === 0) return 0;
    await this.k.write(async (tx, ctx) => {
      for (const l of late) {
        const c = await tx.blind.get(l.id);
        if (!c || !OPEN.includes(c.status) || c.overdue_at !== null) continue;
        const next = { ...c, overdue_at: ctx.now };
        await tx.blind.update(next);
        await ctx.log(null, c.asker, 'blind.unknown', c.id, {
          owner: c.owner,
          status: c.status,
          audience: [c.owner],
        });
        await this.alertUnknown(ctx, next);
      }
      for (const s of ended) {
        const cur = await tx.sealed.get(s.id);
        if (cur?.status !== 'active') continue;
        await tx.sealed.setStatus(s.id, 'expired');
        await ctx.log(null, s.party, 'sealed.expired', s.id, {});
        await this.closeSealed(ctx, null, cur, 'expired');
      }
      return {
        result: undefined,
        apply: () => {
          for (const s of ended) this.forget(s.id);
        },
      };
    });
    return late.length + ended.length;
  }

  /** The earliest time something is due: a check's deadline, a sealed declaration's end. */
  async nextDue(): Promise<number | null> {
    const open = await this.k.read((tx) => tx.blind.withStatus(OPEN));
    const times = [
      ...open.filter((c) => c.overdue_at === null).map((c) => c.due_at),
      ...[...this.active.values()].map((s) => s.end),
    ];
    return times.length === 0 ? null : Math.min(...times);
  }

  /** For tests and the benchmark: how many tokens the index holds. */
  get tokenCount(): number {
    return this.byToken.size;
  }
}
