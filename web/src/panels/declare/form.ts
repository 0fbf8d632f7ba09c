/**
 * The Declare form's controls and their layout: kind, geometry (drawn on the map or typed as
 * MGRS or lat/lon), buffer, window, altitude, category, ground only, visibility, applies-to,
 * label, notes, and the actions. What the controls do is the panel's (panel.ts), through `FormActions`.
 */
import { KINDS, type Kind, SITE_CATEGORIES } from '../../../../src/engine/types.ts';
import { h, mount } from '../../dom.ts';
import { dtg, local, place } from '../../format.ts';
import type { AnyGeometry } from '../../geo/path.ts';
import { KIND_LABEL } from '../../labels.ts';
import type { Geometry } from '../../map/api.ts';
import type { Feature } from '../../wire.ts';
import { type FieldErrors, fieldErrors } from './errors.ts';
import { type FormValues, readTime } from './feature.ts';
import { verticesOf } from './geometry.ts';
import { ALTITUDE_KINDS, DRAW, type Field, GEOMETRIES, positionHint } from './kinds.ts';
import { type Parties, partyChoices } from './parties.ts';

/** What the form's controls ask of the panel. */
export interface FormActions {
  draw(mode: Geometry['type']): void;
  clearGeometry(): void;
  usePosition(): void;
  send(dryRun: boolean): void;
  cancel(): void;
  /** Something in the form changed. */
  changed(): void;
}

/** The form and every control the panel reads or sets. */
export type Form = ReturnType<typeof createForm>;

/** The form for a declaration of `party`, empty. */
export function createForm(party: string, actions: FormActions) {
  const errors = fieldErrors();
  const controls = {
    ...geometryControls(actions),
    ...timeControls(),
    ...altitudeControls(),
    ...otherControls(),
    ...actionButtons(actions),
    parties: partyChoices(party),
    errors,
  };
  const rows = layout(controls, errors);
  const el = h(
    'form.dcl-form',
    { onsubmit: (e: Event) => e.preventDefault(), oninput: actions.changed, onchange: actions.changed },
    rows.all,
    h('div.dcl-actions', null, controls.dryRun, controls.submit, controls.cancel),
  );
  controls.kind.addEventListener('change', () => errors.set('kind', ''));
  return { ...controls, ...rows, el };
}

/** The kind, the draw buttons, the typed position and what shows the geometry. */
function geometryControls(actions: FormActions) {
  const kind = h(
    'select',
    { name: 'kind' },
    KINDS.map((k) => h('option', { value: k }, KIND_LABEL[k])),
  );
  kind.value = 'strike';
  const draw = DRAW.map((d) =>
    h(
      'button',
      {
        type: 'button',
        dataset: { action: d.action },
        title: `Draw a ${d.label.toLowerCase()} on the map (Esc cancels)`,
        onclick: () => actions.draw(d.mode),
      },
      d.label,
    ),
  );
  const clear = h(
    'button',
    {
      type: 'button',
      dataset: { action: 'clear-geometry' },
      title: 'Forget the geometry',
      onclick: actions.clearGeometry,
    },
    'Clear',
  );
  const position = h('input', {
    name: 'position',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: '46.1535, 21.304  or  34TER 45678 12345',
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        actions.usePosition();
      }
    },
  });
  const use = h(
    'button',
    { type: 'button', dataset: { action: 'use-position' }, onclick: actions.usePosition },
    'Use',
  );
  const geometryView = h('div.dcl-geometry', { 'data-testid': 'geometry' });
  const geometryWarning = h('div.dcl-warning', { 'data-testid': 'geometry-warning' });
  const drawingNote = h('span.dim.dcl-drawing', { hidden: true }, 'Drawing on the map… Esc cancels');
  return { kind, draw, clear, position, use, geometryView, geometryWarning, drawingNote };
}

/** The buffer, and the window's start and end with how each was read. */
function timeControls() {
  const text = (name: string, placeholder: string) =>
    h('input', { name, autocomplete: 'off', spellcheck: 'false', placeholder });
  return {
    buffer: h('input', {
      name: 'buffer_m',
      type: 'number',
      min: '0',
      step: 'any',
      value: '0',
      inputMode: 'decimal',
    }),
    start: text('start', 'DDHHMMZMONYY or ISO'),
    end: text('end', 'empty = open-ended'),
    startParsed: h('span.dcl-parsed', { 'data-testid': 'start-parsed' }),
    endParsed: h('span.dcl-parsed', { 'data-testid': 'end-parsed' }),
  };
}

/** The altitude band: floor, ceiling and reference. */
function altitudeControls() {
  const metres = (name: string, placeholder: string) =>
    h('input', { name, type: 'number', step: 'any', placeholder, inputMode: 'decimal' });
  return {
    lower: metres('lower_m', 'floor'),
    upper: metres('upper_m', 'ceiling'),
    reference: h(
      'select',
      { name: 'reference', title: 'Altitude reference' },
      h('option', { value: 'AMSL' }, 'AMSL'),
      h('option', { value: 'AGL' }, 'AGL'),
    ),
  };
}

