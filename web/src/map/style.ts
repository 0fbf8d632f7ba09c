/**
 * The map's style, with no external source at all: a dark sea, Natural Earth land and borders,
 * GSHHG rivers and the major cities (filled from the hub's /assets by basemap.ts), labels in the
 * browser's local fonts (no glyphs URL), images drawn on canvases (symbols.ts). Layers come in
 * groups, bottom to top; the features they draw carry their styling as properties (features.ts).
 *
 * Two palettes that never mix. Declarations are drawn in their party's affiliation colour, as
 * MIL-STD-2525 / APP-6 frames are: the party's own as friend (blue), every other party's as
 * neutral (green) — never hostile, this is a deconfliction tool. Conflicts alone use the severity
 * colours (critical red, high orange, medium yellow, low violet), so that red on the map always
 * means a conflict, never somebody's zone. A restricted zone is told apart by its cross-hatching
 * and solid border, not by a colour of alarm.
 *
 * Symbols and labels are placed top layer first, and a label that would overlap a symbol or a
 * label placed before it moves to another anchor around its point or is left out (MapLibre's
 * collision handling). The order is chosen for the watch officer: the declarations' symbols
 * first (always drawn: a declaration is never hidden), then the critical conflicts' labels,
 * the dry run's, the other conflicts' (the most severe first, `symbol-sort-key`), and the
 * declarations' names last. A critical conflict's link and ends are drawn above everything
 * else, wider and brighter than any other conflict's.
 */
import type { ExpressionSpecification, LayerSpecification, StyleSpecification } from 'maplibre-gl';

/** The console's colours on the map (the stylesheet's --own, --other, --flash… match them). */
export const COLORS = {
  /** The party's own declarations: friend. */
  own: '#4ea1ff',
  /** Every other party's declarations: neutral. */
  other: '#5ccf7f',
  draft: '#f5f7fa',
  preview: '#ff4fd8',
  focus: '#ffffff',
  /** Agreements' terms: sand, neither a party's colour nor a severity's. */
  agreement: '#d9c58f',
  /** Conflicts only. */
  severity: { critical: '#ff3b3b', high: '#ff9f1a', medium: '#f2d024', low: '#b98cff' },
};

/** Severities, most severe first; a conflict feature's `rank` is its index here. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** The GeoJSON sources, filled by basemap.ts and map.ts. */
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
  'agr',
] as const;
/** A source's name. */
export type SourceId = (typeof SOURCES)[number];

const EMPTY = { type: 'FeatureCollection' as const, features: [] };
const FONT = ['sans-serif'];
/** One value for a feature live at the time shown, another for one outside its window. */
const live = (on: number, off: number): ExpressionSpecification => ['case', ['get', 'live'], on, off];
/** Whether the feature's geometry is of type `t`. */
const isType = (t: string): ExpressionSpecification => ['==', ['geometry-type'], t];
const poly: ExpressionSpecification = ['any', isType('Polygon'), isType('MultiPolygon')];
const lines: ExpressionSpecification = ['any', isType('LineString'), isType('MultiLineString')];
/** A conflict feature of a critical conflict (features.ts sets `rank`, 0 = critical). */
const critical: ExpressionSpecification = ['==', ['get', 'rank'], 0];
/** A value per severity, by the feature's `rank`. */
const bySeverity = (c: number, h: number, m: number, l: number): ExpressionSpecification => [
  'match',
  ['get', 'rank'],
  0,
  c,
  1,
  h,
  2,
  m,
  l,
];
/** Line and circle sort key: the most severe drawn last, on top. */
const mostSevereOnTop: ExpressionSpecification = ['-', 3, ['get', 'rank']];

/** The basemap: sea, land, rivers, coastlines, borders and cities. */
const BASEMAP: LayerSpecification[] = [
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
];

/** Declarations: faint fills, hatches, their buffers and the buffers' outlines. */
const DECLARATION_AREAS: LayerSpecification[] = [
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
];

/** A term of an agreement not yet in force (proposed, signed), or in force. */
const dimmed = (on: number, off: number): ExpressionSpecification => ['case', ['get', 'dim'], off, on];
/** An agreement term's feature of this role. */
const agrRole = (role: string): ExpressionSpecification => ['==', ['get', 'role'], role];
/** Drawn dashed: a term not yet in force, a pull-back's border, the draft. */
const agrDashed: ExpressionSpecification = [
  'any',
  ['get', 'dim'],
  ['==', ['get', 'term'], 'pull_back'],
  ['has', 'draft'],
];

