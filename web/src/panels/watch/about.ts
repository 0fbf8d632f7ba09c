/** What an alert is about, as its card shows it: a conflict, a notification or a hotline message. */
import { h } from '../../dom.ts';
import { distance, dtg } from '../../format.ts';
import { words } from '../../labels.ts';
import { state } from '../../store.ts';
import type { AlertView, ConflictView, Side } from '../../wire.ts';

/** The parts of a card that depend on the alert's subject. */
export interface About {
  /** Beside the precedence tag. */
  title: (HTMLElement | string)[];
  lines: HTMLElement[];
  /** Dim facts for the last line (window, distance). */
  meta: string;
}

/** A side of a conflict in a few words. */
const sideLabel = (s: Side): string =>
  'hidden' in s ? '(hidden declaration)' : (s.label ?? `${words(s.kind)} ${s.id}`);

/** The subject of an alert, whichever kind it is. */
export function about(a: AlertView): About {
  const c = a.summary.conflict;
  if (c) return conflictAbout(c);
  const d = a.summary.declaration;
  if (d) {
    const p = d.properties;
    return {
      title: [h('b.rule', null, 'notification'), h('span.dim', null, `from ${p.party}`)],
      lines: [
        h('div.line', null, h('span.k', null, words(p.kind)), h('b', null, p.party), ': ', p.label ?? d.id),
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
  return { title: [h('b.rule', null, a.subject_type)], lines: [], meta: a.subject };
}

/** A conflict: its rule and severity, whether resolved, the other side and ours, when and how close. */
function conflictAbout(c: ConflictView): About {
  const me = state.me?.party;
  const current = state.conflicts.get(c.id) ?? c;
  const sides = [c.a, c.b];
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
        ? h('div.line', null, h('span.k', null, 'other'), h('b', null, other.party), ': ', sideLabel(other))
        : h('div.line', null, h('span.k', null, 'internal'), 'both declarations are your party’s'),
      h('div.line', null, h('span.k', null, 'own'), own.map(sideLabel).join(' ↔ ') || '—'),
    ],
    meta: `${dtg(c.window.start)}–${c.window.end === null ? 'open end' : dtg(c.window.end)}${
      c.distance_m !== undefined ? ` · ${distance(c.distance_m)} apart` : ''
    }`,
  };
}
