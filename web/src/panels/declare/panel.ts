/**
 * The Declare panel: an operator builds a declaration (form.ts), checks it with a dry run and
 * submits it — or amends one of the party's own (the `deconflict:amend` window event carries the
 * declaration's Feature). The draft is drawn on the map as it changes; a position typed, a dry
 * run, a submission and an amendment begun bring the geometry into view (with the dry run's
 * closest points), since the operator may have moved the map since drawing it, or typed it
 * somewhere never shown.
 *
 * The form is never cleared by an error: an expired session makes api() wait for the password
 * and retry (api.ts), and a refusal from the hub is shown next to the field its path names.
 */
import { KINDS, type Kind } from '../../../../src/engine/types.ts';
import { ApiError, api } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import type { AnyGeometry, Pos } from '../../geo/path.ts';
import type { Draft, Geometry, MapApi } from '../../map/api.ts';
import { canDeclare } from '../../roles.ts';
import { openTab, registerPanel } from '../../shell.ts';
import { on, state } from '../../store.ts';
import { loadConflicts, loadDeclarations } from '../../sync.ts';
import type { Feature, Side, Submission } from '../../wire.ts';
import { type Amending, featureOf } from './feature.ts';
import {
  clearForm,
  createForm,
  type Form,
  fillForm,
  nextHour,
  readValues,
  showGeometry,
  showKind,
} from './form.ts';
import { geometryWarning, messageOf, typedGeometry } from './geometry.ts';
import { type DryRun, drawDryRun, drawSubmitted, markStale, type Submitted } from './results.ts';

registerPanel({ id: 'declare', label: 'Declare', key: '3', mount: mountDeclare });

/** The panel's elements and state. */
interface Declare {
  readonly map: MapApi;
  readonly party: string;
  readonly form: Form;
  readonly heading: HTMLElement;
  readonly amendNote: HTMLElement;
  readonly dryRunResult: HTMLElement;
  readonly submitResult: HTMLElement;
  geometry: AnyGeometry | null;
  amending: Amending | null;
  busy: boolean;
  drawing: boolean;
  dryRun: DryRun | null;
  submitted: Submitted | null;
}

/** Draw the panel into `el`: the form for those who may declare, else why not. */
function mountDeclare(el: HTMLElement, map: MapApi): void {
  const me = state.me;
  if (!me || !canDeclare()) {
    const roles = me ? ` (you have: ${me.roles.join(', ') || 'none'})` : '';
    const why = `You cannot declare: submitting, amending and withdrawing declarations needs the operator or party_admin role${roles}.`;
    mount(
      el,
      h(
        'div.declare',
        null,
        h('h2', null, 'Declare'),
        h('p.note.dim', { 'data-testid': 'declare-forbidden' }, why),
      ),
    );
    return;
  }
  const d: Declare = {
    map,
    party: me.party,
    form: createForm(me.party, {
      draw: (mode) => void drawGeometry(d, mode),
      clearGeometry: () => {
        d.geometry = null;
        changed(d);
      },
      usePosition: () => usePosition(d),
      send: (dryRun) => void send(d, dryRun),
      cancel: () => cancelAmend(d),
      changed: () => changed(d),
    }),
    heading: h('h2', null, 'New declaration'),
    amendNote: h('div.dcl-amending', { 'data-testid': 'amending', hidden: true }),
    dryRunResult: h('div.dcl-result', { 'data-testid': 'dry-run-result', hidden: true }),
    submitResult: h('div.dcl-result', { 'data-testid': 'submit-result', hidden: true }),
    geometry: null,
    amending: null,
    busy: false,
    drawing: false,
    dryRun: null,
    submitted: null,
  };
  const f = d.form;
  mount(
    el,
    h('div.declare', null, d.heading, d.amendNote, f.errors.top, f.el, d.dryRunResult, d.submitResult),
  );
  follow(d);
  nextHour(f);
  showAmending(d);
  refresh(d);
}

