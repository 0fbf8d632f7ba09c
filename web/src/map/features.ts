/**
 * What the map draws, as GeoJSON features for the style's sources: the declarations the hub sent
 * this party, styled by kind, with their buffers to scale (geo/buffers.ts); the open conflicts
 * (both visible geometries glowing, the closest points joined with the distance); the draft and
 * a dry run's conflicts; the focus; the geometry being drawn. No MapLibre here: map.ts puts these
 * into its sources.
 *
 * Nothing is drawn that the hub did not send: a conflict's hidden side has no id, geometry or
 * closest points in the view, so only the own side is ever drawn. A sealed side
 * (docs/blind-matching.md) has no geometry anywhere, not even at its owner's console: a conflict
 * found blind draws its other side only.
 */
import type { Feature as GJFeature, Geometry as GJGeometry } from 'geojson';
import { parseTermRef } from '../agreements.ts';
import { altitudeText, distance } from '../format.ts';
import { bufferOf } from '../geo/buffers.ts';
import { type AnyGeometry, beside, type Pos, unroll } from '../geo/path.ts';
import {
  anchorOf,
  type Box,
  bboxOf,
  type Drawn,
  drawnGeometry,
  outlineOf,
  positionsOf,
} from '../geo/shapes.ts';
import { declarationName, isSealedSide } from '../labels.ts';
import { shownTime, state } from '../store.ts';
import type { ConflictView, Feature } from '../wire.ts';
import { termGeometry } from './agreements.ts';
import type { Draft, Geometry } from './api.ts';
import { COLORS, SEVERITIES } from './style.ts';
import { sidcFor } from './symbols.ts';

type Props = Record<string, unknown>;
/** A feature for one of the style's sources. */
export type GF = GJFeature<GJGeometry, Props>;
/** What the map can show in full: a declaration or a conflict. */
export type Target = { type: 'declaration' | 'conflict'; id: string };

/** A declaration prepared for drawing, cached until its version, buffer or geometry changes. */
interface Shape {
  key: string;
  geometry: Drawn;
  buffer: Pos[][];
  anchor: Pos | null;
  bbox: Box | null;
  /** Its box's area in square degrees: a click picks the smallest area under the pointer. */
  area: number;
}

const shapes = new Map<string, Shape>();

/** A declaration's geometry, buffer, anchor and box, computed once per version. */
function shapeOf(f: Feature): Shape {
  const key = `${f.id}@${f.properties.version}@${f.properties.buffer_m}@${JSON.stringify(f.geometry.coordinates).length}`;
  const cached = shapes.get(f.id);
  if (cached && cached.key === key) return cached;
  const geometry = drawnGeometry(f.geometry);
  const buffer = bufferOf(f.geometry, f.properties.buffer_m ?? 0);
  const bbox = bboxOf([...positionsOf(geometry), ...buffer.flat()]);
  const shape: Shape = {
    key,
    geometry,
    buffer,
    anchor: anchorOf(f.geometry),
    bbox,
    area: bbox ? Math.max(1e-12, (bbox[2] - bbox[0]) * (bbox[3] - bbox[1])) : 0,
  };
  shapes.set(f.id, shape);
  return shape;
}

/** The area of a declaration's box, for picking (Infinity when it was never drawn). */
export function areaOf(id: string): number {
  return shapes.get(id)?.area ?? Infinity;
}

/** Whether a window [start, end) holds the instant t. */
function liveAt(start: string, end: string | null, t: number): boolean {
  return Date.parse(start) <= t && (end === null || t < Date.parse(end));
}

/** A declaration's label on the map: its name (and party when not ours), its altitude band. */
function declarationText(f: Feature): string {
  const p = f.properties;
  const name = declarationName(f);
  const short = name.length > 48 ? `${name.slice(0, 46)}…` : name;
  const alt = p.altitude ? `\n${altitudeText(p.altitude)}` : '';
  const own = p.party === state.me?.party ? '' : ` (${p.party})`;
  return `${short}${own}${alt}`;
}

/** The image for a declaration's symbol (symbols.ts names), or '' for none. */
function iconOf(kind: string, own: boolean, category: string | undefined, color: string): string {
  if (kind === 'protected_site') {
    const sidc = sidcFor(kind, own, category);
    return sidc ? `ms:${sidc}` : `site:${category ?? 'other'}`;
  }
  if (kind === 'strike') return `mono:${sidcFor(kind, own) ?? ''}:${color}`;
  if (kind === 'air_operation' || kind === 'movement') return `ms:${sidcFor(kind, own) ?? ''}`;
  return '';
}

/**
 * The hatching of a kind's areas and buffers: crossed for a restricted zone, diagonal for an air
 * operation's airspace, none for the rest ('' is none).
 */
function hatchOf(kind: string, color: string): string {
  if (kind === 'restricted_zone') return `xhatch:${color}`;
  if (kind === 'air_operation') return `hatch:${color}`;
  return '';
}

/**
 * A declaration's styling, as the properties its layers read: the colour of its party's
 * affiliation (own: friend, any other: neutral) whatever its kind — the severity colours are
 * the conflicts' alone — and the kind in line style, hatching and symbol.
 */
