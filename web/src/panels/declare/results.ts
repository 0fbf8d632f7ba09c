/**
 * What a dry run or a submission answered: the conflicts it found, most severe first, each with
 * the other side (or that it is hidden), distance and window (to the hour when the other side is
 * hidden). A stored conflict is a link to it. A dry run that did not check what is hidden from the
 * party says so: a real submission may still conflict with it.
 */
import { h, mount } from '../../dom.ts';
import { conflictReach, dtg } from '../../format.ts';
import { sideName } from '../../labels.ts';
import type { MapApi } from '../../map/api.ts';
import { select } from '../../store.ts';
import type { ConflictView, Side, Submission } from '../../wire.ts';

/** A dry run shown: its answer, the conflicts that count, when, and what it amended. */
export interface DryRun {
  result: Submission;
  conflicts: ConflictView[];
  at: number;
  of: string | null;
}

/** A submission shown, and whether it was an amendment. */
export interface Submitted {
  result: Submission;
  amended: boolean;
}

const STALE = 'Changed since this dry run: run it again.';
/** Said under a dry run's result when the hub did not check declarations hidden from the party. */
export const NOT_CHECKED =
  'Dry runs check only what your party can see; a real submission also checks declarations hidden from you.';

/** Draw a dry run's result into `el` (marked stale when the form changed since). */
export function drawDryRun(el: HTMLElement, shown: DryRun): void {
  const ours = new Set(shown.result.declarations.map((d) => d.id));
  el.hidden = false;
  mount(
    el,
    el.classList.contains('stale') ? h('div.dcl-stale', null, STALE) : null,
    h(
      'h3',
      null,
      `Dry run${shown.of ? ` of the amendment to ${shown.of}` : ''}`,
      h('span.dim', null, ` · ${dtg(shown.at)}`),
    ),
    conflictList(shown.conflicts, ours, false),
    shown.result.hidden === 'not_checked'
      ? h('div.dcl-not-checked', { 'data-testid': 'hidden-not-checked' }, NOT_CHECKED)
      : null,
  );
}

/** Mark a dry run's result stale: the form changed since. */
export function markStale(el: HTMLElement): void {
  el.classList.add('stale');
  el.prepend(h('div.dcl-stale', null, STALE));
}

/** Draw a submission's result into `el`: what was stored (a link to it) and its conflicts. */
export function drawSubmitted(el: HTMLElement, shown: Submitted, map: MapApi): void {
  const ours = new Set(shown.result.declarations.map((d) => d.id));
  const d = shown.result.declarations[0];
  const show = (e: Event) => {
    if (!d) return;
    e.preventDefault();
    select('declaration', d.id);
    map.focus({ type: 'declaration', id: d.id });
  };
  el.hidden = false;
  mount(
    el,
    h(
      'h3',
      null,
      shown.amended ? 'Amended ' : 'Submitted ',
      d
        ? h(
            'a.dcl-ref',
            { href: '#', dataset: { declarationId: d.id, version: String(d.version) }, onclick: show },
            `${d.id} v${d.version}`,
          )
        : '',
    ),
    conflictList(shown.result.conflicts, ours, true),
  );
}

const ORDER = { critical: 0, high: 1, medium: 2, low: 3 };

/** The conflicts, counted by severity, most severe first (`stored`: each links to the conflict). */
function conflictList(conflicts: readonly ConflictView[], ours: Set<string>, stored: boolean): HTMLElement {
  if (conflicts.length === 0) return h('div.dcl-none', null, 'No conflict');
  const count = (s: string) => conflicts.filter((c) => c.severity === s).length;
  const summary = Object.keys(ORDER)
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s}`)
    .join(', ');
  const sorted = [...conflicts].sort((x, y) => ORDER[x.severity] - ORDER[y.severity]);
  return h(
    'div',
    null,
    h('div.dcl-count', null, `${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'} (${summary})`),
    h(
      'ul.dcl-conflicts',
      null,
      sorted.map((c) => conflictItem(c, ours, stored)),
    ),
  );
}

/** One conflict: severity, rule, the other side, distance and window. */
function conflictItem(c: ConflictView, ours: Set<string>, stored: boolean): HTMLElement {
  const other = isOurs(c.a, ours) ? c.b : c.a;
  const who =
    'hidden' in other
      ? h('span', null, h('b', null, other.party), ' · ', h('i.dim', null, 'hidden'))
      : h(
          'span',
          null,
          h('b', null, other.party),
          ' · ',
          sideName(other),
          h('span.dim', null, ` (${other.kind.replace(/_/g, ' ')})`),
        );
  return h(
    'li.conflict',
    {
      class: `dcl-sev-${c.severity}`,
      dataset: { conflictRule: c.rule, severity: c.severity, ...(stored && { conflictId: c.id }) },
      title: stored ? 'Show this conflict' : '',
      onclick: stored ? () => select('conflict', c.id) : undefined,
    },
    h(
      'div.dcl-conflict-head',
      null,
      h('span.dcl-sev-badge', null, c.severity),
      h('span.dcl-rule.mono', null, c.rule),
      c.internal ? h('span.dim', null, ' internal') : null,
    ),
    h('div', null, 'with ', who),
    h('div.dim.mono', null, conflictReach(c)),
  );
}

/** Whether a side is one of the declarations just sent. */
function isOurs(s: Side, ours: Set<string>): boolean {
  return !('hidden' in s) && ours.has(s.id);
}
