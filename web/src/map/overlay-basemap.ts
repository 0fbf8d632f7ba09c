/**
 * The operator's base map, when the hub has one (`deconflict serve --basemap FILE --hillshade
 * FILE`; docs/formats/basemaps.md): an OpenStreetMap extract as vector tiles, and a terrain
 * hillshade as raster tiles, each a PMTiles archive — read from the hub by HTTP Range requests
 * through the `pmtiles` protocol — or an MBTiles file, read tile by tile from the hub's
 * `{z}/{x}/{y}` route as an ordinary tiled source. Same origin, with the session's token (set
 * on the PMTiles source's requests, and on the tile requests by MapLibre's transformRequest),
 * nothing fetched elsewhere.
 *
 * Drawn above the built-in land and rivers and below the coastline, borders, cities and every
 * declaration, in a dark style a night watch can read: water a shade off the sea, parks and woods
 * a dim green, buildings a dim fill, roads brighter and wider by class, place names in the same
 * local font as the built-in cities (the style has no glyphs URL: labels are drawn with the
 * browser's fonts, so no font is fetched). Where the archive has no tiles, or the hub no archive,
 * the built-in map shows as before.
 *
 * Two schemas are recognised by the layer names the archive's metadata lists: the Protomaps
 * basemap (`earth`, `water`, `landuse`, `landcover`, `roads`, `buildings`, `places`,
 * `boundaries`; classes in `kind`) and OpenMapTiles (`water`, `waterway`, `landcover`,
 * `landuse`, `transportation`, `building`, `place`, `boundary`; classes in `class`). Only the
 * layers an archive has are added; an archive of neither schema draws nothing but is listed.
 */
import maplibregl, {
  type AddProtocolAction,
  type ExpressionSpecification,
  type LayerSpecification,
  type Map as MapLibre,
  type RasterSourceSpecification,
  type VectorSourceSpecification,
} from 'maplibre-gl';
import { FetchSource, PMTiles, Protocol, type RangeResponse } from 'pmtiles';
import type { BasemapAnswer, BasemapArchive } from '../../../src/api/basemap.ts';
import { api } from '../api.ts';
import { state } from '../store.ts';

/** The map's sources of the operator's archives. */
export const OPERATOR_SOURCE = 'operator';
export const HILLSHADE_SOURCE = 'operator-hillshade';
/** The built-in layer the operator's layers go under (style.ts BASEMAP). */
const BELOW = 'coast';
const FONT = ['sans-serif'];

/** How a schema names its layers and classes. */
interface Schema {
  readonly water: string;
  readonly waterway: string | null;
  readonly landuse: string;
  readonly landcover: string;
  readonly roads: string;
  readonly buildings: string;
  readonly places: string;
  readonly boundaries: string;
  /** The property holding a feature's class. */
  readonly field: 'kind' | 'class';
  /** Road classes from the most important down: highway, major, medium, minor, path. */
  readonly roadClasses: readonly (readonly string[])[];
}

const PROTOMAPS: Schema = {
  water: 'water',
  waterway: null,
  landuse: 'landuse',
  landcover: 'landcover',
  roads: 'roads',
  buildings: 'buildings',
  places: 'places',
  boundaries: 'boundaries',
  field: 'kind',
  roadClasses: [['highway'], ['major_road'], ['medium_road'], ['minor_road', 'other'], ['path']],
};

const OPENMAPTILES: Schema = {
  water: 'water',
  waterway: 'waterway',
  landuse: 'landuse',
  landcover: 'landcover',
  roads: 'transportation',
  buildings: 'building',
  places: 'place',
  boundaries: 'boundary',
  field: 'class',
  roadClasses: [
    ['motorway', 'trunk'],
    ['primary', 'secondary'],
    ['tertiary'],
    ['minor', 'service', 'busway', 'raceway'],
    ['path', 'track', 'bridleway', 'footway', 'cycleway'],
  ],
};

/** The schema of an archive with these layers, or null for neither. */
export function schemaOf(layers: readonly string[]): Schema | null {
  const has = new Set(layers);
  if (has.has('transportation') || has.has('building') || has.has('place')) return OPENMAPTILES;
  if (has.has('roads') || has.has('buildings') || has.has('places') || has.has('earth')) return PROTOMAPS;
  return null;
}