function styleOf(f: Feature): Props {
  const p = f.properties;
  const own = p.party === state.me?.party;
  const kind = p.kind;
  const color = own ? COLORS.own : COLORS.other;
  const poly = f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon';
  const hatch = hatchOf(kind, color);
  return {
    id: p.id,
    kind,
    party: p.party,
    own,
    color,
    icon: iconOf(kind, own, p.category, color),
    hatch: poly ? hatch : '',
    dash: kind === 'air_operation',
    width:
      kind === 'area_of_responsibility' || kind === 'restricted_zone' ? 2.5 : kind === 'movement' ? 3 : 2,
    fill:
      kind === 'area_of_responsibility' ? 0.035 : kind === 'protected_site' || kind === 'strike' ? 0.12 : 0,
    bhatch: hatch,
    bfill: kind === 'movement' ? 0.18 : kind === 'strike' ? 0.14 : kind === 'protected_site' ? 0.1 : 0.08,
    bdash: kind === 'strike',
    text: declarationText(f),
    live: liveAt(p.start, p.end, shownTime()),
  };
}

/** A feature with these properties. */
const feature = (geometry: GJGeometry, properties: Props): GF => ({ type: 'Feature', geometry, properties });

/** The declarations' geometries, buffers and symbols; live ones above those outside their window. */
export function declarationFeatures(): { decl: GF[]; buffer: GF[]; sym: GF[] } {
  const decl: GF[] = [];
  const buffer: GF[] = [];
  const sym: GF[] = [];
  for (const f of state.declarations.values()) {
    const s = shapeOf(f);
    const props = styleOf(f);
    decl.push(feature(s.geometry, props));
    for (const ring of s.buffer) buffer.push(feature({ type: 'Polygon', coordinates: [ring] }, props));
    if (s.anchor) sym.push(feature({ type: 'Point', coordinates: s.anchor }, props));
  }
  const order = (a: GF, b: GF) => Number(a.properties.live) - Number(b.properties.live);
  return { decl: decl.sort(order), buffer: buffer.sort(order), sym: sym.sort(order) };
}

/** A severity's rank: 0 for critical … 3 for low (the style's sort keys and filters read it). */
const rankOf = (severity: string): number => {
  const i = (SEVERITIES as readonly string[]).indexOf(severity);
  return i < 0 ? SEVERITIES.length - 1 : i;
};

/** The open conflicts, the most severe drawn last (on top). */
export function openConflictFeatures(): GF[] {
  const t = shownTime();
  return [...state.conflicts.values()]
    .filter((c) => c.status === 'open')
    .sort((a, b) => rankOf(b.severity) - rankOf(a.severity))
    .flatMap((c) => conflictFeatures(c, COLORS.severity[c.severity], t));
}

/** A dry run's conflicts, in the preview colour. */
export function previewFeatures(preview: readonly ConflictView[]): GF[] {
  return preview.flatMap((c) => conflictFeatures(c, COLORS.preview, shownTime()));
}

/** The geometry features of a conflict's visible sides, and its link. Hidden sides: nothing. */
function conflictFeatures(c: ConflictView, color: string, t: number): GF[] {
  const base = {
    cid: c.id,
    color,
    severity: c.severity,
    rank: rankOf(c.severity),
    live: liveAt(c.window.start, c.window.end, t),
  };
  const out: GF[] = [];
  for (const side of [c.a, c.b]) {
    if ('hidden' in side || isSealedSide(side)) continue;
    const g = sideGeometry(side.id);
    if (g) out.push(feature(outlineOf(g), { ...base, role: 'glow' }));
  }
  // Found blind (a sealed side): no closest points, no distance — nothing to join.
  if (c.closest && c.matched_slots === undefined) out.push(...linkFeatures(c, c.closest, base));
  return out;
}

/**
 * The geometry of a conflict's side: a declaration held, or — a breach's side — the term of an
 * agreement held (`agreement:<id>/<term>`).
 */
function sideGeometry(id: string): AnyGeometry | null {
  const f = state.declarations.get(id);
  if (f) return f.geometry;
  const ref = parseTermRef(id);
  const a = ref ? state.agreements.get(ref.agreement) : undefined;
  return a && ref ? termGeometry(a, ref.term) : null;
}

/** The closest points of a conflict joined (drawn the short way), its ends, and its label. */
function linkFeatures(c: ConflictView, closest: [[number, number], [number, number]], base: Props): GF[] {
  const [p, far] = closest;
  const q = beside(far, p[0]);
  const apart = c.distance_m === undefined ? '' : c.distance_m === 0 ? 'overlap' : distance(c.distance_m);
  const text = `${c.severity.toUpperCase()} · ${c.rule.replace(/_/g, ' ')} · ${apart}`;
  const out: GF[] = [];
  if (p[0] !== q[0] || p[1] !== q[1])
    out.push(feature({ type: 'LineString', coordinates: [p, q] }, { ...base, role: 'link' }));
  out.push(feature({ type: 'Point', coordinates: p }, { ...base, role: 'end' }));
  out.push(feature({ type: 'Point', coordinates: q }, { ...base, role: 'end' }));
  const middle: Pos = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
  out.push(feature({ type: 'Point', coordinates: middle }, { ...base, role: 'label', text }));
  return out;
}

