/**
 * Declarations: submit, amend, withdraw, expire, read and list — and the live conflict index.
 *
 * A submission is parsed by the engine (the party taken from the token), then checked under the
 * kernel's write lock against the live index and the rest of its batch; the declarations, the
 * conflicts found, their alerts and events and the ledger entries commit in one transaction, and
 * only then does the index change. So two concurrent submissions cannot miss each other: the
 * second is checked against the first.
 *
 * What a submission may cost is bounded first (work-budget.ts: vertices per request and per party
 * and minute), and a heavy one is parsed and checked in a worker thread, outside the lock, then
 * brought up to date under it (detect-pool.ts): the main thread never blocks on one for long.
 */

import type { WorkBudget } from '../domain/limits.ts';
import type { ConflictRecord, DeclarationRecord, DeclarationStatus } from '../domain/records.ts';
import type { ParseLimits } from '../engine/declaration.ts';
import type { Box } from '../engine/geodesy/bbox.ts';
import type { Conflict, Declaration, EngineOptions, Kind } from '../engine/types.ts';
import { DeconflictError } from '../errors.ts';
import type { Tx } from '../store/ports.ts';
import { actingParty, fail, type Principal, requireRole } from './access.ts';
import { RawBody } from './body.ts';
import {
  announce,
  closeConflictsOf,
  conflictRecord,
  insertConflicts,
  type Pending,
  sidesOf,
  viewsFor,
} from './conflicts.ts';
import { type DetectionOptions, LiveIndex, releasing, type Screened } from './detect-pool.ts';
import type { Kernel, ScreenedConflict, WriteCtx } from './kernel.ts';
import { notifyParties } from './notifications.ts';
import { accountProbes, DEFAULT_PROBE_BUDGET } from './probing.ts';
import { type IndexSource, positionOf, usableSnapshot, writeSnapshot } from './snapshot.ts';
import { type ConflictView, canSee, declarationFeature, involvesHidden } from './views.ts';
import { closeAlerts } from './watch.ts';
import { verticesOf, WorkBudgets, workBudget } from './work-budget.ts';

export interface DeclarationFilter {
  /** Boxes west, south, east, north; a box may cross the antimeridian (west > east). */
  readonly bbox?: readonly [number, number, number, number];
  readonly start?: number;
  readonly end?: number;
  readonly kind?: Kind;
  readonly party?: string;
  readonly status?: Exclude<DeclarationStatus, 'superseded'>;
  readonly limit?: number;
  /** Only ids after this one: the next page of a read in id order (exports.ts). */
  readonly after?: string;
}

export interface SubmissionResult {
  readonly accepted: true;
  readonly dry_run: boolean;
  readonly declarations: { readonly id: string; readonly version: number }[];
  readonly conflicts: ConflictView[];
  /** On dry runs: declarations hidden from the caller were not checked. */
  readonly hidden?: 'not_checked';
}

const SUBMIT_ROLES = ['operator', 'party_admin'] as const;

/** The id the hub gives a declaration submitted without one (screen.ts: workers assign them too). */
export { assignedId } from './screen.ts';

/** Every party's id, for telling each what it may see (read once per write). */
function partyIds(tx: Tx): () => Promise<string[]> {
  // Read only when a change is not for every party (most declarations are visible to all).
  let ids: Promise<string[]> | undefined;
  return () => {
    ids ??= tx.parties.list().then((list) => list.map((x) => x.id));
    return ids;
  };
}

/** The current version of a declaration the party owns and may still change, or the coded error. */
async function activeOwnDeclaration(tx: Tx, party: string, id: string): Promise<DeclarationRecord> {
  const cur = await tx.declarations.current(id);
  if (!cur || !canSee(party, cur.decl)) fail('not_found', `no declaration ${id}`);
  if (cur.party !== party) fail('forbidden', `declaration ${id} belongs to another party`);
  if (cur.status !== 'active') fail('declaration_closed', `declaration ${id} is ${cur.status}`);
  return cur;
}

