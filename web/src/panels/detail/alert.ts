/**
 * An alert in full: its precedence and status, then its subject — a conflict, a notified
 * declaration, a hotline message or another party's probing (with the way to the Probing view).
 */
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { openTab } from '../../shell.ts';
import { state } from '../../store.ts';
import type { AlertView, ProbingSummary } from '../../wire.ts';
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
  if (a.summary.probing) return probingView(a.summary.probing);
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

/** Another party used its whole probing budget against our hidden declarations today. */
function probingView(p: ProbingSummary): Node {
  return h(
    'article.dt-probing',
    { dataset: { party: p.party } },
    h('div.dt-kind', null, `Probing by ${p.party}`),
    h(
      'p',
      null,
      h('b', null, p.party),
      ' used its whole probing budget against your hidden declarations today: ',
      h('b.probing-used', null, `${p.used_today} / ${p.per_day}`),
      ` hidden conflicts answered on ${p.day} (UTC). Its next conflicts with them are withheld from it until you release them.`,
    ),
    h(
      'div.dt-actions',
      null,
      h(
        'button.primary',
        { type: 'button', dataset: { action: 'open-probing' }, onclick: () => openTab('probing') },
        'Open Probing',
      ),
    ),
  );
}
