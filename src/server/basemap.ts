/**
 * Base maps the operator brings: a vector tile archive (an OpenStreetMap extract of the theatre)
 * and a raster hillshade archive, each a PMTiles v3 archive or an MBTiles file (told apart by
 * their first bytes), given to `deconflict serve --basemap FILE --hillshade FILE`, served by the
 * hub itself so that the console draws them without any request leaving it.
 *
 * - `GET /api/v1/basemap` says which archives exist, of which kind, with their header and
 *   metadata (bounds, zoom range, vector layers) as the console needs them (src/api/basemap.ts).
 * - `GET /api/v1/basemap/{vector,hillshade}.pmtiles` serves a PMTiles archive's bytes with HTTP
 *   Range (RFC 9110 §14): `206 Partial Content` with `Content-Range` for one range, `200` and the
 *   whole file without one, `416 range_not_satisfiable` with `Content-Range: bytes *\/SIZE` for a
 *   range past the end or several ranges at once (the PMTiles client asks for one at a time;
 *   a multipart answer is not worth its code). A strong ETag (size and modification time) and
 *   Last-Modified let the client notice a replaced archive; an `If-Range` that does not match
 *   gets the whole file, as the RFC says.
 * - `GET /api/v1/basemap/{vector,hillshade}/{z}/{x}/{y}` serves one tile of either kind, as
 *   read (an MBTiles row as stored, a PMTiles tile as the pmtiles reader inflates it):
 *   `Content-Encoding: gzip` when its bytes are gzipped (magic 1f 8b; browsers inflate it), the media type of its format, an ETag of the archive's state and the tile's address
 *   (304 to an `If-None-Match` that matches). A tile the archive does not hold is `204 No
 *   Content`: MapLibre draws it as empty and quietly, where a 404 is an error event and a line
 *   in the browser's console for every tile of open sea. z is 0–24 and x, y within 2^z.
 *
 * Every route needs a token (a session or an API token), unlike the console's own files: the
 * archive is map data the operator chose, not party data, but on an air-gapped deployment the
 * theatre extract is itself sensitive — what a party is interested in shows in where it was cut.
 *
 * An archive is read where it lies (never copied, never held whole): the header and metadata
 * when the hub starts and again whenever the file's size or time changes, the ranges and tiles
 * asked for read from the file (an MBTiles file through SQLite, read-only: basemap-mbtiles.ts).
 * A file that is neither kind, holds the wrong kind of tiles (vector tiles for --basemap, images
 * for --hillshade), or that the reader cannot read (PMTiles directories compressed with brotli or
 * zstd; an SQLite file without the MBTiles tables) is refused when the hub starts.
 */
import { createReadStream, type ReadStream, type Stats, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Compression, PMTiles, type RangeResponse, type Source, TileType } from 'pmtiles';
import Type from 'typebox';
import {
  BASEMAP_ARCHIVES,
  BasemapAnswer,
  type BasemapArchive,
  MAX_TILE_ZOOM,
  tilesUrl,
} from '../api/basemap.ts';
import { Errors, NoContent } from '../api/common.ts';
import type { ErrorDetail } from '../errors.ts';
import { type ArchiveInfo, MAX_METADATA_BYTES, MbtilesReader } from './basemap-mbtiles.ts';
import { coded, errorResponse } from './errors.ts';
import { type App, BEARER, ERRORS } from './routes/support.ts';

/** The archives given to `deconflict serve`. */
export interface BasemapFiles {
  readonly vector?: string;
  readonly hillshade?: string;
}

const TILE_TYPES: Record<number, BasemapArchive['tile_type']> = {
  [TileType.Mvt]: 'mvt',
  [TileType.Png]: 'png',
  [TileType.Jpeg]: 'jpeg',
  [TileType.Webp]: 'webp',
  [TileType.Avif]: 'avif',
};
/** Compressions of the directories and metadata the reader decompresses. */
const READABLE = new Set([Compression.None, Compression.Gzip]);

/** A PMTiles source over a local file: each range read with one positioned read. */
class LocalSource implements Source {
  constructor(private readonly path: string) {}
  getKey(): string {
    return this.path;
  }
  async getBytes(offset: number, length: number): Promise<RangeResponse> {
    const f = await open(this.path, 'r');
    try {
      const buf = new Uint8Array(length);
      const { bytesRead } = await f.read(buf, 0, length, offset);
      return { data: buf.buffer.slice(0, bytesRead) };
    } finally {
      await f.close();
    }
  }
}

