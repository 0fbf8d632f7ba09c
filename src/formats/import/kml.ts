/**
 * KML 2.2 and KMZ → declaration input features: each Placemark one declaration.
 *
 * The XML is read by safe/xml.ts only (a DOCTYPE or ENTITY anywhere is `unsafe_file`: no
 * external entity, no entity expansion), a KMZ through safe/zip.ts (bounded while inflating;
 * its `doc.kml`, else its first `.kml` entry). @tmcw/togeojson turns Placemarks into GeoJSON
 * features over that DOM; then `name` → label, `description` → notes, `TimeSpan` begin/end (or
 * `TimeStamp`) → start/end, and ExtendedData (`Data` or `SchemaData`, which our export writes for
 * every property) → the properties of the same names, as text read by mapping.ts. KML's
 * presentation (styles, `visibility` 0/1, `tessellate`, `extrude`, `altitudeMode`) is dropped
 * (foreign.ts), as are the altitudes of coordinates: a declaration's height is its altitude band.
 * Ground overlays and network links are skipped and listed. A MultiGeometry of polygons only (how
 * our export writes a MultiPolygon) is a MultiPolygon; any other MultiGeometry stays the
 * GeometryCollection togeojson makes of it, which the engine refuses with the placemark named.
 */
import { kml } from '@tmcw/togeojson';
import { fileError, parseXml } from '../safe/xml.ts';
import { readZip } from '../safe/zip.ts';
import { foreignValues } from './foreign.ts';
import { type Geometry, type Imported, type Mapping, mapAll, type SourceRecord } from './mapping.ts';

export function readKml(text: string, mapping: Mapping | undefined, what: string): Imported {
  const doc = parseXml(text, what);
  if (doc.documentElement.localName !== 'kml')
    throw fileError('invalid_file', what, `not KML (root <${doc.documentElement.localName}>)`);
  const records: SourceRecord[] = [];
  const skipped: string[] = [];
  const placemarks = Array.from(doc.getElementsByTagName('Placemark'));
  kml(doc as never).features.forEach((f, i) => {
    const placemark = placemarks[i];
    const where = `placemark ${i + 1}`;
    if (!placemark) {
      skipped.push(`feature ${i + 1}: an overlay or network link, not a placemark`);
      return;
    }
    const values = foreignValues(f.properties as Record<string, unknown> | null);
    if (values === null) {
      skipped.push(`${where}: a conflict, not a declaration`);
      return;
    }
    // togeojson turns any `visibility` into KML's boolean; ours is ExtendedData text: read it again.
    const ours = dataNamed(placemark, 'visibility');
    if (ours !== null) values.set('visibility', ours);
    records.push({ where, values, geometry: polygonsAsMulti((f.geometry as Geometry | null) ?? null) });
  });
  return mapAll(records, mapping, what, skipped);
}

/** A GeometryCollection of Polygons (a KML MultiGeometry of polygons) as the MultiPolygon it is. */
function polygonsAsMulti(g: Geometry | null): Geometry | null {
  const parts = (g as { geometries?: readonly Geometry[] } | null)?.geometries;
  if (g?.type !== 'GeometryCollection' || !parts?.length || parts.some((p) => p.type !== 'Polygon')) return g;
  return { type: 'MultiPolygon', coordinates: parts.map((p) => p.coordinates) };
}

export async function readKmz(
  bytes: Uint8Array,
  mapping: Mapping | undefined,
  what: string,
): Promise<Imported> {
  const entries = await readZip(bytes, {}, what);
  const name = entries.has('doc.kml')
    ? 'doc.kml'
    : [...entries.keys()].find((n) => n.toLowerCase().endsWith('.kml'));
  const entry = name === undefined ? undefined : entries.get(name);
  if (!entry || name === undefined) throw fileError('invalid_file', what, 'a KMZ without a .kml entry');
  return readKml(utf8(entry, `${what} (${name})`), mapping, `${what} (${name})`);
}

/** The text of a Placemark's ExtendedData `Data` or `SchemaData/SimpleData` of this name, if any. */
function dataNamed(placemark: Element, name: string): string | null {
  for (const tag of ['SimpleData', 'Data']) {
    for (const el of Array.from(placemark.getElementsByTagName(tag))) {
      if (el.getAttribute('name') !== name) continue;
      const value = tag === 'Data' ? el.getElementsByTagName('value')[0] : el;
      return value?.textContent ?? '';
    }
  }
  return null;
}

/** UTF-8 text, or `invalid_file`: a byte sequence that is not UTF-8 is not read as something else. */
export function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw fileError('invalid_file', what, 'not UTF-8 text');
  }
}