/**
 * Every party a declaration names must exist: a misspelt party in `notify` would never be told,
 * and one in `visibility` could be created later by someone to read what was hidden for it. And
 * `notify` may only name parties that may see the declaration: notifying does not grant
 * visibility (list the party in `visibility` too).
 */
async function checkPartyLists(tx: Tx, decls: readonly Declaration[]): Promise<void> {
  const names = (d: Declaration) => typeof d.visibility !== 'string' || d.notify || d.applies_to;
  if (!decls.some(names)) return;
  const known = new Set((await tx.parties.list()).map((x) => x.id));
  const problems: ConstructorParameters<typeof DeconflictError>[0][number][] = [];
  decls.forEach((d, index) => {
    const feature = { index, id: d.id };
    const lists: [string, readonly string[] | undefined][] = [
      ['visibility', typeof d.visibility === 'string' ? undefined : d.visibility],
      ['notify', d.notify],
      ['applies_to', d.applies_to],
    ];
    for (const [name, list] of lists) {
      for (const party of list ?? []) {
        if (!known.has(party))
          problems.push({
            code: 'unknown_party',
            feature,
            path: `properties.${name}`,
            message: `no party "${party}"`,
          });
      }
    }
    for (const party of d.notify ?? []) {
      if (known.has(party) && !canSee(party, d))
        problems.push({
          code: 'notify_not_visible',
          feature,
          path: 'properties.notify',
          message: `"${party}" may not see this declaration: add it to visibility to notify it`,
        });
    }
  });
  if (problems.length > 0) throw new DeconflictError(problems);
}

/** A bbox as boxes that do not cross the antimeridian (RFC 7946 allows west > east). */
function bboxBoxes(b: readonly [number, number, number, number]): Box[] {
  const [w, s, e, n] = b;
  return w <= e
    ? [[w, s, e, n]]
    : [
        [w, s, 180, n],
        [-180, s, e, n],
      ];
}