/** Parties as they load, amendments asked for, and the user's notation. */
function follow(d: Declare): void {
  on('declarations', () => d.form.parties.draw());
  d.form.parties.draw();
  window.addEventListener('deconflict:amend', (e) => {
    const f = (e as CustomEvent<Feature>).detail;
    if (f && f.type === 'Feature' && f.properties) startAmend(d, f);
  });
  on('settings', () => {
    showGeometry(d.form.geometryView, d.geometry);
    if (d.dryRun) drawDryRun(d.dryRunResult, d.dryRun);
    if (d.submitted) drawSubmitted(d.submitResult, d.submitted, d.map);
  });
}

/** The user changed something: redraw, and an earlier dry run no longer holds. */
function changed(d: Declare): void {
  refresh(d);
  if (d.dryRun && !d.dryRunResult.classList.contains('stale')) {
    markStale(d.dryRunResult);
    d.map.setPreview([]);
  }
}

/** Redraw what depends on the form: the kind's fields, parsed times, geometry, the draft. */
function refresh(d: Declare): void {
  const { form, geometry } = d;
  const k = form.kind.value as Kind;
  showKind(form, k, d.drawing);
  form.clear.hidden = geometry === null;
  showGeometry(form.geometryView, geometry);
  form.geometryWarning.textContent = geometryWarning(geometry, k);
  d.map.setDraft(draftOf(d));
  form.dryRun.disabled = form.submit.disabled = d.busy;
}

/** The declaration being prepared, as the map draws it (null without a drawable geometry). */
function draftOf(d: Declare): Draft | null {
  const g = d.geometry;
  const b = d.form.buffer.valueAsNumber;
  return g !== null && ['Point', 'LineString', 'Polygon'].includes(g.type)
    ? { geometry: g as Geometry, kind: d.form.kind.value, buffer_m: Number.isFinite(b) && b >= 0 ? b : 0 }
    : null;
}

/** Bring the geometry (with its buffer, and these points) into the uncovered part of the map. */
function showDraft(d: Declare, also: readonly Pos[] = []): void {
  const draft = draftOf(d);
  if (draft) d.map.bringIntoView(draft.geometry, draft.buffer_m, also);
}

/** Use the positions typed as the geometry, or say why they cannot be. */
function usePosition(d: Declare): void {
  const r = typedGeometry(d.form.position.value, d.form.kind.value as Kind);
  d.form.errors.set('position', typeof r === 'string' ? r : '');
  if (typeof r === 'string') return;
  d.geometry = r;
  changed(d);
  showDraft(d);
}

/** Let the user draw the geometry on the map; it replaces whatever was typed. */
async function drawGeometry(d: Declare, mode: Geometry['type']): Promise<void> {
  if (d.drawing) return;
  d.drawing = true;
  refresh(d);
  let g: Geometry | null = null;
  try {
    g = await d.map.draw(mode);
  } catch (e) {
    d.form.errors.set('geometry', `Drawing failed: ${messageOf(e)}`);
  }
  d.drawing = false;
  if (!g) {
    refresh(d);
    return;
  }
  d.geometry = g;
  d.form.position.value = '';
  d.form.errors.set('position', '');
  d.form.errors.set('geometry', '');
  changed(d);
}

/** Dry-run or submit (or amend) the declaration; problems are shown at their fields. */
async function send(d: Declare, dryRun: boolean): Promise<void> {
  if (d.busy) return;
  d.form.errors.clear();
  // A position typed but not yet used: use it.
  if (d.geometry === null && d.form.position.value.trim() !== '') usePosition(d);
  const built = featureOf(readValues(d.form, d.geometry), d.party, d.amending);
  if ('problems' in built) {
    d.form.errors.show(built.problems);
    return;
  }
  d.busy = true;
  refresh(d);
  try {
    if (dryRun) await checkDryRun(d, built.feature);
    else await submit(d, built.feature);
  } catch (e) {
    d.form.errors.show(refusal(e));
  } finally {
    d.busy = false;
    refresh(d);
  }
}

