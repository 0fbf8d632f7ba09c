/**
 * The watch desk: what a party's members do with the roster and their alerts, and the stream of
 * events they read (DESIGN §5). The rules of alerts and escalation are in `watch.ts`; this is
 * the application layer over them (roles, parameters, answers).
 */

import type { AlertRecord, EventRecord, Role, ShiftRecord, WatchRole } from '../domain/records.ts';
import { parseTime } from '../field/dtg.ts';
import type { Tx } from '../store/ports.ts';
import { fail, type Principal, requireParty, requireRole } from './access.ts';
import type { Hub } from './hub.ts';
import { newId } from './secrets.ts';
import {
  acknowledgeAlert,
  alertView,
  escalateDue,
  gaps,
  onCall,
  precedenceRank,
  type WriteCtx,
} from './watch.ts';

const DAY = 86_400_000;
/** Longest single shift, and longest span one roster read may cover. */
const MAX_SHIFT_MS = 31 * DAY;
const MAX_ROSTER_SPAN_MS = 62 * DAY;
const MAX_REPLY = 2000;
export const ACK_ROLES: readonly Role[] = ['watch_officer', 'senior_officer', 'party_admin'];

const iso = (t: number): string => new Date(t).toISOString();

function time(v: unknown, name: string): number {
  if (typeof v !== 'string')
    fail('invalid_request', `${name}: an ISO 8601 UTC time or a date-time group`, name);
  try {
    return parseTime(v);
  } catch {
    return fail('invalid_request', `${name}: an ISO 8601 UTC time or a date-time group`, name);
  }
}

export function reply(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > MAX_REPLY)
    fail('invalid_request', `reply: text of at most ${MAX_REPLY} characters`, 'reply');
  return v.length === 0 ? null : v;
}

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

export class Desk {
  constructor(private readonly hub: Hub) {}

  // --- Roster ----------------------------------------------------------------------------------

