/**
 * The map: MapLibre GL with a style that has no external source at all — a dark sea, Natural
 * Earth land and borders, GSHHG rivers and the major cities, all read from the hub's own /assets, labels drawn
 * with the browser's local fonts (no glyphs URL) and symbols drawn on canvases (symbols.ts).
 *
 * On it: the declarations the hub sent this party, styled by kind, with their buffers drawn to
 * scale (geodesic circles and corridors computed in metres on WGS 84); the party's open
 * conflicts (both geometries highlighted, the closest points joined with the distance); the
 * picture at the time of the time bar (declarations outside their window are dimmed); the draft
 * and dry-run conflicts of the Declare panel; and click-to-draw.
 *
 * Nothing is drawn that the hub did not send: a conflict's hidden side has no id, geometry or
 * closest points in the view, so only the own side is ever drawn.
 */

import geodesic from 'geographiclib-geodesic';
import type { FeatureCollection, Feature as GJFeature, Geometry as GJGeometry } from 'geojson';
import maplibregl, {
  type ExpressionSpecification,
  type GeoJSONSource,
  type LayerSpecification,
  type MapGeoJSONFeature,
  type MapMouseEvent,
  type StyleSpecification,
} from 'maplibre-gl';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { h } from './dom.ts';
import { distance, place } from './format.ts';
import type { Draft, Geometry, MapApi } from './mapapi.ts';
import { type ConflictView, type Feature, on, select, shownTime, state } from './store.ts';
import { altitudeText, makeImage, sidcFor } from './symbols.ts';

type Pos = [number, number];
type Props = Record<string, unknown>;
type GF = GJFeature<GJGeometry, Props>;

export const COLORS = {
  own: '#4ea1ff',
  other: '#e0a030',
  restricted: '#ff3b3b',
  draft: '#f5f7fa',
  preview: '#ff4fd8',
  focus: '#ffffff',
  severity: { critical: '#ff3b3b', high: '#ff9f1a', medium: '#f2d024', low: '#7fb3ff' } as Record<
    string,
    string
  >,
};

/** The demo scenario's area (Arad, Romania): where the map opens before anything is loaded. */
const DEMO_BOUNDS: [Pos, Pos] = [
  [21.2, 46.1],
  [21.4, 46.25],
];

// --- Geodesy (WGS 84, GeographicLib) ----------------------------------------------------------

const GEO = geodesic.Geodesic;
const G = GEO.WGS84;
const DIRECT = GEO.LATITUDE | GEO.LONGITUDE | GEO.LONG_UNROLL;

function dest(p: Pos, azi: number, s: number): Pos {
  const r = G.Direct(p[1], p[0], azi, s, DIRECT);
  return [r.lon2 ?? p[0], r.lat2 ?? p[1]];
}

function inverse(a: Pos, b: Pos): { s: number; azi1: number; azi2: number } {
  const r = G.Inverse(a[1], a[0], b[1], b[0]);
  return { s: r.s12 ?? 0, azi1: r.azi1 ?? 0, azi2: r.azi2 ?? 0 };
}

/** A geodesic circle: every vertex exactly `r` metres from the centre. */
export function circle(c: Pos, r: number, n = 72): Pos[] {
  const ring: Pos[] = [];
  for (let i = 0; i < n; i++) ring.push(dest(c, (i * 360) / n, r));
  ring.push(ring[0] as Pos);
  return ring;
}

/** Extra vertices along long edges, so that drawn edges follow the geodesic they stand for. */
function densify(pts: Pos[], step = 20_000): Pos[] {
  const out: Pos[] = [];
  for (let i = 0; i < pts.length; i++) {
    const a = pts[i] as Pos;
    out.push(a);
    const b = pts[i + 1];
    if (!b) break;
    const { s } = inverse(a, b);
    if (s <= step) continue;
    const line = G.InverseLine(a[1], a[0], b[1], b[0], DIRECT | GEO.DISTANCE_IN);
    const n = Math.ceil(s / step);
    for (let k = 1; k < n; k++) {
      const q = line.Position((s * k) / n, DIRECT);
      out.push([q.lon2 ?? a[0], q.lat2 ?? a[1]]);
    }
  }
  return out;
}

function dedupe(pts: Pos[]): Pos[] {
  const out: Pos[] = [];
  for (const p of pts) {
    const q = out[out.length - 1];
    if (!q || q[0] !== p[0] || q[1] !== p[1]) out.push(p);
  }
  return out;
}

const norm180 = (a: number): number => {
  let x = ((((a + 180) % 360) + 360) % 360) - 180;
  if (x === -180) x = 180;
  return x;
};

/**
 * The outline of everything within `r` metres of a path, offset on its left: the vertices are
 * walked as a closed ring (an open line goes out and back, so its ends become round caps), outer
 * corners get geodesic arcs, inner corners the miter point. Every offset point is a geodesic
 * `Direct` of `r` m (or `r / cos` for a miter). Returns null when the simple outline does not
 * hold — an inner corner whose neighbouring edges are shorter than its miter, or an outline
 * that crosses itself (a route that comes back near itself) — so the caller can fall back to
 * union-free pieces.
 */
function offsetRing(ring: Pos[], r: number): Pos[] | null {
  const m = ring.length;
  const segs = ring.map((p, k) => inverse(p, ring[(k + 1) % m] as Pos));
  const out: Pos[] = [];
  for (let k = 0; k < m; k++) {
    const p = ring[k] as Pos;
    const sin = segs[(k - 1 + m) % m] as { s: number; azi2: number };
    const sout = segs[k] as { s: number; azi1: number };
    const hin = sin.azi2;
    let turn = norm180(sout.azi1 - hin);
    if (Math.abs(turn) > 179) turn = 180; // reversal at the end of an open line: a round cap
    const n0 = hin - 90;
    if (turn > 1) {
      const steps = Math.max(1, Math.ceil(turn / 8));
      for (let i = 0; i <= steps; i++) out.push(dest(p, n0 + (turn * i) / steps, r));
    } else if (turn < -1) {
      const half = (Math.abs(turn) / 2) * (Math.PI / 180);
      const along = r * Math.tan(half);
      if (along > Math.min(sin.s, sout.s) || half >= (80 * Math.PI) / 180) return null;
      out.push(dest(p, n0 + turn / 2, r / Math.cos(half)));
    } else {
      out.push(dest(p, n0 + turn / 2, r));
    }
  }
  out.push(out[0] as Pos);
  return selfIntersects(out) ? null : out;
}

