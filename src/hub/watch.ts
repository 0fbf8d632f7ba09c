/**
 * The watch (docs/design.md §5): the on-call roster, alerts with acknowledgement deadlines, and their
 * escalation — watch officer → senior officer on call → party admin → overdue.
 *
 * Everything here runs inside one of the hub's write transactions (a {@link WriteCtx}): an alert
 * is raised in the transaction that found its conflict, an escalation is recorded in the
 * transaction that moves its level, and each writes its ledger entry and its party's stream
 * event there too. So the state, the record and the notification commit together or not at all.
 *
 * Durable timers: an open alert's next deadline is a column (`due_at`), not a timer in memory.
 * {@link escalateDue} moves every alert whose deadline is at or before the clock's now by exactly
 * one level per deadline passed, guarded by the level it read under the write lock. A hub that
 * was stopped across a deadline escalates on its first pass after starting (late, never lost);
 * one that restarts right after an escalation finds the new level and the next deadline (never
 * repeated); and nothing moves before its deadline (never early). Who receives an escalation is
 * decided by the roster at the deadline itself, not at the moment the hub got round to it.
 */

import type { AlertView } from '../api/watch.ts';
import type {
  AlertLevel,
  AlertRecord,
  AlertSubject,
  EscalationStep,
  Precedence,
  ShiftRecord,
  WatchRole,
} from '../domain/records.ts';
import { PRECEDENCES } from '../domain/records.ts';
import type { Tx } from '../store/ports.ts';
import { fail } from './access.ts';
import { type Deadlines, precedenceAt, stepAt } from './deadlines.ts';
import type { WriteCtx } from './kernel.ts';
import type { Verified } from './signatures.ts';

export const precedenceRank = (p: Precedence): number => PRECEDENCES.indexOf(p);

export const LEVEL_NAMES = ['watch_officer', 'senior_officer', 'party_admin', 'overdue'] as const;

// --- Roster ------------------------------------------------------------------------------------

/** Members holding `role` at instant `at` according to the roster (several may overlap). */
export async function onCall(tx: Tx, party: string, role: WatchRole, at: number): Promise<string[]> {
  const shifts = await tx.roster.list(party, at, at + 1);
  return [...new Set(shifts.filter((s) => s.role === role).map((s) => s.username))].sort();
}

/**
 * Who receives an alert at `level` at instant `at`: the roster's holders; when nobody is on call
 * there, every active member with the role, so an alert never goes to no one (the gap is flagged).
 */
async function recipients(
  tx: Tx,
  party: string,
  level: AlertLevel,
  at: number,
): Promise<{ to: string[]; uncovered: boolean }> {
  if (level === 3) return { to: [], uncovered: false };
  if (level < 2) {
    const role: WatchRole = level === 0 ? 'watch_officer' : 'senior_officer';
    const rostered = await onCall(tx, party, role, at);
    if (rostered.length > 0) return { to: rostered, uncovered: false };
    return { to: await membersWith(tx, party, role), uncovered: true };
  }
  return { to: await membersWith(tx, party, 'party_admin'), uncovered: false };
}

async function membersWith(tx: Tx, party: string, role: string): Promise<string[]> {
  const members = await tx.members.listByParty(party);
  return members
    .filter((m) => !m.disabled && m.roles.includes(role as never))
    .map((m) => m.username)
    .sort();
}

export interface Gap {
  readonly role: WatchRole;
  readonly start: number;
  readonly end: number;
}

/** Spans of [from, to) in which nobody holds `role`: each is a warning to the party. */
export function gaps(shifts: readonly ShiftRecord[], role: WatchRole, from: number, to: number): Gap[] {
  const spans = shifts
    .filter((s) => s.role === role)
    .map((s) => [Math.max(s.start, from), Math.min(s.end, to)] as const)
    .filter(([a, b]) => a < b)
    .sort((x, y) => x[0] - y[0]);
  const out: Gap[] = [];
  let covered = from;
  for (const [a, b] of spans) {
    if (a > covered) out.push({ role, start: covered, end: a });
    covered = Math.max(covered, b);
  }
  if (covered < to) out.push({ role, start: covered, end: to });
  return out;
}

