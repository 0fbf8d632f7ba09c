/**
 * Spreadsheet cells that cannot turn into formulas (CSV and XLSX exports).
 *
 * A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a formula, and some read a
 * leading tab or carriage return the same way once the cell is pasted: a declaration labelled
 * `=HYPERLINK("http://x","y")` would run in the reader's spreadsheet ("CSV injection", OWASP). Every
 * TEXT cell that starts with one of these characters is written with a leading apostrophe `'`,
 * the OWASP-recommended neutralisation: the text stays readable and the apostrophe says it was
 * escaped. Nothing is dropped or rewritten otherwise.
 *
 * Numbers are not text. The numeric columns (latitude, longitude, buffer, altitudes, version) are
 * written as plain decimal numbers matching `^-?\d+(\.\d+)?$` (never an exponent: `1e-7` is
 * written `0.0000001`); a spreadsheet reads such a cell as a number, never as a formula, so a
 * western longitude stays `-73.9` and usable in a sum or a map plugin. In XLSX they are typed
 * numeric cells. A cell is a number only when the column says so: text that looks like a number
 * is still text (and neutralised if it starts with `-`).
 */

/** A cell before it is written: text, a number (numeric columns only) or empty. */
export type Cell = string | number | null;

/** Characters that make a spreadsheet read a text cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The strict pattern of a number cell: what a spreadsheet reads as a number and nothing else. */
export const STRICT_NUMBER = /^-?\d+(\.\d+)?$/;

/** Text as a cell: with a leading apostrophe when it would start a formula. */
export function neutralise(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * A finite number as plain decimal text, without exponent: the shortest round-trip form
 * (`String`) when it has no exponent (every number from 1e-6 to 1e21, so every coordinate a
 * degree or more away from 0 keeps all its digits), else the fixed-point form to 20 decimals,
 * trailing zeros dropped (1e-20 of a degree or metre: far below anything measured). Numbers of
 * 1e21 and above, which no coordinate, buffer or altitude reaches, are refused.
 */
export function plainNumber(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e21) throw new RangeError(`not a plain number: ${n}`);
  const s = String(n);
  if (!s.includes('e')) return s === '-0' ? '0' : s;
  const fixed = n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}

/** A cell as CSV text: numbers plain, text neutralised, empty as empty. */
export function csvCell(c: Cell): string {
  if (c === null) return '';
  return typeof c === 'number' ? plainNumber(c) : neutralise(c);
}

/** A cell as an XLSX value: numbers stay numbers, text is neutralised. */
export function xlsxCell(c: Cell): string | number | null {
  return typeof c === 'string' ? neutralise(c) : c;
}
