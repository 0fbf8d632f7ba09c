/**
 * The map's style, with no external source at all: a dark sea, Natural Earth land and borders,
 * GSHHG rivers and the major cities (filled from the hub's /assets by basemap.ts), labels in the
 * browser's local fonts (no glyphs URL), images drawn on canvases (symbols.ts). Layers come in
 * groups, bottom to top; the features they draw carry their styling as properties (features.ts).
 */
import type { ExpressionSpecification, LayerSpecification, StyleSpecification } from 'maplibre-gl';

/** The console's colours on the map. */
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

/** Conflicts: both geometries glow in the severity's colour; so do a dry run's and the focus. */
const GLOWS: LayerSpecification[] = [
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

/** Declarations' symbols and labels. */
const SYMBOLS: LayerSpecification[] = [
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
];

/** Conflict links: the closest points joined, with the distance (a dry run's too). */
const LINKS: LayerSpecification[] = [
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
      ...DECLARATION_AREAS,
      ...GLOWS,
      ...DECLARATION_LINES,
      ...DRAFT,
      ...SYMBOLS,
      ...LINKS,
      ...DRAWING,
    ],
  };
}

/** Layers a click can select from: conflicts' links, ends and labels. */
export const CONFLICT_LAYERS = ['cf-link', 'cf-end', 'cf-label'];
/** … declarations' symbols, labels and route arrows. */
export const POINT_LAYERS = ['decl-sym', 'decl-text', 'decl-arrows'];
/** … declarations' lines and their buffers' outlines. */
export const LINE_LAYERS = ['decl-line', 'decl-line-dash', 'buffer-line', 'buffer-line-dash'];
/** … areas and buffers (the smallest under the pointer wins). */
export const FILL_LAYERS = ['buffer-fill', 'buffer-hatch', 'decl-hatch', 'decl-fill'];
/** Every layer a click can select from. */
export const PICKABLE = [...CONFLICT_LAYERS, ...POINT_LAYERS, ...LINE_LAYERS, ...FILL_LAYERS];
