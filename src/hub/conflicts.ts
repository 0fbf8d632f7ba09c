/**
 * Conflicts: how they are recorded, announced and closed (used by the declarations feature inside
 * its writes), and what parties do with them — list, read, accept the risk.
 *
 * A conflict's id is derived from what it is between (keyed with the hub's secret), so the same
 * conflict never gets two ids. Every new conflict alerts each party involved at the precedence of
 * its severity, with the conflict as that party may see it (a hidden side stays hidden, §8).
 */
import { createHmac } from 'node:crypto';
import type { AlertRecord, ConflictRecord, DeclarationRecord } from '../domain/records.ts';
import type { Conflict } from '../engine/types.ts';
import type { Signed } from '../ledger/statement.ts';
import type { Tx } from '../store/ports.ts';
import { ACK_ROLES, actingParty, fail, type Principal } from './access.ts';
import { PRECEDENCE_OF } from './deadlines.ts';
import type { Kernel, ScreenedConflict, TermConflict, WriteCtx } from './kernel.ts';
import { newId } from './secrets.ts';
import { verifySigned } from './signatures.ts';
import {
  type ConflictView,
  conflictView,
  involves,
  involvesHidden,
  partiesOf,
  withheldFrom,
} from './views.ts';
import { acknowledgementNotice, closeAlerts, raiseAlert } from './watch.ts';

export interface ConflictFilter {
  readonly status?: 'open' | 'resolved';
  readonly rule?: string;
  readonly severity?: string;
  readonly declaration?: string;
  readonly limit?: number;
}

/** Version and party of the declarations written in the current transaction, by id. */
export type Pending = ReadonlyMap<string, { readonly version: number; readonly party: string }>;

/** A conflict's id: keyed with the hub's secret, so a guessed hidden id cannot be confirmed offline. */
function conflictId(key: Buffer, c: Conflict, aVersion: number, bVersion: number): string {
  const h = createHmac('sha256', key)
    .update(`${c.rule}\n${c.a}\n${aVersion}\n${c.b}\n${bVersion}`)
    .digest('hex');
  return `cf-${h.slice(0, 20)}`;
}

/**
 * The record of a conflict the engine found, with the versions and parties of its two sides; or
 * of a breach, whose `b` side is a term of an agreement (its version, party and the parties
 * involved come with it).
 */
export async function conflictRecord(
  k: Kernel,
  tx: Tx,
  found: ScreenedConflict,
  pending: Pending,
  now: number,
): Promise<ConflictRecord> {
  const side = async (id: string): Promise<{ version: number; party: string }> =>
    pending.get(id) ?? ((await tx.declarations.current(id)) as DeclarationRecord);
  const { term, b_party, parties, ...c } = found as Conflict & Partial<TermConflict>;
  const a = await side(c.a);
  const b = term && b_party !== undefined ? { version: term.version, party: b_party } : await side(c.b);
  return {
    ...c,
    ...(term && { term, parties: [...(parties ?? [])] }),
    id: conflictId(k.key, c, a.version, b.version),
    a_version: a.version,
    b_version: b.version,
    a_party: a.party,
    b_party: b.party,
    detected_at: now,
    status: 'open',
    resolution: null,
    resolved_at: null,
    acceptances: [],
  };
}

/** What the ledger records of a new conflict (no geometry: the declarations' entries hold it). */
function conflictSummary(c: ConflictRecord) {
  return {
    rule: c.rule,
    severity: c.severity,
    a: c.a,
    a_version: c.a_version,
    b: c.b,
    b_version: c.b_version,
  };
}

/**
 * Who hears that a party acknowledged a conflict's alert: the other party of the conflict, unless
 * the conflict is withheld from it (it must not learn of it through the other's answer).
 */
async function conflictAudience(ctx: WriteCtx, a: AlertRecord): Promise<string[]> {
  const c = await ctx.tx.conflicts.get(a.subject);
  if (!c) return [];
  return partiesOf(c).filter((x) => x !== a.party && !withheldFrom(c, x));
}

/** Store new conflicts with their ledger entries. */
export async function insertConflicts(
  k: Kernel,
  ctx: WriteCtx,
  p: Principal | null,
  records: readonly ConflictRecord[],
): Promise<void> {
  for (const r of records) {
    await ctx.tx.conflicts.insert(r);
    await ctx.tx.ledger.append(k.entry(p, 'conflict.detected', r.id, conflictSummary(r)));
    for (const n of await acknowledgedNotices(ctx.tx, r)) {
      const { notified_by, ...said } = n;
      await ctx.log(null, notified_by, 'conflict.notice_acknowledged', r.id, {
        rule: r.rule,
        severity: r.severity,
        ...said,
      });
    }
  }
}

/**
 * For a conflict with a declaration that notified the other side's party (a hospital notified to
 * a force that now declares a strike beside it): whether and when that party acknowledged the
 * notification, and the ledger entry that proves it, signed or not. Each is recorded as the
 * notifying party's own entry (`conflict.notice_acknowledged`), so that its receipt is the
 * notifying party's to fetch and hand on: the proof that the striking party had been told, and had
 * said so, before it struck (docs/transparency.md §4). It names the notifying party's own
 * declaration and the conflict, never the other side's declaration, which may be hidden from it.
 */
