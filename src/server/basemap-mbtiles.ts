/**
 * An MBTiles file (https://github.com/mapbox/mbtiles-spec, 1.3) read as a base map archive: the
 * SQLite database that GDAL (`ogr2ogr -f MBTILES`, `gdal_translate -of MBTILES`), tippecanoe,
 * TileMill and QGIS write, with a `metadata` table of name/value text and the tiles in a `tiles`
 * table or view (zoom_level, tile_column, tile_row, tile_data) — or, in the deduplicated layout
 * mbutil writes, a `map` table pointing into `images`.
 *
 * Opened read-only (`readonly`, `fileMustExist`, and `query_only` on top), with `trusted_schema`
 * off so that a view in the file cannot call a function with side effects; the hub never writes
 * to the operator's file. Checked when opened: both tables, the columns the tile query names,
 * the format (`pbf` for vector tiles, `png`, `jpg` or `webp` for images; from the first tile's
 * bytes when a file older than 1.1 does not say), at least one tile. Metadata is read bounded:
 * at most 1,000 rows, the `json` value (vector layers) at most 1 MiB.
 *
 * Rows are in TMS order (row 0 at the south): the row of XYZ tile y at zoom z is 2^z − 1 − y,
 * unless the metadata says `scheme` = `xyz`, as some tools write. Missing bounds, zooms or centre
 * are taken from the tiles themselves. Tiles are returned as stored (gzipped or not): the route
 * says which by their bytes.
 */
import Database from 'better-sqlite3';
import type { BasemapArchive } from '../api/basemap.ts';

/** A vector layer list larger than this is not read (a planet build's is a few KiB). */
export const MAX_METADATA_BYTES = 1024 * 1024;
const MAX_METADATA_ROWS = 1000;
const MAX_ZOOM = 30;

/** The MBTiles `format` values served, as the wire names them. */
const FORMATS: Record<string, BasemapArchive['tile_type']> = {
  pbf: 'mvt',
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  webp: 'webp',
};

/** What an MBTiles file says of itself, in the wire's terms (the route adds its URLs). */
export type ArchiveInfo = Pick<
  BasemapArchive,
  'tile_type' | 'bounds' | 'min_zoom' | 'max_zoom' | 'center' | 'layers' | 'attribution'
>;

/** The tile type of a tile's bytes: gzip or a protobuf field key → MVT, else by image magic. */
export function sniffTileType(b: Uint8Array): BasemapArchive['tile_type'] | null {
  if ((b[0] === 0x1f && b[1] === 0x8b) || b[0] === 0x1a) return 'mvt';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpeg';
  const riff = Buffer.from(b.subarray(0, 12)).toString('latin1');
  if (riff.startsWith('RIFF') && riff.endsWith('WEBP')) return 'webp';
  return null;
}

/** Longitude and latitude of an XYZ tile corner (Web Mercator). */
function lonLat(z: number, x: number, y: number): [number, number] {
  const n = 2 ** z;
  return [(x / n) * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI];
}

/** Comma-separated finite numbers, exactly `count` of them, or null. */
function numbers(text: string | undefined, count: number): number[] | null {
  if (text === undefined) return null;
  const v = text.split(',').map((s) => Number(s.trim()));
  return v.length === count && v.every(Number.isFinite) ? v : null;
}

const zoom = (text: string | undefined): number | null => {
  const n = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(n) && n >= 0 && n <= MAX_ZOOM ? n : null;
};

/** West, south, east, north within the world and in order. */
const isBox = ([w, s, e, n]: readonly number[]): boolean =>
  (w as number) >= -180 &&
  (e as number) <= 180 &&
  (s as number) >= -90 &&
  (n as number) <= 90 &&
  (w as number) <= (e as number) &&
  (s as number) <= (n as number);

