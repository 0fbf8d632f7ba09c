/**
 * The file formats the Files panel offers, as the hub names them (docs/formats/): what an export
 * is written in, and how an imported file's name says its format and media type. The tables are
 * typed by the hub's own lists (src/api), so a format the hub adds or drops fails the type check
 * here instead of going missing in the console. Types only: no schema code reaches the bundle.
 */
import type { ExportFormat } from '../../../../src/api/formats.ts';
import type { IMPORT_FORMAT_VALUES } from '../../../../src/api/imports.ts';

/** A format an import takes (`?format=`). */
export type ImportFormat = (typeof IMPORT_FORMAT_VALUES)[number];

/** Each export format, as the person choosing it reads it, in the order offered. */
export const EXPORT_LABELS: Readonly<Record<ExportFormat, string>> = {
  geojson: 'GeoJSON (QGIS, GDAL)',
  kml: 'KML (Google Earth)',
  kmz: 'KMZ (Google Earth, zipped)',
  csv: 'CSV (spreadsheet)',
  xlsx: 'Excel (XLSX)',
  cot: 'Cursor-on-Target (TAK)',
  takpkg: 'TAK data package (zip)',
};

/** Each import format: its name for people and the media type its bytes are sent as. */
export const IMPORT_FORMATS: Readonly<Record<ImportFormat, { label: string; media: string }>> = {
  csv: { label: 'CSV', media: 'text/csv' },
  xlsx: { label: 'Excel (XLSX)', media: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  kml: { label: 'KML', media: 'application/vnd.google-earth.kml+xml' },
  kmz: { label: 'KMZ', media: 'application/vnd.google-earth.kmz' },
  gpx: { label: 'GPX (tracks and routes)', media: 'application/gpx+xml' },
  geojson: { label: 'GeoJSON', media: 'application/geo+json' },
  cot: { label: 'Cursor-on-Target', media: 'application/cot+xml' },
  takpkg: { label: 'TAK data package', media: 'application/zip' },
};

/** A file's extension → its format (`.zip`: a TAK data package, as the command line reads it). */
const BY_EXTENSION: Readonly<Record<string, ImportFormat>> = {
  csv: 'csv',
  xlsx: 'xlsx',
  kml: 'kml',
  kmz: 'kmz',
  gpx: 'gpx',
  geojson: 'geojson',
  json: 'geojson',
  cot: 'cot',
  zip: 'takpkg',
};

/** What the file picker offers. */
export const ACCEPT = Object.keys(BY_EXTENSION)
  .map((e) => `.${e}`)
  .join(',');

/** The format a file's name says, or null when its extension is not one the hub reads. */
export function formatOfName(name: string): ImportFormat | null {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}
