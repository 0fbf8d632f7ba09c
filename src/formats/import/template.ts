/**
 * The notification-desk template, as CSV and XLSX: the layout humanitarian notification desks
 * keep their sites in (name, category, position as latitude/longitude or MGRS, dates, the parties
 * notified, a contact), with two example rows around Arad, ready to fill and import
 * (`POST /api/v1/imports`). Each column is read by mapping.ts's defaults: `name` → label,
 * `contact` → the last line of notes, `notify` → parties separated by `;`, dates alone being whole
 * days. `kind` is a column too (`protected_site` for a site notification), so that nothing is
 * assumed. The XLSX has a second sheet, `help`, explaining each column; the importer reads the
 * sheet named `declarations`.
 */

import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { SITE_CATEGORIES } from '../../engine/types.ts';

export const TEMPLATE_COLUMNS = [
  ['kind', 'protected_site for a site notification (or another declaration kind)'],
  ['name', 'The site’s name, one line (the label on every map)'],
  ['category', `One of: ${SITE_CATEGORIES.join(', ')}`],
  ['latitude', 'Decimal degrees, WGS 84, north positive (e.g. 46.1756); or leave empty and give mgrs'],
  ['longitude', 'Decimal degrees, WGS 84, east positive (e.g. 21.3167)'],
  [
    'mgrs',
    'An MGRS reference (e.g. 34T ES 20412 14692), read as the centre of its cell; used when latitude/longitude are empty',
  ],
  [
    'start',
    'From: a date (2026-11-20, from 00:00 UTC), an ISO 8601 UTC time or a date-time group (200600ZNOV26)',
  ],
  ['end', 'Until (empty: until further notice): a date (the whole day included), an ISO time or a DTG'],
  ['notify', 'The parties to notify, by their hub ids, separated by ";"'],
  ['contact', 'Who to call about the site (stored as the last line of the notes)'],
] as const;

const EXAMPLES = [
  [
    'protected_site',
    'Arad County Emergency Hospital',
    'medical',
    '46.1756',
    '21.3167',
    '',
    '2026-11-20',
    '2026-12-31',
    '',
    'Duty desk +40 257 000 000',
  ],
  [
    'protected_site',
    'Aurel Vlaicu school (shelter)',
    'school',
    '',
    '',
    '34T ES 20412 14692',
    '2026-11-20',
    '',
    '',
    'School director',
  ],
];

export function templateCsv(): string {
  return stringify([TEMPLATE_COLUMNS.map(([c]) => c), ...EXAMPLES]);
}

export async function templateXlsx(): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('declarations');
  sheet.addRow(TEMPLATE_COLUMNS.map(([c]) => c));
  for (const row of EXAMPLES) sheet.addRow(row);
  sheet.getRow(1).font = { bold: true };
  sheet.columns.forEach((c) => {
    c.width = 22;
    c.numFmt = '@';
  });
  const help = wb.addWorksheet('help');
  help.addRow(['column', 'what to write']);
  help.getRow(1).font = { bold: true };
  for (const [c, text] of TEMPLATE_COLUMNS) help.addRow([c, text]);
  help.getColumn(1).width = 14;
  help.getColumn(2).width = 110;
  return new Uint8Array(await wb.xlsx.writeBuffer());
}