/** An archive's reader, whichever its kind: what it holds, and its tiles by z/x/y (XYZ). */
interface Reader {
  readonly info: BasemapArchive;
  tile(z: number, x: number, y: number): Promise<Uint8Array | null>;
  close(): void;
}

/** The first bytes of an SQLite database (so of an MBTiles file), and of a PMTiles archive. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const PMTILES_MAGIC = Buffer.from('PMTiles', 'latin1');

/** The kind of archive a file is, by its first bytes; null for neither. */
export async function kindOf(path: string): Promise<BasemapArchive['kind'] | null> {
  const f = await open(path, 'r');
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const { bytesRead } = await f.read(head, 0, head.length, 0);
    if (bytesRead === head.length && head.equals(SQLITE_MAGIC)) return 'mbtiles';
    if (head.subarray(0, PMTILES_MAGIC.length).equals(PMTILES_MAGIC)) return 'pmtiles';
    return null;
  } finally {
    await f.close();
  }
}

/** One archive: its file, and a reader of it (opened again when the file changes). */
export class Archive {
  private known: { key: string; reader: Promise<Reader> } | null = null;

  private constructor(
    readonly path: string,
    readonly role: Role,
  ) {}

  /** Open and check an archive; throws an Error saying what is wrong with the file. */
  static async open(path: string, role: Role): Promise<Archive> {
    const a = new Archive(path, role);
    await a.info();
    return a;
  }

  /** The file's state now (size, time): its ETag and Last-Modified. */
  stat(): { stats: Stats; etag: string } {
    const stats = statSync(this.path);
    return { stats, etag: `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"` };
  }

  /** The reader of the file as it is now. */
  private reader(): Promise<Reader> {
    const { stats, etag } = this.stat();
    if (this.known?.key === etag) return this.known.reader;
    const old = this.known?.reader;
    const reader = openReader(this.path, this.role, stats.size);
    this.known = { key: etag, reader };
    // A failed open is not kept: the next request tries again.
    reader.catch(() => {
      if (this.known?.reader === reader) this.known = null;
    });
    old?.then((r) => r.close()).catch(() => {});
    return reader;
  }

  /** What the archive holds, as of the file's current state. */
  async info(): Promise<BasemapArchive> {
    return (await this.reader()).info;
  }

  /** The tile at z/x/y (XYZ) as stored, or null where the archive has none. */
  async tile(z: number, x: number, y: number): Promise<Uint8Array | null> {
    return (await this.reader()).tile(z, x, y);
  }
}

type Role = keyof typeof BASEMAP_ARCHIVES;

/** Open a file as the archive its first bytes say it is. */
async function openReader(path: string, role: Role, size: number): Promise<Reader> {
  const kind = await kindOf(path);
  if (kind === null) throw new Error(`${path} is neither a PMTiles v3 archive nor an MBTiles file`);
  const urls = {
    url: kind === 'pmtiles' ? `/api/v1/basemap/${BASEMAP_ARCHIVES[role]}` : null,
    tiles: tilesUrl(role),
  };
  if (kind === 'mbtiles') {
    const m = MbtilesReader.open(path, role);
    return {
      info: { kind, ...urls, ...m.info, size },
      tile: async (z, x, y) => m.tile(z, x, y),
      close: () => m.close(),
    };
  }
  const p = new PMTiles(new LocalSource(path));
  return {
    info: { kind, ...urls, ...(await describe(p, path, role)), size },
    tile: async (z, x, y) => {
      const t = await p.getZxy(z, x, y);
      return t ? new Uint8Array(t.data) : null;
    },
    close: () => {},
  };
}

