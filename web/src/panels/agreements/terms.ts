/**
 * One term of the agreement being written: its kind, label, width (a corridor's half-width),
 * window (empty: the agreement's), the parties it binds or names (signatories only; none ticked:
 * the default), and for a permission the rule it lifts (incursion), whose area (`of`) and the
 * corridor it holds `within`.
 */
import { termLabel } from '../../agreements.ts';
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { type AgreementDraft, isoOf, TERM_KINDS, type TermDraft, type TermKind } from './draft.ts';
import type { Ag } from './state.ts';

/** Whom a kind's `parties` are, in words. */
const PARTIES_MEAN: Record<TermKind, string> = {
  corridor: 'may not strike in it (none ticked: every signatory)',
  pause: 'may not strike (none ticked: every signatory)',
  pull_back: 'must have left by its start (none ticked: every signatory)',
  area_of_responsibility: 'whose area it is: exactly one',
  permission: 'who is permitted',
};

/** The editor of term `t` (the `i`th). */
export function termEditor(ag: Ag, d: AgreementDraft, t: TermDraft, i: number): HTMLElement {
  const text = (name: string, value: string, placeholder: string, set: (v: string) => void) => {
    const input = h('input', { name, value, placeholder, autocomplete: 'off', spellcheck: 'false' });
    input.addEventListener('input', () => {
      set(input.value);
      ag.changed();
    });
    return input;
  };
  const kind = h(
    'select',
    { name: 'term-kind' },
    TERM_KINDS.map((k) => h('option', { value: k, selected: k === t.term }, termLabel(k))),
  );
  kind.addEventListener('change', () => {
    t.term = kind.value as TermKind;
    ag.redrawForm();
  });
  const permission = t.term === 'permission';
  return h(
    'fieldset.ag-term',
    { dataset: { termIndex: String(i), termId: t.id, term: t.term } },
    h(
      'legend',
      null,
      h('span.mono', null, t.id),
      ' · ',
      shapeWords(t),
      ' ',
      h(
        'button.ag-remove',
        {
          type: 'button',
          dataset: { action: 'remove-term' },
          title: 'Remove this term',
          onclick: () => {
            d.terms.splice(i, 1);
            ag.redrawForm();
          },
        },
        '✕',
      ),
    ),
    line('Kind', kind),
    line(
      'Label',
      text('term-label', t.label, 'e.g. Castello Road', (v) => (t.label = v)),
    ),
    permission && t.within !== ''
      ? null
      : line(
          t.term === 'corridor' ? 'Half-width (m)' : 'Buffer (m)',
          text('term-buffer', t.buffer, '0', (v) => (t.buffer = v)),
        ),
    line(
      'Window',
      timeInput(ag, 'term-start', t.start, (v) => (t.start = v)),
      h('span.dim', null, 'to'),
      timeInput(ag, 'term-end', t.end, (v) => (t.end = v)),
    ),
    line('Parties', partyBoxes(d, t), h('div.dim.dcl-hint', null, PARTIES_MEAN[t.term])),
    permission ? permissionFields(ag, d, t) : null,
  );
}

/** "line · 4 vertices", "area · 5 vertices", or "within a corridor". */
function shapeWords(t: TermDraft): string {
  const g = t.geometry;
  if (t.term === 'permission' && t.within !== '') return `within ${t.within}`;
  if (!g) return 'no geometry';
  const noun = g.type === 'LineString' ? 'line' : g.type === 'Point' ? 'point' : 'area';
  const n =
    g.type === 'LineString'
      ? (g.coordinates as unknown[]).length
      : g.type === 'Polygon'
        ? ((g.coordinates as unknown[][])[0]?.length ?? 1) - 1
        : g.type === 'MultiPolygon'
          ? (g.coordinates as unknown[][][]).length
          : 1;
  return g.type === 'MultiPolygon' ? `${n} areas` : `${noun} · ${n} ${n === 1 ? 'vertex' : 'vertices'}`;
}

/** A labelled line of the term's editor. */
function line(text: string, ...children: (Node | string | null)[]): HTMLElement {
  return h(
    'div.ag-term-row',
    null,
    h('span.dcl-label', null, text),
    h('div.dcl-inline.dcl-wrap', null, ...children),
  );
}

/** A term's start or end: empty is the agreement's. */
function timeInput(ag: Ag, name: string, value: string, set: (v: string) => void): HTMLInputElement {
  const input = h('input', {
    name,
    value,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'agreement’s',
  });
  const check = () => {
    const r = isoOf(input.value);
    input.classList.toggle('invalid', r.error !== undefined);
    input.title = r.error ?? (r.iso ? `${dtg(r.iso)} · ${local(r.iso)} local` : 'the agreement’s');
  };
  input.addEventListener('input', () => {
    set(input.value);
    check();
    ag.changed();
  });
  check();
  return input;
}

/** The signatories as checkboxes for this term. */
function partyBoxes(d: AgreementDraft, t: TermDraft): HTMLElement {
  return h(
    'span.dcl-parties',
    null,
    [...d.parties].map((p) =>
      h(
        'label.dcl-check',
        null,
        h('input', {
          type: 'checkbox',
          name: 'term-party',
          value: p,
          checked: t.parties.has(p),
          onchange: (e: Event) => {
            if ((e.target as HTMLInputElement).checked) t.parties.add(p);
            else t.parties.delete(p);
          },
        }),
        p,
      ),
    ),
  );
}

/** A permission: incursion lifted, into whose area, within which corridor. */
function permissionFields(ag: Ag, d: AgreementDraft, t: TermDraft): HTMLElement {
  const of = h(
    'select',
    { name: 'term-of' },
    h('option', { value: '' }, 'any signatory’s'),
    [...d.parties].map((p) => h('option', { value: p, selected: t.of === p }, p)),
  );
  of.addEventListener('change', () => {
    t.of = of.value;
  });
  const corridors = d.terms.filter((x) => x.term === 'corridor');
  const within = h(
    'select',
    { name: 'term-within' },
    h('option', { value: '' }, t.geometry ? 'its own area (drawn)' : '— choose a corridor —'),
    corridors.map((c) =>
      h('option', { value: c.id, selected: t.within === c.id }, `${c.id}${c.label ? ` “${c.label}”` : ''}`),
    ),
  );
  within.addEventListener('change', () => {
    t.within = within.value;
    ag.redrawForm();
  });
  return h(
    'div',
    null,
    line('Lifts', h('b', null, 'incursion'), h('span.dim', null, 'of the permitted parties’ activities')),
    line('Into', of, h('span.dim', null, 'area of responsibility')),
    line('Within', within),
  );
}
