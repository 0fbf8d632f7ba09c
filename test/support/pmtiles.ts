/**
 * PMTiles v3 archives written in tests (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md):
 * the 127-byte header, one root directory (entries sorted by tile id on the Hilbert curve —
 * `zxyToTileId` of the pmtiles package — as varint columns: id deltas, run lengths, lengths,
 * offsets with 0 meaning "right after the previous"), the JSON metadata and the tile data,
 * clustered. Directories and metadata gzip-compressed, as real archives are; vector tiles gzipped,
 * images stored as they are. No leaf directories: a test archive's root fits the first 16 KiB.
 *
 * Also the test theatre's base maps: a vector archive of test/fixtures/arad-osm.geojson (a few
 * roads, buildings, water, a park and a place around Arad, in the Protomaps schema's layer names)
 * at zooms 10–14, and a raster "hillshade" of grey PNG tiles (a ramp, made with zlib by hand) at
 * zooms 8–12.
 */
import { readFileSync } from 'node:fs';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import type { FeatureCollection } from 'geojson';
import { zxyToTileId } from 'pmtiles';
import { boxOf, encodeTile, tilesOf } from './mvt.ts';

/** A tile of the archive. */
export interface Tile {
  readonly z: number;
  readonly x: number;
  readonly y: number;
  readonly data: Uint8Array;
}

export interface ArchiveSpec {
  readonly tiles: readonly Tile[];
  /** 1 MVT, 2 PNG, 3 JPEG, 4 WebP. */
  readonly tileType: 1 | 2 | 3 | 4;
  /** Gzip the tiles (vector tiles are, images are not). */
  readonly gzipTiles: boolean;
  readonly metadata: Record<string, unknown>;
  /** West, south, east, north. */
  readonly bounds: readonly [number, number, number, number];
}

const varints = (values: readonly number[]): number[] => {
  const out: number[] = [];
  for (const v of values) {
    let n = v;
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
  }
  return out;
};

/** Write an archive. */
export function pmtiles(spec: ArchiveSpec): Uint8Array {
  const tiles = spec.tiles
    .map((t) => ({
      id: zxyToTileId(t.z, t.x, t.y),
      z: t.z,
      data: spec.gzipTiles ? gzipSync(t.data) : t.data,
    }))
    .sort((a, b) => a.id - b.id);
  let offset = 0;
  const entries = tiles.map((t) => {
    const e = { id: t.id, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const directory = gzipSync(
    Uint8Array.from([
      ...varints([entries.length]),
      ...varints(entries.map((e, i) => e.id - (i === 0 ? 0 : (entries[i - 1]?.id as number)))),
      ...varints(entries.map(() => 1)),
      ...varints(entries.map((e) => e.length)),
      ...varints(entries.map((e, i) => (i > 0 ? 0 : e.offset + 1))),
    ]),
  );
  const metadata = gzipSync(Buffer.from(JSON.stringify(spec.metadata)));
  const zooms = tiles.map((t) => t.z);
  const [w, s, e, n] = spec.bounds;
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header.writeUInt8(3, 7);
  const u64 = (at: number, v: number) => header.writeBigUInt64LE(BigInt(v), at);
  const dirAt = 127;
  const metaAt = dirAt + directory.length;
  const dataAt = metaAt + metadata.length;
  u64(8, dirAt);
  u64(16, directory.length);
  u64(24, metaAt);
  u64(32, metadata.length);
  u64(40, dataAt);
  u64(48, 0);
  u64(56, dataAt);
  u64(64, offset);
  u64(72, entries.length);
  u64(80, entries.length);
  u64(88, entries.length);
  header.writeUInt8(1, 96); // clustered
  header.writeUInt8(2, 97); // internal compression: gzip
  header.writeUInt8(spec.gzipTiles ? 2 : 1, 98);
  header.writeUInt8(spec.tileType, 99);
  header.writeUInt8(Math.min(...zooms), 100);
  header.writeUInt8(Math.max(...zooms), 101);
  const e7 = (at: number, v: number) => header.writeInt32LE(Math.round(v * 1e7), at);
  e7(102, w);
  e7(106, s);
  e7(110, e);
  e7(114, n);
  header.writeUInt8(Math.max(...zooms), 118);
  e7(119, (w + e) / 2);
  e7(123, (s + n) / 2);
  return Buffer.concat([header, directory, metadata, ...tiles.map((t) => t.data)]);
}

/** The test theatre's OpenStreetMap-like features (Protomaps layer names in `layer`). */
export const ARAD = JSON.parse(
  readFileSync(new URL('../fixtures/arad-osm.geojson', import.meta.url), 'utf8'),
) as FeatureCollection;

/** Zooms of the vector archive. */
export const VECTOR_ZOOMS = [10, 11, 12, 13, 14];

/** The vector archive of {@link ARAD}: every tile that holds a feature, zooms 10–14. */
export function aradVectorArchive(): Uint8Array {
  const box = boxOf({ type: 'GeometryCollection', geometries: [] });
  for (const f of ARAD.features) {
    const b = boxOf(f.geometry);
    box[0] = Math.min(box[0], b[0]);
    box[1] = Math.min(box[1], b[1]);
    box[2] = Math.max(box[2], b[2]);
    box[3] = Math.max(box[3], b[3]);
  }
  const tiles = VECTOR_ZOOMS.flatMap((z) =>
    tilesOf(box, z).map(([x, y]) => ({ z, x, y, data: encodeTile(ARAD, z, x, y) })),
  ).filter((t) => t.data.length > 0);
  const layers = [...new Set(ARAD.features.map((f) => String(f.properties?.layer)))].sort();
  return pmtiles({
    tiles,
    tileType: 1,
    gzipTiles: true,
    bounds: box,
    metadata: {
      name: 'Arad (test extract)',
      attribution: '© OpenStreetMap contributors',
      vector_layers: layers.map((id) => ({ id, fields: {} })),
    },
  });
}

/** A greyscale PNG of 256×256 pixels: a ramp from `from` to `to` across the tile. */
export function greyPng(from: number, to: number): Uint8Array {
  const size = 256;
  const rows: number[] = [];
  for (let y = 0; y < size; y++) {
    rows.push(0); // filter: none
    for (let x = 0; x < size; x++) rows.push(Math.round(from + ((to - from) * (x + y)) / (2 * size)));
  }
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Uint8Array.from(rows))),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Zooms of the hillshade archive. */
export const HILLSHADE_ZOOMS = [8, 9, 10, 11, 12];
/** The hillshade's box: the demo theatre. */
export const HILLSHADE_BOUNDS = [21.2, 46.1, 21.4, 46.25] as const;

/** A raster archive of grey PNG tiles over the demo theatre, zooms 8–12. */
export function aradHillshadeArchive(): Uint8Array {
  const tiles = HILLSHADE_ZOOMS.flatMap((z) =>
    tilesOf(HILLSHADE_BOUNDS, z).map(([x, y]) => ({ z, x, y, data: greyPng(40 + z * 4, 200) })),
  );
  return pmtiles({ tiles, tileType: 2, gzipTiles: false, bounds: HILLSHADE_BOUNDS, metadata: {} });
}
