/** What the hotline reads from the store: unread messages, and words for receipts and conflicts. */
import { dtg } from '../../format.ts';
import { words } from '../../labels.ts';
import { state } from '../../store.ts';
import type { ConflictView, MessageView } from '../../wire.ts';

/** One receiving party's receipt of a message. */
export type Receipt = MessageView['receipts'][number];

/** Messages from other parties this party has not read yet. */
export function unread(channel: string): MessageView[] {
  const me = state.me?.party;
  return (state.messages.get(channel) ?? []).filter(
    (m) => m.from.party !== me && m.receipts.some((r) => r.party === me && r.read_at === null),
  );
}

/**
 * Where a receiving party stands with a message, the furthest step first: acknowledged, late
 * (an acknowledgement was due and its deadline passed), read, delivered, or nothing yet.
 */
export type ReceiptStage = 'acknowledged' | 'late' | 'read' | 'delivered' | 'pending';

/** The furthest step a receipt shows. */
export function receiptStage(r: Receipt, requiresAck: boolean): ReceiptStage {
  if (r.acked_at !== null) return 'acknowledged';
  if (requiresAck && r.escalated_at !== null) return 'late';
  if (r.read_at !== null) return 'read';
  if (r.delivered_at !== null) return 'delivered';
  return 'pending';
}

/** ["delivered 221530ZNOV26", "read 221531ZNOV26"], or ["not yet delivered"]. */
export function receiptSteps(r: Receipt): string[] {
  if (r.delivered_at === null) return ['not yet delivered'];
  return [`delivered ${dtg(r.delivered_at)}`, ...(r.read_at ? [`read ${dtg(r.read_at)}`] : [])];
}

/** How far a late party's alert has gone, as the other side reads it. */
const LATENESS: Record<NonNullable<Receipt['level']>, string> = {
  watch_officer: 'still with their watch officer',
  senior_officer: 'escalated to their senior officer',
  party_admin: 'escalated to their party admin',
  overdue: 'unanswered after every escalation',
};

/**
 * What the party owes or gave: "acknowledged 221532ZNOV26" (and, when it came after the
 * deadline, since when it was late); "late since 221531ZNOV26 — escalated to their senior
 * officer"; "awaiting acknowledgement"; or nothing for a message that needs none.
 */
export function ackText(r: Receipt, requiresAck: boolean): string {
  if (r.acked_at !== null)
    return `acknowledged ${dtg(r.acked_at)}${r.escalated_at ? ` (late: deadline missed ${dtg(r.escalated_at)})` : ''}`;
  if (!requiresAck) return '';
  if (r.escalated_at !== null)
    return `late since ${dtg(r.escalated_at)} — ${LATENESS[r.level ?? 'senior_officer']}`;
  return 'awaiting acknowledgement';
}

/** A conflict in one line: rule, severity, the other side, our side. */
export function conflictLabel(c: ConflictView): string {
  const me = state.me?.party;
  const side = (s: ConflictView['a']) =>
    'hidden' in s ? `${s.party} (${s.sealed ? 'sealed' : 'hidden'})` : `${s.party}: ${s.label ?? s.kind}`;
  const other = c.a.party === me ? c.b : c.a;
  const own = c.a.party === me ? c.a : c.b;
  return `${words(c.rule)} (${c.severity}) — ${side(other)} / ${'hidden' in own ? own.party : (own.label ?? own.kind)}`;
}
