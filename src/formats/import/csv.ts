/**
 * CSV → declaration input features. The first row is the header (row 1, as a spreadsheet numbers
 * it); each later row is one declaration, mapped by mapping.ts (our CSV export's columns, the
 * notification-desk template's, or a mapping given with the file).
 *
 * Read as a stream (csv-parse over the body in 64 KiB slices), one record at a time, never split
 * into one array of lines first. UTF-8 with or without a byte-order mark; the delimiter is `,`
 * unless the header holds `;` and no `,` (the CSV a spreadsheet writes in locales where the comma
 * is the decimal mark), or tabs and neither. RFC 4180 quoting; a record longer than 1 MiB, more
 * cells than the header (non-empty), or more than 100,000 rows are refused. Empty rows are
 * skipped but counted, so row numbers stay those of a spreadsheet.
 *
 * A cell starting with `=`, `+`, `-` or `@` is text like any other: nothing is evaluated, and a
 * label `=HYPERLINK("http://x","y")` is imported as those characters (our exports then write it
 * neutralised, `'=HYPERLINK(...)`, and that apostrophe is removed again on import).
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { DEFAULT_LIMITS } from '../../engine/declaration.ts';
import { fileError } from '../safe/xml.ts';
import {
  type Imported,
  ImportProblems,
  type Mapped,
  type Mapping,
  mapRecord,
  type Raw,
  resolveMapping,
} from './mapping.ts';

export const MAX_ROWS = DEFAULT_LIMITS.maxFeatures;
const SLICE = 64 * 1024;

function delimiterOf(bytes: Uint8Array): string {
  const end = bytes.indexOf(0x0a);
  const first = Buffer.from(bytes.subarray(0, end === -1 ? Math.min(bytes.length, SLICE) : end)).toString(
    'utf8',
  );
  if (first.includes(',')) return ',';
  if (first.includes(';')) return ';';
  if (first.includes('\t')) return '\t';
  return ',';
}

export async function readCsv(
  bytes: Uint8Array,
  mapping: Mapping | undefined,
  what: string,
): Promise<Imported> {
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += SLICE) yield Buffer.from(bytes.subarray(i, i + SLICE));
    })(),
  );
  const parser = source.pipe(
    parse({
      bom: true,
      delimiter: delimiterOf(bytes),
      relax_column_count: true,
      max_record_size: 1024 * 1024,
    }),
  );
  const problems = new ImportProblems();
  const mapped: Mapped[] = [];
  let header: string[] | null = null;
  let resolved: ReturnType<typeof resolveMapping> | null = null;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      if (header === null) {
        header = record.map((h) => h.trim());
        resolved = resolveMapping(header, mapping, problems, 'row 1');
        const seen = new Set<string>();
        for (const h of header) {
          if (seen.has(h.toLowerCase()))
            problems.add('import_bad_value', 'row 1', h, 'two columns have this name');
          seen.add(h.toLowerCase());
        }
        if (problems.count > 0) break;
        continue;
      }
      if (record.every((c) => c.trim() === '')) continue;
      if (row - 1 > MAX_ROWS) {
        problems.add('import_bad_value', `row ${row}`, null, `more than ${MAX_ROWS} rows; split the file`);
        break;
      }
      if (record.length > header.length && record.slice(header.length).some((c) => c.trim() !== '')) {
        problems.add(
          'import_bad_value',
          `row ${row}`,
          null,
          `${record.length} cells; the header has ${header.length}`,
        );
        continue;
      }
      const values = new Map<string, Raw>();
      for (const [i, h] of header.entries()) values.set(h, record[i] ?? '');
      const m = mapRecord(
        { where: `row ${row}`, values },
        resolved as NonNullable<typeof resolved>,
        problems,
      );
      if (m) mapped.push(m);
      if (problems.count >= 100) break;
    }
  } catch (err) {
    const e = err as { code?: string; lines?: number; message?: string };
    throw fileError(
      'invalid_file',
      what,
      `not readable as CSV near line ${e.lines ?? '?'}: ${e.code ?? e.message}`,
    );
  } finally {
    source.destroy();
  }
  problems.throwIfAny();
  if (header === null) throw fileError('invalid_file', what, 'empty: no header row');
  return { mapped, ignored: resolved?.ignored ?? [], skipped: [] };
}
