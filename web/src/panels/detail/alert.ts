/** An alert in full: its precedence and status, then its subject — a conflict, a notified declaration or a hotline message. */
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { state } from '../../store.ts';
import type { AlertView } from '../../wire.ts';
import { conflictView } from './conflict.ts';
import { type DeclarationActions, declarationView } from './declaration.ts';
import { gone } from './rows.ts';

/** The alert held by id, or that it is gone. */
export function alertView(id: string, actions: DeclarationActions): Node {
  const a = state.alerts.get(id);
  if (!a) return gone('Alert', id);
  const head = h(
    'div.dt-alert',
    null,
    h(`span.prec.prec-${a.precedence}`, null, a.precedence),
    ` alert · ${a.status}`,
    a.escalated ? ' · escalated' : '',
    h('span.dim', null, ` · ${dtg(a.created_at)}`),
  );
  return h('div', null, head, subject(a, actions));
}

/** What the alert is about, in full (as held now, else as the alert carries it). */
function subject(a: AlertView, actions: DeclarationActions): Node {
  if (a.subject_type === 'conflict') {
    const c = state.conflicts.get(a.subject) ?? a.summary.conflict;
    return c ? conflictView(c, actions.map) : gone('Conflict', a.subject);
  }
  if (a.subject_type === 'notification') return declarationView(a.subject, a.summary.declaration, actions);
  const m = a.summary.message;
  if (!m) return h('p.dim', null, a.subject);
  return h(
    'article.dt-message',
    null,
    h('div.dt-kind', null, `Hotline message from ${m.from.party} (${m.from.username})`),
    h('p', null, m.text),
    h('div.dim', null, dtg(m.at), ` (${local(m.at)} local)`),
  );
}