/** A protected site's category, an area's ground-only mark, the label and the notes. */
function otherControls() {
  return {
    groundOnly: h('input', { type: 'checkbox', name: 'ground_only' }),
    category: h(
      'select',
      { name: 'category' },
      h('option', { value: '' }, '— choose —'),
      SITE_CATEGORIES.map((c) => h('option', { value: c }, c.replace(/_/g, ' '))),
    ),
    label: h('input', {
      name: 'label',
      maxLength: 200,
      autocomplete: 'off',
      placeholder: 'e.g. Depot strike, grid 4512',
    }),
    notes: h('textarea', {
      name: 'notes',
      rows: 2,
      maxLength: 4000,
      placeholder: 'Notes for the other parties (free text)',
    }),
  };
}

/** Dry run, Submit, and Cancel (of an amendment). */
function actionButtons(actions: FormActions) {
  return {
    dryRun: h(
      'button',
      { type: 'button', dataset: { action: 'dry-run' }, onclick: () => actions.send(true) },
      'Dry run',
    ),
    submit: h(
      'button.primary',
      { type: 'button', dataset: { action: 'submit' }, onclick: () => actions.send(false) },
      'Submit',
    ),
    cancel: h(
      'button',
      { type: 'button', dataset: { action: 'cancel-amend' }, hidden: true, onclick: actions.cancel },
      'Cancel',
    ),
  };
}

type Controls = ReturnType<typeof geometryControls> &
  ReturnType<typeof timeControls> &
  ReturnType<typeof altitudeControls> &
  ReturnType<typeof otherControls> & { parties: Parties };

/** A row of the form: its label, its controls. */
function row(text: string, ...children: (Node | string | null)[]): HTMLElement {
  return h('div.dcl-row', null, h('span.dcl-label', null, text), h('div.dcl-control', null, ...children));
}

/** The rows in order, and those that depend on the kind (with their hints). */
function layout(c: Controls, errors: FieldErrors) {
  const err = (f: Field) => errors.slot(f);
  const positionHint = h('div.dim.dcl-hint');
  const altitudeHint = h('div.dim.dcl-hint.dcl-altitude-hint');
  const geometryRow = row(
    'Geometry',
    h('div.dcl-inline', null, c.draw, c.clear, c.drawingNote),
    c.geometryView,
    c.geometryWarning,
    err('geometry'),
  );
  const positionRow = row(
    'Position',
    h('div.dcl-inline', null, c.position, c.use),
    positionHint,
    err('position'),
  );
  const altitudeRow = row(
    'Altitude (m)',
    h('div.dcl-inline', null, c.lower, h('span.dim', null, 'to'), c.upper, c.reference),
    altitudeHint,
    err('altitude'),
  );
  const categoryRow = row('Category', c.category, err('category'));
  const groundRow = row(
    'Ground only',
    h('label.dcl-check', null, c.groundOnly, 'Air operations over it are not incursions'),
    h('div.dim.dcl-hint', null, 'For an area held on the ground only: aircraft of others may cross it.'),
    err('ground_only'),
  );
  const appliesRow = row(
    'Applies to',
    c.parties.appliesTo.el,
    h('div.dim.dcl-hint', null, 'None ticked: every party but us.'),
    err('applies_to'),
  );
  const visibleAll = h('label.dcl-check', null, c.parties.visibleToAll, 'All parties');
  const all = [
    row('Kind', c.kind, err('kind')),
    geometryRow,
    positionRow,
    row('Buffer (m)', c.buffer, err('buffer_m')),
    row('Start', c.start, c.startParsed, err('start')),
    row('End', c.end, c.endParsed, err('end')),
    altitudeRow,
    categoryRow,
    groundRow,
    appliesRow,
    row(
      'Visible to',
      h('div.dcl-inline.dcl-wrap', null, visibleAll, c.parties.visibility.el),
      err('visibility'),
    ),
    row('Label', c.label, err('label')),
    row('Notes', c.notes, err('notes')),
  ];
  return { all, positionHint, altitudeHint, altitudeRow, categoryRow, groundRow, appliesRow };
}

/** The fields of the chosen kind shown, the others hidden; the draw buttons it allows. */
export function showKind(form: Form, k: Kind, drawing: boolean): void {
  const allowed = GEOMETRIES[k];
  for (const [i, d] of DRAW.entries()) (form.draw[i] as HTMLButtonElement).hidden = !allowed.includes(d.mode);
  for (const b of form.draw) b.disabled = drawing;
  form.drawingNote.hidden = !drawing;
  form.positionHint.textContent = positionHint(allowed);
  form.altitudeRow.hidden = !ALTITUDE_KINDS.has(k);
  form.altitudeHint.textContent =
    k === 'air_operation' ? 'Required for an air operation.' : 'Optional: the hazard band.';
  form.categoryRow.hidden = k !== 'protected_site';
  form.groundRow.hidden = k !== 'area_of_responsibility';
  form.appliesRow.hidden = k !== 'restricted_zone';
  form.parties.sync();
  showParsed(form.start, form.startParsed, 'required');
  showParsed(form.end, form.endParsed, 'open-ended');
}