// --- Alerts ------------------------------------------------------------------------------------

const at = (t: number): string => new Date(t).toISOString();
const iso = (t: number | null): string | null => (t === null ? null : at(t));

/** An alert as its party reads it (the record is the party's own; nothing of others is in it). */
export function alertView(a: AlertRecord): AlertView {
  return {
    id: a.id,
    subject_type: a.subject_type,
    subject: a.subject,
    precedence: a.precedence,
    status: a.status,
    level: LEVEL_NAMES[a.level],
    escalated: a.level > 0,
    due_at: iso(a.due_at),
    starts_at: iso(a.starts_at ?? null),
    to: [...a.to],
    created_at: at(a.created_at),
    escalations: a.escalations.map((e) => ({
      level: LEVEL_NAMES[e.level],
      due_at: at(e.due_at),
      at: at(e.at),
      to: [...e.to],
      ...(e.uncovered && { uncovered: true }),
    })),
    ack: a.ack && ackView(a.ack),
    closed_at: iso(a.closed_at),
    closed_reason: a.closed_reason,
    // Rendered as the party may see it when the alert was raised (views.ts).
    summary: a.summary as AlertView['summary'],
  };
}

/**
 * Raise an alert for a party; it goes to the watch officer on call now. `precedence` is what the
 * subject asks for (a conflict's severity, a message's sender); when the alert is about an
 * activity starting at `starts_at`, the time left relaxes it and stretches the deadlines
 * (deadlines.ts).
 */
export async function raiseAlert(
  ctx: WriteCtx,
  limits: Deadlines,
  a: {
    id: string;
    party: string;
    subject_type: AlertSubject;
    subject: string;
    precedence: Precedence;
    summary: Record<string, unknown>;
    starts_at?: number | null;
  },
): Promise<AlertRecord> {
  const { to, uncovered } = await recipients(ctx.tx, a.party, 0, ctx.now);
  const startsAt = a.starts_at ?? null;
  const precedence = precedenceAt(limits, a.precedence, ctx.now, startsAt);
  const record: AlertRecord = {
    ...a,
    precedence,
    starts_at: startsAt,
    level: 0,
    due_at: ctx.now + stepAt(limits, precedence, 0, ctx.now, startsAt),
    status: 'open',
    created_at: ctx.now,
    to,
    escalations: uncovered ? [{ level: 0, due_at: ctx.now, at: ctx.now, to, uncovered: true }] : [],
    ack: null,
    closed_at: null,
    closed_reason: null,
  };
  await ctx.tx.alerts.insert(record);
  await ctx.log(null, a.party, 'alert.raised', a.id, {
    subject_type: a.subject_type,
    subject: a.subject,
    precedence: a.precedence,
    due_at: record.due_at,
    to,
    // A party that let its deadline pass: the record of it, which the alerted party's receipt
    // proves (docs/transparency.md: a notification nobody acknowledged).
    ...(typeof a.summary.unacknowledged_by === 'string' && {
      unacknowledged_by: a.summary.unacknowledged_by,
    }),
  });
  await ctx.emit(a.party, 'alert.created', alertView(record));
  return record;
}

/**
 * Close the open alerts about a subject (a resolved conflict, a withdrawn declaration), or only
 * those `which` picks (a sender's "unacknowledged by" alert once that party acknowledged).
 */
export async function closeAlerts(
  ctx: WriteCtx,
  type: AlertSubject,
  subject: string,
  reason: string,
  which: (a: AlertRecord) => boolean = () => true,
): Promise<void> {
  for (const a of await ctx.tx.alerts.forSubject(type, subject)) {
    if (a.status !== 'open' || !which(a)) continue;
    const next: AlertRecord = {
      ...a,
      status: 'closed',
      due_at: null,
      closed_at: ctx.now,
      closed_reason: reason,
    };
    await ctx.tx.alerts.update(next);
    await ctx.log(null, a.party, 'alert.closed', a.id, { reason });
    await ctx.emit(a.party, 'alert.closed', alertView(next));
  }
}

