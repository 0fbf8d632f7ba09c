/**
 * MBTiles files for tests (https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md), two
 * ways:
 *
 * - made by a real tool: GDAL's MVT driver (`ogr2ogr -f MBTILES`, GDAL 3.6) from the GeoJSON of
 *   Arad in test/fixtures/arad-osm.geojson, one tile layer per value of its `layer` property (each
 *   written to its own GeoJSON first: GDAL names a tile layer after its source layer);
 * - written here with better-sqlite3, in the 1.3 schema (`metadata` and a `tiles` table) or the
 *   deduplicated layout mbutil writes (`map` and `images`, the `tiles` view left out so that the
 *   hub reads the two tables), rows in TMS order (row 0 at the south) as the spec says.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tilesOf } from './mvt.ts';
import { ARAD, greyPng, HILLSHADE_BOUNDS, HILLSHADE_ZOOMS, type Tile } from './pmtiles.ts';

/** The vector MBTiles GDAL makes of {@link ARAD}, zooms 10–14, written to `path`. */
export function gdalVectorMbtiles(dir: string, path: string): void {
  const layers = [...new Set(ARAD.features.map((f) => String(f.properties?.layer)))].sort();
  const vrt = ['<OGRVRTDataSource>'];
  for (const layer of layers) {
    const file = join(dir, `${layer}.geojson`);
    const features = ARAD.features.filter((f) => f.properties?.layer === layer);
    writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features }));
    vrt.push(
      `<OGRVRTLayer name="${layer}"><SrcDataSource>${file}</SrcDataSource><SrcLayer>${layer}</SrcLayer></OGRVRTLayer>`,
    );
  }
  vrt.push('</OGRVRTDataSource>');
  const source = join(dir, 'arad-layers.vrt');
  writeFileSync(source, vrt.join('\n'));
  execFileSync('ogr2ogr', ['-f', 'MBTILES', path, source, '-dsco', 'MINZOOM=10', '-dsco', 'MAXZOOM=14'], {
    stdio: 'pipe',
  });
}

export interface MbtilesSpec {
  readonly tiles: readonly Tile[];
  /** Metadata rows, as text. */
  readonly metadata: Readonly<Record<string, string>>;
  /** `map` and `images` (mbutil's deduplicated layout) instead of a `tiles` table. */
  readonly deduplicated?: boolean;
}

/** Write an MBTiles file at `path` (tiles given by XYZ address, stored by TMS row). */
export function writeMbtiles(path: string, spec: MbtilesSpec): void {
  const db = new Database(path);
  try {
    db.exec('CREATE TABLE metadata (name text, value text)');
    const meta = db.prepare('INSERT INTO metadata (name, value) VALUES (?, ?)');
    for (const [k, v] of Object.entries(spec.metadata)) meta.run(k, v);
    const row = (t: Tile) => 2 ** t.z - 1 - t.y;
    if (spec.deduplicated) {
      db.exec(
        'CREATE TABLE map (zoom_level integer, tile_column integer, tile_row integer, tile_id text);' +
          'CREATE TABLE images (tile_data blob, tile_id text)',
      );
      const map = db.prepare('INSERT INTO map VALUES (?, ?, ?, ?)');
      const image = db.prepare('INSERT INTO images VALUES (?, ?)');
      const ids = new Map<string, string>();
      for (const t of spec.tiles) {
        const key = Buffer.from(t.data).toString('base64');
        let id = ids.get(key);
        if (id === undefined) {
          id = String(ids.size);
          ids.set(key, id);
          image.run(t.data, id);
        }
        map.run(t.z, t.x, row(t), id);
      }
    } else {
      db.exec(
        'CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);' +
          'CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)',
      );
      const insert = db.prepare('INSERT INTO tiles VALUES (?, ?, ?, ?)');
      for (const t of spec.tiles) insert.run(t.z, t.x, row(t), t.data);
    }
  } finally {
    db.close();
  }
}

/** The hillshade of test/support/pmtiles.ts as MBTiles, in mbutil's deduplicated layout. */
export function hillshadeMbtiles(path: string): void {
  const tiles = HILLSHADE_ZOOMS.flatMap((z) =>
    tilesOf(HILLSHADE_BOUNDS, z).map(([x, y]) => ({ z, x, y, data: greyPng(40 + z * 4, 200) })),
  );
  writeMbtiles(path, {
    tiles,
    deduplicated: true,
    metadata: {
      name: 'Arad hillshade (test)',
      format: 'png',
      bounds: HILLSHADE_BOUNDS.join(','),
      minzoom: String(Math.min(...HILLSHADE_ZOOMS)),
      maxzoom: String(Math.max(...HILLSHADE_ZOOMS)),
    },
  });
}
