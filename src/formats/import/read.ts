/**
 * The importers by format: a file's bytes → declaration input features with where each came from,
 * or every problem at once. The format comes from the request (`?format=`), else its media type.
 * `application/zip` is taken as a TAK data package: the one zip that is not named by a media type
 * of its own (a KMZ or XLSX sent as a plain zip says its format with `?format=`).
 */
import { IMPORT_FORMAT_VALUES } from '../../api/imports.ts';
import { fileError } from '../safe/xml.ts';
import { readCot, readTakPackage } from './cot.ts';
import { readCsv } from './csv.ts';
import { readGeojson } from './geojson.ts';
import { readGpx } from './gpx.ts';
import { readKml, readKmz, utf8 } from './kml.ts';
import type { Imported, Mapping } from './mapping.ts';
import { readXlsx } from './xlsx.ts';

export const IMPORT_FORMATS = IMPORT_FORMAT_VALUES;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Media types a file may be sent as, and the format each means. */
export const IMPORT_MEDIA_TYPES: Readonly<Record<string, ImportFormat | null>> = {
  'text/csv': 'csv',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.google-earth.kml+xml': 'kml',
  'application/vnd.google-earth.kmz': 'kmz',
  'application/gpx+xml': 'gpx',
  'application/geo+json': 'geojson',
  'application/json': 'geojson',
  'application/cot+xml': 'cot',
  'application/zip': 'takpkg',
  // Say the format in `?format=`.
  'application/xml': null,
  'text/xml': null,
  'application/octet-stream': null,
};

export async function readImport(
  format: ImportFormat,
  bytes: Uint8Array,
  mapping: Mapping | undefined,
  what = format.toUpperCase(),
): Promise<Imported> {
  switch (format) {
    case 'csv':
      return readCsv(bytes, mapping, what);
    case 'xlsx':
      return readXlsx(bytes, mapping, what);
    case 'kml':
      return readKml(utf8(bytes, what), mapping, what);
    case 'kmz':
      return readKmz(bytes, mapping, what);
    case 'gpx':
      return readGpx(utf8(bytes, what), mapping, what);
    case 'geojson':
      return readGeojson(bytes, mapping, what);
    case 'cot':
      return readCot(utf8(bytes, what), what);
    case 'takpkg':
      return readTakPackage(bytes, what);
    default:
      throw fileError('invalid_file', what, `unknown format ${JSON.stringify(format)}`);
  }
}