/** How a typed time was read: a DTG with local time, `emptyText`, or that it is not a time. */
function showParsed(input: HTMLInputElement, out: HTMLElement, emptyText: string): void {
  const r = readTime(input.value);
  out.classList.toggle('bad', r.error !== undefined);
  out.textContent =
    r.error !== undefined ? 'not a time' : r.t === null ? emptyText : `${dtg(r.t)} · ${local(r.t)} local`;
  out.title = r.t === null ? '' : new Date(r.t).toISOString();
}

/** The geometry chosen: its type and vertex count, and its first vertices in the user's notation. */
export function showGeometry(view: HTMLElement, g: AnyGeometry | null): void {
  if (g === null) {
    mount(view, h('span.dim', null, 'None yet: draw it on the map or type a position.'));
    return;
  }
  const pts = verticesOf(g);
  const shown = pts.length <= 6 ? pts : [...pts.slice(0, 3), null, pts[pts.length - 1] as [number, number]];
  const noun =
    g.type === 'Point'
      ? 'point'
      : g.type === 'LineString'
        ? 'line'
        : g.type === 'Polygon'
          ? 'polygon'
          : 'multipolygon';
  mount(
    view,
    h('div', null, h('b', null, noun), ` · ${pts.length} ${pts.length === 1 ? 'vertex' : 'vertices'}`),
    h(
      'ol.dcl-vertices.mono',
      null,
      shown.map((p) => (p === null ? h('li.dim', null, '…') : h('li', null, place(p[0], p[1])))),
    ),
  );
}

/** The form's values, as typed, with the geometry chosen. */
export function readValues(form: Form, geometry: AnyGeometry | null): FormValues {
  return {
    kind: form.kind.value as Kind,
    geometry,
    buffer: form.buffer.value,
    start: form.start.value,
    end: form.end.value,
    lower: form.lower.valueAsNumber,
    upper: form.upper.valueAsNumber,
    reference: form.reference.value,
    category: form.category.value,
    groundOnly: form.groundOnly.checked,
    visibleToAll: form.parties.visibleToAll.checked,
    visibleTo: [...form.parties.visibility.chosen],
    appliesTo: [...form.parties.appliesTo.chosen],
    label: form.label.value,
    notes: form.notes.value,
  };
}

/** The form as it starts: nothing chosen, the window the next whole hour. */
export function clearForm(form: Form): void {
  form.position.value = '';
  form.buffer.value = '0';
  form.lower.value = '';
  form.upper.value = '';
  form.reference.value = 'AMSL';
  form.category.value = '';
  form.groundOnly.checked = false;
  form.parties.visibleToAll.checked = true;
  form.parties.visibility.chosen.clear();
  form.parties.appliesTo.chosen.clear();
  form.parties.draw(true);
  form.label.value = '';
  form.notes.value = '';
  nextHour(form);
}

/** The window: the next whole hour, for an hour. */
export function nextHour(form: Form): void {
  const HOUR = 3_600_000;
  const s = Math.ceil((Date.now() + 1) / HOUR) * HOUR;
  form.start.value = dtg(s);
  form.end.value = dtg(s + HOUR);
}

/** The form filled from one of `party`'s declarations, to amend it. */
export function fillForm(form: Form, f: Feature, party: string): void {
  const p = f.properties;
  form.kind.value = p.kind;
  form.position.value = '';
  form.buffer.value = String(p.buffer_m ?? 0);
  form.start.value = timeText(p.start);
  form.end.value = p.end === null ? '' : timeText(p.end);
  form.lower.value = p.altitude ? String(p.altitude.lower_m) : '';
  form.upper.value = p.altitude ? String(p.altitude.upper_m) : '';
  form.reference.value = p.altitude?.reference ?? 'AMSL';
  form.category.value = p.category ?? '';
  form.groundOnly.checked = (p as { ground_only?: boolean }).ground_only === true;
  const { visibility, appliesTo, visibleToAll } = form.parties;
  visibility.chosen.clear();
  appliesTo.chosen.clear();
  visibleToAll.checked = p.visibility === 'all' || p.visibility === undefined;
  if (Array.isArray(p.visibility)) for (const v of p.visibility) if (v !== party) visibility.chosen.add(v);
  if (Array.isArray(p.applies_to)) for (const v of p.applies_to as string[]) appliesTo.chosen.add(v);
  form.parties.draw(true);
  form.label.value = p.label ?? '';
  form.notes.value = typeof p.notes === 'string' ? p.notes : '';
}

/** A DTG when it says the time exactly (whole minutes), else ISO. */
function timeText(iso: string): string {
  const t = Date.parse(iso);
  return t % 60_000 === 0 ? dtg(t) : new Date(t).toISOString();
}