/** Green for what grows, by class. */
const GREEN = [
  'park',
  'forest',
  'wood',
  'grass',
  'grassland',
  'meadow',
  'scrub',
  'nature_reserve',
  'cemetery',
];
const BUILT = ['residential', 'industrial', 'commercial', 'retail', 'railway', 'military'];
const isPoly: ExpressionSpecification = ['==', ['geometry-type'], 'Polygon'];
const isLine: ExpressionSpecification = ['==', ['geometry-type'], 'LineString'];

/** The operator's layers for a schema, only those whose source layer the archive has. */
export function operatorLayers(s: Schema, layers: readonly string[]): LayerSpecification[] {
  const has = new Set(layers);
  const cls: ExpressionSpecification = ['get', s.field];
  const [highway, major, medium, minor, path] = s.roadClasses as string[][];
  // 4 highway … 0 path; an unknown class as a minor road.
  const rank: ExpressionSpecification = [
    'match',
    cls,
    highway as string[],
    4,
    major as string[],
    3,
    medium as string[],
    2,
    path as string[],
    0,
    minor as string[],
    1,
    1,
  ];
  const source = { source: OPERATOR_SOURCE } as const;
  const out: LayerSpecification[] = [];
  for (const l of [s.landcover, s.landuse]) {
    if (!has.has(l)) continue;
    out.push({
      id: `op-${l}`,
      type: 'fill',
      ...source,
      'source-layer': l,
      filter: ['match', cls, [...GREEN, ...BUILT], true, false],
      paint: { 'fill-color': ['match', cls, GREEN, '#1a2a21', '#1e232b'], 'fill-opacity': 0.9 },
    });
  }
  if (has.has(s.water))
    out.push(
      {
        id: 'op-water',
        type: 'fill',
        ...source,
        'source-layer': s.water,
        filter: isPoly,
        paint: { 'fill-color': '#0e2234' },
      },
      {
        id: 'op-water-line',
        type: 'line',
        ...source,
        'source-layer': s.water,
        filter: isLine,
        paint: {
          'line-color': '#1d4766',
          'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 16, 3],
        },
      },
    );
  if (s.waterway && has.has(s.waterway))
    out.push({
      id: 'op-waterway',
      type: 'line',
      ...source,
      'source-layer': s.waterway,
      paint: { 'line-color': '#1d4766', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 16, 3] },
    });
  if (has.has(s.buildings))
    out.push({
      id: 'op-building',
      type: 'fill',
      ...source,
      'source-layer': s.buildings,
      minzoom: 13,
      paint: { 'fill-color': '#29313c', 'fill-outline-color': '#3a4451' },
    });
  if (has.has(s.boundaries))
    out.push({
      id: 'op-boundary',
      type: 'line',
      ...source,
      'source-layer': s.boundaries,
      paint: { 'line-color': '#4d5866', 'line-width': 0.8, 'line-dasharray': [4, 2] },
    });
  if (has.has(s.roads))
    out.push(
      {
        id: 'op-path',
        type: 'line',
        ...source,
        'source-layer': s.roads,
        minzoom: 13,
        filter: ['all', isLine, ['==', rank, 0]],
        paint: { 'line-color': '#3a4350', 'line-width': 1, 'line-dasharray': [2, 1.5] },
      },
      {
        id: 'op-road',
        type: 'line',
        ...source,
        'source-layer': s.roads,
        filter: ['all', isLine, ['>', rank, 0]],
        layout: { 'line-cap': 'round', 'line-join': 'round', 'line-sort-key': rank },
        paint: {
          'line-color': ['match', rank, 4, '#6a7382', 3, '#57606d', 2, '#454e5a', '#353d48'],
          // Wider by class, and with the zoom: a motorway 1.4 px at zoom 10, 11 px at 16.
          'line-width': [
            'interpolate',
            ['exponential', 1.5],
            ['zoom'],
            10,
            ['*', rank, 0.35],
            16,
            ['*', ['+', rank, 0.5], 2.4],
          ],
        },
      },
    );
  if (has.has(s.places))
    out.push({
      id: 'op-place',
      type: 'symbol',
      ...source,
      'source-layer': s.places,
      filter: ['==', ['geometry-type'], 'Point'],
      layout: {
        'text-field': ['get', 'name'],
        'text-font': FONT,
        'text-size': ['interpolate', ['linear'], ['zoom'], 8, 10, 14, 13],
        'text-max-width': 8,
      },
      paint: { 'text-color': '#98a3b0', 'text-halo-color': '#0a1622', 'text-halo-width': 1.2 },
    });
  return out;
}

