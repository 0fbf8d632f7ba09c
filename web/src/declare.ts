/**
 * The Declare panel: an operator builds a declaration (kind, a geometry drawn on the map or typed
 * as MGRS or lat/lon, buffer, window, altitude, category, visibility, label, notes), checks it
 * with a dry run and submits it — or amends one of the party's own (the `deconflict:amend`
 * window event carries the declaration's Feature). The draft is drawn on the map as it changes.
 *
 * The form is never cleared by an error: an expired session makes api() wait for the password
 * and retry (api.ts), and a refusal from the hub is shown next to the field its path names.
 */
import { KINDS, type Kind, SITE_CATEGORIES } from '../../src/engine/types.ts';
import { ApiError, api } from './api.ts';
import { openTab } from './app.ts';
import { h, mount } from './dom.ts';
import { distance, dtg, local, parseTime, place, readPlace } from './format.ts';
import type { Geometry, MapApi } from './mapapi.ts';
import { type ConflictView, type Feature, on, type Side, select, state } from './store.ts';
import { loadConflicts, loadDeclarations } from './sync.ts';

/** What the console can draw or type for each kind (the parser also takes MultiPolygons). */
const GEOMETRIES: Record<Kind, readonly Geometry['type'][]> = {
  area_of_responsibility: ['Polygon'],
  protected_site: ['Point', 'Polygon'],
  movement: ['LineString'],
  air_operation: ['Polygon', 'LineString'],
  strike: ['Point', 'Polygon'],
  restricted_zone: ['Polygon'],
};
const ALTITUDE_KINDS = new Set<Kind>(['air_operation', 'strike', 'restricted_zone']);
const KIND_LABEL: Record<Kind, string> = {
  area_of_responsibility: 'Area of responsibility',
  protected_site: 'Protected site',
  movement: 'Movement',
  air_operation: 'Air operation',
  strike: 'Strike',
  restricted_zone: 'Restricted zone',
};
const DRAW: { mode: Geometry['type']; action: string; label: string }[] = [
  { mode: 'Point', action: 'draw-point', label: 'Point' },
  { mode: 'LineString', action: 'draw-line', label: 'Line' },
  { mode: 'Polygon', action: 'draw-polygon', label: 'Polygon' },
];
const HOUR = 3_600_000;

/** The fields a hub error path can name (`properties.end` → end; `geometry…` → geometry). */
type Field =
  | 'kind'
  | 'geometry'
  | 'position'
  | 'buffer_m'
  | 'start'
  | 'end'
  | 'altitude'
  | 'category'
  | 'visibility'
  | 'applies_to'
  | 'label'
  | 'notes';
const PROPERTY_FIELDS = new Set<string>([
  'kind',
  'buffer_m',
  'start',
  'end',
  'altitude',
  'category',
  'visibility',
  'applies_to',
  'label',
  'notes',
]);

type AnyGeometry = { type: string; coordinates: unknown };
type Position = [number, number];

interface Submission {
  accepted: boolean;
  dry_run: boolean;
  declarations: { id: string; version: number }[];
  conflicts: ConflictView[];
}

interface Amending {
  id: string;
  version: number;
  /** Properties the form does not edit, carried over to the new version. */
  keep: Record<string, unknown>;
  /** The geometry as it was: a schedule stays valid only while the route does not change. */
  geometryJson: string;
}

