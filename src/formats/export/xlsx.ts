/**
 * XLSX export (Office Open XML spreadsheet), written by exceljs's streaming WorkbookWriter: rows
 * are committed as they are produced and the zip is piped out as it grows. Three sheets:
 *
 * - `declarations`: the columns of the CSV (row.ts), one row per declaration;
 * - `conflicts`: the party's conflicts (rule, severity, sides, window, distance);
 * - `alerts`: the party's alerts (subject, precedence, status, level, deadlines).
 *
 * Numeric columns are numeric cells; every text cell that would start a formula is neutralised
 * with a leading apostrophe (cells.ts). Styles: a bold header row only.
 *
 * Text goes to the shared-strings table, which exceljs holds until the workbook is committed:
 * the one part of an XLSX export whose memory grows with the file (with its distinct texts). It
 * is the price of being read right: exceljs's alternative writes text as formula results
 * (`t="str"`), and GDAL's XLSX driver then no longer recognises the header row. The exports meant
 * for very large pictures (KML, GeoJSON, CSV) hold nothing; a sheet holds 1,048,576 rows at most
 * anyway.
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { type Cell, xlsxCell } from './cells.ts';
import {
  ALERT_COLUMNS,
  alertRow,
  CONFLICT_COLUMNS,
  conflictRow,
  DECLARATION_COLUMNS,
  declarationRow,
} from './row.ts';
import type { Exporter, Picture } from './types.ts';

/** Rows between two looks at the output's backlog. */
const ROWS_PER_CHECK = 256;

type Sheet = ReturnType<ExcelJS.stream.xlsx.WorkbookWriter['addWorksheet']>;

function header(sheet: Sheet, columns: readonly string[]): void {
  const row = sheet.addRow([...columns]);
  row.font = { bold: true };
  row.commit();
}

const add = (sheet: Sheet, cells: readonly Cell[]): void => sheet.addRow(cells.map(xlsxCell)).commit();

/** Resolves when the output drains or is closed (a reader that went away). */
function drained(out: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

async function produce(p: Picture, out: PassThrough): Promise<void> {
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useSharedStrings: true,
    useStyles: true,
  });
  book.created = new Date(p.generated_at);
  const declarations = book.addWorksheet('declarations');
  header(declarations, DECLARATION_COLUMNS);
  let n = 0;
  for await (const f of p.declarations) {
    add(declarations, declarationRow(f));
    // Wait for the reader when it is behind: the backlog stays bounded. A reader gone: stop.
    if (++n % ROWS_PER_CHECK === 0 && out.writableNeedDrain) await drained(out);
    if (out.destroyed) return;
  }
  declarations.commit();
  const conflicts = book.addWorksheet('conflicts');
  header(conflicts, CONFLICT_COLUMNS);
  for (const c of p.conflicts) add(conflicts, conflictRow(c));
  conflicts.commit();
  const alerts = book.addWorksheet('alerts');
  header(alerts, ALERT_COLUMNS);
  for (const a of p.alerts) add(alerts, alertRow(a));
  alerts.commit();
  await book.commit();
}

async function* write(p: Picture): AsyncIterable<Uint8Array> {
  const out = new PassThrough();
  produce(p, out).catch((err: unknown) => out.destroy(err as Error));
  try {
    for await (const chunk of out) yield chunk as Uint8Array;
  } finally {
    out.destroy();
  }
}

export const xlsxExporter: Exporter = {
  format: 'xlsx',
  mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  extension: 'xlsx',
  write,
};
