/**
 * Agreements on the map (docs/agreements.md): the terms of those in force — and, dimmer and
 * dashed, of those proposed or signed but not yet in force — in the agreements' own colour (sand:
 * never a party's blue or green, never a severity's red, orange, yellow or violet). A corridor is
 * its band to scale (the route widened by its `buffer_m`, geo/buffers.ts, as a declaration's
 * buffer is) with its axis; a pause is hatched, a pull-back cross-hatched with a dashed border,
 * an area of responsibility a heavy outline; a permission `within` a corridor is drawn by its
 * corridor. Each term is labelled with its kind, label and window. The agreement being drafted
 * in the Agreements panel is drawn the same way in the draft's white. No MapLibre here: map.ts
 * puts these into the `agr` source.
 */
import type { Feature as GJFeature, Geometry as GJGeometry } from 'geojson';
import { termLabel } from '../agreements.ts';
import { dtgWindow } from '../format.ts';
import { bufferOf } from '../geo/buffers.ts';
import type { AnyGeometry, Pos } from '../geo/path.ts';
import { anchorOf, drawnGeometry } from '../geo/shapes.ts';
import { shownTime, state } from '../store.ts';
import type { AgreementView, TermFeature } from '../wire.ts';
import { COLORS } from './style.ts';

type Props = Record<string, unknown>;
type GF = GJFeature<GJGeometry, Props>;

/** Statuses drawn, and how: in force bright; proposed or signed (not yet in force) dim. */
const SHOWN: Record<string, 'on' | 'dim'> = { in_force: 'on', signed: 'dim', proposed: 'dim' };

/** The terms of one agreement (or of the draft) as features, drawn in `color`. */
export function termFeatures(
  terms: readonly TermFeature[],
  o: { aid: string; name: string; start: string; end: string; shown: 'on' | 'dim'; color: string },
): GF[] {
  const t = shownTime();
  const out: GF[] = [];
  for (const term of terms) {
    const p = term.properties;
    const g = term.geometry;
    if (!g || !p) continue;
    const start = p.start ?? o.start;
    const end = p.end ?? o.end;
    const base: Props = {
      aid: o.aid,
      tid: p.id,
      term: p.term,
      color: o.color,
      dim: o.shown === 'dim',
      live: Date.parse(start) <= t && t < Date.parse(end),
    };
    out.push(...shapeOf(g, p.term, p.buffer_m ?? 0, base));
    const at = anchorOf(g);
    if (at) {
      const label = p.label ? ` “${p.label}”` : '';
      const text = `${termLabel(p.term)}${label}\n${dtgWindow(start, end)}${o.shown === 'dim' ? ' (not in force)' : ''}`;
      out.push(feature({ type: 'Point', coordinates: at }, { ...base, role: 'label', text }));
    }
  }
  return out;
}

/** A term's geometry as the layers draw it: its band (a corridor's buffer) or area, its lines. */
function shapeOf(g: AnyGeometry, term: string, buffer: number, base: Props): GF[] {
  const drawn = drawnGeometry(g);
  const area = g.type === 'Polygon' || g.type === 'MultiPolygon';
  const out: GF[] = [];
  for (const ring of bufferOf(g, buffer))
    out.push(feature({ type: 'Polygon', coordinates: [ring] }, { ...base, role: 'band' }));
  const color = base.color as string;
  const hatch = term === 'pause' ? `hatch:${color}` : term === 'pull_back' ? `xhatch:${color}` : '';
  if (area) out.push(feature(drawn, { ...base, role: 'area', hatch }));
  else if (g.type === 'LineString') out.push(feature(drawn, { ...base, role: 'axis' }));
  return out;
}

/** Every agreement held that the map shows, its terms as features. */
export function agreementFeatures(): GF[] {
  const out: GF[] = [];
  // Dim first: what is in force is drawn on top.
  const held = [...state.agreements.values()].filter((a) => SHOWN[a.status] !== undefined);
  held.sort((a, b) => Number(SHOWN[a.status] === 'on') - Number(SHOWN[b.status] === 'on'));
  for (const a of held) out.push(...featuresOf(a, SHOWN[a.status] as 'on' | 'dim', COLORS.agreement));
  return out;
}

/** One agreement's terms. */
function featuresOf(a: AgreementView, shown: 'on' | 'dim', color: string): GF[] {
  return termFeatures(a.agreement.terms.features, {
    aid: a.id,
    name: a.agreement.name,
    start: a.agreement.start,
    end: a.agreement.end,
    shown,
    color,
  });
}

/** The agreement being drafted: its terms in the draft's colour. */
export function agreementDraftFeatures(
  draft: { terms: readonly TermFeature[]; start: string; end: string } | null,
): GF[] {
  if (!draft) return [];
  return termFeatures(draft.terms, {
    aid: '',
    name: '',
    start: draft.start,
    end: draft.end,
    shown: 'on',
    color: COLORS.draft,
  }).map((f) => ({ ...f, properties: { ...f.properties, draft: true, live: true } }));
}

/** A term's geometry and band, as corners of its box (for bringing it into view). */
export function termPositions(terms: readonly TermFeature[]): Pos[] {
  const pts: Pos[] = [];
  for (const t of terms) {
    const g = t.geometry;
    if (!g) continue;
    for (const ring of bufferOf(g, t.properties.buffer_m ?? 0)) pts.push(...ring);
    const d = drawnGeometry(g);
    if (d.type === 'LineString') pts.push(...(d.coordinates as Pos[]));
    else if (d.type === 'Polygon') pts.push(...(d.coordinates as Pos[][]).flat());
    else if (d.type === 'MultiPolygon') pts.push(...(d.coordinates as Pos[][][]).flat(2));
    else if (d.type === 'Point') pts.push(d.coordinates as Pos);
  }
  return pts;
}

/** A term's geometry (a permission `within` a corridor: its corridor's), for a breach's glow. */
export function termGeometry(a: AgreementView, termId: string): AnyGeometry | null {
  const t = a.agreement.terms.features.find((x) => x.properties.id === termId);
  if (!t) return null;
  if (t.geometry) return t.geometry;
  const within = t.properties.within;
  return within ? termGeometry(a, within) : null;
}

/** A feature with these properties. */
const feature = (geometry: GJGeometry, properties: Props): GF => ({ type: 'Feature', geometry, properties });
