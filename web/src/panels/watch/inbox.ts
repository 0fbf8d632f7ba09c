/** The inbox's logic: the order of alerts, their deadlines, what each is about and who answered. */
import { checkSentences } from '../../blind.ts';
import { declarationName, isTermSide, sideName, words } from '../../labels.ts';
import { state } from '../../store.ts';
import type { AlertView } from '../../wire.ts';

const PRECEDENCE: readonly AlertView['precedence'][] = ['flash', 'immediate', 'priority', 'routine'];

/** Open first (precedence, then deadline), then the rest, newest first. */
export function inboxOrder(alerts: Iterable<AlertView>): { open: AlertView[]; done: AlertView[] } {
  const open: AlertView[] = [];
  const done: AlertView[] = [];
  for (const a of alerts) (a.status === 'open' ? open : done).push(a);
  const due = (a: AlertView) => (a.due_at === null ? Number.POSITIVE_INFINITY : Date.parse(a.due_at));
  open.sort(
    (x, y) =>
      PRECEDENCE.indexOf(x.precedence) - PRECEDENCE.indexOf(y.precedence) ||
      due(x) - due(y) ||
      x.created_at.localeCompare(y.created_at),
  );
  const last = (a: AlertView) => Date.parse(a.closed_at ?? a.ack?.at ?? a.created_at);
  done.sort((x, y) => last(y) - last(x));
  return { open, done };
}

/** The deadline an open alert runs against: its next one, or (overdue) the one it missed. */
export function deadline(a: AlertView): string | null {
  if (a.status !== 'open') return null;
  if (a.due_at !== null) return a.due_at;
  return a.escalations[a.escalations.length - 1]?.due_at ?? null;
}

/** What the map should show for an alert. */
export function target(a: AlertView): { type: 'declaration' | 'conflict'; id: string } | null {
  if (a.subject_type === 'conflict') return { type: 'conflict', id: a.subject };
  if (a.subject_type === 'notification') return { type: 'declaration', id: a.subject };
  const ref = a.summary.message?.ref;
  return ref && 'id' in ref ? { type: ref.type, id: ref.id } : null;
}

/** One line saying what an alert is about (for notifications and the like). */
export function headline(a: AlertView): string {
  const c = a.summary.conflict;
  if (c) {
    const me = state.me?.party;
    const term = [c.a, c.b].find(isTermSide);
    if (term) {
      const decl = c.a === term ? c.b : c.a;
      return `agreement breach (${c.severity}) by ${decl.party === me ? 'us' : decl.party}: ${sideName(term)}`;
    }
    const other = c.internal ? null : c.a.party === me ? c.b : c.a;
    return `${words(c.rule)} (${c.severity})${other ? ` with ${other.party}` : ' — internal'}`;
  }
  const d = a.summary.declaration;
  const late = a.summary.unacknowledged_by;
  if (late && a.summary.message)
    return `${late} has not acknowledged your ${a.summary.message.precedence} message: ${a.summary.message.text.slice(0, 120)}`;
  if (late && d) return `${late} has not acknowledged your notification: ${declarationName(d)}`;
  if (d) return `notification from ${d.properties.party}: ${declarationName(d)}`;
  const m = a.summary.message;
  if (m) return `hotline ${m.from.party}: ${m.text.slice(0, 120)}`;
  const p = a.summary.probing;
  if (p) return `probing by ${p.party}: ${p.used_today}/${p.per_day} today, budget used up`;
  const b = a.summary.blind_check;
  if (b) return checkSentences(b).head;
  return `${a.subject_type} ${a.subject}`;
}

/**
 * The other side's acknowledgement. An alert that arrived over the stream has no `peers` until
 * an acknowledgement event fills them in: until then the other party has not acknowledged.
 */
export function peersOf(a: AlertView): NonNullable<AlertView['peers']> {
  if (a.peers) return a.peers;
  const c = a.summary.conflict;
  if (!c || c.internal) return [];
  const other = c.a.party === state.me?.party ? c.b : c.a;
  return [{ party: other.party, acknowledged: false, acknowledged_at: null, reply: null }];
}