/** Read and check a PMTiles archive's header and metadata. */
async function describe(p: PMTiles, path: string, role: Role): Promise<ArchiveInfo> {
  let h: Awaited<ReturnType<PMTiles['getHeader']>>;
  try {
    h = await p.getHeader();
  } catch (err) {
    throw new Error(`${path} is not a PMTiles v3 archive (${(err as Error).message})`);
  }
  const type = TILE_TYPES[h.tileType];
  if (type === undefined) throw new Error(`${path} holds tiles of an unknown type`);
  if (role === 'vector' && type !== 'mvt')
    throw new Error(`${path} holds ${type} tiles, not vector tiles (MVT)`);
  if (role === 'hillshade' && type === 'mvt')
    throw new Error(`${path} holds vector tiles, not images (PNG, JPEG, WebP, AVIF)`);
  if (!READABLE.has(h.internalCompression))
    throw new Error(`${path}: its directories are compressed with a method the hub cannot read (use gzip)`);
  if (h.jsonMetadataLength > MAX_METADATA_BYTES)
    throw new Error(`${path}: its metadata is larger than ${MAX_METADATA_BYTES} bytes`);
  const meta = (await p.getMetadata()) as {
    vector_layers?: { id?: unknown }[];
    attribution?: unknown;
  } | null;
  const layers = (Array.isArray(meta?.vector_layers) ? meta.vector_layers : [])
    .map((l) => l?.id)
    .filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 200)
    .slice(0, 1000);
  const attribution = typeof meta?.attribution === 'string' ? meta.attribution.slice(0, 2000) : null;
  return {
    tile_type: type,
    bounds: [h.minLon, h.minLat, h.maxLon, h.maxLat],
    min_zoom: h.minZoom,
    max_zoom: h.maxZoom,
    center: [h.centerLon, h.centerLat, h.centerZoom],
    layers,
    attribution,
  };
}

/** Open the archives given to `serve` (throws an Error naming the flag and what is wrong). */
export async function openBasemaps(files: BasemapFiles): Promise<Basemaps> {
  const out: { vector?: Archive; hillshade?: Archive } = {};
  for (const [role, flag] of [
    ['vector', '--basemap'],
    ['hillshade', '--hillshade'],
  ] as const) {
    const path = files[role];
    if (path === undefined) continue;
    try {
      out[role] = await Archive.open(path, role);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(`${flag}: ${e.code === 'ENOENT' ? `no file ${path}` : e.message}`);
    }
  }
  return out;
}

/** The archives the hub serves. */
export type Basemaps = { readonly vector?: Archive; readonly hillshade?: Archive };

/**
 * A `Range` header of one byte range as [first, last] within a file of `size` bytes (RFC 9110
 * §14.1.2: `first-last`, `first-`, or the `-n` last bytes; a last past the end is the end); null
 * when none can be served (past the end, several ranges, another unit, malformed).
 */