async function acknowledgedNotices(tx: Tx, c: ConflictRecord) {
  const out: {
    declaration: string;
    notified_by: string;
    acknowledged_by: string;
    acknowledged_at: number;
    entry: number | null;
    key: string | null;
  }[] = [];
  for (const [id, owner, other] of [
    [c.a, c.a_party, c.b_party],
    [c.b, c.b_party, c.a_party],
  ] as const) {
    if (owner === other) continue;
    const d = await tx.declarations.current(id);
    if (!d?.decl.notify?.includes(other)) continue;
    const acked = (await tx.alerts.forSubject('notification', id)).filter(
      (a) => a.party === other && a.ack !== null,
    );
    const last = acked.at(-1)?.ack;
    if (last)
      out.push({
        declaration: id,
        notified_by: owner,
        acknowledged_by: other,
        acknowledged_at: last.at,
        entry: last.entry ?? null,
        key: last.key ?? null,
      });
  }
  return out;
}

const key = (id: string, version: number) => `${id}\n${version}`;

/** The declaration versions on either side of some conflicts: those at hand, the rest read once. */
export async function sidesOf(
  tx: Tx,
  records: readonly ConflictRecord[],
  atHand: readonly DeclarationRecord[],
): Promise<DeclarationRecord[]> {
  const byKey = new Map(atHand.map((r) => [key(r.id, r.version), r]));
  for (const c of records) {
    const sides: [string, number][] = [[c.a, c.a_version]];
    if (!c.term) sides.push([c.b, c.b_version]);
    for (const [id, v] of sides) {
      if (byKey.has(key(id, v))) continue;
      const r = await tx.declarations.version(id, v);
      if (r) byKey.set(key(id, v), r);
    }
  }
  return [...byKey.values()];
}

/** Conflicts as `party` may see them, with their sides from `known` (or read). */
export async function viewsFor(
  tx: Tx,
  records: readonly ConflictRecord[],
  party: string,
  known: readonly DeclarationRecord[] = [],
): Promise<ConflictView[]> {
  const byKey = new Map(known.map((r) => [key(r.id, r.version), r]));
  const find = async (id: string, v: number) =>
    byKey.get(key(id, v)) ?? (await tx.declarations.version(id, v));
  const out: ConflictView[] = [];
  for (const c of records) {
    const b = c.term ? null : await find(c.b, c.b_version);
    const v = conflictView(c, party, await find(c.a, c.a_version), b);
    if (v !== null) out.push(v);
  }
  return out;
}

async function viewOf(tx: Tx, c: ConflictRecord, party: string): Promise<ConflictView | null> {
  return (await viewsFor(tx, [c], party))[0] ?? null;
}

/**
 * Every new conflict alerts each party involved, at the precedence of its severity, with the
 * conflict as that party may see it; then the party's stream hears of the conflict itself.
 */
export async function announce(
  k: Kernel,
  ctx: WriteCtx,
  records: readonly ConflictRecord[],
  known: readonly DeclarationRecord[],
  only?: readonly string[],
): Promise<void> {
  for (const r of records) {
    for (const party of partiesOf(r)) {
      if (only !== undefined && !only.includes(party)) continue;
      const [view] = await viewsFor(ctx.tx, [r], party, known);
      if (!view) continue;
      // The alert first: it carries the conflict, and it is what a watch officer must see.
      await raiseAlert(ctx, k.deadlines, {
        id: newId('al'),
        party,
        subject_type: 'conflict',
        subject: r.id,
        precedence: PRECEDENCE_OF[r.severity],
        summary: { conflict: view },
        // With a hidden side, the deadlines are fitted to the window as shown (the declarations'
        // overlap, to the hour; views.ts), or `starts_at` and a stretched `due_at` would tell the
        // exact start. It is never later than the real start: the deadlines can only tighten.
        starts_at: involvesHidden(view) ? Date.parse(view.window.start) : r.window.start,
      });
      await ctx.emit(party, 'conflict.detected', view);
    }
  }
}

/** Tell each party of a conflict how it changed; a resolved conflict closes its open alerts. */
async function conflictChanged(ctx: WriteCtx, c: ConflictRecord, type: string): Promise<void> {
  for (const party of partiesOf(c)) {
    const view = await viewOf(ctx.tx, c, party);
    if (view) await ctx.emit(party, type, view);
  }
  if (c.status === 'resolved') await closeAlerts(ctx, 'conflict', c.id, c.resolution ?? 'resolved');
}

/** Resolve the open conflicts of a declaration that was withdrawn, amended or expired. */
export async function closeConflictsOf(
  k: Kernel,
  ctx: WriteCtx,
  p: Principal | null,
  id: string,
  resolution: 'withdrawn' | 'amended' | 'expired',
): Promise<number> {
  const open = await ctx.tx.conflicts.openFor(id);
  for (const c of open) {
    const next: ConflictRecord = { ...c, status: 'resolved', resolution, resolved_at: ctx.now };
    await ctx.tx.conflicts.update(next);
    await ctx.tx.ledger.append(k.entry(p, 'conflict.resolved', c.id, { resolution, declaration: id }));
    await conflictChanged(ctx, next, 'conflict.resolved');
  }
  return open.length;
}

