/**
 * CSV export (RFC 4180): one row per declaration the party may see, the columns of row.ts, a
 * header row first. Written row by row (csv-stringify), so a file of any size streams.
 *
 * - UTF-8 with a byte order mark: Excel opens a CSV without one in the machine's legacy code page
 *   and garbles every non-ASCII name (Timișoara); GDAL, QGIS and csv-parse (with `bom`) skip it.
 * - CRLF line ends (RFC 4180); fields quoted when they hold a comma, quote or line break.
 * - Text cells that would start a formula are neutralised, numbers are plain (cells.ts).
 * - Conflicts and alerts are not in the CSV (one table, one kind of row): the XLSX export carries
 *   them in their own sheets, the KML as lines.
 */
import { stringify } from 'csv-stringify/sync';
import { csvCell } from './cells.ts';
import { DECLARATION_COLUMNS, declarationRow } from './row.ts';
import type { Exporter, Picture } from './types.ts';

const line = (cells: readonly string[]): string => stringify([cells], { record_delimiter: 'windows' });

/** Rows are gathered this many at a time into one chunk (fewer, larger writes). */
const ROWS_PER_CHUNK = 256;

async function* write(p: Picture): AsyncIterable<string> {
  let chunk = `\uFEFF${line([...DECLARATION_COLUMNS])}`;
  let rows = 0;
  for await (const f of p.declarations) {
    chunk += line(declarationRow(f).map(csvCell));
    if (++rows % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

export const csvExporter: Exporter = {
  format: 'csv',
  mediaType: 'text/csv; charset=utf-8; header=present',
  extension: 'csv',
  write,
};
