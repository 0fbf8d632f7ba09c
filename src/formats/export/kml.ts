/**
 * KML 2.2 export (OGC 07-147r2): the party's picture for Google Earth, QGIS and GDAL. Written as
 * text, element by element, so a file of any size streams; no XML library is needed to write.
 *
 * - One Document: a Schema per record type (so GDAL's LIBKML driver reads typed fields: numbers
 *   as reals and integers, the rest as text), Styles per declaration kind and per conflict
 *   severity, then a Folder "Declarations" and a Folder "Conflicts" (GDAL reads each folder as a
 *   layer).
 * - Each declaration is a Placemark: name (label, else id), a plain-text description, a
 *   `TimeSpan` (ISO 8601 UTC begin/end; no end when open-ended) so that Google Earth's time slider
 *   shows it when it applies, ExtendedData/SchemaData with every property (lists joined with `;`
 *   as in the CSV; who may see it as `visible_to`, `all` or the parties — a field named
 *   `visibility` would be read by GDAL as KML's own <visibility> 0/1 and lost), and its geometry: Point, LineString
 *   (tessellated: drawn along the ground), Polygon (holes as inner boundaries) or MultiGeometry.
 * - An altitude band is drawn as a volume: the geometry at its upper altitude, `extrude` down to
 *   the ground, `altitudeMode` absolute (AMSL) or relativeToGround (AGL).
 * - A conflict the party may see in full is a LineString between the two closest points, named
 *   by its rule and distance ("protected_site_strike 282 m"), styled by severity, with the
 *   conflict's window as its TimeSpan. A conflict with a hidden side has no closest points (they
 *   would be points of the hidden geometry): its Placemark has no geometry.
 * - Coordinates are written to 9 decimals (1e-9° is 0.1 mm), trailing zeros dropped, never with
 *   an exponent; the hub's stored coordinates are the source, nothing else is rounded.
 * - Colours: severities are the console's (web/src/map/style.ts COLORS.severity); the console
 *   colours declarations by who owns them, which a shared file cannot know for its reader, so
 *   kinds get a fixed palette of their own.
 */
import type { ConflictView, DeclarationFeature } from '../../api/declarations.ts';
import { KINDS } from '../../engine/types.ts';
import { formatDistance } from '../../field/units.ts';
import { esc } from '../xml-write.ts';
import { type Cell, plainNumber } from './cells.ts';
import { CONFLICT_COLUMNS, conflictRow, visibilityText } from './row.ts';
import type { Exporter, Picture } from './types.ts';

/** Kind colours, `#rrggbb`. */
export const KIND_COLORS: Readonly<Record<(typeof KINDS)[number], string>> = {
  area_of_responsibility: '#4ea1ff',
  protected_site: '#5ccf7f',
  movement: '#f5f7fa',
  air_operation: '#7fdbff',
  strike: '#ff4fd8',
  restricted_zone: '#d9c58f',
};

/** The console's severity colours (web/src/map/style.ts). */
export const SEVERITY_COLORS = {
  critical: '#ff3b3b',
  high: '#ff9f1a',
  medium: '#f2d024',
  low: '#b98cff',
} as const;

/** `#rrggbb` and an opacity as KML's `aabbggrr`. */
function kmlColor(hex: string, alpha: number): string {
  const a = Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0');
  return `${a}${hex.slice(5, 7)}${hex.slice(3, 5)}${hex.slice(1, 3)}`;
}

/** A coordinate to 9 decimals, trailing zeros dropped, no exponent. */
export function coord(n: number): string {
  return plainNumber(Number(n.toFixed(9)));
}

type FieldType = 'string' | 'double' | 'int';

const DECLARATION_FIELDS: readonly (readonly [string, FieldType])[] = [
  ['id', 'string'],
  ['kind', 'string'],
  ['party', 'string'],
  ['label', 'string'],
  ['category', 'string'],
  ['start', 'string'],
  ['end', 'string'],
  ['buffer_m', 'double'],
  ['altitude_lower_m', 'double'],
  ['altitude_upper_m', 'double'],
  ['altitude_reference', 'string'],
  ['ground_only', 'string'],
  ['visible_to', 'string'],
  ['notify', 'string'],
  ['applies_to', 'string'],
  ['schedule', 'string'],
  ['notes', 'string'],
  ['version', 'int'],
  ['status', 'string'],
];

