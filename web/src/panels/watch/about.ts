/**
 * What an alert is about, as its card shows it: a conflict (and whether it is withheld from the
 * other party; found blind: its matched slots), a notification, a hotline message, another
 * party's probing, a blind check whose result is unknown, or another party's silence about this
 * party's own message or notification.
 */
import { checkSentences, currentCheck, isBlindConflict, otherParty, slotsText } from '../../blind.ts';
import { h } from '../../dom.ts';
import { conflictWindow, distance, dtg } from '../../format.ts';
import { declarationName, isTermSide, sideName, words } from '../../labels.ts';
import { state } from '../../store.ts';
import type { AlertView, BlindCheckView, ConflictView, ProbingSummary } from '../../wire.ts';
import { withheldLine } from '../../withheld.ts';

/** The parts of a card that depend on the alert's subject. */
export interface About {
  /** Beside the precedence tag. */
  title: (HTMLElement | string)[];
  lines: HTMLElement[];
  /** Dim facts for the last line (window, distance). */
  meta: string;
}

/** The subject of an alert, whichever kind it is. */
export function about(a: AlertView): About {
  const c = a.summary.conflict;
  if (c) return conflictAbout(c);
  if (a.summary.unacknowledged_by) return lateAbout(a, a.summary.unacknowledged_by);
  const d = a.summary.declaration;
  if (d) {
    const p = d.properties;
    return {
      title: [h('b.rule', null, 'notification'), h('span.dim', null, `from ${p.party}`)],
      lines: [
        h(
          'div.line',
          null,
          h('span.k', null, words(p.kind)),
          h('b', null, p.party),
          ': ',
          declarationName(d),
        ),
      ],
      meta: `${dtg(p.start)}–${p.end === null ? 'open end' : dtg(p.end)}`,
    };
  }
  const m = a.summary.message;
  if (m) {
    return {
      title: [h('b.rule', null, 'hotline'), h('span.dim', null, `from ${m.from.party}`)],
      lines: [h('div.line.text', null, h('span.k', null, m.from.username), m.text)],
      meta: `sent ${dtg(m.at)}`,
    };
  }
  const p = a.summary.probing;
  if (p) return probingAbout(p);
  if (a.subject_type === 'blind_check') {
    const v = currentCheck(a.subject, a.summary.blind_check);
    if (v) return blindCheckAbout(v);
  }
  return { title: [h('b.rule', null, a.subject_type)], lines: [], meta: a.subject };
}

/**
 * Another party let the deadline to acknowledge this party's own message or notification pass:
 * said in words, because the alert is about the other party's silence, not about something the
 * other party sent ("relief-agency has not acknowledged your flash message …").
 */
function lateAbout(a: AlertView, late: string): About {
  const m = a.summary.message;
  const d = a.summary.declaration;
  const what = m ? `your ${m.precedence} message` : 'your notification';
  return {
    title: [
      h('b.rule', null, m ? 'hotline' : 'notification'),
      h('span.dim', null, `not acknowledged by ${late}`),
    ],
    lines: [
      h(
        'div.line.late-by',
        { dataset: { unacknowledgedBy: late } },
        h('b', null, late),
        ` has not acknowledged ${what}`,
        m ? [': ', h('q', null, m.text)] : d ? [' of ', declarationName(d)] : null,
      ),
    ],
    meta: m
      ? `sent ${dtg(m.at)}`
      : d
        ? `${dtg(d.properties.start)}–${d.properties.end === null ? 'open end' : dtg(d.properties.end)}`
        : '',
  };
}

