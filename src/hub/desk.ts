/**
 * The watch desk: what a party's members do with the roster and their alerts, and the stream of
 * events they read (docs/design.md §5). The rules of alerts and escalation are in `watch.ts`;
 * this is the application layer over them (roles, answers).
 */
import type { AlertRecord, EventRecord, ShiftRecord, WatchRole } from '../domain/records.ts';
import { LATEST_ISO_UTC_MS } from '../engine/time.ts';
import type { Signed } from '../ledger/statement.ts';
import type { Tx } from '../store/ports.ts';
import { ACK_ROLES, actingParty, fail, ownRecord, type Principal } from './access.ts';
import type { Kernel } from './kernel.ts';
import { newId } from './secrets.ts';
import { verifySigned } from './signatures.ts';
import { acknowledgeAlert, alertView, escalateDue, gaps, onCall, precedenceRank } from './watch.ts';

const DAY = 86_400_000;
/** Longest single shift, and longest span one roster read may cover. */
const MAX_SHIFT_MS = 31 * DAY;
const MAX_ROSTER_SPAN_MS = 62 * DAY;

export interface ShiftInput {
  readonly role: WatchRole;
  readonly username: string;
  readonly start: number;
  readonly end: number;
}

const iso = (t: number): string => new Date(t).toISOString();

function shiftView(s: ShiftRecord) {
  return { id: s.id, role: s.role, username: s.username, start: iso(s.start), end: iso(s.end) };
}

/** Open alerts first, most urgent precedence then earliest deadline; then the rest, newest first. */
function inboxOrder(a: AlertRecord, b: AlertRecord): number {
  const openA = a.status === 'open' ? 0 : 1;
  const openB = b.status === 'open' ? 0 : 1;
  if (openA !== openB) return openA - openB;
  if (openA === 0) {
    const p = precedenceRank(a.precedence) - precedenceRank(b.precedence);
    if (p !== 0) return p;
    return (a.due_at ?? Number.MAX_SAFE_INTEGER) - (b.due_at ?? Number.MAX_SAFE_INTEGER);
  }
  return b.created_at - a.created_at;
}

/**
 * For an alert about a conflict: whether the other party has acknowledged its own alert about it
 * (when, and its reply). Its status only — its escalation level and who holds it are its own.
 */
async function peers(tx: Tx, a: AlertRecord) {
  if (a.subject_type !== 'conflict') return [];
  const all = await tx.alerts.forSubject('conflict', a.subject);
  return all
    .filter((x) => x.party !== a.party)
    .map((x) => ({
      party: x.party,
      acknowledged: x.ack !== null,
      acknowledged_at: x.ack ? iso(x.ack.at) : null,
      reply: x.ack?.reply ?? null,
    }));
}

/** An alert as its party reads it in the inbox: with the other side's acknowledgement. */
async function inboxView(tx: Tx, a: AlertRecord) {
  return { ...alertView(a), peers: await peers(tx, a) };
}

export class Desk {
  constructor(private readonly k: Kernel) {}

  // --- Roster ----------------------------------------------------------------------------------

  /** The roster over [from, to) (default: now and the next 7 days), who is on call now, and the gaps. */
  async roster(p: Principal, q: { from?: number; to?: number }) {
    const party = actingParty(p);
    const now = this.k.clock.now();
    const from = q.from ?? now;
    const to = q.to ?? Math.min(from + 7 * DAY, LATEST_ISO_UTC_MS);
    if (!(to > from) || to - from > MAX_ROSTER_SPAN_MS)
      fail('invalid_request', 'to: after from, and at most 62 days later', 'to');
    return this.k.read(async (tx) => {
      const shifts = await tx.roster.list(party, from, to);
      const watch = await onCall(tx, party, 'watch_officer', now);
      const senior = await onCall(tx, party, 'senior_officer', now);
      const warnings = [
        ...gaps(shifts, 'watch_officer', from, to),
        ...gaps(shifts, 'senior_officer', from, to),
      ].map((g) => ({ code: 'no_one_on_call' as const, role: g.role, start: iso(g.start), end: iso(g.end) }));
      return {
        from: iso(from),
        to: iso(to),
        on_call_now: { watch_officer: watch, senior_officer: senior },
        shifts: shifts.map(shiftView),
        warnings,
      };
    });
  }