/** The box of the tiles at zoom z (for a file whose metadata has no valid bounds). */
function tilesBox(
  db: Database.Database,
  from: string,
  z: number,
  xyz: boolean,
): [number, number, number, number] {
  const b = db
    .prepare<[number], { x0: number; x1: number; r0: number; r1: number }>(
      `SELECT min(tile_column) AS x0, max(tile_column) AS x1, min(tile_row) AS r0, max(tile_row) AS r1 FROM ${from} WHERE zoom_level = ?`,
    )
    .get(z) as { x0: number; x1: number; r0: number; r1: number };
  const n = 2 ** z;
  const [top, bottom] = xyz ? [b.r0, b.r1] : [n - 1 - b.r1, n - 1 - b.r0];
  const [w, north] = lonLat(z, b.x0, top);
  const [e, south] = lonLat(z, b.x1 + 1, bottom + 1);
  return [w, south, e, north];
}

/** The two layouts of the tiles: their query, the address condition, and the indexed table. */
const LAYOUTS = {
  tiles: {
    tiles: 'SELECT tile_data FROM tiles',
    at: 'zoom_level = ? AND tile_column = ? AND tile_row = ?',
    index: 'tiles',
  },
  map: {
    tiles: 'SELECT images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id',
    at: 'map.zoom_level = ? AND map.tile_column = ? AND map.tile_row = ?',
    index: 'map',
  },
} as const;

/** The tiles' type: the metadata's `format`, or (before MBTiles 1.1) the first tile's bytes. */
function tileType(
  db: Database.Database,
  path: string,
  format: string | undefined,
  tiles: string,
): BasemapArchive['tile_type'] {
  if (format === undefined) {
    const first = db.prepare<[], { tile_data: Buffer }>(`${tiles} LIMIT 1`).get();
    const type = first ? sniffTileType(first.tile_data) : null;
    if (!type) throw new Error(`${path}: its metadata names no format and its tiles are of an unknown kind`);
    return type;
  }
  const name = format.trim().toLowerCase();
  const type = FORMATS[name];
  if (type === undefined)
    throw new Error(`${path}: its tiles are "${name.slice(0, 40)}", not pbf, png, jpg or webp`);
  return type;
}

/** The vector layers the metadata's `json` value lists (its size checked before it is read). */
function vectorLayers(db: Database.Database, path: string): string[] {
  const size = db
    .prepare<[], { length: number }>(
      "SELECT length(CAST(value AS BLOB)) AS length FROM metadata WHERE name = 'json' LIMIT 1",
    )
    .get();
  if (!size) return [];
  if (size.length > MAX_METADATA_BYTES)
    throw new Error(`${path}: its metadata is larger than ${MAX_METADATA_BYTES} bytes`);
  const json = db
    .prepare<[], { value: unknown }>(
      "SELECT CAST(value AS TEXT) AS value FROM metadata WHERE name = 'json' LIMIT 1",
    )
    .get();
  let parsed: { vector_layers?: { id?: unknown }[] } | null;
  try {
    parsed = typeof json?.value === 'string' ? JSON.parse(json.value) : null;
  } catch {
    throw new Error(`${path}: its metadata "json" is not JSON`);
  }
  const list = Array.isArray(parsed?.vector_layers) ? parsed.vector_layers : [];
  return list
    .slice(0, 1000)
    .map((l) => l?.id)
    .filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 200);
}

/** An open MBTiles file. */
export class MbtilesReader {
  private constructor(
    private readonly db: Database.Database,
    private readonly select: Database.Statement<[number, number, number], { tile_data: Buffer }>,
    private readonly xyz: boolean,
    readonly info: ArchiveInfo,
  ) {}