/** A conflict: its rule and severity, whether resolved, the other side and ours, when and how close. */
function conflictAbout(c: ConflictView): About {
  const me = state.me?.party;
  const current = state.conflicts.get(c.id) ?? c;
  const sides = [c.a, c.b];
  const term = sides.find(isTermSide);
  if (term) return breachAbout(c, current, term);
  const own = sides.filter((s) => s.party === me);
  const other = c.internal ? null : (sides.find((s) => s.party !== me) ?? null);
  return {
    title: [
      h('b.rule', null, words(c.rule)),
      h('span.sev-tag', { class: `sev-tag-${c.severity}` }, c.severity),
      current.status === 'resolved'
        ? h('span.dim', null, `resolved${current.resolution ? ` (${words(current.resolution)})` : ''}`)
        : '',
    ],
    lines: [
      other
        ? h('div.line', null, h('span.k', null, 'other'), h('b', null, other.party), ': ', sideName(other))
        : h('div.line', null, h('span.k', null, 'internal'), 'both declarations are your party’s'),
      h('div.line', null, h('span.k', null, 'own'), own.map(sideName).join(' ↔ ') || '—'),
      matchedLine(current),
      withheldLine(current),
    ].filter((x): x is HTMLElement => x !== null),
    meta: `${conflictWindow(c)}${c.distance_m !== undefined && !isBlindConflict(c) ? ` · ${distance(c.distance_m)} apart` : ''}`,
  };
}

/** A conflict found blind: "Matched slots: 231000Z–231100ZNOV26" (it has no distance). */
function matchedLine(c: ConflictView): HTMLElement | null {
  const slots = slotsText(c.matched_slots);
  if (slots === null) return null;
  return h(
    'div.line.matched-slots',
    { dataset: { slots: 'true' } },
    'Matched slots: ',
    h('span.mono', null, slots),
  );
}

/** A blind check whose result is unknown: with whom, why, and to treat it as a conflict meanwhile. */
function blindCheckAbout(v: BlindCheckView): About {
  const { head, advice } = checkSentences(v);
  return {
    title: [
      h('b.rule', null, 'blind check'),
      h('span.dim', null, `${v.role === 'asker' ? 'with' : 'by'} ${otherParty(v)}`),
      v.unknown ? h('span.sev-tag.sev-tag-critical', null, 'unknown') : '',
    ],
    lines: [
      h('div.line.late-by.blind-text', { dataset: { checkId: v.id, unknown: String(v.unknown) } }, head),
      ...(advice ? [h('div.line', null, h('b', null, advice))] : []),
    ],
    meta: `asked ${dtg(v.created_at)} · due ${dtg(v.due_at)}`,
  };
}

/**
 * A breach of an agreement: the term broken (the agreement's name, the term's kind and label)
 * instead of a second declaration, and the declaration that breaks it, ours or another party's.
 */
function breachAbout(c: ConflictView, current: ConflictView, term: ConflictView['a']): About {
  const me = state.me?.party;
  const decl = c.a === term ? c.b : c.a;
  const own = decl.party === me;
  return {
    title: [
      h('b.rule', null, 'agreement breach'),
      h('span.sev-tag', { class: `sev-tag-${c.severity}` }, c.severity),
      current.status === 'resolved'
        ? h('span.dim', null, `resolved${current.resolution ? ` (${words(current.resolution)})` : ''}`)
        : '',
    ],
    lines: [
      h(
        'div.line.breach-term',
        { dataset: { term: 'id' in term ? term.id : '' } },
        h('span.k', null, 'term'),
        sideName(term),
      ),
      h(
        'div.line',
        null,
        h('span.k', null, own ? 'own' : 'by'),
        own ? '' : [h('b', null, decl.party), ': '],
        sideName(decl),
      ),
      withheldLine(current),
    ].filter((x): x is HTMLElement => x !== null),
    meta: `${conflictWindow(c)}${c.distance_m !== undefined ? ` · ${distance(c.distance_m)} apart` : ''}`,
  };
}

/** Another party used its whole probing budget against our hidden declarations today. */
function probingAbout(p: ProbingSummary): About {
  return {
    title: [h('b.rule', null, 'probing'), h('span.dim', null, `by ${p.party}`)],
    lines: [
      h(
        'div.line.probing-text',
        null,
        h('b', null, p.party),
        ' used its whole probing budget against your hidden declarations today',
      ),
      h(
        'div.line',
        null,
        h('span.k', null, 'used'),
        h('b.probing-used', null, `${p.used_today} / ${p.per_day}`),
        ' hidden conflicts answered today; the next are withheld until you release them',
      ),
    ],
    meta: `UTC day ${p.day}`,
  };
}