/** Whether a closed ring crosses itself (checked up to 4,000 vertices; beyond, assumed not). */
function selfIntersects(ring: Pos[]): boolean {
  const n = ring.length - 1;
  if (n > 4000) return false;
  const orient = (a: Pos, b: Pos, c: Pos) =>
    Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  for (let i = 0; i < n; i++) {
    const a = ring[i] as Pos;
    const b = ring[i + 1] as Pos;
    const [minX, maxX] = a[0] < b[0] ? [a[0], b[0]] : [b[0], a[0]];
    const [minY, maxY] = a[1] < b[1] ? [a[1], b[1]] : [b[1], a[1]];
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      const c = ring[j] as Pos;
      const d = ring[j + 1] as Pos;
      if (Math.max(c[0], d[0]) < minX || Math.min(c[0], d[0]) > maxX) continue;
      if (Math.max(c[1], d[1]) < minY || Math.min(c[1], d[1]) > maxY) continue;
      if (orient(a, b, c) * orient(a, b, d) < 0 && orient(c, d, a) * orient(c, d, b) < 0) return true;
    }
  }
  return false;
}

/** Sum of the turns around a closed ring (without its closing vertex): +360 clockwise. */
function turning(ring: Pos[]): number {
  const m = ring.length;
  const segs = ring.map((p, k) => inverse(p, ring[(k + 1) % m] as Pos));
  let sum = 0;
  for (let k = 0; k < m; k++) {
    sum += norm180((segs[k] as { azi1: number }).azi1 - (segs[(k - 1 + m) % m] as { azi2: number }).azi2);
  }
  return sum;
}

/** A stadium around one edge: everything within `r` of it. */
function capsule(a: Pos, b: Pos, r: number): Pos[] {
  return offsetRing([a, b], r) ?? circle(a, r);
}

/**
 * The buffer of a geometry, to scale: a circle, a corridor, or a polygon grown outward. When one
 * clean outline cannot be drawn, the corridor is the union-free set of per-edge stadiums (plus
 * the polygon itself): the same area, drawn in overlapping pieces.
 */
export function bufferOf(g: { type: string; coordinates: unknown }, r: number): Pos[][] {
  if (!(r > 0)) return [];
  if (g.type === 'Point') return [circle(g.coordinates as Pos, r)];
  const pieces = (v: Pos[]) => v.slice(1).map((b, i) => capsule(v[i] as Pos, b, r));
  if (g.type === 'LineString') {
    const v = dedupe(densify(g.coordinates as Pos[]));
    if (v.length === 1) return [circle(v[0] as Pos, r)];
    // Out along the line and back: the ends become 180° turns, i.e. round caps.
    const ring = offsetRing([...v, ...v.slice(1, -1).reverse()], r);
    return ring ? [ring] : pieces(v);
  }
  const polys =
    g.type === 'Polygon'
      ? [g.coordinates as Pos[][]]
      : g.type === 'MultiPolygon'
        ? (g.coordinates as Pos[][][])
        : [];
  const out: Pos[][] = [];
  for (const poly of polys) {
    const outer = poly[0];
    if (!outer) continue;
    let v = dedupe(densify(outer));
    if (v.length > 1 && v[0]?.[0] === v[v.length - 1]?.[0] && v[0]?.[1] === v[v.length - 1]?.[1])
      v = v.slice(0, -1);
    if (v.length < 3) continue;
    if (turning(v) < 0) v = v.reverse();
    const ring = offsetRing(v, r);
    if (ring) out.push(ring);
    else out.push([...v, v[0] as Pos], ...pieces([...v, v[0] as Pos]));
  }
  return out;
}

function densifyGeometry(g: { type: string; coordinates: unknown }): GJGeometry {
  switch (g.type) {
    case 'LineString':
      return { type: 'LineString', coordinates: densify(g.coordinates as Pos[]) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: (g.coordinates as Pos[][]).map((r) => densify(r)) };
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: (g.coordinates as Pos[][][]).map((p) => p.map((r) => densify(r))),
      };
    default:
      return g as GJGeometry;
  }
}

function positions(g: { type: string; coordinates: unknown }): Pos[] {
  switch (g.type) {
    case 'Point':
      return [g.coordinates as Pos];
    case 'LineString':
      return g.coordinates as Pos[];
    case 'Polygon':
      return (g.coordinates as Pos[][]).flat();
    case 'MultiPolygon':
      return (g.coordinates as Pos[][][]).flat(2);
    default:
      return [];
  }
}

type Box = [number, number, number, number];
function bboxOf(pts: Pos[]): Box | null {
  if (pts.length === 0) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) {
    w = Math.min(w, x);
    e = Math.max(e, x);
    s = Math.min(s, y);
    n = Math.max(n, y);
  }
  return [w, s, e, n];
}

/** Where a declaration's symbol and label go: the point, a line's middle, an area's centre. */
function anchorOf(g: { type: string; coordinates: unknown }): Pos | null {
  if (g.type === 'Point') return g.coordinates as Pos;
  if (g.type === 'LineString') {
    const pts = g.coordinates as Pos[];
    const lens = pts.slice(1).map((p, i) => inverse(pts[i] as Pos, p).s);
    const half = lens.reduce((a, b) => a + b, 0) / 2;
    let acc = 0;
    for (let i = 0; i < lens.length; i++) {
      const l = lens[i] as number;
      if (acc + l >= half && l > 0) {
        const a = pts[i] as Pos;
        const { azi1 } = inverse(a, pts[i + 1] as Pos);
        return dest(a, azi1, half - acc);
      }
      acc += l;
    }
    return pts[0] ?? null;
  }
  const outer =
    g.type === 'Polygon'
      ? (g.coordinates as Pos[][])[0]
      : g.type === 'MultiPolygon'
        ? (g.coordinates as Pos[][][])[0]?.[0]
        : undefined;
  if (!outer || outer.length === 0) return null;
  const ring = outer.slice(0, -1);
  const b = bboxOf(ring) as Box;
  const c: Pos = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  if (pointInRing(c, ring)) return c;
  const avg: Pos = [
    ring.reduce((a, p) => a + p[0], 0) / ring.length,
    ring.reduce((a, p) => a + p[1], 0) / ring.length,
  ];
  return pointInRing(avg, ring) ? avg : (ring[0] as Pos);
}