/** The hillshade: faint, so that it shapes the land without hiding what is drawn on it. */
export const HILLSHADE_LAYER: LayerSpecification = {
  id: 'op-hillshade',
  type: 'raster',
  source: HILLSHADE_SOURCE,
  paint: { 'raster-opacity': 0.22, 'raster-brightness-max': 0.7, 'raster-fade-duration': 0 },
};

/** An archive on the hub, read with the session's token (asked each time: a new login changes it). */
class HubSource extends FetchSource {
  override getBytes(
    offset: number,
    length: number,
    signal?: AbortSignal,
    etag?: string,
  ): Promise<RangeResponse> {
    this.setHeaders(new Headers(state.me ? { authorization: `Bearer ${state.me.token}` } : {}));
    return super.getBytes(offset, length, signal, etag);
  }
}

let protocol: Protocol | null = null;

/** The `pmtiles://` URL of an archive the hub serves at `path`, registered with MapLibre. */
function archiveUrl(path: string): string {
  if (protocol === null) {
    protocol = new Protocol();
    maplibregl.addProtocol('pmtiles', protocol.tile as unknown as AddProtocolAction);
  }
  const url = `${location.origin}${path}`;
  if (!protocol.get(url)) protocol.add(new PMTiles(new HubSource(url)));
  return `pmtiles://${url}`;
}

/** Where the hub serves its base map tiles, and the header that carries the session's token. */
const TILE_PREFIX = '/api/v1/basemap/';
const withToken = (url: string) =>
  url.startsWith(`${location.origin}${TILE_PREFIX}`) && state.me
    ? { url, headers: { authorization: `Bearer ${state.me.token}` } }
    : { url };

/**
 * A map source of an archive: a PMTiles archive through the `pmtiles` protocol (its TileJSON
 * from the archive's header), an MBTiles file as tiles by URL with the answer's bounds and zooms
 * (MapLibre asks for nothing outside them; a tile the file lacks is a quiet 204).
 */
function sourceOf(
  type: 'vector' | 'raster',
  a: BasemapArchive,
): VectorSourceSpecification | RasterSourceSpecification {
  const where =
    a.kind === 'pmtiles' && a.url !== null
      ? { url: archiveUrl(a.url) }
      : {
          tiles: [`${location.origin}${a.tiles}`],
          bounds: a.bounds as [number, number, number, number],
          minzoom: a.min_zoom,
          maxzoom: a.max_zoom,
          ...(a.attribution !== null && { attribution: a.attribution }),
        };
  return type === 'vector' ? { type, ...where } : { type, tileSize: 256, ...where };
}

/** Add the operator's archives to the map, if the hub has any (a failure leaves the built-in map). */
export async function loadOperatorBasemap(map: MapLibre): Promise<void> {
  try {
    const b = await api<BasemapAnswer>('GET', '/basemap');
    if (b.vector?.kind === 'mbtiles' || b.hillshade?.kind === 'mbtiles') map.setTransformRequest(withToken);
    const below = map.getLayer(BELOW) ? BELOW : undefined;
    if (b.hillshade) {
      map.addSource(HILLSHADE_SOURCE, sourceOf('raster', b.hillshade));
      map.addLayer(HILLSHADE_LAYER, below);
    }
    const schema = b.vector ? schemaOf(b.vector.layers) : null;
    if (b.vector && schema) {
      map.addSource(OPERATOR_SOURCE, sourceOf('vector', b.vector));
      for (const layer of operatorLayers(schema, b.vector.layers)) map.addLayer(layer, below);
    }
  } catch (err) {
    console.error('operator basemap', err);
  }
}