/** The declaration being prepared: its geometry and its buffer to scale. */
export function draftFeatures(draft: Draft | null): GF[] {
  if (!draft) return [];
  const g = draft.geometry;
  return [
    feature(drawnGeometry(g), { role: 'geometry' }),
    ...bufferOf(g, draft.buffer_m).map((ring) =>
      feature({ type: 'Polygon', coordinates: [ring] }, { role: 'buffer' }),
    ),
  ];
}

/** The highlight: a declaration's outline and buffer, or a conflict's visible sides and link. */
export function focusFeatures(
  target: Target | null,
  conflict: (id: string) => ConflictView | undefined,
): GF[] {
  if (target?.type === 'declaration') return declarationFocus(target.id, true);
  const c = target?.type === 'conflict' ? conflict(target.id) : undefined;
  if (!c) return [];
  const sides = [c.a, c.b].flatMap((side) => ('hidden' in side ? [] : sideFocus(side.id)));
  return c.closest ? [...sides, feature({ type: 'LineString', coordinates: unroll(c.closest) }, {})] : sides;
}

/** A conflict's side highlighted: a declaration's outline, or a term's. */
function sideFocus(id: string): GF[] {
  if (state.declarations.has(id)) return declarationFocus(id, false);
  const g = sideGeometry(id);
  return g ? [feature(outlineOf(g), {})] : [];
}

/** One declaration's outline, with its buffer's outline when asked. */
function declarationFocus(id: string, withBuffer: boolean): GF[] {
  const f = state.declarations.get(id);
  if (!f) return [];
  const buffers = withBuffer ? shapeOf(f).buffer : [];
  return [
    feature(outlineOf(f.geometry), {}),
    ...buffers.map((ring) => feature({ type: 'LineString', coordinates: ring }, {})),
  ];
}

/** The geometry being drawn: its vertices, and the line or polygon so far (to the cursor). */
export function drawingFeatures(mode: Geometry['type'], pts: readonly Pos[], cursor: Pos | null): GF[] {
  const all = cursor ? [...pts, cursor] : [...pts];
  const feats = pts.map((p) => feature({ type: 'Point', coordinates: p }, {}));
  if (mode === 'Polygon' && all.length >= 3)
    feats.push(feature({ type: 'Polygon', coordinates: [[...all, all[0] as Pos]] }, {}));
  else if (mode !== 'Point' && all.length >= 2)
    feats.push(feature({ type: 'LineString', coordinates: all }, {}));
  return feats;
}

/** The box to show a target in: its declarations' boxes and closest points; null if not held. */
export function boundsOf(t: Target, conflict: (id: string) => ConflictView | undefined): Box | null {
  const pts: Pos[] = [];
  const addDecl = (id: string) => {
    const f = state.declarations.get(id);
    if (!f) return false;
    const b = shapeOf(f).bbox;
    if (b) pts.push([b[0], b[1]], [b[2], b[3]]);
    return true;
  };
  if (t.type === 'declaration') {
    if (!addDecl(t.id)) return null;
  } else {
    const c = conflict(t.id);
    if (!c) return null;
    for (const side of [c.a, c.b]) {
      if ('hidden' in side || addDecl(side.id)) continue;
      const g = sideGeometry(side.id);
      if (g) pts.push(...positionsOf(g));
    }
    if (c.closest) pts.push(...unroll(c.closest));
  }
  return bboxOf(pts);
}

/** A declaration's box (with its buffer) as two corners, or none. */
function cornersOf(f: Feature): Pos[] {
  const b = shapeOf(f).bbox;
  return b
    ? [
        [b[0], b[1]],
        [b[2], b[3]],
      ]
    : [];
}

/**
 * The theatre that concerns the party, for the first view: its own declarations (with their
 * buffers) and where its open conflicts are (their closest points; the other party's side is
 * not framed whole: a long transit corridor or a neighbour's whole area of responsibility would
 * zoom the view out past what matters). Without either, everything the party may see. Null
 * when nothing is held.
 */
export function theatreBounds(): Box | null {
  const me = state.me?.party;
  const pts: Pos[] = [];
  for (const f of state.declarations.values()) if (f.properties.party === me) pts.push(...cornersOf(f));
  for (const c of state.conflicts.values())
    if (c.status === 'open' && c.closest) pts.push(...unroll(c.closest));
  if (pts.length === 0) for (const f of state.declarations.values()) pts.push(...cornersOf(f));
  return bboxOf(pts);
}

/** The box of a geometry with its buffer, and of other points to show with it (a dry run's). */
export function geometryBounds(g: Geometry, buffer_m: number, also: readonly Pos[] = []): Box | null {
  return bboxOf([...positionsOf(drawnGeometry(g)), ...bufferOf(g, buffer_m).flat(), ...also]);
}