function pointInRing(p: Pos, ring: Pos[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i] as Pos;
    const b = ring[j] as Pos;
    if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0])
      inside = !inside;
  }
  return inside;
}

/** Lines to highlight a geometry: its edges, or the point itself. */
function outlineOf(g: { type: string; coordinates: unknown }): GJGeometry {
  switch (g.type) {
    case 'Polygon':
      return { type: 'MultiLineString', coordinates: (g.coordinates as Pos[][]).map((r) => densify(r)) };
    case 'MultiPolygon':
      return {
        type: 'MultiLineString',
        coordinates: (g.coordinates as Pos[][][]).flat().map((r) => densify(r)),
      };
    case 'LineString':
      return { type: 'LineString', coordinates: densify(g.coordinates as Pos[]) };
    default:
      return g as GJGeometry;
  }
}

// --- Declarations as map features -------------------------------------------------------------

interface Shape {
  key: string;
  geometry: GJGeometry;
  buffer: Pos[][];
  anchor: Pos | null;
  bbox: Box | null;
  area: number;
}

const shapes = new Map<string, Shape>();

function shapeOf(f: Feature): Shape {
  const key = `${f.id}@${f.properties.version}@${f.properties.buffer_m}@${JSON.stringify(f.geometry.coordinates).length}`;
  const cached = shapes.get(f.id);
  if (cached && cached.key === key) return cached;
  const g = f.geometry;
  const buffer = bufferOf(g, f.properties.buffer_m ?? 0);
  const bbox = bboxOf([...positions(g), ...buffer.flat()]);
  const shape: Shape = {
    key,
    geometry: densifyGeometry(g),
    buffer,
    anchor: anchorOf(g),
    bbox,
    area: bbox ? Math.max(1e-12, (bbox[2] - bbox[0]) * (bbox[3] - bbox[1])) : 0,
  };
  shapes.set(f.id, shape);
  return shape;
}

function liveAt(start: string, end: string | null, t: number): boolean {
  return Date.parse(start) <= t && (end === null || t < Date.parse(end));
}

function declarationText(f: Feature): string {
  const p = f.properties;
  const name = p.label && p.label.length > 0 ? p.label : p.id;
  const short = name.length > 48 ? `${name.slice(0, 46)}…` : name;
  const alt = p.altitude ? `\n${altitudeText(p.altitude)}` : '';
  const own = p.party === state.me?.party ? '' : ` (${p.party})`;
  return `${short}${own}${alt}`;
}

function styleOf(f: Feature): Props {
  const p = f.properties;
  const own = p.party === state.me?.party;
  const kind = p.kind;
  const color = kind === 'restricted_zone' ? COLORS.restricted : own ? COLORS.own : COLORS.other;
  const poly = f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon';
  let icon = '';
  if (kind === 'protected_site') {
    const sidc = sidcFor(kind, own, p.category);
    icon = sidc ? `ms:${sidc}` : `site:${p.category ?? 'other'}`;
  } else if (kind === 'strike') {
    icon = `mono:${sidcFor(kind, own) ?? ''}:${color}`;
  } else if (kind === 'air_operation' || kind === 'movement') {
    icon = `ms:${sidcFor(kind, own) ?? ''}`;
  }
  const hatch = kind === 'restricted_zone' || (kind === 'air_operation' && poly) ? `hatch:${color}` : '';
  const dash = kind === 'air_operation';
  const width =
    kind === 'area_of_responsibility' ? 2.5 : kind === 'movement' ? 3 : kind === 'restricted_zone' ? 2 : 2;
  const fill =
    kind === 'area_of_responsibility' ? 0.035 : kind === 'protected_site' || kind === 'strike' ? 0.12 : 0;
  const bufferHatch = kind === 'air_operation' || kind === 'restricted_zone' ? `hatch:${color}` : '';
  const bufferFill =
    kind === 'movement' ? 0.18 : kind === 'strike' ? 0.14 : kind === 'protected_site' ? 0.1 : 0.08;
  return {
    id: p.id,
    kind,
    party: p.party,
    own,
    color,
    icon,
    hatch,
    dash,
    width,
    fill,
    bhatch: bufferHatch,
    bfill: bufferFill,
    bdash: kind === 'strike',
    text: declarationText(f),
    live: liveAt(p.start, p.end, shownTime()),
  };
}

/**
 * One feature per polygon, latitudes clamped to Web Mercator's limit (Antarctica's ring runs
 * along the pole): a giant multipolygon triangulates badly at low zoom.
 */
function landPolygons(fc: FeatureCollection | GJFeature): FeatureCollection {
  const out: GJFeature[] = [];
  const clamp = (rings: Pos[][]) =>
    rings.map((r) => r.map(([x, y]) => [x, Math.max(-85, Math.min(85, y))] as Pos));
  const add = (g: GJGeometry | null) => {
    if (g?.type === 'Polygon')
      out.push({
        type: 'Feature',
        properties: {},
        geometry: { type: 'Polygon', coordinates: clamp(g.coordinates as Pos[][]) },
      });
    else if (g?.type === 'MultiPolygon')
      for (const p of g.coordinates) add({ type: 'Polygon', coordinates: p });
  };
  for (const f of fc.type === 'FeatureCollection' ? fc.features : [fc]) add(f.geometry);
  return { type: 'FeatureCollection', features: out };
}

// --- The style --------------------------------------------------------------------------------

const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };
const SOURCES = [
  'land',
  'rivers',
  'coast',
  'borders',
  'cities',
  'decl',
  'buffer',
  'sym',
  'cf',
  'focus',
  'draft',
  'drawing',
  'preview',
];
const FONT = ['sans-serif'];
const live = (on: number, off: number): ExpressionSpecification => ['case', ['get', 'live'], on, off];
const isType = (t: string): ExpressionSpecification => ['==', ['geometry-type'], t];