/** True when the view shows the declaration `id` in clear on one of its sides. */
function shows(v: ConflictView, id: string): boolean {
  return [v.a, v.b].some((side) => 'id' in side && side.id === id);
}

export class Conflicts {
  constructor(private readonly k: Kernel) {
    // An acknowledged conflict alert: the other party learns that, when, and the reply — not by
    // whom (who in a party acts is that party's business; the ledger records it).
    k.onAcknowledged(
      'conflict',
      async (ctx, a, reply) => {
        const notice = acknowledgementNotice(ctx, a, reply);
        for (const other of await conflictAudience(ctx, a)) await ctx.emit(other, 'acknowledgement', notice);
      },
      conflictAudience,
    );
  }

  async list(p: Principal, f: ConflictFilter) {
    const party = actingParty(p);
    return this.k.read(async (tx) => {
      const rows = await tx.conflicts.query({ party, ...f, limit: Math.min(f.limit ?? 500, 5000) });
      const out: ConflictView[] = [];
      for (const c of rows) {
        const v = await viewOf(tx, c, party);
        if (v === null) continue;
        // Filtering by a declaration the caller may not see answers as for one that does not
        // exist: otherwise a guessed id would be confirmed as the hidden side of these conflicts.
        if (f.declaration !== undefined && !shows(v, f.declaration)) continue;
        out.push(v);
      }
      return out;
    });
  }

  async get(p: Principal, id: string) {
    const party = actingParty(p);
    return this.k.read(async (tx) => {
      const c = await tx.conflicts.get(id);
      const view = c && (await viewOf(tx, c, party));
      if (!view) fail('not_found', `no conflict ${id}`);
      return view;
    });
  }

  /**
   * The owner of a hidden side releases a conflict withheld from a party past its probing budget
   * (docs/visibility.md): that party now sees it (as a conflict with a hidden side) and is alerted.
   */
  async release(p: Principal, id: string) {
    const party = actingParty(p, ...ACK_ROLES);
    return this.k.write(async (tx, ctx) => {
      const c = await tx.conflicts.get(id);
      const view = c && (await viewOf(tx, c, party));
      if (!c || !view) fail('not_found', `no conflict ${id}`);
      const from = view.withheld_from ?? [];
      if (from.length === 0) fail('invalid_request', `conflict ${id} is withheld from nobody`);
      const next: ConflictRecord = { ...c, withheld_from: [] };
      await tx.conflicts.update(next);
      await tx.ledger.append(this.k.entry(p, 'conflict.released', id, { to: from }));
      // An open conflict alerts the parties it was withheld from; a resolved one is only shown.
      if (next.status === 'open') await announce(this.k, ctx, [next], [], from);
      const released = (await viewOf(tx, next, party)) as ConflictView;
      // The owner's other consoles drop the withheld line too.
      await ctx.emit(party, 'conflict.released', released);
      return { result: released };
    });
  }

  /**
   * Accept the risk of a conflict, with a reason. Each party involved accepts for itself; the
   * conflict is resolved (`risk_accepted`) once every party involved has accepted.
   */
  async acceptRisk(p: Principal, id: string, reason: string, signed?: Signed) {
    const party = actingParty(p, ...ACK_ROLES);
    return this.k.write(async (tx, ctx) => {
      const c = await tx.conflicts.get(id);
      if (!c || !involves(party, c) || withheldFrom(c, party)) fail('not_found', `no conflict ${id}`);
      if (c.status !== 'open')
        fail('already_resolved', `conflict ${id} is already resolved (${c.resolution})`);
      if (c.acceptances.some((x) => x.party === party))
        fail('already_resolved', `party ${party} has already accepted this risk`);
      const verified = await verifySigned(
        tx,
        p,
        signed,
        { act: 'risk.accept', subject: id, reason },
        ctx.now,
      );
      const acceptances = [...c.acceptances, { party, username: p.username, reason, at: ctx.now }];
      const all = partiesOf(c).every((x) => acceptances.some((a) => a.party === x));
      const next: ConflictRecord = all
        ? { ...c, acceptances, status: 'resolved', resolution: 'risk_accepted', resolved_at: ctx.now }
        : { ...c, acceptances };
      await tx.conflicts.update(next);
      await tx.ledger.append(
        this.k.entry(p, 'conflict.risk_accepted', id, {
          reason,
          resolved: all,
          audience: partiesOf(c).filter((x) => x !== party && !withheldFrom(c, x)),
          ...(verified && { signed: verified.signed }),
        }),
      );
      await conflictChanged(ctx, next, all ? 'conflict.resolved' : 'conflict.risk_accepted');
      return { result: (await viewOf(tx, next, party)) as ConflictView };
    });
  }
}
