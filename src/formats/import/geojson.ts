/**
 * GeoJSON from other tools → declaration input features: a FeatureCollection (or one Feature)
 * whose properties are mapped by mapping.ts, so that GDAL's and QGIS's conversions of our files
 * read back: `ogr2ogr -f GeoJSON out.geojson our.kml` gives `Name`, `description`, `begin`,
 * `end`, `tessellate`, `extrude`, `visibility` (0/1/-1), `altitudeMode`, `drawOrder`, `icon`
 * beside our ExtendedData fields as text; the aliases take `Name` → label, `description` →
 * notes, `begin`/`timestamp` → start, and KML's presentation is dropped (foreign.ts). Values
 * typed by the tool (numbers, lists, the altitude object) are taken as they are; values as text
 * are read as CSV cells are. A feature-level `id` (a tool's row number) is not read: the
 * declaration id is `properties.id`.
 *
 * Our own GeoJSON (or any file already in the declaration format) may as well go to
 * `POST /api/v1/declarations` directly; here it is mapped like any other.
 */
import { fileError } from '../safe/xml.ts';
import { foreignValues } from './foreign.ts';
import { utf8 } from './kml.ts';
import { type Geometry, type Imported, type Mapping, mapAll, type SourceRecord } from './mapping.ts';

export function readGeojson(bytes: Uint8Array, mapping: Mapping | undefined, what: string): Imported {
  let json: unknown;
  try {
    json = JSON.parse(utf8(bytes, what));
  } catch (err) {
    if ((err as { name?: string }).name === 'DeconflictError') throw err;
    throw fileError('invalid_file', what, 'not JSON');
  }
  const o = json as { type?: unknown; features?: unknown };
  const features =
    o?.type === 'FeatureCollection' && Array.isArray(o.features)
      ? o.features
      : o?.type === 'Feature'
        ? [o]
        : null;
  if (features === null) throw fileError('invalid_file', what, 'not a GeoJSON FeatureCollection or Feature');
  const records: SourceRecord[] = [];
  const skipped: string[] = [];
  features.forEach((f: unknown, i) => {
    const where = `feature ${i + 1}`;
    const feature = f as { type?: unknown; geometry?: unknown; properties?: unknown };
    if (typeof f !== 'object' || f === null || feature.type !== 'Feature')
      throw fileError('invalid_file', what, `${where} is not a GeoJSON Feature`);
    const props =
      typeof feature.properties === 'object' && !Array.isArray(feature.properties)
        ? feature.properties
        : null;
    const values = foreignValues(props as Record<string, unknown> | null);
    if (values === null) skipped.push(`${where}: a conflict, not a declaration`);
    else records.push({ where, values, geometry: (feature.geometry as Geometry | null) ?? null });
  });
  return mapAll(records, mapping, what, skipped);
}
