/**
 * An alert in full: its precedence and status, then its subject — a conflict, a notified
 * declaration, a hotline message, another party's probing (with the way to the Probing view) or
 * a blind check whose result is unknown (docs/blind-matching.md: a risk until it is answered).
 * An alert that another party let its acknowledgement deadline pass (`summary.unacknowledged_by`:
 * at the sender of a message, at the notifying party) says so first, in words.
 */
import { checkSentences, checkStatus, currentCheck, otherParty, slotsText } from '../../blind.ts';
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { declarationName } from '../../labels.ts';
import { openTab } from '../../shell.ts';
import { select, state } from '../../store.ts';
import type { AlertView, BlindCheckView, ProbingSummary } from '../../wire.ts';
import { conflictView } from './conflict.ts';
import { type DeclarationActions, declarationView } from './declaration.ts';
import { gone, row, when } from './rows.ts';

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
  return h('div', null, head, lateLine(a), subject(a, actions));
}

/** "northern-forces has not acknowledged your flash message" — why a late alert exists. */
function lateLine(a: AlertView): Node | null {
  const late = a.summary.unacknowledged_by;
  if (!late) return null;
  const what =
    a.subject_type !== 'message'
      ? 'your notification'
      : a.summary.message
        ? `your ${a.summary.message.precedence} hotline message`
        : 'your hotline message';
  // The message as held now (receipts arrive live), not as frozen in the alert.
  const m = a.summary.message;
  const r =
    m &&
    state.messages
      .get(m.channel)
      ?.find((x) => x.id === m.id)
      ?.receipts.find((x) => x.party === late);
  const since = r?.acked_at
    ? ` It acknowledged ${dtg(r.acked_at)}${r.reply ? `: “${r.reply}”` : '.'}`
    : a.status === 'closed' && a.closed_reason === 'acknowledged'
      ? ' It has acknowledged since.'
      : '';
  return h(
    'p.dt-late',
    { dataset: { unacknowledgedBy: late } },
    h('b', null, late),
    ` has not acknowledged ${what} within its deadline.`,
    since,
  );
}

/** What the alert is about, in full (as held now, else as the alert carries it). */
function subject(a: AlertView, actions: DeclarationActions): Node {
  if (a.subject_type === 'conflict') {
    const c = state.conflicts.get(a.subject) ?? a.summary.conflict;
    return c ? conflictView(c, actions.map) : gone('Conflict', a.subject);
  }
  if (a.subject_type === 'notification') return declarationView(a.subject, a.summary.declaration, actions);
  if (a.summary.probing) return probingView(a.summary.probing);
  if (a.subject_type === 'blind_check') {
    const v = currentCheck(a.subject, a.summary.blind_check);
    return v ? blindCheckView(v) : gone('Blind check', a.subject);
  }
  const m = a.summary.message;
  if (!m) return h('p.dim', null, a.subject);
  return h(
    'article.dt-message',
    null,
    h(
      'div.dt-kind',
      null,
      m.from.party === state.me?.party
        ? `Hotline message sent by ${m.from.username}`
        : `Hotline message from ${m.from.party} (${m.from.username})`,
    ),
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

/**
 * A blind check whose result is (or was) unknown: what it means and what to do, then its facts —
 * when it was asked, its deadline, where it stands, the declaration it asked for (the asker's),
 * the elements relayed, and what matched — with the way to the Probing view, which lists them.
 */
function blindCheckView(v: BlindCheckView): Node {
  const { head, advice } = checkSentences(v);
  const other = otherParty(v);
  const decl = v.declaration !== undefined ? state.declarations.get(v.declaration) : undefined;
  const open = (e: Event) => {
    e.preventDefault();
    if (v.declaration) select('declaration', v.declaration);
  };
  const slots = slotsText(v.matched.flatMap((m) => m.slots));
  return h(
    'article.dt-blind-check',
    { dataset: { checkId: v.id, role: v.role, status: v.status, unknown: String(v.unknown) } },
    h('div.dt-kind', null, `Blind check ${v.role === 'asker' ? 'with' : 'by'} ${other}`),
    h(v.unknown ? 'p.dt-late.dt-blind-text' : 'p.dt-blind-text', null, head, advice ? ` ${advice}` : ''),
    h(
      'dl.dt-list',
      null,
      row('Asked', when(v.created_at)),
      row('Deadline', when(v.due_at)),
      row(
        'Status',
        v.unknown ? h('b.warn', null, 'result unknown') : '',
        v.unknown ? ' · ' : '',
        checkStatus(v),
        v.answered_at ? h('span.dim', null, ` · ${dtg(v.answered_at)}`) : '',
      ),
      v.declaration !== undefined &&
        row(
          'Your declaration',
          decl
            ? h(
                'a',
                { href: '#', dataset: { declarationId: v.declaration }, onclick: open },
                declarationName(decl),
              )
            : h('span.mono', null, v.declaration),
          v.version !== undefined ? h('span.dim', null, ` · v${v.version}`) : '',
        ),
      v.element_count > 0 &&
        row('Elements', `${v.element_count} blinded, over ${v.slots} slot${v.slots === 1 ? '' : 's'}`),
      v.refused_reason !== null && row('Refused', v.refused_reason),
      slots !== null && row('Matched slots', h('span.mono', null, slots)),
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
