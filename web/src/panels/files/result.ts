/**
 * What the hub answered an import, drawn for the person who sent it: each record of the file with
 * the declaration it became (or would become, on a check), the conflicts each would cause — the
 * rule, the severity, the other side as the console names it everywhere (labels.ts, format.ts) —
 * the columns nothing read and the records skipped; or, when the file was refused, every problem
 * the hub named (its code, the row or record, the column). A refused file stored nothing.
 */
import type { ImportResult } from '../../../../src/api/imports.ts';
import type { ApiError } from '../../api.ts';
import { h } from '../../dom.ts';
import { conflictReach, dtg } from '../../format.ts';
import { sideName, words } from '../../labels.ts';
import type { ConflictView, Side } from '../../wire.ts';

/** Said under a check when the hub did not look at what is hidden from the party. */
const NOT_CHECKED =
  'A check looks only at what your party can see; the import itself also checks declarations hidden from you.';

const ORDER = { critical: 0, high: 1, medium: 2, low: 3 } as const;

/** An accepted answer: a check (nothing stored) or an import (stored); `show` opens a declaration. */
export function drawAccepted(r: ImportResult, at: number, show: (id: string) => void): HTMLElement {
  const n = r.declarations.length;
  const records = `${n} record${n === 1 ? '' : 's'}`;
  const head = r.dry_run
    ? `Check: ${records} would be imported · nothing stored yet`
    : `Imported ${records} as ${n === 1 ? 'a declaration' : 'declarations'}`;
  return h(
    'div.fl-result',
    { dataset: { outcome: r.dry_run ? 'checked' : 'imported' } },
    h('h4', null, head, h('span.dim', null, ` · ${r.format.toUpperCase()} · ${dtg(at)}`)),
    r.conflicts.length === 0
      ? h('div.fl-none', null, 'No conflict')
      : h('div.fl-count', null, conflictCount(r.conflicts)),
    h(
      'ol.fl-records',
      null,
      r.declarations.map((d) => record(d, r, show)),
    ),
    r.hidden === 'not_checked'
      ? h('div.fl-not-checked', { 'data-testid': 'import-not-checked' }, NOT_CHECKED)
      : null,
    r.ignored.length > 0 ? h('div.dim.fl-extra', null, `Not read: ${r.ignored.join(', ')}`) : null,
    r.skipped.length > 0 ? h('div.dim.fl-extra', null, `Skipped: ${r.skipped.join(', ')}`) : null,
  );
}

/** A refusal: every problem the hub named; nothing was stored. */
export function drawRefused(err: ApiError, checking: boolean): HTMLElement {
  const problems = err.errors.length > 0 ? err.errors : [{ code: 'error', path: '', message: err.message }];
  return h(
    'div.fl-result.fl-refused',
    { dataset: { outcome: 'refused' }, role: 'alert' },
    h(
      'h4',
      null,
      `${checking ? 'Check failed' : 'Refused'}: nothing imported`,
      h('span.dim', null, ` (${err.status}, ${problems.length} problem${problems.length === 1 ? '' : 's'})`),
    ),
    h(
      'ul.fl-problems',
      null,
      problems.map((p) =>
        h(
          'li',
          { dataset: { code: p.code } },
          h('span.mono.fl-code', null, p.code),
          ' ',
          p.message,
          p.path !== '' && !p.message.includes(p.path) ? h('span.dim', null, ` (${p.path})`) : null,
        ),
      ),
    ),
  );
}

/** "3 conflicts (1 high, 2 medium)". */
function conflictCount(cs: readonly ConflictView[]): string {
  const count = (s: string) => cs.filter((c) => c.severity === s).length;
  const by = Object.keys(ORDER)
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s}`)
    .join(', ');
  return `${cs.length} conflict${cs.length === 1 ? '' : 's'} (${by})`;
}

/** One record: where it is in the file, its declaration, and the conflicts it causes. */
function record(
  d: ImportResult['declarations'][number],
  r: ImportResult,
  show: (id: string) => void,
): HTMLElement {
  const mine = r.conflicts
    .filter((c) => sideId(c.a) === d.id || sideId(c.b) === d.id)
    .sort((x, y) => ORDER[x.severity] - ORDER[y.severity]);
  const ref = r.dry_run
    ? h('span.mono', null, d.id)
    : h(
        'a.mono',
        {
          href: '#',
          onclick: (e: Event) => {
            e.preventDefault();
            show(d.id);
          },
        },
        `${d.id} v${d.version}`,
      );
  return h(
    'li.fl-record',
    { dataset: { source: d.source, declarationId: d.id } },
    h('div', null, h('b', null, d.source), ' → ', ref),
    mine.length > 0
      ? h(
          'ul.fl-conflicts',
          null,
          mine.map((c) => conflict(c, d.id)),
        )
      : null,
  );
}

/** A side's declaration id, when the party may see it. */
const sideId = (s: Side): string | null => ('hidden' in s ? null : s.id);

/** One conflict of a record: severity, rule, the other side, distance and window. */
function conflict(c: ConflictView, id: string): HTMLElement {
  const other = sideId(c.a) === id ? c.b : c.a;
  return h(
    'li.fl-conflict',
    { class: `fl-sev-${c.severity}`, dataset: { conflictRule: c.rule, severity: c.severity } },
    h('span.fl-sev-badge', null, c.severity),
    ' ',
    h('span.fl-rule', null, words(c.rule)),
    ' with ',
    h('b', null, other.party),
    ' · ',
    'hidden' in other ? h('i.dim', null, 'hidden') : sideName(other),
    h('div.dim.mono', null, conflictReach(c)),
  );
}