function layers(): LayerSpecification[] {
  const poly: ExpressionSpecification = ['any', isType('Polygon'), isType('MultiPolygon')];
  const lines: ExpressionSpecification = ['any', isType('LineString'), isType('MultiLineString')];
  return [
    { id: 'sea', type: 'background', paint: { 'background-color': '#0a1622' } },
    { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#1a2029' } },
    {
      // GSHHG classes: 1 double-lined, 2 permanent major, 3 additional major, 4 additional rivers.
      id: 'rivers',
      type: 'line',
      source: 'rivers',
      paint: {
        'line-color': '#27577a',
        // Continental views show the major rivers only; the others fade in from zoom 4 to 6.
        'line-opacity': [
          'interpolate',
          ['linear'],
          ['zoom'],
          4,
          ['case', ['<=', ['get', 'level'], 3], 1, 0],
          6,
          1,
        ],
        'line-width': ['interpolate', ['linear'], ['zoom'], 2, 0.5, 6, 0.9, 10, 1.6, 14, 2.4],
      },
    },
    { id: 'coast', type: 'line', source: 'coast', paint: { 'line-color': '#33414f', 'line-width': 0.8 } },
    {
      id: 'borders',
      type: 'line',
      source: 'borders',
      paint: {
        'line-color': '#5b6878',
        'line-width': ['interpolate', ['linear'], ['zoom'], 2, 0.6, 10, 1.4],
        'line-dasharray': [3, 2],
      },
    },
    {
      id: 'city-dot',
      type: 'circle',
      source: 'cities',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 2, 1.2, 8, 2.5, 12, 3.5],
        'circle-color': '#9aa6b2',
        'circle-opacity': 0.75,
      },
    },
    {
      id: 'city-label',
      type: 'symbol',
      source: 'cities',
      minzoom: 5,
      layout: {
        'text-field': ['get', 'name'],
        'text-font': FONT,
        'text-size': ['interpolate', ['linear'], ['zoom'], 5, 10, 10, 12],
        'text-offset': [0, 0.6],
        'text-anchor': 'top',
        'symbol-sort-key': ['-', 0, ['get', 'population']],
      },
      paint: { 'text-color': '#8d98a5', 'text-halo-color': '#0a1622', 'text-halo-width': 1.2 },
    },
    // Declarations: faint fills, hatches, buffers, outlines.
    {
      id: 'decl-fill',
      type: 'fill',
      source: 'decl',
      filter: poly,
      paint: { 'fill-color': ['get', 'color'], 'fill-opacity': ['*', ['get', 'fill'], live(1, 0.4)] },
    },
    {
      id: 'decl-hatch',
      type: 'fill',
      source: 'decl',
      filter: ['all', poly, ['!=', ['get', 'hatch'], '']],
      paint: { 'fill-pattern': ['get', 'hatch'], 'fill-opacity': live(0.55, 0.15) },
    },
    {
      id: 'buffer-fill',
      type: 'fill',
      source: 'buffer',
      filter: ['==', ['get', 'bhatch'], ''],
      paint: { 'fill-color': ['get', 'color'], 'fill-opacity': ['*', ['get', 'bfill'], live(1, 0.35)] },
    },
    {
      id: 'buffer-hatch',
      type: 'fill',
      source: 'buffer',
      filter: ['!=', ['get', 'bhatch'], ''],
      paint: { 'fill-pattern': ['get', 'bhatch'], 'fill-opacity': live(0.45, 0.12) },
    },
    {
      id: 'buffer-line',
      type: 'line',
      source: 'buffer',
      filter: ['!', ['get', 'bdash']],
      paint: { 'line-color': ['get', 'color'], 'line-width': 1, 'line-opacity': live(0.85, 0.3) },
    },
    {
      id: 'buffer-line-dash',
      type: 'line',
      source: 'buffer',
      filter: ['get', 'bdash'],
      paint: {
        'line-color': ['get', 'color'],
        'line-width': 1.3,
        'line-opacity': live(0.95, 0.3),
        'line-dasharray': [3, 2],
      },
    },
    // Conflicts: both geometries glow in the severity's colour.
    {
      id: 'cf-glow',
      type: 'line',
      source: 'cf',
      filter: ['all', ['==', ['get', 'role'], 'glow'], ['!=', ['geometry-type'], 'Point']],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': ['get', 'color'],
        'line-width': 9,
        'line-blur': 4,
        'line-opacity': live(0.75, 0.35),
      },
    },
    {
      id: 'cf-glow-pt',
      type: 'circle',
      source: 'cf',
      filter: ['all', ['==', ['get', 'role'], 'glow'], isType('Point')],
      paint: {
        'circle-color': ['get', 'color'],
        'circle-radius': 18,
        'circle-blur': 0.7,
        'circle-opacity': live(0.8, 0.4),
      },
    },
    {
      id: 'preview-glow',
      type: 'line',
      source: 'preview',
      filter: ['all', ['==', ['get', 'role'], 'glow'], ['!=', ['geometry-type'], 'Point']],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': COLORS.preview, 'line-width': 9, 'line-blur': 4, 'line-opacity': 0.7 },
    },
    {
      id: 'preview-glow-pt',
      type: 'circle',
      source: 'preview',
      filter: ['all', ['==', ['get', 'role'], 'glow'], isType('Point')],
      paint: {
        'circle-color': COLORS.preview,
        'circle-radius': 18,
        'circle-blur': 0.7,
        'circle-opacity': 0.7,
      },
    },
    {
      id: 'focus-glow',
      type: 'line',
      source: 'focus',
      filter: ['!=', ['geometry-type'], 'Point'],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': COLORS.focus, 'line-width': 7, 'line-blur': 3, 'line-opacity': 0.55 },
    },
    {
      id: 'focus-pt',
      type: 'circle',
      source: 'focus',
      filter: isType('Point'),
      paint: {
        'circle-radius': 20,
        'circle-color': 'rgba(0,0,0,0)',
        'circle-stroke-color': COLORS.focus,
        'circle-stroke-width': 2.5,
        'circle-stroke-opacity': 0.9,
      },
    },
    {
      id: 'decl-line',
      type: 'line',
      source: 'decl',
      filter: ['all', ['!=', ['geometry-type'], 'Point'], ['!', ['get', 'dash']]],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': ['get', 'color'],
        'line-width': ['get', 'width'],
        'line-opacity': live(1, 0.35),
      },
    },
    {
      id: 'decl-line-dash',
      type: 'line',
      source: 'decl',
      filter: ['all', ['!=', ['geometry-type'], 'Point'], ['get', 'dash']],
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': ['get', 'color'],
        'line-width': ['get', 'width'],
        'line-opacity': live(1, 0.35),
        'line-dasharray': [4, 2],
      },
    },
    {
      id: 'decl-arrows',
      type: 'symbol',
      source: 'decl',
      filter: ['all', lines, ['==', ['get', 'kind'], 'movement']],
      layout: {
        'symbol-placement': 'line',
        'symbol-spacing': 90,
        'icon-image': ['concat', 'arrow:', ['get', 'color']],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'icon-rotation-alignment': 'map',
      },
      paint: { 'icon-opacity': live(1, 0.35) },
    },
    // Dry run and draft, above the picture.
    {
      id: 'draft-fill',
      type: 'fill',
      source: 'draft',
      filter: poly,
      paint: { 'fill-color': COLORS.draft, 'fill-opacity': 0.08 },
    },
    {
      id: 'draft-line',
      type: 'line',
      source: 'draft',
      filter: ['!=', ['geometry-type'], 'Point'],
      paint: {
        'line-color': ['case', ['==', ['get', 'role'], 'buffer'], COLORS.own, COLORS.draft],
        'line-width': ['case', ['==', ['get', 'role'], 'buffer'], 1.5, 2.5],
        'line-dasharray': [3, 2],
      },
    },
    {
      id: 'draft-pt',
      type: 'circle',
      source: 'draft',
      filter: isType('Point'),
      paint: {
        'circle-radius': 6,
        'circle-color': 'rgba(0,0,0,0)',
        'circle-stroke-color': COLORS.draft,
        'circle-stroke-width': 2.5,
      },
    },
    // The symbols and labels.
    {
      id: 'decl-sym',
      type: 'symbol',
      source: 'sym',
      filter: ['!=', ['get', 'icon'], ''],
      layout: {
        'icon-image': ['get', 'icon'],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'text-field': ['step', ['zoom'], '', 11, ['get', 'text']],
        'text-font': FONT,
        'text-size': 11,
        'text-offset': [0, 1.5],
        'text-anchor': 'top',
        'text-max-width': 16,
        'text-optional': true,
        'symbol-sort-key': ['case', ['get', 'live'], 0, 1],
      },
      paint: {
        'icon-opacity': live(1, 0.6),
        'text-color': '#e6ebf0',
        'text-halo-color': '#0a0e13',
        'text-halo-width': 1.4,
        'text-opacity': live(1, 0.45),
      },
    },
    {
      id: 'decl-text',
      type: 'symbol',
      source: 'sym',
      filter: ['==', ['get', 'icon'], ''],
      minzoom: 10,
      layout: {
        'text-field': ['get', 'text'],
        'text-font': FONT,
        'text-size': 11,
        'text-max-width': 18,
      },
      paint: {
        'text-color': ['get', 'color'],
        'text-halo-color': '#0a0e13',
        'text-halo-width': 1.4,
        'text-opacity': live(0.95, 0.4),
      },
    },
    // Conflict links: the closest points joined, with the distance.
    {
      id: 'cf-link',
      type: 'line',
      source: 'cf',
      filter: ['==', ['get', 'role'], 'link'],
      paint: {
        'line-color': ['get', 'color'],
        'line-width': 2.5,
        'line-dasharray': [2, 1],
        'line-opacity': live(1, 0.5),
      },
    },
    {
      id: 'cf-end',
      type: 'circle',
      source: 'cf',
      filter: ['==', ['get', 'role'], 'end'],
      paint: {
        'circle-radius': 4.5,
        'circle-color': ['get', 'color'],
        'circle-stroke-color': '#0a0e13',
        'circle-stroke-width': 1.5,
        'circle-opacity': live(1, 0.5),
      },
    },
    {
      id: 'cf-label',
      type: 'symbol',
      minzoom: 9,
      source: 'cf',
      filter: ['==', ['get', 'role'], 'label'],
      layout: {
        'text-field': ['get', 'text'],
        'text-font': FONT,
        'text-size': 12,
        'text-offset': [0, -1.1],
        'text-max-width': 40,
        // Two conflicts at one place would print over each other: show one label (their lines
        // and glows stay, and the Detail panel lists every conflict of a declaration).
        'text-allow-overlap': false,
      },
      paint: {
        'text-color': ['get', 'color'],
        'text-halo-color': '#0a0e13',
        'text-halo-width': 1.8,
        'text-opacity': live(1, 0.55),
      },
    },
    {
      id: 'preview-link',
      type: 'line',
      source: 'preview',
      filter: ['==', ['get', 'role'], 'link'],
      paint: { 'line-color': COLORS.preview, 'line-width': 2.5, 'line-dasharray': [2, 1] },
    },
    {
      id: 'preview-end',
      type: 'circle',
      source: 'preview',
      filter: ['==', ['get', 'role'], 'end'],
      paint: {
        'circle-radius': 4.5,
        'circle-color': COLORS.preview,
        'circle-stroke-color': '#0a0e13',
        'circle-stroke-width': 1.5,
      },
    },
    {
      id: 'preview-label',
      type: 'symbol',
      minzoom: 9,
      source: 'preview',
      filter: ['==', ['get', 'role'], 'label'],
      layout: {
        'text-field': ['get', 'text'],
        'text-font': FONT,
        'text-size': 12,
        'text-offset': [0, -1.1],
        'text-max-width': 40,
        'text-allow-overlap': true,
      },
      paint: { 'text-color': COLORS.preview, 'text-halo-color': '#0a0e13', 'text-halo-width': 1.8 },
    },
    // The geometry being drawn.
    {
      id: 'drawing-fill',
      type: 'fill',
      source: 'drawing',
      filter: poly,
      paint: { 'fill-color': COLORS.draft, 'fill-opacity': 0.1 },
    },
    {
      id: 'drawing-line',
      type: 'line',
      source: 'drawing',
      filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': COLORS.draft, 'line-width': 2, 'line-dasharray': [2, 1.5] },
    },
    {
      id: 'drawing-pt',
      type: 'circle',
      source: 'drawing',
      filter: isType('Point'),
      paint: {
        'circle-radius': 4,
        'circle-color': COLORS.draft,
        'circle-stroke-color': '#0a0e13',
        'circle-stroke-width': 1.5,
      },
    },
  ];
}

