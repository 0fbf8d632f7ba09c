/** What the hotline reads from the store: unread messages, and words for receipts and conflicts. */
import { dtg } from '../../format.ts';
import { words } from '../../labels.ts';
import { state } from '../../store.ts';
import type { ConflictView, MessageView } from '../../wire.ts';

/** Messages from other parties this party has not read yet. */
export function unread(channel: string): MessageView[] {
  const me = state.me?.party;
  return (state.messages.get(channel) ?? []).filter(
    (m) => m.from.party !== me && m.receipts.some((r) => r.party === me && r.read_at === null),
  );
}

/** "relief-agency: delivered 221530ZNOV26 · read 221531ZNOV26 · acked 221532ZNOV26". */
export function receiptText(r: MessageView['receipts'][number], requiresAck: boolean): string {
  const parts: string[] = [];
  if (r.delivered_at) parts.push(`delivered ${dtg(r.delivered_at)}`);
  if (r.read_at) parts.push(`read ${dtg(r.read_at)}`);
  if (r.acked_at) parts.push(`acked ${dtg(r.acked_at)}`);
  else if (requiresAck) parts.push('ack pending');
  return `${r.party}: ${r.delivered_at ? parts.join(' · ') : `not yet delivered${requiresAck ? ' · ack pending' : ''}`}`;
}

/** A conflict in one line: rule, severity, the other side, our side. */
export function conflictLabel(c: ConflictView): string {
  const me = state.me?.party;
  const side = (s: ConflictView['a']) =>
    'hidden' in s ? `${s.party} (hidden)` : `${s.party}: ${s.label ?? s.kind}`;
  const other = c.a.party === me ? c.b : c.a;
  const own = c.a.party === me ? c.a : c.b;
  return `${words(c.rule)} (${c.severity}) — ${side(other)} / ${'hidden' in own ? own.party : (own.label ?? own.kind)}`;
}