  /** Put a member on call for a span; hand-overs are consecutive shifts. Party admin only. */
  async addShift(p: Principal, input: ShiftInput) {
    const party = actingParty(p, 'party_admin');
    const { role, username, start, end } = input;
    if (!(end > start) || end - start > MAX_SHIFT_MS)
      fail('invalid_request', 'end: after start, and at most 31 days later', 'end');
    return this.k.write(async (tx, ctx) => {
      const m = await tx.members.get(username);
      if (!m || m.party !== party) fail('not_found', `no member ${username} in ${party}`, 'username');
      if (m.disabled) fail('invalid_request', `member ${username} is disabled`, 'username');
      if (!m.roles.includes(role))
        fail('invalid_request', `member ${username} does not hold the role ${role}`, 'role');
      const shift: ShiftRecord = {
        id: newId('sh'),
        party,
        role,
        username,
        start,
        end,
        created_at: ctx.now,
        created_by: p.username,
      };
      await tx.roster.insert(shift);
      await ctx.log(p.username, party, 'roster.shift_added', shift.id, shiftView(shift));
      await ctx.emit(party, 'roster.changed', { added: shiftView(shift) });
      return { result: shiftView(shift) };
    });
  }

  async removeShift(p: Principal, id: string): Promise<void> {
    const party = actingParty(p, 'party_admin');
    await this.k.write(async (tx, ctx) => {
      const s = ownRecord(await tx.roster.get(id), party, 'shift', id);
      await tx.roster.delete(id);
      await ctx.log(p.username, party, 'roster.shift_removed', id, shiftView(s));
      await ctx.emit(party, 'roster.changed', { removed: shiftView(s) });
      return { result: undefined };
    });
  }

  // --- Alerts ----------------------------------------------------------------------------------

  async alerts(p: Principal, q: { status?: AlertRecord['status']; limit?: number }) {
    const party = actingParty(p);
    return this.k.read(async (tx) => {
      const rows = await tx.alerts.query({
        party,
        ...(q.status !== undefined && { status: q.status }),
        limit: Math.min(q.limit ?? 500, 5000),
      });
      const out = [];
      for (const a of rows.sort(inboxOrder)) out.push(await inboxView(tx, a));
      return out;
    });
  }

  async alert(p: Principal, id: string) {
    const party = actingParty(p);
    return this.k.read(async (tx) => inboxView(tx, ownRecord(await tx.alerts.get(id), party, 'alert', id)));
  }

  /**
   * Acknowledge an alert in one action (who, when, optional reply). The feature owning its
   * subject tells the other side (watch.ts `acknowledgeAlert`).
   */
  async acknowledge(p: Principal, id: string, reply: string | null, signed?: Signed) {
    const party = actingParty(p, ...ACK_ROLES);
    return this.k.write(async (tx, ctx) => {
      const a = ownRecord(await tx.alerts.get(id), party, 'alert', id);
      const verified = await verifySigned(
        tx,
        p,
        signed,
        { act: 'alert.acknowledge', subject: id, reply },
        ctx.now,
      );
      const next = await acknowledgeAlert(ctx, a, p.username, reply, verified);
      return { result: await inboxView(tx, next) };
    });
  }

  // --- Stream and timers -----------------------------------------------------------------------

  /** The party's events after `after` (the HTTP twin of the WebSocket stream). */
  async events(p: Principal, after: number, limit: number): Promise<{ head: number; events: EventRecord[] }> {
    const party = actingParty(p);
    return this.k.read(async (tx) => {
      const head = await tx.events.head(party);
      if (after > head)
        fail('invalid_request', `after: ${after} is beyond the last event (${head})`, 'after');
      return { head, events: await tx.events.since(party, after, Math.min(limit, 1000)) };
    });
  }

  /** Escalate every alert whose deadline has passed. Returns the number of escalations. */
  async escalate(): Promise<number> {
    const due = await this.k.read((tx) => tx.alerts.nextDue());
    if (due === null || due > this.k.clock.now()) return 0;
    return this.k.write(async (_tx, ctx) => ({ result: await escalateDue(ctx, this.k.deadlines) }));
  }

  async nextDue(): Promise<number | null> {
    return this.k.read((tx) => tx.alerts.nextDue());
  }
}