export function mountDeclare(el: HTMLElement, map: MapApi): void {
  const me = state.me;
  const canDeclare = !!me && (me.roles.includes('operator') || me.roles.includes('party_admin'));
  if (!me || !canDeclare) {
    mount(
      el,
      h(
        'div.declare',
        null,
        h('h2', null, 'Declare'),
        h(
          'p.note.dim',
          { 'data-testid': 'declare-forbidden' },
          `You cannot declare: submitting, amending and withdrawing declarations needs the operator or party_admin role${me ? ` (you have: ${me.roles.join(', ') || 'none'})` : ''}.`,
        ),
      ),
    );
    return;
  }
  const party = me.party;

  // --- State ------------------------------------------------------------------------------------
  let geometry: AnyGeometry | null = null;
  let amending: Amending | null = null;
  let busy = false;
  let drawing = false;
  let dryRunShown: {
    result: Submission;
    conflicts: ConflictView[];
    at: number;
    of: string | null;
  } | null = null;
  let submitShown: { result: Submission; amended: boolean } | null = null;

  // --- Controls ---------------------------------------------------------------------------------
  const kind = h(
    'select',
    { name: 'kind' },
    KINDS.map((k) => h('option', { value: k }, KIND_LABEL[k])),
  );
  kind.value = 'strike';

  const drawButtons = DRAW.map((d) =>
    h(
      'button',
      {
        type: 'button',
        dataset: { action: d.action },
        title: `Draw a ${d.label.toLowerCase()} on the map (Esc cancels)`,
        onclick: () => void drawGeometry(d.mode),
      },
      d.label,
    ),
  );
  const clearGeometry = h(
    'button',
    {
      type: 'button',
      dataset: { action: 'clear-geometry' },
      title: 'Forget the geometry',
      onclick: () => {
        geometry = null;
        changed();
      },
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
        usePosition();
      }
    },
  });
  const usePositionBtn = h(
    'button',
    { type: 'button', dataset: { action: 'use-position' }, onclick: () => usePosition() },
    'Use',
  );
  const geometryView = h('div.dcl-geometry', { 'data-testid': 'geometry' });
  const geometryWarning = h('div.dcl-warning', { 'data-testid': 'geometry-warning' });
  const drawingNote = h('span.dim.dcl-drawing', { hidden: true }, 'Drawing on the map… Esc cancels');

  const buffer = h('input', {
    name: 'buffer_m',
    type: 'number',
    min: '0',
    step: 'any',
    value: '0',
    inputMode: 'decimal',
  });
  const start = h('input', {
    name: 'start',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'DDHHMMZMONYY or ISO',
  });
  const end = h('input', {
    name: 'end',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'empty = open-ended',
  });
  const startParsed = h('span.dcl-parsed', { 'data-testid': 'start-parsed' });
  const endParsed = h('span.dcl-parsed', { 'data-testid': 'end-parsed' });

  const lower = h('input', {
    name: 'lower_m',
    type: 'number',
    step: 'any',
    placeholder: 'floor',
    inputMode: 'decimal',
  });
  const upper = h('input', {
    name: 'upper_m',
    type: 'number',
    step: 'any',
    placeholder: 'ceiling',
    inputMode: 'decimal',
  });
  const reference = h(
    'select',
    { name: 'reference', title: 'Altitude reference' },
    h('option', { value: 'AMSL' }, 'AMSL'),
    h('option', { value: 'AGL' }, 'AGL'),
  );
  const category = h(
    'select',
    { name: 'category' },
    h('option', { value: '' }, '— choose —'),
    SITE_CATEGORIES.map((c) => h('option', { value: c }, c.replace(/_/g, ' '))),
  );

  const visAll = h('input', { type: 'checkbox', name: 'visibility-all', checked: true });
  const visParties = h('span.dcl-parties');
  const appliesParties = h('span.dcl-parties');
  const label = h('input', {
    name: 'label',
    maxLength: 200,
    autocomplete: 'off',
    placeholder: 'e.g. Depot strike, grid 4512',
  });
  const notes = h('textarea', {
    name: 'notes',
    rows: 2,
    maxLength: 4000,
    placeholder: 'Notes for the other parties (free text)',
  });

  const dryRunBtn = h(
    'button',
    { type: 'button', dataset: { action: 'dry-run' }, onclick: () => void send(true) },
    'Dry run',
  );
  const submitBtn = h(
    'button.primary',
    { type: 'button', dataset: { action: 'submit' }, onclick: () => void send(false) },
    'Submit',
  );
  const cancelBtn = h(
    'button',
    { type: 'button', dataset: { action: 'cancel-amend' }, hidden: true, onclick: () => cancelAmend() },
    'Cancel',
  );
  const heading = h('h2', null, 'New declaration');
  const amendNote = h('div.dcl-amending', { 'data-testid': 'amending', hidden: true });
  const topErrors = h('div.error.dcl-top-errors', { role: 'alert', 'data-testid': 'declare-errors' });
  const dryRunResult = h('div.dcl-result', { 'data-testid': 'dry-run-result', hidden: true });
  const submitResult = h('div.dcl-result', { 'data-testid': 'submit-result', hidden: true });

  const errorEls = new Map<Field, HTMLElement>();
  const err = (f: Field) => {
    const e = h('div.error.dcl-field-error', { dataset: { field: f } });
    errorEls.set(f, e);
    return e;
  };
  const row = (text: string, ...children: (Node | string | null)[]) =>
    h('div.dcl-row', null, h('span.dcl-label', null, text), h('div.dcl-control', null, ...children));

  const drawRow = row(
    'Geometry',
    h('div.dcl-inline', null, drawButtons, clearGeometry, drawingNote),
    geometryView,
    geometryWarning,
    err('geometry'),
  );
  const positionRow = row(
    'Position',
    h('div.dcl-inline', null, position, usePositionBtn),
    h('div.dim.dcl-hint'),
    err('position'),
  );
  const positionHint = positionRow.querySelector('.dcl-hint') as HTMLElement;
  const altitudeRow = row(
    'Altitude (m)',
    h('div.dcl-inline', null, lower, h('span.dim', null, 'to'), upper, reference),
    h('div.dim.dcl-hint.dcl-altitude-hint'),
    err('altitude'),
  );
  const altitudeHint = altitudeRow.querySelector('.dcl-altitude-hint') as HTMLElement;
  const categoryRow = row('Category', category, err('category'));
  const appliesRow = row(
    'Applies to',
    appliesParties,
    h('div.dim.dcl-hint', null, 'None ticked: every party but us.'),
    err('applies_to'),
  );
  const form = h(
    'form.dcl-form',
    { onsubmit: (e: Event) => e.preventDefault(), oninput: () => changed(), onchange: () => changed() },
    row('Kind', kind, err('kind')),
    drawRow,
    positionRow,
    row('Buffer (m)', buffer, err('buffer_m')),
    row('Start', start, startParsed, err('start')),
    row('End', end, endParsed, err('end')),
    altitudeRow,
    categoryRow,
    appliesRow,
    row(
      'Visible to',
      h('div.dcl-inline.dcl-wrap', null, h('label.dcl-check', null, visAll, 'All parties'), visParties),
      err('visibility'),
    ),
    row('Label', label, err('label')),
    row('Notes', notes, err('notes')),
    h('div.dcl-actions', null, dryRunBtn, submitBtn, cancelBtn),
  );
  mount(el, h('div.declare', null, heading, amendNote, topErrors, form, dryRunResult, submitResult));

  // --- Parties (loaded after the panel mounts) --------------------------------------------------
  const visChosen = new Set<string>();
  const appliesChosen = new Set<string>();
  let partiesShown = '';
  const drawParties = () => {
    const others = state.parties.filter((p) => p.id !== party);
    const key = others.map((p) => p.id).join(',');
    if (key === partiesShown) return;
    partiesShown = key;
    const boxes = (name: string, chosen: Set<string>) =>
      others.map((p) =>
        h(
          'label.dcl-check',
          { title: p.name },
          h('input', {
            type: 'checkbox',
            name,
            value: p.id,
            checked: chosen.has(p.id),
            onchange: (e: Event) => {
              const t = e.target as HTMLInputElement;
              if (t.checked) chosen.add(p.id);
              else chosen.delete(p.id);
            },
          }),
          p.id,
        ),
      );
    mount(visParties, boxes('visibility-party', visChosen));
    mount(appliesParties, boxes('applies-to', appliesChosen));
    syncVisibility();
  };
  const syncVisibility = () => {
    for (const b of visParties.querySelectorAll('input')) b.disabled = visAll.checked;
    visParties.classList.toggle('dim', visAll.checked);
  };
  on('declarations', drawParties);
  drawParties();

  // --- Behaviour --------------------------------------------------------------------------------
  const currentKind = () => kind.value as Kind;

  function resetTimes(): void {
    const s = Math.ceil((Date.now() + 1) / HOUR) * HOUR;
    start.value = dtg(s);
    end.value = dtg(s + HOUR);
  }

  /** A typed time: ms, null when empty, or the reason it cannot be read. */
  function readTime(input: HTMLInputElement): { t: number | null; error?: string } {
    const text = input.value.trim();
    if (text === '') return { t: null };
    try {
      return { t: parseTime(text) };
    } catch (e) {
      return { t: null, error: messageOf(e) };
    }
  }

  function showParsed(input: HTMLInputElement, out: HTMLElement, emptyText: string): void {
    const r = readTime(input);
    out.classList.toggle('bad', r.error !== undefined);
    out.textContent =
      r.error !== undefined ? 'not a time' : r.t === null ? emptyText : `${dtg(r.t)} · ${local(r.t)} local`;
    out.title = r.t === null ? '' : new Date(r.t).toISOString();
  }

  /** The user changed something: redraw, and an earlier dry run no longer holds. */
  function changed(): void {
    refresh();
    if (dryRunShown && !dryRunResult.classList.contains('stale')) {
      dryRunResult.classList.add('stale');
      dryRunResult.prepend(h('div.dcl-stale', null, 'Changed since this dry run: run it again.'));
      map.setPreview([]);
    }
  }

  /** Redraw what depends on the form: the kind's fields, parsed times, geometry, the draft. */
  function refresh(): void {
    const k = currentKind();
    const allowed = GEOMETRIES[k];
    for (const [i, d] of DRAW.entries())
      (drawButtons[i] as HTMLButtonElement).hidden = !allowed.includes(d.mode);
    for (const b of drawButtons) b.disabled = drawing;
    clearGeometry.hidden = geometry === null;
    drawingNote.hidden = !drawing;
    positionHint.textContent = allowed.includes('Point')
      ? 'One position for a point; several separated by ";" for a polygon.'
      : allowed.includes('LineString') && !allowed.includes('Polygon')
        ? 'Positions separated by ";" for the route.'
        : allowed.includes('LineString')
          ? 'Positions separated by ";": two for a line, three or more for a polygon.'
          : 'Three or more positions separated by ";" for the polygon (closed for you).';
    altitudeRow.hidden = !ALTITUDE_KINDS.has(k);
    altitudeHint.textContent =
      k === 'air_operation' ? 'Required for an air operation.' : 'Optional: the hazard band.';
    categoryRow.hidden = k !== 'protected_site';
    appliesRow.hidden = k !== 'restricted_zone';
    syncVisibility();
    showParsed(start, startParsed, 'required');
    showParsed(end, endParsed, 'open-ended');
    drawGeometryView();
    geometryWarning.textContent =
      geometry !== null &&
      !allowed.includes(geometry.type as Geometry['type']) &&
      !(geometry.type === 'MultiPolygon' && allowed.includes('Polygon'))
        ? `A ${KIND_LABEL[k].toLowerCase()} is a ${allowed.join(' or ')}, not a ${geometry.type}: draw or type it again.`
        : '';
    const b = buffer.valueAsNumber;
    map.setDraft(
      geometry !== null && ['Point', 'LineString', 'Polygon'].includes(geometry.type)
        ? { geometry: geometry as Geometry, kind: k, buffer_m: Number.isFinite(b) && b >= 0 ? b : 0 }
        : null,
    );
    dryRunBtn.disabled = submitBtn.disabled = busy;
  }

  function drawGeometryView(): void {
    if (geometry === null) {
      mount(geometryView, h('span.dim', null, 'None yet: draw it on the map or type a position.'));
      return;
    }
    const pts = positionsOf(geometry);
    const shown = pts.length <= 6 ? pts : [...pts.slice(0, 3), null, pts[pts.length - 1] as Position];
    const noun =
      geometry.type === 'Point'
        ? 'point'
        : geometry.type === 'LineString'
          ? 'line'
          : geometry.type === 'Polygon'
            ? 'polygon'
            : 'multipolygon';
    mount(
      geometryView,
      h('div', null, h('b', null, noun), ` · ${pts.length} ${pts.length === 1 ? 'vertex' : 'vertices'}`),
      h(
        'ol.dcl-vertices.mono',
        null,
        shown.map((p) => (p === null ? h('li.dim', null, '…') : h('li', null, place(p[0], p[1])))),
      ),
    );
  }

  function usePosition(): void {
    const r = typedGeometry(position.value, currentKind());
    setError('position', typeof r === 'string' ? r : '');
    if (typeof r === 'string') return;
    geometry = r;
    changed();
  }

  async function drawGeometry(mode: Geometry['type']): Promise<void> {
    if (drawing) return;
    drawing = true;
    refresh();
    let g: Geometry | null = null;
    try {
      g = await map.draw(mode);
    } catch (e) {
      setError('geometry', `Drawing failed: ${messageOf(e)}`);
    }
    drawing = false;
    if (g) {
      geometry = g;
      // The drawing replaces whatever was typed.
      position.value = '';
      setError('position', '');
      setError('geometry', '');
      changed();
    } else refresh();
  }

  function setError(f: Field, text: string): void {
    const e = errorEls.get(f);
    if (!e) return;
    e.textContent = text;
    const row = e.closest('.dcl-row');
    row?.classList.toggle('invalid', text !== '');
  }

  function clearErrors(): void {
    for (const f of errorEls.keys()) setError(f, '');
    mount(topErrors);
  }

  function showErrors(list: { code?: string; path: string; message: string }[]): void {
    const byField = new Map<Field, string[]>();
    const top: string[] = [];
    for (const e of list) {
      const f = fieldOf(e.path);
      const text = e.code ? `${e.code}: ${e.message}` : e.message;
      if (f) byField.set(f, [...(byField.get(f) ?? []), text]);
      else top.push(e.path ? `${text} (${e.path})` : text);
    }
    for (const [f, texts] of byField) {
      const row = errorEls.get(f)?.closest('.dcl-row') as HTMLElement | null;
      // A field hidden for this kind still needs its error seen.
      if (!row || row.hidden) top.push(...texts);
      else setError(f, texts.join('\n'));
    }
    mount(
      topErrors,
      top.map((t) => h('div', null, t)),
    );
  }

  /** The Feature the form describes, or the problems that keep it from being sent. */
  function build(): { feature: unknown } | { problems: { path: string; message: string }[] } {
    const k = currentKind();
    const problems: { path: string; message: string }[] = [];
    const props: Record<string, unknown> = { kind: k };
    if (geometry === null)
      problems.push({
        path: 'geometry',
        message: 'Choose a geometry: draw it on the map, or type a position and press Use.',
      });
    const b = buffer.value.trim();
    if (b !== '') {
      const n = Number(b);
      if (!Number.isFinite(n) || n < 0)
        problems.push({ path: 'properties.buffer_m', message: 'The buffer is metres, 0 or more.' });
      else props.buffer_m = n;
    }
    const s = readTime(start);
    if (s.error !== undefined) problems.push({ path: 'properties.start', message: s.error });
    else if (s.t === null)
      problems.push({
        path: 'properties.start',
        message: 'start is required (DTG like 231000ZNOV26, or ISO UTC).',
      });
    else props.start = new Date(s.t).toISOString();
    const e = readTime(end);
    if (e.error !== undefined) problems.push({ path: 'properties.end', message: e.error });
    else if (e.t !== null) {
      if (s.t !== null && e.t <= s.t)
        problems.push({ path: 'properties.end', message: `end ${dtg(e.t)} is not after start ${dtg(s.t)}` });
      props.end = new Date(e.t).toISOString();
    }
    if (ALTITUDE_KINDS.has(k) && (lower.value.trim() !== '' || upper.value.trim() !== '')) {
      const lo = lower.valueAsNumber;
      const hi = upper.valueAsNumber;
      if (!Number.isFinite(lo) || !Number.isFinite(hi))
        problems.push({
          path: 'properties.altitude',
          message: 'Give both the floor and the ceiling, in metres.',
        });
      else props.altitude = { lower_m: lo, upper_m: hi, reference: reference.value };
    }
    if (k === 'protected_site' && category.value !== '') props.category = category.value;
    if (k === 'restricted_zone' && appliesChosen.size > 0) props.applies_to = [...appliesChosen];
    // Nobody ticked: only our own party sees it (the hub wants a non-empty list).
    if (!visAll.checked) props.visibility = visChosen.size > 0 ? [...visChosen] : [party];
    if (label.value.trim() !== '') props.label = label.value.trim();
    if (notes.value.trim() !== '') props.notes = notes.value;
    if (amending) {
      const keep = { ...amending.keep };
      // A schedule belongs to its route: kept only while the route is unchanged.
      if (
        keep.schedule !== undefined &&
        (k !== 'movement' || JSON.stringify(geometry) !== amending.geometryJson)
      )
        delete keep.schedule;
      Object.assign(props, { ...keep, ...props });
    }
    if (problems.length > 0) return { problems };
    return { feature: { type: 'Feature', geometry, properties: props } };
  }

  async function send(dryRun: boolean): Promise<void> {
    if (busy) return;
    clearErrors();
    // A position typed but not yet used: use it.
    if (geometry === null && position.value.trim() !== '') usePosition();
    const built = build();
    if ('problems' in built) {
      showErrors(built.problems);
      return;
    }
    busy = true;
    refresh();
    const target = amending;
    try {
      if (dryRun) {
        const r = await api<Submission>('POST', '/declarations?dry_run=true', built.feature);
        // Amending: the draft overlaps the version it replaces; that is not a conflict.
        const conflicts = target
          ? r.conflicts.filter((c) => !sideIs(c.a, target.id) && !sideIs(c.b, target.id))
          : r.conflicts;
        dryRunShown = { result: r, conflicts, at: Date.now(), of: target?.id ?? null };
        dryRunResult.classList.remove('stale');
        drawDryRun();
        dryRunResult.scrollIntoView({ block: 'nearest' });
        map.setPreview(conflicts);
      } else {
        const r = target
          ? await api<Submission>('PUT', `/declarations/${encodeURIComponent(target.id)}`, built.feature)
          : await api<Submission>('POST', '/declarations', built.feature);
        submitShown = { result: r, amended: target !== null };
        drawSubmit();
        submitResult.scrollIntoView({ block: 'nearest' });
        dryRunShown = null;
        dryRunResult.hidden = true;
        map.setPreview([]);
        map.setDraft(null);
        resetForm();
        await Promise.all([loadDeclarations(), loadConflicts()]).catch(() => undefined);
      }
    } catch (e) {
      if (e instanceof ApiError && e.errors.length > 0) showErrors(e.errors);
      else if (e instanceof ApiError)
        showErrors([{ path: '', message: `The hub refused (HTTP ${e.status}).` }]);
      else
        showErrors([
          { path: '', message: `Could not reach the hub: ${messageOf(e)}. Nothing was lost; try again.` },
        ]);
    } finally {
      busy = false;
      refresh();
    }
  }

  function drawDryRun(): void {
    if (!dryRunShown) return;
    const { result, conflicts, at, of } = dryRunShown;
    const ours = new Set(result.declarations.map((d) => d.id));
    const stale = dryRunResult.classList.contains('stale');
    dryRunResult.hidden = false;
    mount(
      dryRunResult,
      stale ? h('div.dcl-stale', null, 'Changed since this dry run: run it again.') : null,
      h('h3', null, `Dry run${of ? ` of the amendment to ${of}` : ''}`, h('span.dim', null, ` · ${dtg(at)}`)),
      conflictList(conflicts, ours, false),
    );
  }

  function drawSubmit(): void {
    if (!submitShown) return;
    const { result, amended } = submitShown;
    const ours = new Set(result.declarations.map((d) => d.id));
    const d = result.declarations[0];
    submitResult.hidden = false;
    mount(
      submitResult,
      h(
        'h3',
        null,
        amended ? 'Amended ' : 'Submitted ',
        d
          ? h(
              'a.dcl-ref',
              {
                href: '#',
                dataset: { declarationId: d.id, version: String(d.version) },
                onclick: (e: Event) => {
                  e.preventDefault();
                  select('declaration', d.id);
                  map.focus({ type: 'declaration', id: d.id });
                },
              },
              `${d.id} v${d.version}`,
            )
          : '',
      ),
      conflictList(result.conflicts, ours, true),
    );
  }

  function conflictList(conflicts: readonly ConflictView[], ours: Set<string>, stored: boolean): HTMLElement {
    if (conflicts.length === 0) return h('div.dcl-none', null, 'No conflict');
    const count = (s: string) => conflicts.filter((c) => c.severity === s).length;
    const summary = ['critical', 'high', 'medium', 'low']
      .filter((s) => count(s) > 0)
      .map((s) => `${count(s)} ${s}`)
      .join(', ');
    const order = { critical: 0, high: 1, medium: 2, low: 3 };
    const sorted = [...conflicts].sort((x, y) => order[x.severity] - order[y.severity]);
    return h(
      'div',
      null,
      h(
        'div.dcl-count',
        null,
        `${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'} (${summary})`,
      ),
      h(
        'ul.dcl-conflicts',
        null,
        sorted.map((c) => {
          const other = isOurs(c.a, ours) ? c.b : c.a;
          const who =
            'hidden' in other
              ? h('span', null, h('b', null, other.party), ' · ', h('i.dim', null, 'hidden'))
              : h(
                  'span',
                  null,
                  h('b', null, other.party),
                  ' · ',
                  other.label ?? other.id,
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
            h(
              'div.dim.mono',
              null,
              c.distance_m !== undefined
                ? `${distance(c.distance_m)}${c.distance_m === 0 ? ' (overlap)' : ''} · `
                : '',
              `${dtg(c.window.start)} – ${c.window.end === null ? 'open' : dtg(c.window.end)}`,
            ),
          );
        }),
      ),
    );
  }

  function resetForm(): void {
    amending = null;
    geometry = null;
    position.value = '';
    buffer.value = '0';
    lower.value = '';
    upper.value = '';
    reference.value = 'AMSL';
    category.value = '';
    visAll.checked = true;
    visChosen.clear();
    appliesChosen.clear();
    partiesShown = '';
    drawParties();
    label.value = '';
    notes.value = '';
    resetTimes();
    showAmending();
    refresh();
  }

  function showAmending(): void {
    heading.textContent = amending ? 'Amend declaration' : 'New declaration';
    amendNote.hidden = amending === null;
    amendNote.textContent = amending ? `Amending ${amending.id} v${amending.version}` : '';
    cancelBtn.hidden = amending === null;
    submitBtn.textContent = amending ? `Submit v${amending.version + 1}` : 'Submit';
  }

  function cancelAmend(): void {
    clearErrors();
    dryRunShown = null;
    dryRunResult.hidden = true;
    map.setPreview([]);
    resetForm();
  }

  /** Fill the form from one of our declarations, to amend it. */
  function startAmend(f: Feature): void {
    const p = f.properties;
    if (p.party !== party || !KINDS.includes(p.kind as Kind)) return;
    clearErrors();
    dryRunShown = null;
    dryRunResult.hidden = true;
    map.setPreview([]);
    const keep: Record<string, unknown> = {};
    for (const k of ['schedule', 'notify'] as const) if (p[k] !== undefined) keep[k] = p[k];
    amending = { id: p.id, version: p.version, keep, geometryJson: JSON.stringify(f.geometry) };
    kind.value = p.kind;
    geometry = { type: f.geometry.type, coordinates: f.geometry.coordinates };
    position.value = '';
    buffer.value = String(p.buffer_m ?? 0);
    start.value = timeText(p.start);
    end.value = p.end === null ? '' : timeText(p.end);
    lower.value = p.altitude ? String(p.altitude.lower_m) : '';
    upper.value = p.altitude ? String(p.altitude.upper_m) : '';
    reference.value = p.altitude?.reference ?? 'AMSL';
    category.value = p.category ?? '';
    visChosen.clear();
    appliesChosen.clear();
    visAll.checked = p.visibility === 'all' || p.visibility === undefined;
    if (Array.isArray(p.visibility)) for (const v of p.visibility) if (v !== party) visChosen.add(v);
    if (Array.isArray(p.applies_to)) for (const v of p.applies_to as string[]) appliesChosen.add(v);
    partiesShown = '';
    drawParties();
    label.value = p.label ?? '';
    notes.value = typeof p.notes === 'string' ? p.notes : '';
    showAmending();
    refresh();
    openTab('declare');
  }

  window.addEventListener('deconflict:amend', (e) => {
    const f = (e as CustomEvent<Feature>).detail;
    if (f && f.type === 'Feature' && f.properties) startAmend(f);
  });
  kind.addEventListener('change', () => setError('kind', ''));
  visAll.addEventListener('change', syncVisibility);
  on('settings', () => {
    drawGeometryView();
    drawDryRun();
    drawSubmit();
  });

  resetTimes();
  showAmending();
  refresh();
}

