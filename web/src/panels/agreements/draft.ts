/**
 * The agreement being written in the Agreements panel, as typed (docs/agreements.md §1): its
 * name, signatories, window and terms — and the body the hub takes, or the problems that keep it
 * from being sent, each at the hub's path of its field. Also the text read back from an agreement
 * (to edit a draft or counter a proposal) and from an uploaded GeoJSON file. No DOM.
 */
import { dtg, parseTime } from '../../format.ts';
import type { AnyGeometry } from '../../geo/path.ts';
import type { AgreementView, TermFeature } from '../../wire.ts';

/** The kinds of term, in the order the form offers them. */
export const TERM_KINDS = ['corridor', 'pause', 'pull_back', 'area_of_responsibility', 'permission'] as const;
export type TermKind = (typeof TERM_KINDS)[number];

/** One term as typed. */
export interface TermDraft {
  id: string;
  term: TermKind;
  geometry: AnyGeometry | null;
  /** Empty: the agreement's. */
  start: string;
  end: string;
  /** None ticked: the default (every signatory, or for an area of responsibility: whose it is). */
  parties: Set<string>;
  buffer: string;
  label: string;
  /** A permission: whose area of responsibility may be entered ('' = any signatory's). */
  of: string;
  /** A permission: the corridor term it holds within ('' = its own area). */
  within: string;
}

/** The agreement as typed. */
export interface AgreementDraft {
  name: string;
  parties: Set<string>;
  start: string;
  end: string;
  terms: TermDraft[];
}

/** What the form is for: a new draft, a draft edited, or a counter-proposal to a version. */
export type Purpose =
  | { mode: 'new' }
  | { mode: 'edit'; id: string; version: number }
  | { mode: 'counter'; id: string; version: number };

/** A problem, at the hub's path of its field. */
export interface Problem {
  path: string;
  message: string;
}

/** The body of POST /agreements, PUT /agreements/{id} and POST …/counter. */
export interface AgreementBody {
  name: string;
  parties: string[];
  start: string;
  end: string;
  terms: { type: 'FeatureCollection'; features: TermFeature[] };
}

/** A new, empty agreement of `party`: its window the next whole hour, for a day. */
export function emptyDraft(party: string, now = Date.now()): AgreementDraft {
  const HOUR = 3_600_000;
  const s = Math.ceil((now + 1) / HOUR) * HOUR;
  return { name: '', parties: new Set([party]), start: dtg(s), end: dtg(s + 24 * HOUR), terms: [] };
}

/** A term id not yet used in the draft: `corridor-1`, `pause-2`… */
export function nextTermId(d: AgreementDraft, kind: string): string {
  const used = new Set(d.terms.map((t) => t.id));
  const stem = kind.replace(/_/g, '-');
  for (let i = 1; ; i++) if (!used.has(`${stem}-${i}`)) return `${stem}-${i}`;
}

/** A new term of `kind` with this geometry (a corridor drawn as a line: 500 m either side). */
export function newTerm(d: AgreementDraft, kind: TermKind, geometry: AnyGeometry | null): TermDraft {
  return {
    id: nextTermId(d, kind),
    term: kind,
    geometry,
    start: '',
    end: '',
    parties: new Set(),
    buffer: kind === 'corridor' && geometry?.type === 'LineString' ? '500' : '0',
    label: '',
    of: '',
    within: kind === 'permission' ? (d.terms.find((t) => t.term === 'corridor')?.id ?? '') : '',
  };
}

/** The kind a drawn geometry most likely is: a line a corridor, an area a pause. */
export function kindForDrawn(g: AnyGeometry): TermKind {
  return g.type === 'LineString' ? 'corridor' : 'pause';
}

/** A time as the form shows it: a DTG when exact to the minute, else ISO. */
export function timeText(iso: string): string {
  const t = Date.parse(iso);
  return t % 60_000 === 0 ? dtg(t) : new Date(t).toISOString();
}

