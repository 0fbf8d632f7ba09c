/** The Detail panel's building blocks: labelled rows, times, windows, and a record that is gone. */
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { shownTime, state } from '../../store.ts';

/** A labelled row of the detail list. */
export function row(label: string, ...value: (Node | string | null | undefined | false)[]): Node {
  return h('div.dt-row', null, h('dt', null, label), h('dd', null, ...value));
}

/** A time as a DTG with local time, or `open` when there is none. */
export function when(iso: string | null, open = 'open-ended'): Node {
  if (iso === null) return h('span.dim', null, open);
  return h('span', null, h('span.mono', null, dtg(iso)), h('span.dim', null, ` (${local(iso)} local)`));
}

/** A window, and whether it is upcoming, in force or ended at the time shown. */
export function windowRow(start: string, end: string | null): Node {
  const t = shownTime();
  const s = Date.parse(start);
  const e = end === null ? Number.POSITIVE_INFINITY : Date.parse(end);
  const phase = t < s ? 'upcoming' : t >= e ? 'ended' : 'in force';
  return h(
    'span.dt-window',
    null,
    when(start),
    ' → ',
    when(end),
    h(
      `span.dt-phase.${phase.replace(' ', '-')}`,
      null,
      ` ${phase}${state.time === null ? '' : ' at the time shown'}`,
    ),
  );
}

/** A record selected that this party no longer holds. */
export function gone(what: string, id: string): Node {
  return h(
    'div.dt-gone',
    null,
    h('h3', null, what),
    h(
      'p.dim',
      null,
      `${what} `,
      h('span.mono', null, id),
      ' is not in this party’s picture (withdrawn, expired or not visible).',
    ),
  );
}