/** An acknowledgement as views show it: who, when, the reply, and who signed it (or null). */
export function ackView(ack: NonNullable<AlertRecord['ack']>) {
  return {
    username: ack.username,
    at: at(ack.at),
    reply: ack.reply,
    entry: ack.entry ?? null,
    signed_by:
      ack.key && ack.entry !== undefined ? { username: ack.username, key: ack.key, entry: ack.entry } : null,
  };
}

/**
 * What the other side is told of an acknowledgement: which alert's subject, which party, when,
 * and the reply — not by whom (who in a party acts is that party's business; the ledger has it).
 */
export function acknowledgementNotice(ctx: WriteCtx, a: AlertRecord, reply: string | null) {
  return { subject_type: a.subject_type, subject: a.subject, party: a.party, at: at(ctx.now), reply };
}

/**
 * Acknowledge an open alert in one action (who, when, optional reply), then tell the feature
 * that owns its subject (it tells the other side: the party of a conflict, the notifying party,
 * the sender of a hotline message). A closed or already acknowledged alert is refused.
 */
export async function acknowledgeAlert(
  ctx: WriteCtx,
  a: AlertRecord,
  username: string,
  reply: string | null,
  verified: Verified | null = null,
): Promise<AlertRecord> {
  if (a.status !== 'open')
    fail(
      'already_acknowledged',
      `alert ${a.id} is ${a.status === 'closed' ? 'closed' : 'already acknowledged'}`,
    );
  const acked: AlertRecord = {
    ...a,
    status: 'acknowledged',
    due_at: null,
    ack: { username, at: ctx.now, reply },
  };
  // The parties the subject's feature tells are the entry's audience: they may fetch its receipt
  // (docs/transparency.md §4). The feature tells them once the entry exists, naming it.
  const audience = await ctx.audienceOf(acked);
  const entry = await ctx.log(username, a.party, 'alert.acknowledged', a.id, {
    reply,
    level: LEVEL_NAMES[a.level],
    subject_type: a.subject_type,
    subject: a.subject,
    audience,
    ...(verified && { signed: verified.signed }),
  });
  const next: AlertRecord = {
    ...acked,
    ack: { username, at: ctx.now, reply, entry: entry.seq, key: verified?.key ?? null },
  };
  await ctx.tx.alerts.update(next);
  await ctx.acknowledged(next, reply);
  await ctx.emit(a.party, 'alert.acknowledged', alertView(next));
  return next;
}

/**
 * Escalate every open alert whose deadline has passed, one level per deadline, in deadline
 * order. Returns the escalations recorded. Runs inside the write lock; see the module comment
 * for why this neither loses, repeats nor advances an escalation.
 */
export async function escalateDue(ctx: WriteCtx, limits: Deadlines, batch = 200): Promise<number> {
  let moved = 0;
  for (;;) {
    const due = await ctx.tx.alerts.due(ctx.now, batch);
    if (due.length === 0) return moved;
    for (const a of due) {
      // `due` holds only open alerts with a deadline at or before now: re-read under the lock is
      // the same row, since every write runs under it.
      const deadline = a.due_at as number;
      const level = (a.level + 1) as AlertLevel;
      const { to, uncovered } = await recipients(ctx.tx, a.party, level, deadline);
      const step: EscalationStep = {
        level,
        due_at: deadline,
        at: ctx.now,
        to,
        ...(uncovered && { uncovered: true }),
      };
      const next: AlertRecord = {
        ...a,
        level,
        due_at:
          level < 3
            ? deadline + stepAt(limits, a.precedence, level as 1 | 2, deadline, a.starts_at ?? null)
            : null,
        to: level < 3 ? to : a.to,
        escalations: [...a.escalations, step],
      };
      await ctx.tx.alerts.update(next);
      await ctx.log(null, a.party, level < 3 ? 'alert.escalated' : 'alert.overdue', a.id, {
        level: LEVEL_NAMES[level],
        due_at: deadline,
        to,
      });
      await ctx.emit(a.party, level < 3 ? 'alert.escalated' : 'alert.overdue', alertView(next));
      await ctx.escalated(next);
      moved++;
    }
  }
}