export class Declarations {
  /** The live index of active declarations, and the detection workers (detect-pool.ts). */
  private readonly index: LiveIndex;
  /** What each party may still submit this minute (work-budget.ts). */
  private readonly budgets: WorkBudgets;
  /** Versions of the active declarations, as in the store. */
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly k: Kernel,
    private readonly options: {
      readonly engine?: Partial<EngineOptions>;
      readonly limits?: Partial<ParseLimits>;
      /** Hidden conflicts answered per (caller, owner) and UTC day by default (probing.ts). */
      readonly probeBudget?: number;
      /** Vertices per request and per party and minute (src/domain/limits.ts has the defaults). */
      readonly workBudget?: Partial<WorkBudget>;
      /** When a submission is screened in a worker thread, and how many there are. */
      readonly detection?: DetectionOptions;
    } = {},
  ) {
    this.index = new LiveIndex(options.engine, options.detection);
    this.budgets = new WorkBudgets(workBudget(options.workBudget), () => k.clock.now());
    // A group commit that failed: what its writes applied to the index is read back from the store.
    k.onReset(() => this.load());
    // Another instance created, amended, withdrew or expired declarations (a shared store).
    k.onFollow((tx, entries) =>
      this.follow(
        tx,
        entries.filter((e) => e.type.startsWith('declaration.')).map((e) => e.subject),
      ),
    );
  }

  /**
   * Bring the live index up to the store for these declarations, as another instance left them:
   * the current version when it is active, else nothing. Idempotent; each changed declaration
   * counts as a change for the screenings under way, as a write's own would (detect-pool.ts).
   */
  private async follow(tx: Tx, ids: readonly string[]): Promise<void> {
    for (const id of new Set(ids)) {
      const cur = await tx.declarations.current(id);
      const active = cur?.status === 'active' ? cur : null;
      const known = this.versions.get(id);
      if (known !== undefined && known === active?.version) continue;
      if (known !== undefined) this.forget(id);
      if (active) {
        this.index.add(active.decl);
        this.versions.set(id, active.version);
      }
    }
  }

  /**
   * Stop the detection workers (the hub closing), having written the index's snapshot at
   * `snapshot` when given (snapshot.ts): taken inside a write, after every write queued before
   * it, so that the declarations and the ledger position are those of one moment.
   */
  async stop(snapshot?: string): Promise<void> {
    try {
      if (snapshot === undefined) return;
      const taken = await this.k.write(async (tx) => {
        const position = positionOf(await tx.ledger.head());
        // The declarations and the index's state of one moment: the state's slots follow them.
        const entries = [...this.index.declarations()].map((decl) => ({
          decl,
          version: this.versions.get(decl.id) ?? 0,
        }));
        return { result: { position, entries, state: this.index.state() } };
      });
      writeSnapshot(snapshot, taken.position, taken.entries, taken.state);
    } finally {
      await this.index.close();
    }
  }

  /**
   * Rebuild the live index from the active declarations in the store (at start), or from the
   * snapshot at `snapshot` when there is one that reflects the store (snapshot.ts): no
   * declaration's JSON is then read or parsed, and the index itself is restored as it was built
   * (no box computed, nothing sorted) when its state fits. `told` hears which it was, and why.
   */
  async load(snapshot?: string, told?: (source: IndexSource) => void): Promise<void> {
    const { head, active } = await this.k.read(async (tx) => ({
      head: positionOf(await tx.ledger.head()),
      active: await tx.declarations.activeVersions(),
    }));
    this.versions.clear();
    for (const [id, version] of active) this.versions.set(id, version);
    const usable = usableSnapshot(snapshot, head, this.versions);
    if (!('ok' in usable)) {
      // The index as it was built, when its state fits; else built from the snapshot's declarations.
      const refused = this.index.load(
        usable.entries.map((e) => e.decl),
        usable.index,
      );
      const built = usable.index === null ? 'no index state' : refused;
      const how = built === null ? 'the index restored as built' : `${built}, index rebuilt`;
      told?.({ from: 'snapshot', why: `taken at ledger entry ${head.seq}, matches the store; ${how}` });
      return;
    }
    this.index.load(await this.k.read((tx) => tx.declarations.active()));
    told?.({ from: 'store', why: usable.reason });
  }

  private get probeBudget(): number {
    return this.options.probeBudget ?? DEFAULT_PROBE_BUDGET;
  }

  /**
   * The hub's operator (a hub administrator) reads how many declarations are active: what
   * `/healthz` no longer says to anyone, since the count changes with hidden declarations.
   */
  status(p: Principal): { active_declarations: number } {
    requireRole(p, 'hub_admin');
    return { active_declarations: this.activeCount };
  }

  /** Number of active declarations in the live index. */
  get activeCount(): number {
    return this.index.size;
  }

  /**
   * Admit a submission against the party's work budget (refused whole, changing nothing, when it
   * is over), then parse it and find its conflicts as far as can be done before the write lock
   * (detect-pool.ts: a heavy one in a worker). The caller takes the conflicts under the lock and
   * always releases the screening.
   */
  private screen(
    party: string,
    input: unknown,
    assign: boolean,
    exclude?: string,
    limits?: Partial<ParseLimits>,
  ): Screened | Promise<Screened> {
    // An amendment (of `exclude`) is one Feature carrying that id (screen.ts parseRequest).
    const request = {
      party,
      assign,
      limits: { ...this.options.limits, ...limits },
      ...(exclude !== undefined && { amend: exclude }),
    };
    // A large body still as bytes is read, counted and screened in a worker (body.ts).
    if (input instanceof RawBody)
      return this.index.screenBytes(
        input.bytes,
        request,
        (vertices) => this.budgets.charge(party, vertices),
        exclude,
      );
    const vertices = verticesOf(input);
    this.budgets.charge(party, vertices);
    return this.index.screen({ ...request, input }, vertices, exclude);
  }

  /**
   * The conflicts to record for new declarations: those the index found, as the kernel's
   * screening hooks leave them (agreements in force lift the incursions they permit and add the
   * breaches of their terms), on the main thread once the index (or a worker) answered.
   */
  private async screened(
    tx: Tx,
    now: number,
    decls: readonly Declaration[],
    found: readonly Conflict[],
  ): Promise<readonly ScreenedConflict[]> {
    const byId = new Map(decls.map((d) => [d.id, d]));
    const declaration = async (id: string): Promise<Declaration | null> => {
      const own = byId.get(id);
      if (own) return own;
      const cur = await tx.declarations.current(id);
      return cur?.status === 'active' ? cur.decl : null;
    };
    return this.k.screen({ tx, now, decls, declaration }, found);
  }

  /** Record the conflicts of declarations written in this transaction. */
  private async record(
    tx: Tx,
    found: readonly ScreenedConflict[],
    pending: Pending,
    now: number,
  ): Promise<ConflictRecord[]> {
    const out: ConflictRecord[] = [];
    for (const c of found) out.push(await conflictRecord(this.k, tx, c, pending, now));
    return out;
  }

  /**
   * Submit one Feature or a FeatureCollection: all accepted or none. Answers with the conflicts
   * found, in the same response (accepted with or without conflict). A dry run stores nothing.
   */
  async submit(
    p: Principal,
    input: unknown,
    // `limits`: an import (hub/imports.ts) raises the features per submission to its own bound;
    // the work budget in vertices still holds.
    options: { dryRun?: boolean; limits?: Partial<ParseLimits> } = {},
  ): Promise<SubmissionResult> {
    const party = actingParty(p, ...SUBMIT_ROLES);
    const screening = this.screen(party, input, true, undefined, options.limits);
    // A light submission is screened at once and queues its write in this same turn (arrival order).
    const screened = screening instanceof Promise ? await screening : screening;
    const { decls } = screened;
    const written = this.k.write<SubmissionResult>(async (tx, ctx) => {
      await checkPartyLists(tx, decls);
      for (const d of decls) {
        if (this.versions.has(d.id) || (await tx.declarations.current(d.id))) {
          fail('id_exists', `declaration "${d.id}" already exists; amend it instead`, 'properties.id');
        }
      }
      const pending: Pending = new Map(decls.map((d) => [d.id, { version: 1, party: d.party }]));
      const conflicts = await this.screened(tx, ctx.now, decls, await screened.conflicts());
      const found = await this.record(tx, conflicts, pending, ctx.now);
      const fresh = decls.map((d) => this.newVersion(d, 1, p.username, ctx.now));
      // Every declaration the new conflicts join, read once: the answer and each party's alert use them.
      const known = await sidesOf(tx, found, fresh);
      const declarations = decls.map((d) => ({ id: d.id, version: 1 }));
      // A dry run stores nothing and checks only what the caller may see: about declarations
      // hidden from it, it says nothing at all (docs/visibility.md).
      if (options.dryRun) {
        const views = (await viewsFor(tx, found, party, known)).filter((v) => !involvesHidden(v));
        return {
          result: { accepted: true, dry_run: true, declarations, conflicts: views, hidden: 'not_checked' },
        };
      }
      const records = await accountProbes(this.k, ctx, party, found, known, this.probeBudget);
      const views = await viewsFor(tx, records, party, known);
      for (const r of fresh) {
        await tx.declarations.insert(r);
        await tx.ledger.append(
          this.k.entry(p, 'declaration.created', r.id, { version: 1, declaration: r.decl }),
        );
      }
      await insertConflicts(this.k, ctx, p, records);
      await announce(this.k, ctx, records, known);
      const parties = partyIds(tx);
      for (const r of fresh) {
        await this.declarationChanged(ctx, parties, r, null);
        await this.notifyParties(ctx, r);
      }
      return {
        result: { accepted: true, dry_run: false, declarations, conflicts: views },
        apply: () => {
          this.index.addAll(decls);
          for (const d of decls) this.versions.set(d.id, 1);
        },
      };
    });
    return releasing(screened, written);
  }

  private newVersion(d: Declaration, version: number, by: string, now: number): DeclarationRecord {
    return {
      id: d.id,
      version,
      party: d.party,
      kind: d.kind,
      decl: d,
      status: 'active',
      created_at: now,
      created_by: by,
    };
  }

  /** Amend: a new version replaces the current one (which stays in the record). */
  async amend(p: Principal, id: string, input: unknown): Promise<SubmissionResult> {
    const party = actingParty(p, ...SUBMIT_ROLES);
    const screening = this.screen(party, input, false, id);
    const screened = screening instanceof Promise ? await screening : screening;
    const [d] = screened.decls as [Declaration];
    const written = this.k.write<SubmissionResult>(async (tx, ctx) => {
      const cur = await activeOwnDeclaration(tx, party, id);
      await checkPartyLists(tx, [d]);
      const version = cur.version + 1;
      await closeConflictsOf(this.k, ctx, p, id, 'amended');
      await closeAlerts(ctx, 'notification', id, 'amended');
      const conflicts = await this.screened(tx, ctx.now, [d], await screened.conflicts());
      const found = await this.record(tx, conflicts, new Map([[id, { version, party }]]), ctx.now);
      await tx.declarations.setStatus(id, cur.version, 'superseded');
      const amended = this.newVersion(d, version, p.username, ctx.now);
      await tx.declarations.insert(amended);
      await tx.ledger.append(this.k.entry(p, 'declaration.amended', id, { version, declaration: d }));
      const known = await sidesOf(tx, found, [amended]);
      const records = await accountProbes(this.k, ctx, party, found, known, this.probeBudget);
      await insertConflicts(this.k, ctx, p, records);
      await announce(this.k, ctx, records, known);
      await this.declarationChanged(ctx, partyIds(tx), amended, cur.decl);
      await this.notifyParties(ctx, amended);
      const views = await viewsFor(tx, records, party, known);
      return {
        result: { accepted: true, dry_run: false, declarations: [{ id, version }], conflicts: views },
        apply: () => {
          this.index.withdraw(id);
          this.index.add(d);
          this.versions.set(id, version);
        },
      };
    });
    return releasing(screened, written);
  }

  /** Withdraw: the declaration stops counting; its open conflicts close as `withdrawn`. */
  async withdraw(p: Principal, id: string, reason: string | null) {
    const party = actingParty(p, ...SUBMIT_ROLES);
    return this.k.write(async (tx, ctx) => {
      const cur = await activeOwnDeclaration(tx, party, id);
      await tx.declarations.setStatus(id, cur.version, 'withdrawn');
      await tx.ledger.append(this.k.entry(p, 'declaration.withdrawn', id, { version: cur.version, reason }));
      await this.close(ctx, p, cur, 'withdrawn', partyIds(tx));
      return {
        result: { id, version: cur.version, status: 'withdrawn' as const },
        apply: () => this.forget(id),
      };
    });
  }

  /** What withdrawal and expiry share: conflicts and notifications close, parties are told. */
  private async close(
    ctx: WriteCtx,
    p: Principal | null,
    cur: DeclarationRecord,
    status: 'withdrawn' | 'expired',
    parties: () => Promise<readonly string[]>,
  ): Promise<void> {
    await closeConflictsOf(this.k, ctx, p, cur.id, status);
    await closeAlerts(ctx, 'notification', cur.id, status);
    await this.declarationChanged(ctx, parties, { ...cur, status }, null);
  }

  private forget(id: string): void {
    this.index.withdraw(id);
    this.versions.delete(id);
  }

  /**
   * Declarations whose window has ended stop counting: mark them expired, close their open
   * conflicts, drop them from the index. The server calls this on a timer; it is idempotent.
   */
  async expire(): Promise<number> {
    const now = this.k.clock.now();
    const ended = [...this.index.declarations()]
      .filter((d) => d.end !== null && d.end <= now)
      .map((d) => d.id);
    if (ended.length === 0) return 0;
    return this.k.write(async (tx, ctx) => {
      // Look again under the lock: a declaration amended (say, extended) or withdrawn since the
      // list above was taken must not be expired.
      const expired: string[] = [];
      const parties = partyIds(tx);
      for (const id of ended) {
        const cur = await tx.declarations.current(id);
        if (cur?.status !== 'active' || cur.decl.end === null || cur.decl.end > now) continue;
        await tx.declarations.setStatus(id, cur.version, 'expired');
        await tx.ledger.append(this.k.entry(null, 'declaration.expired', id, { version: cur.version }));
        await this.close(ctx, null, cur, 'expired', parties);
        expired.push(id);
      }
      return {
        result: expired.length,
        apply: () => {
          for (const id of expired) this.forget(id);
        },
      };
    });
  }

  /**
   * Tell each party that may see a declaration that it was created, amended, withdrawn or
   * expired, so its consoles keep the map current without reloading. The event is slim: the
   * console reads the declaration itself, as its party may see it. A party that could see the
   * previous version and no longer can gets `{id, status: 'hidden'}` so it drops it (it knew of
   * it already; nothing new is told). A declaration every party may see is told once, on the
   * shared feed (every party's stream, numbered in each; src/store/feed.ts); one shown to some
   * parties only, to each of them.
   */
  private async declarationChanged(
    ctx: WriteCtx,
    parties: () => Promise<readonly string[]>,
    r: DeclarationRecord,
    before: Declaration | null,
  ): Promise<void> {
    await this.k.declared(ctx, r);
    const change = { id: r.id, party: r.party, kind: r.kind, version: r.version, status: r.status };
    if (r.decl.visibility === 'all') return ctx.emitShared('declaration.changed', change);
    for (const party of await parties()) {
      if (canSee(party, r.decl)) {
        await ctx.emit(party, 'declaration.changed', change);
      } else if (before !== null && canSee(party, before)) {
        await ctx.emit(party, 'declaration.changed', { id: r.id, status: 'hidden' });
      }
    }
  }

  /** The humanitarian notification of the parties in `notify` (notifications.ts). */
  private async notifyParties(ctx: WriteCtx, r: DeclarationRecord): Promise<void> {
    await notifyParties(this.k, ctx, r);
  }

  async get(p: Principal, id: string, version?: number) {
    const party = actingParty(p);
    const r = await this.k.read((tx) =>
      version === undefined ? tx.declarations.current(id) : tx.declarations.version(id, version),
    );
    if (!r || !canSee(party, r.decl))
      fail('not_found', `no declaration ${id}${version === undefined ? '' : ` version ${version}`}`);
    return declarationFeature(r, party);
  }

  async versionsOf(p: Principal, id: string) {
    const party = actingParty(p);
    const list = await this.k.read((tx) => tx.declarations.versions(id));
    const visible = list.filter((r) => canSee(party, r.decl));
    if (visible.length === 0) fail('not_found', `no declaration ${id}`);
    return { type: 'FeatureCollection' as const, features: visible.map((r) => declarationFeature(r, party)) };
  }

  /**
   * The declarations the caller may see, filtered in the store's query (visibility and boxes use
   * its indexes; nothing is read only to be dropped). `canSee` is checked once more on what comes
   * back: visibility is decided in one place (views.ts), and the query only narrows.
   */
  async list(p: Principal, f: DeclarationFilter) {
    const party = actingParty(p);
    const rows = await this.k.read((tx) =>
      tx.declarations.query({
        visibleTo: party,
        ...(f.bbox !== undefined && { bbox: bboxBoxes(f.bbox) }),
        ...(f.status !== undefined && { status: f.status }),
        ...(f.kind !== undefined && { kind: f.kind }),
        ...(f.party !== undefined && { party: f.party }),
        ...(f.start !== undefined && { start: f.start }),
        ...(f.end !== undefined && { end: f.end }),
        ...(f.after !== undefined && { after: f.after }),
        limit: Math.min(f.limit ?? 500, 5000),
      }),
    );
    const features = rows.filter((r) => canSee(party, r.decl)).map((r) => declarationFeature(r, party));
    return { type: 'FeatureCollection' as const, features };
  }
}
