/**
 * The exporters by format name: what `GET /api/v1/export?format=…`, content negotiation on the
 * declaration list and `deconflict export` offer. One line per format.
 */
import { cotExporter, takPackageExporter } from '../cot/export.ts';
import { csvExporter } from './csv.ts';
import { geojsonExporter } from './geojson.ts';
import { kmlExporter } from './kml.ts';
import { kmzExporter } from './kmz.ts';
import type { Exporter } from './types.ts';
import { xlsxExporter } from './xlsx.ts';

export const EXPORTERS: ReadonlyMap<string, Exporter> = new Map<string, Exporter>([
  ['geojson', geojsonExporter],
  ['kml', kmlExporter],
  ['kmz', kmzExporter],
  ['csv', csvExporter],
  ['xlsx', xlsxExporter],
  ['cot', cotExporter],
  ['takpkg', takPackageExporter],
]);