const CONFLICT_TYPES: Partial<Record<(typeof CONFLICT_COLUMNS)[number], FieldType>> = {
  distance_m: 'double',
};

function schema(id: string, fields: readonly (readonly [string, FieldType])[]): string {
  const simple = fields.map(([name, type]) => `<SimpleField name="${name}" type="${type}"/>`).join('');
  return `<Schema name="${id}" id="${id}">${simple}</Schema>\n`;
}

function styles(): string {
  let out = '';
  for (const kind of KINDS) {
    const c = KIND_COLORS[kind];
    out +=
      `<Style id="kind-${kind}"><IconStyle><color>${kmlColor(c, 1)}</color></IconStyle>` +
      `<LineStyle><color>${kmlColor(c, 1)}</color><width>2</width></LineStyle>` +
      `<PolyStyle><color>${kmlColor(c, 0.25)}</color></PolyStyle></Style>\n`;
  }
  for (const [severity, c] of Object.entries(SEVERITY_COLORS)) {
    out += `<Style id="severity-${severity}"><LineStyle><color>${kmlColor(c, 1)}</color><width>4</width></LineStyle></Style>\n`;
  }
  return out;
}

function simpleData(fields: readonly (readonly [string, Cell])[]): string {
  let out = '';
  for (const [name, v] of fields) {
    if (v === null) continue;
    out += `<SimpleData name="${name}">${typeof v === 'number' ? plainNumber(v) : esc(v)}</SimpleData>`;
  }
  return out;
}

function timeSpan(start: string, end: string | null): string {
  return `<TimeSpan><begin>${start}</begin>${end === null ? '' : `<end>${end}</end>`}</TimeSpan>`;
}

type Altitude = DeclarationFeature['properties']['altitude'];

/** How a geometry stands: on the ground, or at its band's upper altitude extruded down. */
function placement(alt: Altitude, line: boolean): { head: string; z: string } {
  if (alt === undefined) return { head: line ? '<tessellate>1</tessellate>' : '', z: '' };
  const mode = alt.reference === 'AMSL' ? 'absolute' : 'relativeToGround';
  return {
    head: `<extrude>1</extrude><altitudeMode>${mode}</altitudeMode>`,
    z: `,${plainNumber(alt.upper_m)}`,
  };
}

const positions = (ps: readonly (readonly number[])[], z: string): string =>
  ps.map((p) => `${coord(p[0] as number)},${coord(p[1] as number)}${z}`).join(' ');

function polygon(rings: readonly (readonly (readonly number[])[])[], head: string, z: string): string {
  const [outer, ...inner] = rings;
  let out = `<Polygon>${head}<outerBoundaryIs><LinearRing><coordinates>${positions(outer ?? [], z)}</coordinates></LinearRing></outerBoundaryIs>`;
  for (const ring of inner)
    out += `<innerBoundaryIs><LinearRing><coordinates>${positions(ring, z)}</coordinates></LinearRing></innerBoundaryIs>`;
  return `${out}</Polygon>`;
}

/** A declaration's geometry as KML. */
export function geometry(g: DeclarationFeature['geometry'], alt: Altitude): string {
  const c = g.coordinates as unknown;
  switch (g.type) {
    case 'Point': {
      const { head, z } = placement(alt, false);
      return `<Point>${head}<coordinates>${positions([c as number[]], z)}</coordinates></Point>`;
    }
    case 'LineString': {
      const { head, z } = placement(alt, true);
      return `<LineString>${head}<coordinates>${positions(c as number[][], z)}</coordinates></LineString>`;
    }
    case 'Polygon': {
      const { head, z } = placement(alt, true);
      return polygon(c as number[][][], head, z);
    }
    case 'MultiPolygon': {
      const { head, z } = placement(alt, true);
      return `<MultiGeometry>${(c as number[][][][]).map((p) => polygon(p, head, z)).join('')}</MultiGeometry>`;
    }
  }
}