/** Why the hub did not take it, as errors to show. */
function refusal(e: unknown): { code?: string; path: string; message: string }[] {
  if (e instanceof ApiError && e.errors.length > 0) return e.errors;
  if (e instanceof ApiError) return [{ path: '', message: `The hub refused (HTTP ${e.status}).` }];
  return [{ path: '', message: `Could not reach the hub: ${messageOf(e)}. Nothing was lost; try again.` }];
}

/** A dry run: its conflicts listed and drawn on the map. */
async function checkDryRun(d: Declare, feature: unknown): Promise<void> {
  const target = d.amending;
  const r = await api<Submission>('POST', '/declarations?dry_run=true', feature);
  // Amending: the draft overlaps the version it replaces; that is not a conflict.
  const sideIs = (s: Side) => !('hidden' in s) && s.id === target?.id;
  const conflicts = target ? r.conflicts.filter((c) => !sideIs(c.a) && !sideIs(c.b)) : r.conflicts;
  d.dryRun = { result: r, conflicts, at: Date.now(), of: target?.id ?? null };
  d.dryRunResult.classList.remove('stale');
  drawDryRun(d.dryRunResult, d.dryRun);
  d.dryRunResult.scrollIntoView({ block: 'nearest' });
  d.map.setPreview(conflicts);
  showDraft(
    d,
    conflicts.flatMap((c) => c.closest ?? []),
  );
}

/** A submission (or amendment): its result shown, the form emptied, the picture read again. */
async function submit(d: Declare, feature: unknown): Promise<void> {
  const target = d.amending;
  const r = target
    ? await api<Submission>('PUT', `/declarations/${encodeURIComponent(target.id)}`, feature)
    : await api<Submission>('POST', '/declarations', feature);
  d.submitted = { result: r, amended: target !== null };
  drawSubmitted(d.submitResult, d.submitted, d.map);
  d.submitResult.scrollIntoView({ block: 'nearest' });
  showDraft(
    d,
    r.conflicts.flatMap((c) => c.closest ?? []),
  );
  forgetDryRun(d);
  d.map.setDraft(null);
  resetForm(d);
  await Promise.all([loadDeclarations(), loadConflicts()]).catch(() => undefined);
}

/** Hide the dry run and take its conflicts off the map. */
function forgetDryRun(d: Declare): void {
  d.dryRun = null;
  d.dryRunResult.hidden = true;
  d.map.setPreview([]);
}

/** A new declaration again: the form emptied, no amendment. */
function resetForm(d: Declare): void {
  d.amending = null;
  d.geometry = null;
  clearForm(d.form);
  showAmending(d);
  refresh(d);
}

/** The heading, the note and the buttons say whether this is an amendment. */
function showAmending(d: Declare): void {
  const a = d.amending;
  d.heading.textContent = a ? 'Amend declaration' : 'New declaration';
  d.amendNote.hidden = a === null;
  d.amendNote.textContent = a ? `Amending ${a.id} v${a.version}` : '';
  d.form.cancel.hidden = a === null;
  d.form.submit.textContent = a ? `Submit v${a.version + 1}` : 'Submit';
}

/** Give up the amendment. */
function cancelAmend(d: Declare): void {
  d.form.errors.clear();
  forgetDryRun(d);
  resetForm(d);
}

/** Fill the form from one of our declarations, to amend it, and show the panel. */
function startAmend(d: Declare, f: Feature): void {
  const p = f.properties;
  if (p.party !== d.party || !KINDS.includes(p.kind as Kind)) return;
  d.form.errors.clear();
  forgetDryRun(d);
  const keep: Record<string, unknown> = {};
  for (const k of ['schedule', 'notify'] as const) if (p[k] !== undefined) keep[k] = p[k];
  d.amending = { id: p.id, version: p.version, keep, geometryJson: JSON.stringify(f.geometry) };
  d.geometry = { type: f.geometry.type, coordinates: f.geometry.coordinates };
  fillForm(d.form, f, d.party);
  showAmending(d);
  refresh(d);
  openTab('declare');
  showDraft(d);
}