/** A typed time as ISO 8601 UTC, or the reason it cannot be read (null when empty). */
export function isoOf(typed: string): { iso: string | null; error?: string } {
  const text = typed.trim();
  if (text === '') return { iso: null };
  try {
    return { iso: new Date(parseTime(text)).toISOString().replace('.000Z', 'Z') };
  } catch (e) {
    return { iso: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The draft filled from an agreement's current text (to edit it, or to counter it). */
export function draftOf(a: AgreementView): AgreementDraft {
  return {
    name: a.agreement.name,
    parties: new Set(a.agreement.parties),
    start: timeText(a.agreement.start),
    end: timeText(a.agreement.end),
    terms: a.agreement.terms.features.map(termDraftOf),
  };
}

/** A term read back from a Feature (the hub's, or an uploaded file's). */
export function termDraftOf(f: TermFeature): TermDraft {
  const p = f.properties;
  return {
    id: p.id,
    term: (TERM_KINDS as readonly string[]).includes(p.term) ? (p.term as TermKind) : 'pause',
    geometry: f.geometry,
    start: p.start ? timeText(p.start) : '',
    end: p.end ? timeText(p.end) : '',
    parties: new Set(p.parties ?? []),
    buffer: String(p.buffer_m ?? 0),
    label: p.label ?? '',
    of: p.of ?? '',
    within: p.within ?? '',
  };
}

/** The body for the hub, or the problems found before asking it. */
export function bodyOf(d: AgreementDraft): { body: AgreementBody } | { problems: Problem[] } {
  const problems: Problem[] = [];
  if (d.name.trim() === '') problems.push({ path: 'name', message: 'Give the agreement a name.' });
  if (d.parties.size < 2)
    problems.push({ path: 'parties', message: 'Name at least two signatories (yours and another).' });
  const time = (typed: string, path: string, required: boolean): string | undefined => {
    const r = isoOf(typed);
    if (r.error !== undefined) problems.push({ path, message: r.error });
    else if (r.iso === null && required) problems.push({ path, message: 'Required: a DTG or ISO time.' });
    return r.iso ?? undefined;
  };
  const start = time(d.start, 'start', true);
  const end = time(d.end, 'end', true);
  if (start && end && Date.parse(start) >= Date.parse(end))
    problems.push({ path: 'end', message: 'The end must come after the start.' });
  if (d.terms.length === 0)
    problems.push({ path: 'terms', message: 'Add a term: draw it on the map or upload GeoJSON.' });
  const features = d.terms.map((t, i) => termFeature(t, `terms.features[${i}]`, time, problems));
  if (problems.length > 0 || !start || !end) return { problems };
  return {
    body: {
      name: d.name.trim(),
      parties: [...d.parties],
      start,
      end,
      terms: { type: 'FeatureCollection', features },
    },
  };
}

/** One term as the hub takes it (its problems added to `problems`). */
function termFeature(
  t: TermDraft,
  at: string,
  time: (typed: string, path: string, required: boolean) => string | undefined,
  problems: Problem[],
): TermFeature {
  const start = time(t.start, `${at}.properties.start`, false);
  const end = time(t.end, `${at}.properties.end`, false);
  const buffer = t.buffer.trim() === '' ? 0 : Number(t.buffer);
  if (!Number.isFinite(buffer) || buffer < 0)
    problems.push({ path: `${at}.properties.buffer_m`, message: 'A width in metres, 0 or more.' });
  const permission = t.term === 'permission';
  const inCorridor = permission && t.within !== '';
  if (!inCorridor && t.geometry === null)
    problems.push({
      path: `${at}.geometry`,
      message: 'Draw the term on the map (or hold it within a corridor).',
    });
  const properties: TermFeature['properties'] = {
    id: t.id,
    term: t.term,
    ...(start && { start }),
    ...(end && { end }),
    ...(t.parties.size > 0 && { parties: [...t.parties] }),
    ...(buffer > 0 && !inCorridor && { buffer_m: buffer }),
    ...(t.label.trim() !== '' && { label: t.label.trim() }),
    ...(permission && { rule: 'incursion' as const }),
    ...(permission && t.of !== '' && { of: t.of }),
    ...(inCorridor && { within: t.within }),
  };
  return { type: 'Feature', geometry: inCorridor ? null : t.geometry, properties };
}

/** The terms as the map draws them (what can be read of them so far). */
export function drawableTerms(d: AgreementDraft): TermFeature[] {
  return d.terms.map((t) => {
    const buffer = Number(t.buffer);
    const within = t.term === 'permission' && t.within !== '' ? t.within : undefined;
    const start = isoOf(t.start).iso;
    const end = isoOf(t.end).iso;
    return {
      type: 'Feature',
      geometry: within ? null : t.geometry,
      properties: {
        id: t.id,
        term: t.term,
        ...(start && { start }),
        ...(end && { end }),
        buffer_m: Number.isFinite(buffer) && buffer > 0 ? buffer : 0,
        ...(t.label && { label: t.label }),
      },
    };
  });
}

/**
 * Terms (and, for a whole agreement, its name, parties and window) read from an uploaded file:
 * a FeatureCollection of terms, or an agreement in the format of docs/agreements.md §1.
 */
export function readUpload(
  d: AgreementDraft,
  json: unknown,
): { added: number; whole: boolean } | { error: string } {
  const o = json as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return { error: 'not a JSON object' };
  const whole = 'terms' in o && typeof o.terms === 'object';
  const fc = (whole ? o.terms : o) as { type?: unknown; features?: unknown };
  if (fc?.type !== 'FeatureCollection' || !Array.isArray(fc.features))
    return { error: 'expected a GeoJSON FeatureCollection of terms, or an agreement with "terms"' };
  const added: TermDraft[] = [];
  for (const [i, f] of (fc.features as TermFeature[]).entries()) {
    if (f?.type !== 'Feature' || typeof f.properties !== 'object' || f.properties === null)
      return { error: `feature ${i + 1} is not a GeoJSON Feature with properties` };
    const term = termDraftOf({ ...f, properties: { ...f.properties, id: String(f.properties.id ?? '') } });
    if (term.id === '' || [...d.terms, ...added].some((t) => t.id === term.id))
      term.id = nextTermId({ ...d, terms: [...d.terms, ...added] }, term.term);
    added.push(term);
  }
  if (whole) {
    if (typeof o.name === 'string') d.name = o.name;
    if (Array.isArray(o.parties)) for (const p of o.parties) if (typeof p === 'string') d.parties.add(p);
    if (typeof o.start === 'string') d.start = o.start;
    if (typeof o.end === 'string') d.end = o.end;
  }
  d.terms.push(...added);
  return { added: added.length, whole };
}