/**
 * Agreements' terms (map/agreements.ts): a corridor's band to scale, a pause hatched, a pull-back
 * cross-hatched, an area of responsibility faintly filled; those not in force dimmer.
 */
const AGREEMENT_AREAS: LayerSpecification[] = [
  {
    id: 'agr-band',
    type: 'fill',
    source: 'agr',
    filter: agrRole('band'),
    paint: { 'fill-color': ['get', 'color'], 'fill-opacity': ['*', dimmed(0.2, 0.08), live(1, 0.45)] },
  },
  {
    id: 'agr-fill',
    type: 'fill',
    source: 'agr',
    filter: ['all', agrRole('area'), ['==', ['get', 'hatch'], '']],
    paint: { 'fill-color': ['get', 'color'], 'fill-opacity': ['*', dimmed(0.07, 0.03), live(1, 0.5)] },
  },
  {
    id: 'agr-hatch',
    type: 'fill',
    source: 'agr',
    filter: ['all', agrRole('area'), ['!=', ['get', 'hatch'], '']],
    paint: { 'fill-pattern': ['get', 'hatch'], 'fill-opacity': ['*', dimmed(0.5, 0.2), live(1, 0.4)] },
  },
];

/** Agreements' borders, axes and band edges; labels with the term's kind and window. */
const AGREEMENT_LINES: LayerSpecification[] = [
  {
    id: 'agr-line',
    type: 'line',
    source: 'agr',
    filter: ['all', ['!=', ['get', 'role'], 'label'], ['!', agrDashed]],
    layout: { 'line-join': 'round' },
    paint: {
      'line-color': ['get', 'color'],
      'line-width': ['match', ['get', 'term'], 'area_of_responsibility', 3.5, 'corridor', 1.6, 2.2],
      'line-opacity': live(0.95, 0.4),
    },
  },
  {
    id: 'agr-line-dash',
    type: 'line',
    source: 'agr',
    filter: ['all', ['!=', ['get', 'role'], 'label'], agrDashed],
    layout: { 'line-join': 'round' },
    paint: {
      'line-color': ['get', 'color'],
      'line-width': ['match', ['get', 'term'], 'area_of_responsibility', 3, 1.8],
      'line-opacity': ['*', dimmed(0.95, 0.6), live(1, 0.5)],
      'line-dasharray': [3, 2],
    },
  },
];

