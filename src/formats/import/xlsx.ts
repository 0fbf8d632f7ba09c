/**
 * XLSX → declaration input features: the sheet named `declarations` (our export's and the
 * template's), else the first sheet; row 1 is the header, each later row one declaration, mapped
 * as CSV is (mapping.ts).
 *
 * The bytes go through safe/zip.ts first (entries, inflated bytes and ratio bounded while
 * inflating: a zip bomb is `unsafe_file`), and only then to exceljs, which inflates them again
 * for itself. Cells are taken as typed: numbers as numbers, dates as instants (a spreadsheet
 * date is read as UTC), text as text (rich text joined, a hyperlink as its text). A formula cell
 * is refused (`import_bad_value`, "formula cells are not imported"): its cached value may be
 * stale or absent, and nothing in an import is ever evaluated. Error cells are refused too.
 */
import ExcelJS from 'exceljs';
import { fileError } from '../safe/xml.ts';
import { readZip } from '../safe/zip.ts';
import { MAX_ROWS } from './csv.ts';
import {
  type Imported,
  ImportProblems,
  type Mapped,
  type Mapping,
  mapRecord,
  type Raw,
  resolveMapping,
} from './mapping.ts';

export async function readXlsx(
  bytes: Uint8Array,
  mapping: Mapping | undefined,
  what: string,
): Promise<Imported> {
  const entries = await readZip(bytes, {}, what);
  if (!entries.has('[Content_Types].xml') || !entries.has('xl/workbook.xml'))
    throw fileError('invalid_file', what, 'not an XLSX workbook (no xl/workbook.xml)');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ExcelJS.Buffer);
  } catch (err) {
    throw fileError(
      'invalid_file',
      what,
      `not a readable workbook (${String((err as Error).message).slice(0, 120)})`,
    );
  }
  const ws = wb.getWorksheet('declarations') ?? wb.worksheets[0];
  if (!ws) throw fileError('invalid_file', what, 'the workbook has no sheet');
  if (ws.rowCount > MAX_ROWS + 1)
    throw fileError('invalid_file', what, `more than ${MAX_ROWS} rows; split the file`);
  const problems = new ImportProblems();
  const header: string[] = [];
  ws.getRow(1).eachCell({ includeEmpty: true }, (cell, col) => {
    header[col - 1] = String(cellText(cell.value) ?? '').trim();
  });
  if (header.length === 0)
    throw fileError('invalid_file', what, `sheet ${JSON.stringify(ws.name)}: row 1 (the header) is empty`);
  const resolved = resolveMapping(
    header.filter((h) => h !== ''),
    mapping,
    problems,
    'row 1',
  );
  problems.throwIfAny();
  const mapped: Mapped[] = [];
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    if (n === 1 || problems.count >= 100) return;
    const where = `row ${n}`;
    const values = new Map<string, Raw>();
    let formula = false;
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      const name = header[col - 1];
      const v = cell.value as unknown;
      if (isFormula(v) || isError(v)) {
        problems.add(
          'import_bad_value',
          where,
          name || cell.address,
          isFormula(v) ? 'formula cells are not imported; paste the values instead' : 'an error cell',
        );
        formula = true;
        return;
      }
      if (name) values.set(name, cellText(v));
    });
    if (formula || [...values.values()].every((v) => v === null || v === '')) return;
    const m = mapRecord({ where, values }, resolved, problems);
    if (m) mapped.push(m);
  });
  problems.throwIfAny();
  return { mapped, ignored: resolved.ignored, skipped: [] };
}

function isFormula(v: unknown): boolean {
  return typeof v === 'object' && v !== null && ('formula' in v || 'sharedFormula' in v);
}

function isError(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'error' in v;
}

/** A cell's value as mapping.ts reads it. */
function cellText(v: unknown): Raw {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object' && 'richText' in v)
    return (v as { richText: { text: string }[] }).richText.map((t) => t.text).join('');
  if (typeof v === 'object' && 'text' in v) return cellText((v as { text: unknown }).text);
  return null;
}
