/**
 * Humanitarian notification (docs/watch.md "Notifications"): a declaration that names parties in
 * `notify` asks each of them to acknowledge receipt, at precedence `priority` relaxed and
 * stretched by the time left before the declaration starts (deadlines.ts), escalating like any
 * alert. The owner chose to tell them, so they read the declaration itself.
 *
 * The notifying party follows its notification: for each notified party, whether it is still
 * awaited, acknowledged (when, with the reply) or overdue (since when, and how far its alert has
 * escalated) — on the declaration (`GET /declarations/{id}/notifications`) and on its stream
 * (`notification.updated`). When a notified party lets the first deadline pass, the owner is
 * alerted too: a relief agency must know that a force has not confirmed its convoy before the
 * convoy sets off, not after. Who in the notified party acted is not shown (its business; the
 * ledger has it), as for every acknowledgement.
 */
import type { AlertRecord, DeclarationRecord } from '../domain/records.ts';
import type { Tx } from '../store/ports.ts';
import { actingParty, fail, type Principal } from './access.ts';
import type { Kernel, WriteCtx } from './kernel.ts';
import { newId } from './secrets.ts';
import { declarationFeature } from './views.ts';
import { acknowledgementNotice, ackView, closeAlerts, LEVEL_NAMES, raiseAlert } from './watch.ts';

const at = (t: number): string => new Date(t).toISOString();
const iso = (t: number | null | undefined): string | null => (t == null ? null : at(t));

/** The owner's own alert that a notified party let its deadline pass. */
const lateParty = (a: AlertRecord): string | undefined => a.summary.unacknowledged_by as string | undefined;

/** Ask every party in `notify` (other than the owner) to acknowledge the declaration. */
export async function notifyParties(k: Kernel, ctx: WriteCtx, r: DeclarationRecord): Promise<void> {
  for (const party of new Set(r.decl.notify ?? [])) {
    if (party === r.party || !(await ctx.tx.parties.get(party))) continue;
    await raiseAlert(ctx, k.deadlines, {
      id: newId('al'),
      party,
      subject_type: 'notification',
      subject: r.id,
      precedence: 'priority',
      summary: { declaration: declarationFeature(r, party) },
      starts_at: r.decl.start,
    });
  }
}

export type NotificationStatus = 'awaiting' | 'acknowledged' | 'overdue' | 'closed';

/** One notified party's state, as the notifying party reads it. */
export interface NotificationState {
  readonly party: string;
  readonly status: NotificationStatus;
  readonly notified_at: string;
  readonly due_at: string | null;
  readonly level: (typeof LEVEL_NAMES)[number];
  readonly escalated_at: string | null;
  readonly acknowledged_at: string | null;
  readonly reply: string | null;
  /** The acknowledgement's ledger entry, and who signed it (docs/transparency.md). */
  readonly entry: number | null;
  readonly signed_by: { readonly username: string; readonly key: string; readonly entry: number } | null;
  readonly closed_reason: string | null;
}

function stateOf(a: AlertRecord): NotificationState {
  const status: NotificationStatus =
    a.status === 'acknowledged'
      ? 'acknowledged'
      : a.status === 'closed'
        ? 'closed'
        : a.level > 0
          ? 'overdue'
          : 'awaiting';
  // The first deadline passed (an uncovered roster at level 0 is not lateness).
  const late = a.escalations.find((e) => e.level > 0);
  return {
    party: a.party,
    status,
    notified_at: at(a.created_at),
    due_at: iso(a.due_at),
    level: LEVEL_NAMES[a.level],
    escalated_at: iso(late?.due_at),
    acknowledged_at: iso(a.ack?.at),
    reply: a.ack?.reply ?? null,
    entry: a.ack?.entry ?? null,
    signed_by: a.ack ? ackView(a.ack).signed_by : null,
    closed_reason: a.closed_reason,
  };
}

/** The latest notification alert of each party the declaration notifies now. */
async function current(tx: Tx, d: DeclarationRecord): Promise<AlertRecord[]> {
  const parties = new Set((d.decl.notify ?? []).filter((p) => p !== d.party));
  const latest = new Map<string, AlertRecord>();
  for (const a of await tx.alerts.forSubject('notification', d.id)) {
    if (!parties.has(a.party)) continue;
    const seen = latest.get(a.party);
    if (!seen || a.created_at >= seen.created_at) latest.set(a.party, a);
  }
  return [...latest.values()].sort((x, y) => x.party.localeCompare(y.party));
}

export class Notifications {
  constructor(private readonly k: Kernel) {
    k.onAcknowledged(
      'notification',
      (ctx, a, reply) => this.acknowledged(ctx, a, reply),
      async (ctx, a) => {
        const d = await this.ownerOf(ctx, a);
        return d ? [d.party] : [];
      },
    );
    k.onEscalated('notification', (ctx, a) => this.escalated(ctx, a));
  }

  /** The state of each notified party, for the declaration's owner only. */
  async of(p: Principal, id: string) {
    const party = actingParty(p);
    return this.k.read(async (tx) => {
      const d = await tx.declarations.current(id);
      // Only the owner follows its notification; to anyone else it does not exist.
      if (!d || d.party !== party) fail('not_found', `no notification of declaration ${id} by your party`);
      return { declaration: d.id, version: d.version, notifications: (await current(tx, d)).map(stateOf) };
    });
  }

  private async ownerOf(ctx: WriteCtx, a: AlertRecord): Promise<DeclarationRecord | null> {
    const d = await ctx.tx.declarations.current(a.subject);
    // The owner's own alert (acknowledged or escalating) is not a notified party's state.
    return d && a.party !== d.party && lateParty(a) === undefined ? d : null;
  }

  /** A notified party acknowledged: the owner hears when and the reply; its late alert closes. */
  private async acknowledged(ctx: WriteCtx, a: AlertRecord, reply: string | null): Promise<void> {
    const d = await this.ownerOf(ctx, a);
    if (!d) return;
    await ctx.emit(d.party, 'acknowledgement', acknowledgementNotice(ctx, a, reply));
    await ctx.emit(d.party, 'notification.updated', { declaration: d.id, ...stateOf(a) });
    // The owner's alert that this party had not acknowledged in time is answered now.
    await closeAlerts(
      ctx,
      'notification',
      d.id,
      'acknowledged',
      (late) => late.party === d.party && lateParty(late) === a.party,
    );
  }

  /** A notified party let a deadline pass: the owner's view changes; the first time, it is alerted. */
  private async escalated(ctx: WriteCtx, a: AlertRecord): Promise<void> {
    const d = await this.ownerOf(ctx, a);
    if (!d) return;
    await ctx.emit(d.party, 'notification.updated', { declaration: d.id, ...stateOf(a) });
    if (a.level !== 1) return;
    await raiseAlert(ctx, this.k.deadlines, {
      id: newId('al'),
      party: d.party,
      subject_type: 'notification',
      subject: d.id,
      precedence: 'priority',
      summary: { declaration: declarationFeature(d, d.party), unacknowledged_by: a.party },
      starts_at: d.decl.start,
    });
  }
}