function style(): StyleSpecification {
  return {
    version: 8,
    // No glyphs, no sprite, no tiles: labels are drawn with local fonts, images on canvases.
    sources: Object.fromEntries(SOURCES.map((s) => [s, { type: 'geojson' as const, data: EMPTY }])),
    layers: layers(),
  };
}

/** Layers a click can select from. */
const CONFLICT_LAYERS = ['cf-link', 'cf-end', 'cf-label'];
const POINT_LAYERS = ['decl-sym', 'decl-text', 'decl-arrows'];
const LINE_LAYERS = ['decl-line', 'decl-line-dash', 'buffer-line', 'buffer-line-dash'];
const FILL_LAYERS = ['buffer-fill', 'buffer-hatch', 'decl-hatch', 'decl-fill'];
const PICKABLE = [...CONFLICT_LAYERS, ...POINT_LAYERS, ...LINE_LAYERS, ...FILL_LAYERS];

// --- The map ----------------------------------------------------------------------------------

type Target = { type: 'declaration' | 'conflict'; id: string };

interface Drawing {
  mode: Geometry['type'];
  pts: Pos[];
  cursor: Pos | null;
  resolve: (g: Geometry | null) => void;
}

export function createMap(el: HTMLElement): MapApi {
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  const map = new maplibregl.Map({
    container: el,
    style: style(),
    bounds: DEMO_BOUNDS,
    fitBoundsOptions: { padding: 30 },
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  const scale = new maplibregl.ScaleControl({ maxWidth: 120, unit: state.settings.units });
  map.addControl(scale, 'bottom-left');
  (window as unknown as { deconflict?: Record<string, unknown> }).deconflict = {
    ...(window as unknown as { deconflict?: Record<string, unknown> }).deconflict,
    map,
  };

  const coords = h('div.map-coords.mono', { 'data-testid': 'map-coords' });
  const hint = h('div.map-hint', { hidden: true, role: 'status' });
  el.append(coords, hint);

  let loaded = false;
  let fitted = false;
  let userMoved = false;
  let highlight: Target | null = null;
  let pending: { target: Target; until: number } | null = null;
  let draft: Draft | null = null;
  let preview: readonly ConflictView[] = [];
  let drawing: Drawing | null = null;

  const source = (id: string) => map.getSource(id) as GeoJSONSource | undefined;
  const setData = (id: string, features: GF[]) =>
    source(id)?.setData({ type: 'FeatureCollection', features } as FeatureCollection);

  map.on('styleimagemissing', (e: { id: string }) => {
    if (map.hasImage(e.id)) return;
    const img = makeImage(e.id);
    if (img) map.addImage(e.id, img.data, { pixelRatio: img.pixelRatio });
  });

  map.on('load', () => {
    loaded = true;
    for (const c of [COLORS.own, COLORS.other, COLORS.restricted]) {
      const name = `hatch:${c}`;
      const img = makeImage(name);
      if (img && !map.hasImage(name)) map.addImage(name, img.data, { pixelRatio: img.pixelRatio });
    }
    void loadBasemap();
    renderAll();
  });
  map.on('dragstart', () => {
    userMoved = true;
  });
  map.on('wheel', () => {
    userMoved = true;
  });

  async function loadBasemap(): Promise<void> {
    const get = async (name: string) => {
      const r = await fetch(`/assets/${name}`);
      if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
      return r.json();
    };
    try {
      const [land, countries, cities, rivers] = await Promise.all([
        get('land-50m.json') as Promise<Topology>,
        get('countries-50m.json') as Promise<Topology>,
        get('cities.json') as Promise<FeatureCollection>,
        get('rivers.json') as Promise<FeatureCollection>,
      ]);
      // Filled country by country (small polygons triangulate cleanly), outlined by the coastline.
      source('land')?.setData(
        landPolygons(feature(countries, countries.objects.countries as GeometryCollection)),
      );
      source('coast')?.setData(landPolygons(feature(land, land.objects.land as GeometryCollection)));
      source('borders')?.setData(
        mesh(countries, countries.objects.countries as GeometryCollection, (a, b) => a !== b),
      );
      source('cities')?.setData(cities);
      source('rivers')?.setData(rivers);
    } catch (err) {
      console.error('basemap', err);
    }
  }

  // --- Rendering ---

  function renderDeclarations(): void {
    if (!loaded) return;
    const decl: GF[] = [];
    const buffers: GF[] = [];
    const syms: GF[] = [];
    for (const f of state.declarations.values()) {
      const s = shapeOf(f);
      const props = styleOf(f);
      decl.push({ type: 'Feature', geometry: s.geometry, properties: props });
      for (const ring of s.buffer)
        buffers.push({
          type: 'Feature',
          geometry: { type: 'Polygon', coordinates: [ring] },
          properties: props,
        });
      if (s.anchor)
        syms.push({ type: 'Feature', geometry: { type: 'Point', coordinates: s.anchor }, properties: props });
    }
    // Live declarations above dimmed ones.
    const order = (a: GF, b: GF) => Number(a.properties.live) - Number(b.properties.live);
    setData('decl', decl.sort(order));
    setData('buffer', buffers.sort(order));
    setData('sym', syms.sort(order));
  }

  /** The geometry features of a conflict's visible sides, and its link. Hidden sides: nothing. */
  function conflictFeatures(c: ConflictView, color: string, t: number): GF[] {
    const out: GF[] = [];
    const live = liveAt(c.window.start, c.window.end, t);
    const base = { cid: c.id, color, live };
    for (const side of [c.a, c.b]) {
      if ('hidden' in side) continue;
      const f = state.declarations.get(side.id);
      if (!f) continue;
      out.push({ type: 'Feature', geometry: outlineOf(f.geometry), properties: { ...base, role: 'glow' } });
    }
    if (c.closest) {
      const [p, q] = c.closest;
      const text = `${c.severity.toUpperCase()} · ${c.rule.replace(/_/g, ' ')} · ${c.distance_m !== undefined ? (c.distance_m === 0 ? 'overlap' : distance(c.distance_m)) : ''}`;
      if (p[0] !== q[0] || p[1] !== q[1]) {
        out.push({
          type: 'Feature',
          geometry: { type: 'LineString', coordinates: [p, q] },
          properties: { ...base, role: 'link' },
        });
      }
      out.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: p },
        properties: { ...base, role: 'end' },
      });
      out.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: q },
        properties: { ...base, role: 'end' },
      });
      out.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2] },
        properties: { ...base, role: 'label', text },
      });
    }
    return out;
  }

  function renderConflicts(): void {
    if (!loaded) return;
    const t = shownTime();
    const rank = { low: 0, medium: 1, high: 2, critical: 3 };
    const open = [...state.conflicts.values()]
      .filter((c) => c.status === 'open')
      .sort((a, b) => rank[a.severity] - rank[b.severity]);
    setData(
      'cf',
      open.flatMap((c) => conflictFeatures(c, COLORS.severity[c.severity] ?? COLORS.restricted, t)),
    );
  }

  function renderPreview(): void {
    if (!loaded) return;
    setData(
      'preview',
      preview.flatMap((c) => conflictFeatures(c, COLORS.preview, shownTime())),
    );
  }

  function renderDraft(): void {
    if (!loaded) return;
    if (!draft) {
      setData('draft', []);
      return;
    }
    const g = draft.geometry as { type: string; coordinates: unknown };
    const feats: GF[] = [{ type: 'Feature', geometry: densifyGeometry(g), properties: { role: 'geometry' } }];
    for (const ring of bufferOf(g, draft.buffer_m)) {
      feats.push({
        type: 'Feature',
        geometry: { type: 'Polygon', coordinates: [ring] },
        properties: { role: 'buffer' },
      });
    }
    setData('draft', feats);
  }

  function renderFocus(): void {
    if (!loaded) return;
    const feats: GF[] = [];
    const addDecl = (id: string, withBuffer: boolean) => {
      const f = state.declarations.get(id);
      if (!f) return;
      feats.push({ type: 'Feature', geometry: outlineOf(f.geometry), properties: {} });
      if (withBuffer) {
        for (const ring of shapeOf(f).buffer)
          feats.push({
            type: 'Feature',
            geometry: { type: 'LineString', coordinates: ring },
            properties: {},
          });
      }
    };
    if (highlight?.type === 'declaration') addDecl(highlight.id, true);
    else if (highlight?.type === 'conflict') {
      const c = conflictById(highlight.id);
      if (c) {
        for (const side of [c.a, c.b]) if (!('hidden' in side)) addDecl(side.id, false);
        if (c.closest)
          feats.push({
            type: 'Feature',
            geometry: { type: 'LineString', coordinates: c.closest },
            properties: {},
          });
      }
    }
    setData('focus', feats);
  }

  function renderDrawing(): void {
    if (!loaded) return;
    if (!drawing) {
      setData('drawing', []);
      return;
    }
    const pts = drawing.cursor ? [...drawing.pts, drawing.cursor] : drawing.pts;
    const feats: GF[] = drawing.pts.map((p) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: p },
      properties: {},
    }));
    if (drawing.mode === 'Polygon' && pts.length >= 3) {
      feats.push({
        type: 'Feature',
        geometry: { type: 'Polygon', coordinates: [[...pts, pts[0] as Pos]] },
        properties: {},
      });
    } else if (drawing.mode !== 'Point' && pts.length >= 2) {
      feats.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: pts }, properties: {} });
    }
    setData('drawing', feats);
  }

  function renderAll(): void {
    renderDeclarations();
    renderConflicts();
    renderPreview();
    renderDraft();
    renderFocus();
    renderDrawing();
    initialFit();
    retryFocus();
  }

  function conflictById(id: string): ConflictView | undefined {
    return state.conflicts.get(id) ?? preview.find((c) => c.id === id);
  }

  // --- Where to look ---

  function boundsOf(t: Target): Box | null {
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
      const c = conflictById(t.id);
      if (!c) return null;
      for (const side of [c.a, c.b]) if (!('hidden' in side)) addDecl(side.id);
      if (c.closest) pts.push(...c.closest);
    }
    return bboxOf(pts);
  }

  function fly(b: Box, maxZoom = 15): void {
    const pad = Math.min(80, Math.floor(Math.min(el.clientWidth, el.clientHeight) / 6));
    map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: pad, maxZoom, duration: reduced ? 0 : 700 },
    );
  }

  function initialFit(): void {
    if (fitted || userMoved || state.declarations.size === 0) return;
    fitted = true;
    const all = [...state.declarations.values()];
    const mine = all.filter((f) => f.properties.party === state.me?.party);
    const pts = (mine.length > 0 ? mine : all).flatMap((f) => {
      const b = shapeOf(f).bbox;
      return b
        ? ([
            [b[0], b[1]],
            [b[2], b[3]],
          ] as Pos[])
        : [];
    });
    const b = bboxOf(pts);
    if (!b) return;
    const pad = Math.min(40, Math.floor(Math.min(el.clientWidth, el.clientHeight) / 8));
    map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: pad, maxZoom: 14, duration: 0 },
    );
  }

  function retryFocus(): void {
    if (!pending || !loaded) return;
    if (Date.now() > pending.until) {
      pending = null;
      return;
    }
    const b = boundsOf(pending.target);
    if (!b) return;
    highlight = pending.target;
    pending = null;
    fitted = true;
    renderFocus();
    fly(b);
  }

  // --- Selection by click, and the cursor ---

  function pick(e: MapMouseEvent): Target | null {
    const r = 5;
    const box: [[number, number], [number, number]] = [
      [e.point.x - r, e.point.y - r],
      [e.point.x + r, e.point.y + r],
    ];
    const found = map.queryRenderedFeatures(box, { layers: PICKABLE.filter((l) => map.getLayer(l)) });
    const byLayer = (ids: string[]) => found.filter((f: MapGeoJSONFeature) => ids.includes(f.layer.id));
    // A declaration's symbol first (a conflict's closest point often sits on it), then the
    // conflict's link, then lines, then the smallest area under the pointer.
    const icon = byLayer(['decl-sym'])[0];
    if (icon && typeof icon.properties.id === 'string')
      return { type: 'declaration', id: icon.properties.id };
    const cf = byLayer(CONFLICT_LAYERS)[0];
    if (cf && typeof cf.properties.cid === 'string') return { type: 'conflict', id: cf.properties.cid };
    const direct = [...byLayer(POINT_LAYERS), ...byLayer(LINE_LAYERS)][0];
    if (direct && typeof direct.properties.id === 'string')
      return { type: 'declaration', id: direct.properties.id };
    let best: { id: string; area: number } | null = null;
    for (const f of byLayer(FILL_LAYERS)) {
      const id = f.properties.id;
      if (typeof id !== 'string') continue;
      const area = shapes.get(id)?.area ?? Infinity;
      if (!best || area < best.area) best = { id, area };
    }
    return best ? { type: 'declaration', id: best.id } : null;
  }

  map.on('click', (e) => {
    if (drawing) {
      addVertex(e);
      return;
    }
    const t = pick(e);
    if (!t) return;
    highlight = t;
    renderFocus();
    select(t.type, t.id);
  });

  map.on('dblclick', (e) => {
    if (!drawing) return;
    e.preventDefault();
    finishDrawing();
  });

  map.on('mousemove', (e) => {
    coords.textContent = place(e.lngLat.lng, e.lngLat.lat);
    if (drawing) {
      drawing.cursor = [e.lngLat.lng, e.lngLat.lat];
      renderDrawing();
      return;
    }
    const hit = map.queryRenderedFeatures(
      [
        [e.point.x - 3, e.point.y - 3],
        [e.point.x + 3, e.point.y + 3],
      ],
      { layers: [...CONFLICT_LAYERS, ...POINT_LAYERS, ...LINE_LAYERS].filter((l) => map.getLayer(l)) },
    );
    map.getCanvas().style.cursor = hit.length > 0 ? 'pointer' : '';
  });
  map.on('mouseout', () => {
    coords.textContent = '';
  });

  // --- Drawing ---

  const round = (p: Pos): Pos => [Math.round(p[0] * 1e6) / 1e6, Math.round(p[1] * 1e6) / 1e6];

  function addVertex(e: MapMouseEvent): void {
    if (!drawing) return;
    const p: Pos = round([e.lngLat.lng, e.lngLat.lat]);
    const last = drawing.pts[drawing.pts.length - 1];
    if (last) {
      const a = map.project(last);
      if (Math.hypot(a.x - e.point.x, a.y - e.point.y) < 4) return; // the second click of a double-click
    }
    drawing.pts.push(p);
    if (drawing.mode === 'Point') {
      finishDrawing();
      return;
    }
    showHint();
    renderDrawing();
  }

  function showHint(): void {
    if (!drawing) {
      hint.hidden = true;
      return;
    }
    const n = drawing.pts.length;
    const need = drawing.mode === 'Polygon' ? 3 : 2;
    hint.hidden = false;
    hint.textContent =
      drawing.mode === 'Point'
        ? 'Click the map to place the point · Esc cancels'
        : `${drawing.mode === 'Polygon' ? 'Polygon' : 'Line'}: click to add vertices (${n}${n < need ? ` of at least ${need}` : ''}) · double-click or Enter to finish · Backspace undoes · Esc cancels`;
  }

  function endDrawing(g: Geometry | null): void {
    const d = drawing;
    if (!d) return;
    drawing = null;
    map.doubleClickZoom.enable();
    map.getCanvas().style.cursor = '';
    el.classList.remove('drawing');
    showHint();
    renderDrawing();
    d.resolve(g);
  }

  function finishDrawing(): void {
    if (!drawing) return;
    const pts = drawing.pts;
    if (drawing.mode === 'Point') {
      if (pts[0]) endDrawing({ type: 'Point', coordinates: pts[0] });
      return;
    }
    if (drawing.mode === 'LineString') {
      if (pts.length >= 2) endDrawing({ type: 'LineString', coordinates: pts });
      return;
    }
    if (pts.length >= 3) endDrawing({ type: 'Polygon', coordinates: [[...pts, pts[0] as Pos]] });
  }

  window.addEventListener(
    'keydown',
    (e) => {
      if (!drawing) return;
      const t = e.target as HTMLElement | null;
      const typing = !!t?.closest('input, textarea, select, [contenteditable]');
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        endDrawing(null);
      } else if (e.key === 'Enter' && !typing) {
        e.preventDefault();
        e.stopPropagation();
        finishDrawing();
      } else if ((e.key === 'Backspace' || e.key === 'Delete') && !typing) {
        e.preventDefault();
        e.stopPropagation();
        drawing.pts.pop();
        showHint();
        renderDrawing();
      }
    },
    true,
  );

  // --- Following the store ---

  on('declarations', renderAll);
  on('conflicts', () => {
    renderConflicts();
    renderFocus();
    retryFocus();
  });
  on('time', () => {
    renderDeclarations();
    renderConflicts();
    renderPreview();
  });
  on('settings', () => {
    scale.setUnit(state.settings.units);
    renderAll();
  });
  on('selection', () => {
    const s = state.selection;
    if (!s) return;
    if (s.type === 'alert') {
      const a = state.alerts.get(s.id);
      if (a?.subject_type === 'conflict') highlight = { type: 'conflict', id: a.subject };
      else if (a?.subject_type === 'notification') highlight = { type: 'declaration', id: a.subject };
    } else highlight = { type: s.type, id: s.id };
    renderFocus();
  });
  // "Now" moves with the clock: re-evaluate which declarations are live.
  setInterval(() => {
    if (state.time === null) {
      renderDeclarations();
      renderConflicts();
    }
  }, 30_000);
  new ResizeObserver(() => map.resize()).observe(el);

  return {
    focus(target) {
      pending = { target, until: Date.now() + 15_000 };
      userMoved = true;
      retryFocus();
    },
    draw(mode) {
      if (drawing) endDrawing(null);
      return new Promise<Geometry | null>((resolve) => {
        drawing = { mode, pts: [], cursor: null, resolve };
        map.doubleClickZoom.disable();
        map.getCanvas().style.cursor = 'crosshair';
        el.classList.add('drawing');
        showHint();
        renderDrawing();
      });
    },
    setDraft(d) {
      draft = d;
      renderDraft();
    },
    setPreview(conflicts) {
      preview = conflicts;
      renderPreview();
    },
    resize() {
      map.resize();
    },
  };
}