/** Conflicts: both geometries glow in the severity's colour; so do a dry run's and the focus. */
const GLOWS: LayerSpecification[] = [
  {
    id: 'cf-glow',
    type: 'line',
    source: 'cf',
    filter: ['all', ['==', ['get', 'role'], 'glow'], ['!=', ['geometry-type'], 'Point']],
    layout: { 'line-join': 'round', 'line-cap': 'round', 'line-sort-key': mostSevereOnTop },
    paint: {
      'line-color': ['get', 'color'],
      'line-width': bySeverity(14, 9, 8, 7),
      'line-blur': bySeverity(5, 4, 4, 4),
      'line-opacity': ['case', critical, live(0.95, 0.55), live(0.7, 0.3)],
    },
  },
  {
    id: 'cf-glow-pt',
    type: 'circle',
    source: 'cf',
    filter: ['all', ['==', ['get', 'role'], 'glow'], isType('Point')],
    layout: { 'circle-sort-key': mostSevereOnTop },
    paint: {
      'circle-color': ['get', 'color'],
      'circle-radius': bySeverity(26, 18, 16, 15),
      'circle-blur': 0.7,
      'circle-opacity': ['case', critical, live(0.95, 0.55), live(0.75, 0.35)],
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
];

/** Declarations' outlines and routes (with direction arrows on movements). */
const DECLARATION_LINES: LayerSpecification[] = [
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
];

/** The declaration being prepared, above the picture. */
const DRAFT: LayerSpecification[] = [
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
];

/**
 * Where a label goes around its point, in order of preference, offset (in ems) clear of a symbol
 * drawn at the point: below, above, right, left, then the corners.
 */
const around = (d: number): (string | [number, number])[] => [
  'top',
  [0, d],
  'bottom',
  [0, -d],
  'left',
  [d, 0],
  'right',
  [-d, 0],
  'top-left',
  [d * 0.7, d * 0.7],
  'top-right',
  [-d * 0.7, d * 0.7],
  'bottom-left',
  [d * 0.7, -d * 0.7],
  'bottom-right',
  [-d * 0.7, -d * 0.7],
];
/** What every label shares: local font, halo dark enough to read over any fill at night. */
const labelPaint = (color: ExpressionSpecification | string, opacity: ExpressionSpecification | number) => ({
  'text-color': color,
  'text-halo-color': '#0a0e13',
  'text-halo-width': 1.8,
  'text-opacity': opacity,
});

/** Declarations' names (placed last: they give way to every symbol and conflict label). */
const NAMES: LayerSpecification[] = [
  {
    id: 'decl-label',
    type: 'symbol',
    source: 'sym',
    filter: ['!=', ['get', 'icon'], ''],
    minzoom: 11,
    layout: {
      'text-field': ['get', 'text'],
      'text-font': FONT,
      'text-size': 11,
      'text-max-width': 16,
      'text-variable-anchor-offset': around(1.9) as unknown as ExpressionSpecification,
      'text-justify': 'auto',
      'text-padding': 2,
      'symbol-sort-key': ['case', ['get', 'live'], 0, 1],
    },
    paint: labelPaint('#e6ebf0', live(1, 0.45)),
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
      'text-padding': 2,
    },
    paint: labelPaint(['get', 'color'], live(0.95, 0.4)),
  },
];

/** Agreements' terms named: kind, label, window (placed with the declarations' names). */
const AGREEMENT_LABELS: LayerSpecification[] = [
  {
    id: 'agr-label',
    type: 'symbol',
    source: 'agr',
    filter: agrRole('label'),
    minzoom: 8,
    layout: {
      'text-field': ['get', 'text'],
      'text-font': FONT,
      'text-size': 11,
      'text-max-width': 22,
      'text-padding': 2,
    },
    paint: labelPaint(['get', 'color'], ['*', dimmed(1, 0.65), live(1, 0.55)]),
  },
];

/** Conflict links below the symbols: the closest points joined, with the distance. */
const LINKS: LayerSpecification[] = [
  {
    id: 'cf-link',
    type: 'line',
    source: 'cf',
    filter: ['all', ['==', ['get', 'role'], 'link'], ['!', critical]],
    layout: { 'line-sort-key': mostSevereOnTop },
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
    filter: ['all', ['==', ['get', 'role'], 'end'], ['!', critical]],
    layout: { 'circle-sort-key': mostSevereOnTop },
    paint: {
      'circle-radius': 4.5,
      'circle-color': ['get', 'color'],
      'circle-stroke-color': '#0a0e13',
      'circle-stroke-width': 1.5,
      'circle-opacity': live(1, 0.5),
    },
  },
];

/**
 * Conflict labels, above the names and below the symbols (so placed after the symbols, and
 * never over one): the other conflicts' (most severe first), the dry run's, the critical ones'.
 */
const CONFLICT_LABELS: LayerSpecification[] = [
  conflictLabel('cf-label', 'cf', ['!', critical], 9, 12, ['get', 'color']),
  conflictLabel('preview-label', 'preview', true, 0, 12, COLORS.preview),
  // Critical: from every zoom, larger and bold-weighted by a wider halo.
  conflictLabel('cf-critical-label', 'cf', critical, 0, 14, ['get', 'color']),
];

/** A conflict label layer: the text around the link's middle, clear of symbols and labels. */
function conflictLabel(
  id: string,
  source: SourceId,
  which: ExpressionSpecification | boolean,
  minzoom: number,
  size: number,
  color: ExpressionSpecification | string,
): LayerSpecification {
  return {
    id,
    type: 'symbol',
    minzoom,
    source,
    filter: ['all', ['==', ['get', 'role'], 'label'], which],
    layout: {
      'text-field': ['get', 'text'],
      'text-font': FONT,
      'text-size': size,
      'text-max-width': 40,
      // Two conflicts at one place would print over each other, or over a symbol: the label
      // moves around its point, or gives way (the lines and glows stay, and the Detail panel
      // lists every conflict of a declaration). The most severe are placed first.
      'text-allow-overlap': false,
      'text-variable-anchor-offset': around(2.2) as unknown as ExpressionSpecification,
      'text-justify': 'auto',
      'text-padding': 3,
      'symbol-sort-key': ['get', 'rank'],
    },
    paint: {
      ...labelPaint(color, source === 'cf' ? live(1, 0.6) : 1),
      'text-halo-width': size >= 14 ? 2.4 : 1.8,
    },
  };
}

/**
 * Declarations' symbols: always drawn (a declaration is never hidden), and placed before any
 * label, so that no label is ever drawn over one.
 */
const SYMBOLS: LayerSpecification[] = [
  {
    id: 'decl-icon',
    type: 'symbol',
    source: 'sym',
    filter: ['!=', ['get', 'icon'], ''],
    layout: {
      'icon-image': ['get', 'icon'],
      'icon-allow-overlap': true,
      'icon-ignore-placement': false,
      'icon-padding': 1,
      'symbol-sort-key': ['case', ['get', 'live'], 1, 0],
    },
    paint: { 'icon-opacity': live(1, 0.6) },
  },
];

/** A critical conflict: its link and ends above everything, wider than any other. */
const CRITICAL: LayerSpecification[] = [
  {
    id: 'cf-critical-link',
    type: 'line',
    source: 'cf',
    filter: ['all', ['==', ['get', 'role'], 'link'], critical],
    paint: {
      'line-color': ['get', 'color'],
      'line-width': 4,
      'line-dasharray': [2, 1],
      'line-opacity': live(1, 0.7),
    },
  },
  {
    id: 'cf-critical-end',
    type: 'circle',
    source: 'cf',
    filter: ['all', ['==', ['get', 'role'], 'end'], critical],
    paint: {
      'circle-radius': 6,
      'circle-color': ['get', 'color'],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.5,
      'circle-opacity': live(1, 0.7),
      'circle-stroke-opacity': live(1, 0.7),
    },
  },
];

/** A dry run's links, above the picture. */
const PREVIEW: LayerSpecification[] = [
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
];

/** The geometry being drawn. */
const DRAWING: LayerSpecification[] = [
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

/** The whole style: every source empty until filled, the layer groups bottom to top. */
export function style(): StyleSpecification {
  return {
    version: 8,
    // No glyphs, no sprite, no tiles: labels are drawn with local fonts, images on canvases.
    sources: Object.fromEntries(SOURCES.map((s) => [s, { type: 'geojson' as const, data: EMPTY }])),
    layers: [
      ...BASEMAP,
      ...AGREEMENT_AREAS,
      ...DECLARATION_AREAS,
      ...AGREEMENT_LINES,
      ...GLOWS,
      ...DECLARATION_LINES,
      ...DRAFT,
      ...NAMES,
      ...AGREEMENT_LABELS,
      ...LINKS,
      ...CONFLICT_LABELS,
      ...SYMBOLS,
      ...CRITICAL,
      ...PREVIEW,
      ...DRAWING,
    ],
  };
}

/** The layers that draw a critical conflict (above every declaration and other conflict). */
export const CRITICAL_LAYERS = ['cf-critical-link', 'cf-critical-end', 'cf-critical-label'];
/** The layers of conflict labels (the open conflicts', the critical ones', a dry run's). */
export const LABEL_LAYERS = ['cf-label', 'cf-critical-label', 'preview-label'];
/** Layers a click can select from: conflicts' links, ends and labels. */
export const CONFLICT_LAYERS = [
  'cf-critical-link',
  'cf-critical-end',
  'cf-critical-label',
  'cf-link',
  'cf-end',
  'cf-label',
];
/** … declarations' symbols, names and route arrows. */
export const POINT_LAYERS = ['decl-icon', 'decl-label', 'decl-text', 'decl-arrows'];
/** … declarations' lines and their buffers' outlines. */
export const LINE_LAYERS = ['decl-line', 'decl-line-dash', 'buffer-line', 'buffer-line-dash'];
/** … areas and buffers (the smallest under the pointer wins). */
export const FILL_LAYERS = ['buffer-fill', 'buffer-hatch', 'decl-hatch', 'decl-fill'];
/** Every layer a click can select from. */
export const PICKABLE = [...CONFLICT_LAYERS, ...POINT_LAYERS, ...LINE_LAYERS, ...FILL_LAYERS];