// --- Helpers ------------------------------------------------------------------------------------

/**
 * The geometry typed in the position field: one position is a point; several, separated by ";",
 * a line or a polygon as the kind allows (a polygon is closed for the user). Or why not.
 */
function typedGeometry(typed: string, k: Kind): AnyGeometry | string {
  const text = typed.trim();
  if (text === '') return 'Type a position: lat, lon (46.1535, 21.304) or MGRS (34TER 45678 12345).';
  const parts = text.split(/\s*[;\n]\s*/).filter((s) => s !== '');
  const pts: Position[] = [];
  for (const [i, p] of parts.entries()) {
    try {
      pts.push(readPlace(p));
    } catch (e) {
      return `${parts.length > 1 ? `Position ${i + 1}: ` : ''}cannot read "${p}": ${messageOf(e)}`;
    }
  }
  const allowed = GEOMETRIES[k];
  const what = `a ${KIND_LABEL[k].toLowerCase()} is a ${allowed.join(' or ')}`;
  if (pts.length === 1) {
    if (allowed.includes('Point')) return { type: 'Point', coordinates: pts[0] };
    return `${what}: type several positions separated by ";", or draw it`;
  }
  if (allowed.includes('LineString') && (pts.length === 2 || !allowed.includes('Polygon'))) {
    return { type: 'LineString', coordinates: pts };
  }
  if (!allowed.includes('Polygon')) return what;
  const first = pts[0] as Position;
  const last = pts[pts.length - 1] as Position;
  const ring = first[0] === last[0] && first[1] === last[1] ? pts : [...pts, first];
  if (ring.length < 4) return 'a polygon needs at least three distinct corners';
  return { type: 'Polygon', coordinates: [ring] };
}