const list = (xs: readonly string[] | undefined): Cell => (xs === undefined ? null : xs.join(';'));

/** A declaration as a Placemark. */
export function declarationPlacemark(f: DeclarationFeature): string {
  const p = f.properties;
  const description = [
    `${p.kind.replace(/_/g, ' ')} of ${p.party}`,
    `${p.start} to ${p.end ?? 'open-ended'}`,
    ...(p.buffer_m > 0 ? [`buffer ${formatDistance(p.buffer_m)}`] : []),
    ...(p.altitude ? [`${p.altitude.lower_m}–${p.altitude.upper_m} m ${p.altitude.reference}`] : []),
    ...(p.notes ? [p.notes] : []),
  ].join('\n');
  const data = simpleData([
    ['id', p.id],
    ['kind', p.kind],
    ['party', p.party],
    ['label', p.label ?? null],
    ['category', p.category ?? null],
    ['start', p.start],
    ['end', p.end],
    ['buffer_m', p.buffer_m],
    ['altitude_lower_m', p.altitude?.lower_m ?? null],
    ['altitude_upper_m', p.altitude?.upper_m ?? null],
    ['altitude_reference', p.altitude?.reference ?? null],
    ['ground_only', p.ground_only === undefined ? null : String(p.ground_only)],
    ['visible_to', visibilityText(p.visibility)],
    ['notify', list(p.notify)],
    ['applies_to', list(p.applies_to)],
    ['schedule', list(p.schedule)],
    ['notes', p.notes ?? null],
    ['version', p.version],
    ['status', p.status],
  ]);
  return (
    `<Placemark><name>${esc(p.label ?? p.id)}</name><description>${esc(description)}</description>` +
    `${timeSpan(p.start, p.end)}<styleUrl>#kind-${p.kind}</styleUrl>` +
    `<ExtendedData><SchemaData schemaUrl="#declaration">${data}</SchemaData></ExtendedData>` +
    `${geometry(f.geometry, p.altitude)}</Placemark>\n`
  );
}

/** A conflict as a Placemark: a line between its closest points when the party may see both. */
export function conflictPlacemark(c: ConflictView): string {
  const name = c.distance_m === undefined ? c.rule : `${c.rule} ${formatDistance(c.distance_m)}`;
  const row = conflictRow(c);
  const data = simpleData(CONFLICT_COLUMNS.map((col, i) => [col, row[i] ?? null] as const));
  const line =
    c.closest === undefined
      ? ''
      : `<LineString><tessellate>1</tessellate><coordinates>${positions(c.closest, '')}</coordinates></LineString>`;
  return (
    `<Placemark><name>${esc(name)}</name>${timeSpan(c.window.start, c.window.end)}` +
    `<styleUrl>#severity-${c.severity}</styleUrl>` +
    `<ExtendedData><SchemaData schemaUrl="#conflict">${data}</SchemaData></ExtendedData>${line}</Placemark>\n`
  );
}

const PLACEMARKS_PER_CHUNK = 256;

/** The KML document as text chunks. */
export async function* kmlText(p: Picture): AsyncIterable<string> {
  yield '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">\n<Document>' +
    `<name>${esc(`deconflict — ${p.party}`)}</name>\n` +
    schema('declaration', DECLARATION_FIELDS) +
    schema(
      'conflict',
      CONFLICT_COLUMNS.map((col) => [col, CONFLICT_TYPES[col] ?? 'string'] as const),
    ) +
    styles() +
    '<Folder><name>Declarations</name>\n';
  let chunk = '';
  let n = 0;
  for await (const f of p.declarations) {
    chunk += declarationPlacemark(f);
    if (++n % PLACEMARKS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  chunk += '</Folder>\n<Folder><name>Conflicts</name>\n';
  for (const c of p.conflicts) chunk += conflictPlacemark(c);
  yield `${chunk}</Folder>\n</Document>\n</kml>\n`;
}

export const kmlExporter: Exporter = {
  format: 'kml',
  mediaType: 'application/vnd.google-earth.kml+xml',
  extension: 'kml',
  write: kmlText,
};