  /** Open and check a file; throws an Error saying what is wrong with it. */
  static open(path: string, role: 'vector' | 'hillshade'): MbtilesReader {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma('query_only = ON');
      db.pragma('trusted_schema = OFF');
    } catch (err) {
      throw new Error(`${path} is not an MBTiles file (${(err as Error).message})`);
    }
    try {
      return MbtilesReader.check(db, path, role);
    } catch (err) {
      db.close();
      const message = (err as Error).message;
      throw new Error(message.startsWith(path) ? message : `${path} is not an MBTiles file (${message})`);
    }
  }

  private static check(db: Database.Database, path: string, role: 'vector' | 'hillshade'): MbtilesReader {
    const kinds = new Map(
      db
        .prepare<[], { name: string; type: string }>(
          "SELECT name, type FROM sqlite_master WHERE name IN ('tiles', 'metadata', 'map', 'images')",
        )
        .all()
        .map((r) => [r.name, r.type]),
    );
    if (!kinds.has('metadata'))
      throw new Error(`${path}: an MBTiles file has a metadata table; this has none`);
    const layout = kinds.has('tiles')
      ? LAYOUTS.tiles
      : kinds.has('map') && kinds.has('images')
        ? LAYOUTS.map
        : null;
    if (layout === null)
      throw new Error(`${path}: an MBTiles file has a tiles table (or map and images); this has none`);
    let select: Database.Statement<[number, number, number], { tile_data: Buffer }>;
    try {
      select = db.prepare(`${layout.tiles} WHERE ${layout.at}`);
    } catch (err) {
      throw new Error(`${path}: its tiles cannot be read (${(err as Error).message})`);
    }
    const from = layout.index;
    const range = db
      .prepare<[], { lo: number | null; hi: number | null }>(
        `SELECT min(zoom_level) AS lo, max(zoom_level) AS hi FROM ${from}`,
      )
      .get();
    if (range?.lo == null || range.hi == null) throw new Error(`${path}: it holds no tiles`);

    const meta = new Map<string, string>();
    for (const r of db
      .prepare<[number], { name: unknown; value: unknown }>(
        'SELECT name, substr(value, 1, 2000) AS value FROM metadata LIMIT ?',
      )
      .all(MAX_METADATA_ROWS))
      if (typeof r.name === 'string' && typeof r.value === 'string') meta.set(r.name, r.value);

    const type = tileType(db, path, meta.get('format'), layout.tiles);
    if (role === 'vector' && type !== 'mvt')
      throw new Error(`${path} holds ${type} tiles, not vector tiles (MVT)`);
    if (role === 'hillshade' && type === 'mvt')
      throw new Error(`${path} holds vector tiles, not images (PNG, JPEG, WebP)`);
    const layers = type === 'mvt' ? vectorLayers(db, path) : [];

    const min = zoom(meta.get('minzoom')) ?? range.lo;
    const max = zoom(meta.get('maxzoom')) ?? range.hi;
    const xyz = meta.get('scheme')?.trim().toLowerCase() === 'xyz';
    const box = numbers(meta.get('bounds'), 4) as [number, number, number, number] | null;
    const [w, s, e, n] = box && isBox(box) ? box : tilesBox(db, from, range.lo, xyz);
    const c = numbers(meta.get('center'), 3) as [number, number, number] | null;
    const center: [number, number, number] =
      c && isBox([c[0], c[1], c[0], c[1]]) && zoom(String(c[2])) !== null
        ? c
        : [(w + e) / 2, (s + n) / 2, min];
    const attribution = meta.get('attribution') ?? null;
    return new MbtilesReader(db, select, xyz, {
      tile_type: type,
      bounds: [w, s, e, n],
      min_zoom: min,
      max_zoom: max,
      center,
      layers,
      attribution,
    });
  }

  /** The tile at XYZ z/x/y as stored, or null where the file has none. */
  tile(z: number, x: number, y: number): Uint8Array | null {
    const row = this.xyz ? y : 2 ** z - 1 - y;
    const r = this.select.get(z, x, row);
    return r && r.tile_data instanceof Uint8Array ? r.tile_data : null;
  }

  close(): void {
    this.db.close();
  }
}
