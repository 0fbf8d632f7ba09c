/**
 * The agreement being written: its name, signatories (checkboxes of the parties the hub knows;
 * the party's own always among them), window (DTG or ISO), and terms — drawn on the map, added as
 * a permission, or uploaded as GeoJSON — each edited in place (terms.ts). What the hub or the
 * form refuses is listed above the actions, each problem named by its field and term.
 */
import { h, mount } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { state } from '../../store.ts';
import { type AgreementDraft, isoOf, type Problem } from './draft.ts';
import type { Ag } from './state.ts';
import { termEditor } from './terms.ts';

/** Draw the form into the editor (hidden when no draft is open). */
export function drawEditor(ag: Ag): void {
  const d = ag.draft;
  ag.editor.hidden = d === null;
  if (!d) {
    mount(ag.editor);
    return;
  }
  const p = ag.purpose;
  const heading =
    p.mode === 'new'
      ? 'New agreement'
      : p.mode === 'edit'
        ? `Editing draft v${p.version}`
        : `Counter-proposal to v${p.version}: a new version`;
  const bind = (input: HTMLInputElement, set: (v: string) => void) => {
    input.addEventListener('input', () => {
      set(input.value);
      ag.changed();
    });
    return input;
  };
  const name = bind(
    h('input', {
      name: 'agreement-name',
      maxlength: '200',
      value: d.name,
      placeholder: 'e.g. Castello Road humanitarian corridor',
    }),
    (v) => {
      d.name = v;
    },
  );
  const busy = ag.busy === 'save';
  mount(
    ag.editor,
    h('h3', null, heading),
    h(
      'form.ag-form',
      { onsubmit: (e: Event) => e.preventDefault() },
      row('Name', name),
      row('Parties', partiesOf(ag, d)),
      row('Start', ...timeField(ag, 'agreement-start', d.start, (v) => (d.start = v))),
      row('End', ...timeField(ag, 'agreement-end', d.end, (v) => (d.end = v))),
      h(
        'div.ag-terms-edit',
        null,
        d.terms.map((t, i) => termEditor(ag, d, t, i)),
      ),
      addButtons(ag),
      problemsOf(d, ag.problems),
      ag.formMessage ? h('div.ag-said', { role: 'status' }, ag.formMessage) : null,
      h(
        'div.dcl-actions',
        null,
        h(
          'button',
          { type: 'button', dataset: { action: 'agreement-cancel' }, onclick: ag.cancel },
          'Cancel',
        ),
        h(
          'button.primary',
          {
            type: 'button',
            dataset: { action: 'agreement-save' },
            disabled: busy || ag.drawing,
            onclick: ag.save,
          },
          busy ? 'Saving…' : p.mode === 'counter' ? 'Send counter-proposal' : 'Save draft',
        ),
      ),
    ),
  );
}

/** A labelled row. */
function row(text: string, ...children: (Node | string | null)[]): HTMLElement {
  return h('div.dcl-row', null, h('span.dcl-label', null, text), h('div.dcl-control', null, ...children));
}

/** A time field (DTG or ISO) with how it was read. */
function timeField(ag: Ag, name: string, value: string, set: (v: string) => void): HTMLElement[] {
  const input = h('input', {
    name,
    value,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'DDHHMMZMONYY or ISO',
  });
  const parsed = h('span.dcl-parsed');
  const show = () => {
    const r = isoOf(input.value);
    parsed.classList.toggle('bad', r.error !== undefined);
    parsed.textContent =
      r.error !== undefined
        ? 'not a time'
        : r.iso === null
          ? 'required'
          : `${dtg(r.iso)} · ${local(r.iso)} local`;
  };
  input.addEventListener('input', () => {
    set(input.value);
    show();
    ag.changed();
  });
  show();
  return [input, parsed];
}

/** The signatories: every party the hub knows; the party's own always ticked. */
function partiesOf(ag: Ag, d: AgreementDraft): HTMLElement {
  return h(
    'span.dcl-parties',
    null,
    state.parties.map((p) =>
      h(
        'label.dcl-check',
        { title: p.name },
        h('input', {
          type: 'checkbox',
          name: 'agreement-party',
          value: p.id,
          checked: d.parties.has(p.id),
          disabled: p.id === ag.party,
          onchange: (e: Event) => {
            if ((e.target as HTMLInputElement).checked) d.parties.add(p.id);
            else d.parties.delete(p.id);
            // The terms' party boxes offer the signatories only.
            ag.redrawForm();
          },
        }),
        p.id,
      ),
    ),
  );
}

/** Draw a corridor or an area on the map, add a permission, or upload GeoJSON. */
function addButtons(ag: Ag): HTMLElement {
  const file = h('input', {
    type: 'file',
    name: 'terms-file',
    accept: '.geojson,.json,application/geo+json,application/json',
  });
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) ag.upload(f);
  });
  const button = (action: string, text: string, title: string, fn: () => void) =>
    h('button', { type: 'button', dataset: { action }, title, disabled: ag.drawing, onclick: fn }, text);
  return h(
    'div.ag-add',
    null,
    h('span.dcl-label', null, 'Add a term'),
    h(
      'div.dcl-inline.dcl-wrap',
      null,
      button('draw-term-line', 'Draw line', 'A corridor along a route (Esc cancels)', () =>
        ag.addTerm('drawn', 'LineString'),
      ),
      button(
        'draw-term-area',
        'Draw area',
        'A pause, pull-back, area of responsibility or corridor (Esc cancels)',
        () => ag.addTerm('drawn', 'Polygon'),
      ),
      button('add-permission', 'Permission', 'Lift an incursion inside a corridor', () =>
        ag.addTerm('permission'),
      ),
      ag.drawing
        ? h('span.dcl-drawing', null, 'Drawing on the map… double-click or Enter finishes, Esc cancels')
        : null,
    ),
    h('label.ag-upload', null, 'or upload GeoJSON ', file),
  );
}

/** The problems found, each named by its field (and term). */
function problemsOf(d: AgreementDraft, problems: Problem[]): HTMLElement | null {
  if (problems.length === 0) return null;
  return h(
    'div.error.ag-problems',
    { role: 'alert', 'data-testid': 'agreement-errors' },
    problems.map((p) => h('div', null, `${where(d, p.path)}${p.message}`)),
  );
}

/** "Term 2 (pause-1), end: " for `terms.features[1].properties.end`. */
function where(d: AgreementDraft, path: string): string {
  const m = /^terms\.features\[(\d+)\](?:\.(?:properties\.)?([a-z_]+))?/.exec(path);
  if (m) {
    const i = Number(m[1]);
    const t = d.terms[i];
    return `Term ${i + 1}${t ? ` (${t.id})` : ''}${m[2] ? `, ${m[2].replace(/_/g, ' ')}` : ''}: `;
  }
  return path ? `${path.replace(/_/g, ' ')}: ` : '';
}