  /** The roster over [from, to) (default: now and the next 7 days), who is on call now, and the gaps. */
  async roster(p: Principal, q: { from?: number; to?: number }) {
    const party = requireParty(p);
    const now = this.hub.clock.now();
    const from = q.from ?? now;
    const to = q.to ?? from + 7 * DAY;
    if (!(to > from) || to - from > MAX_ROSTER_SPAN_MS)
      fail('invalid_request', 'to: after from, and at most 62 days later', 'to');
    return this.hub.store.read(async (tx) => {
      const shifts = await tx.roster.list(party, from, to);
      const watch = await onCall(tx, party, 'watch_officer', now);
      const senior = await onCall(tx, party, 'senior_officer', now);
      const warnings = [
        ...gaps(shifts, 'watch_officer', from, to),
        ...gaps(shifts, 'senior_officer', from, to),
      ].map((g) => ({ code: 'no_one_on_call', role: g.role, start: iso(g.start), end: iso(g.end) }));
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
  async addShift(p: Principal, body: Record<string, unknown>) {
    requireRole(p, 'party_admin');
    const party = requireParty(p);
    const role = body.role;
    if (role !== 'watch_officer' && role !== 'senior_officer')
      fail('invalid_request', 'role: "watch_officer" or "senior_officer"', 'role');
    if (typeof body.username !== 'string')
      fail('invalid_request', 'username: a member of your party', 'username');
    const start = time(body.start, 'start');
    const end = time(body.end, 'end');
    if (!(end > start) || end - start > MAX_SHIFT_MS)
      fail('invalid_request', 'end: after start, and at most 31 days later', 'end');
    const username = body.username;
    return this.hub.write(async (tx, ctx) => {
      const m = await tx.members.get(username);
      if (!m || m.party !== party) fail('not_found', `no member ${username} in ${party}`, 'username');
      if (m.disabled) fail('invalid_request', `member ${username} is disabled`, 'username');
      if (!m.roles.includes(role as WatchRole))
        fail('invalid_request', `member ${username} does not hold the role ${role}`, 'role');
      const shift: ShiftRecord = {
        id: newId('sh'),
        party,
        role: role as WatchRole,
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
    requireRole(p, 'party_admin');
    const party = requireParty(p);
    await this.hub.write(async (tx, ctx) => {
      const s = await tx.roster.get(id);
      if (!s || s.party !== party) fail('not_found', `no shift ${id}`);
      await tx.roster.delete(id);
      await ctx.log(p.username, party, 'roster.shift_removed', id, shiftView(s));
      await ctx.emit(party, 'roster.changed', { removed: shiftView(s) });
      return { result: undefined };
    });
  }

  // --- Alerts ----------------------------------------------------------------------------------

  async alerts(p: Principal, q: { status?: AlertRecord['status']; limit?: number }) {
    const party = requireParty(p);
    return this.hub.store.read(async (tx) => {
      const rows = await tx.alerts.query({
        party,
        ...(q.status !== undefined && { status: q.status }),
        limit: Math.min(q.limit ?? 500, 5000),
      });
      const out = [];
      for (const a of rows.sort(inboxOrder)) out.push({ ...alertView(a), peers: await peers(tx, a) });
      return out;
    });
  }

  async alert(p: Principal, id: string) {
    const party = requireParty(p);
    return this.hub.store.read(async (tx) => {
      const a = await tx.alerts.get(id);
      if (!a || a.party !== party) fail('not_found', `no alert ${id}`);
      return { ...alertView(a), peers: await peers(tx, a) };
    });
  }

  /**
   * Acknowledge an alert in one action (who, when, optional reply). The parties on the other
   * side learn that it was acknowledged, when, and the reply — not by whom: who in a party acts
   * is that party's business (the hub's ledger records it).
   */
  async acknowledge(p: Principal, id: string, body: { reply?: unknown }) {
    requireRole(p, ...ACK_ROLES);
    const party = requireParty(p);
    const text = reply(body.reply);
    return this.hub.write(async (tx, ctx) => {
      const a = await tx.alerts.get(id);
      if (!a || a.party !== party) fail('not_found', `no alert ${id}`);
      const next = await this.acknowledgeIn(ctx, a, p.username, text);
      return { result: { ...alertView(next), peers: await peers(tx, next) } };
    });
  }

  /** Acknowledge inside a write, and tell the other side. Used by the hotline too. */
  async acknowledgeIn(ctx: WriteCtx, a: AlertRecord, username: string, text: string | null) {
    if (a.status !== 'open')
      fail(
        'already_acknowledged',
        `alert ${a.id} is ${a.status === 'closed' ? 'closed' : 'already acknowledged'}`,
      );
    const next = await acknowledgeAlert(ctx, a, username, text);
    const notice = {
      subject_type: a.subject_type,
      subject: a.subject,
      party: a.party,
      at: iso(ctx.now),
      reply: text,
    };
    if (a.subject_type === 'conflict') {
      const c = await ctx.tx.conflicts.get(a.subject);
      for (const other of new Set([c?.a_party, c?.b_party])) {
        if (other !== undefined && other !== a.party) await ctx.emit(other, 'acknowledgement', notice);
      }
    } else if (a.subject_type === 'notification') {
      const d = await ctx.tx.declarations.current(a.subject);
      if (d) await ctx.emit(d.party, 'acknowledgement', notice);
    } else {
      await this.hub.hotline.acknowledged(ctx, a.subject, a.party);
    }
    return next;
  }

  // --- Stream and timers -----------------------------------------------------------------------

  /** The party's events after `after` (the HTTP twin of the WebSocket stream). */
  async events(p: Principal, after: number, limit: number): Promise<{ head: number; events: EventRecord[] }> {
    const party = requireParty(p);
    return this.hub.store.read(async (tx) => {
      const head = await tx.events.head(party);
      if (after > head)
        fail('invalid_request', `after: ${after} is beyond the last event (${head})`, 'after');
      return { head, events: await tx.events.since(party, after, Math.min(limit, 1000)) };
    });
  }

  /** Escalate every alert whose deadline has passed. Returns the number of escalations. */
  async escalate(): Promise<number> {
    const due = await this.hub.store.read((tx) => tx.alerts.nextDue());
    if (due === null || due > this.hub.clock.now()) return 0;
    return this.hub.write(async (_tx, ctx) => ({ result: await escalateDue(ctx, this.hub.deadlines) }));
  }

  async nextDue(): Promise<number | null> {
    return this.hub.store.read((tx) => tx.alerts.nextDue());
  }
}
