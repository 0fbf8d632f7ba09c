/**
 * The operator's base maps on the wire: which tile archives the hub serves (`deconflict serve
 * --basemap FILE --hillshade FILE`) and what the console needs to draw them — the archive's kind
 * (PMTiles, read by HTTP Range through the `pmtiles` protocol; MBTiles, read tile by tile), its
 * paths on the hub, its tile format, bounds, zoom range and, for vector tiles, the names of its
 * layers (by which the console recognises the Protomaps or OpenMapTiles schema). Read from the
 * PMTiles v3 header and JSON metadata, or the MBTiles metadata table (src/server/basemap.ts);
 * nothing here is party data, but a theatre extract can be sensitive, so the answer needs a
 * token like the archives.
 */
import Type, { type Static } from 'typebox';
import { Nullable } from './common.ts';

/** The paths PMTiles archives are served at (`GET /api/v1/basemap/{name}`), one per role. */
export const BASEMAP_ARCHIVES = { vector: 'vector.pmtiles', hillshade: 'hillshade.pmtiles' } as const;

/** The highest zoom a tile may be asked for. */
export const MAX_TILE_ZOOM = 24;

/** The URL template of an archive's tiles, one request per tile (`{z}/{x}/{y}`, XYZ order). */
export const tilesUrl = (role: keyof typeof BASEMAP_ARCHIVES): string =>
  `/api/v1/basemap/${role}/{z}/{x}/{y}`;

export const BasemapArchive = Type.Object(
  {
    kind: Type.Enum(['pmtiles', 'mbtiles'], { description: 'the archive format, told by its first bytes' }),
    url: Nullable(
      Type.String({
        description:
          'where the hub serves the whole archive by HTTP Range requests (PMTiles); null for MBTiles',
      }),
    ),
    tiles: Type.String({
      description: 'the URL template of its tiles, one request each (`{z}/{x}/{y}`, XYZ order), either kind',
    }),
    tile_type: Type.Enum(['mvt', 'png', 'jpeg', 'webp', 'avif'], {
      description: 'the tiles: Mapbox Vector Tiles, or raster images',
    }),
    bounds: Type.Array(Type.Number(), {
      minItems: 4,
      maxItems: 4,
      description: 'west, south, east, north in degrees (WGS 84)',
    }),
    min_zoom: Type.Integer({ minimum: 0, maximum: 30 }),
    max_zoom: Type.Integer({ minimum: 0, maximum: 30 }),
    center: Type.Array(Type.Number(), {
      minItems: 3,
      maxItems: 3,
      description: 'longitude, latitude and zoom the archive suggests',
    }),
    layers: Type.Array(Type.String({ maxLength: 200 }), {
      maxItems: 1000,
      description: 'the vector layers its metadata lists (`vector_layers[].id`); empty for raster',
    }),
    size: Type.Integer({ minimum: 0, description: 'bytes' }),
    attribution: Nullable(Type.String({ maxLength: 2000, description: 'as the archive states it' })),
  },
  { additionalProperties: false },
);
export type BasemapArchive = Static<typeof BasemapArchive>;

export const BasemapAnswer = Type.Object(
  {
    vector: Nullable(BasemapArchive),
    hillshade: Nullable(BasemapArchive),
  },
  {
    additionalProperties: false,
    description: 'The archives the operator gave the hub; null where none (the built-in map only)',
  },
);
export type BasemapAnswer = Static<typeof BasemapAnswer>;
