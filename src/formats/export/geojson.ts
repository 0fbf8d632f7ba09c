/**
 * GeoJSON export (RFC 7946, `application/geo+json`): a FeatureCollection of the declarations the
 * party may see, each exactly as the API's list answers it, with one change — `visibility` has
 * ONE type in the file: always an array of strings, `["all"]` for a declaration shown to every
 * party, else the parties' ids (`[]`: the owner alone). GDAL and QGIS give a field the type of
 * its values; a field that is text in one feature and a list in another becomes text, and the
 * lists arrive as JSON-in-a-string. (`["sealed"]` never appears: sealed geometry is never
 * exported.)
 *
 * Coordinates are written as the hub stores them (WGS 84, [lon, lat], shortest round-trip
 * decimal): no rounding, so an export re-imported gives the same geometry to the bit.
 *
 * Conflicts are not in this file: a GeoJSON file is read as one layer whose fields are the union
 * of every feature's, so conflict lines would add a dozen empty columns to every declaration and
 * mix geometry types, and the file would no longer be a set of declarations that imports back
 * as it is. Conflicts are derived from the declarations (an import recomputes them); they are
 * exported as lines in KML, as rows in the XLSX `conflicts` sheet and as CoT events.
 *
 * Written feature by feature: a file of any size streams.
 */
import type { DeclarationFeature } from '../../api/declarations.ts';
import type { Exporter, Picture } from './types.ts';

/** A declaration as the export writes it: `visibility` always an array. */
export function exportFeature(f: DeclarationFeature): DeclarationFeature {
  const v = f.properties.visibility;
  return {
    ...f,
    properties: { ...f.properties, visibility: typeof v === 'string' ? [v] : v },
  };
}

const FEATURES_PER_CHUNK = 256;

async function* write(p: Picture): AsyncIterable<string> {
  let chunk = '{"type":"FeatureCollection","features":[';
  let n = 0;
  for await (const f of p.declarations) {
    chunk += `${n === 0 ? '\n' : ',\n'}${JSON.stringify(exportFeature(f))}`;
    if (++n % FEATURES_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}\n]}\n`;
}

export const geojsonExporter: Exporter = {
  format: 'geojson',
  mediaType: 'application/geo+json',
  extension: 'geojson',
  write,
};