function fieldOf(path: string): Field | null {
  if (path.startsWith('geometry')) return 'geometry';
  const m = /^properties\.([a-z_]+)/.exec(path);
  if (m && PROPERTY_FIELDS.has(m[1] as string)) return m[1] as Field;
  return null;
}

function positionsOf(g: AnyGeometry): Position[] {
  const c = g.coordinates;
  switch (g.type) {
    case 'Point':
      return [c as Position];
    case 'LineString':
      return c as Position[];
    case 'Polygon': {
      // The closing position repeats the first: not a vertex of its own.
      const ring = (c as Position[][])[0] ?? [];
      return ring.slice(0, -1);
    }
    case 'MultiPolygon':
      return (c as Position[][][]).flatMap((p) => (p[0] ?? []).slice(0, -1));
    default:
      return [];
  }
}

function sideIs(s: Side, id: string): boolean {
  return !('hidden' in s) && s.id === id;
}

function isOurs(s: Side, ours: Set<string>): boolean {
  return !('hidden' in s) && ours.has(s.id);
}

/** A DTG when it says the time exactly (whole minutes), else ISO. */
function timeText(iso: string): string {
  const t = Date.parse(iso);
  return t % 60_000 === 0 ? dtg(t) : new Date(t).toISOString();
}

function messageOf(e: unknown): string {
  if (e instanceof Error) {
    const details = (e as { details?: { message: string }[] }).details;
    if (Array.isArray(details) && details[0]) return details[0].message;
    return e.message;
  }
  return String(e);
}