export function byteRange(header: string, size: number): [number, number] | null {
  const m = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? null : [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return first >= size || Number(m[2] === '' ? first : m[2]) < first ? null : [first, last];
}

/** The media type of each tile format (MVT as registered with IANA by Mapbox). */
const MEDIA_TYPES: Record<BasemapArchive['tile_type'], string> = {
  mvt: 'application/vnd.mapbox-vector-tile',
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
};

const Bytes = (description: string) => ({
  description,
  // The archive's bytes, streamed from the file (no serializer runs on a stream).
  content: { 'application/octet-stream': { schema: Type.Unsafe<ReadStream>(Type.String()) } },
});

/** Register the base map routes (they answer "none" and 404 when the hub has no archive). */
export function basemapRoutes(app: App, basemaps: Basemaps = {}): void {
  app.get(
    '/api/v1/basemap',
    {
      schema: {
        tags: ['basemap'],
        summary: "The operator's base map archives, if any: bounds, zoom range, vector layers",
        description:
          'Archives given to `deconflict serve --basemap FILE --hillshade FILE` (docs/formats/basemaps.md); null where none. A token is needed: the theatre extract the operator chose can be sensitive.',
        security: BEARER,
        response: { 200: BasemapAnswer, ...ERRORS },
      },
    },
    async () => ({
      vector: basemaps.vector ? await basemaps.vector.info() : null,
      hillshade: basemaps.hillshade ? await basemaps.hillshade.info() : null,
    }),
  );
  app.get(
    '/api/v1/basemap/:name',
    {
      schema: {
        tags: ['basemap'],
        summary: 'A PMTiles archive (vector.pmtiles, hillshade.pmtiles), by HTTP Range requests',
        description:
          'One byte range per request (`Range: bytes=first-last`): 206 with Content-Range; no Range: 200 and the whole file; a range past the end or several ranges: 416 `range_not_satisfiable` with `Content-Range: bytes */SIZE`. 404 when the hub has no such archive, or that archive is MBTiles (read by tile).',
        security: BEARER,
        params: Type.Object(
          { name: Type.String({ maxLength: 64, description: 'vector.pmtiles or hillshade.pmtiles' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Bytes('The whole archive'),
          206: Bytes('The range asked for'),
          '4xx': Errors,
          '5xx': Errors,
        },
      },
    },
    async (req, reply) => {
      const role = req.params.name === BASEMAP_ARCHIVES.vector ? 'vector' : 'hillshade';
      const archive = req.params.name === BASEMAP_ARCHIVES[role] ? basemaps[role] : undefined;
      if (!archive) throw coded('not_found', `this hub serves no base map archive ${req.params.name}`);
      if ((await archive.info()).kind !== 'pmtiles')
        throw coded(
          'not_found',
          `the ${role} base map is an MBTiles file, read tile by tile at ${tilesUrl(role)}`,
        );
      const { stats, etag } = archive.stat();
      const size = stats.size;
      reply
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('last-modified', stats.mtime.toUTCString())
        .header('cache-control', 'private, no-cache')
        .header('x-content-type-options', 'nosniff')
        .type('application/octet-stream');
      const range = req.headers.range;
      const ifRange = req.headers['if-range'];
      if (range === undefined || (ifRange !== undefined && ifRange !== etag)) {
        return reply.header('content-length', size).send(createReadStream(archive.path));
      }
      const r = byteRange(range, size);
      if (r === null) {
        const { body } = errorResponse(
          coded(
            'range_not_satisfiable',
            `the archive has ${size} bytes; ask for one range within them (Range: bytes=first-last)`,
          ),
        );
        return reply
          .status(416)
          .header('content-range', `bytes */${size}`)
          .type('application/json')
          .send(body as { errors: ErrorDetail[] });
      }
      const [first, last] = r;
      return reply
        .status(206)
        .header('content-range', `bytes ${first}-${last}/${size}`)
        .header('content-length', last - first + 1)
        .send(createReadStream(archive.path, { start: first, end: last }));
    },
  );
  app.get(
    // `:name` as in the archive's route: the router holds one parameter at this place.
    '/api/v1/basemap/:name/:z/:x/:y',
    {
      schema: {
        tags: ['basemap'],
        summary: 'One tile of an archive (PMTiles or MBTiles), by its XYZ address',
        description:
          'The tile as stored: `Content-Encoding: gzip` when gzipped, the media type of its format, an ETag (304 to a matching If-None-Match). A tile the archive does not hold: 204 No Content (an empty tile to MapLibre). 404 when the hub has no such archive; x and y within 2^z, else 400 `invalid_request`.',
        security: BEARER,
        params: Type.Object(
          {
            name: Type.Enum(['vector', 'hillshade'], { description: 'which archive' }),
            z: Type.Integer({ minimum: 0, maximum: MAX_TILE_ZOOM }),
            x: Type.Integer({
              minimum: 0,
              maximum: 2 ** MAX_TILE_ZOOM - 1,
              description: 'column, from the west',
            }),
            y: Type.Integer({
              minimum: 0,
              maximum: 2 ** MAX_TILE_ZOOM - 1,
              description: 'row, from the north',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'The tile',
            content: Object.fromEntries(
              Object.values(MEDIA_TYPES).map((t) => [t, { schema: Type.Unsafe<Uint8Array>(Type.String()) }]),
            ),
          },
          204: NoContent,
          304: NoContent,
          '4xx': Errors,
          '5xx': Errors,
        },
      },
    },
    async (req, reply) => {
      const { name: role, z, x, y } = req.params;
      const archive = basemaps[role];
      if (!archive) throw coded('not_found', `this hub serves no ${role} base map`);
      const n = 2 ** z;
      for (const [name, v] of [
        ['x', x],
        ['y', y],
      ] as const)
        if (v >= n) throw coded('invalid_request', `${name} is ${v}; at zoom ${z} it is below ${n}`, name);
      const info = await archive.info();
      const etag = `"${archive.stat().etag.slice(1, -1)}-${z}-${x}-${y}"`;
      reply
        .header('etag', etag)
        .header('cache-control', 'private, no-cache')
        .header('x-content-type-options', 'nosniff');
      if (req.headers['if-none-match'] === etag) return reply.status(304).send(null);
      const tile = await archive.tile(z, x, y);
      if (tile === null || tile.length === 0) return reply.status(204).send(null);
      if (tile[0] === 0x1f && tile[1] === 0x8b) reply.header('content-encoding', 'gzip');
      return reply
        .type(MEDIA_TYPES[info.tile_type])
        .header('content-length', tile.length)
        .send(Buffer.from(tile.buffer, tile.byteOffset, tile.length));
    },
  );
}
