/**
 * Zulu date-time groups (DTG, `DDHHMMZMONYY`, e.g. `221530ZNOV26` = 22 Nov 2026 15:30 UTC) and
 * strict ISO 8601 UTC times, for people and the command line. Times are epoch milliseconds UTC,
 * as everywhere in the engine. Invalid input raises a {@link DeconflictError} with code
 * `invalid_time`.
 */
import { parseIsoUtc } from '../engine/time.ts';
import { DeconflictError } from '../errors.ts';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;

export interface DtgOptions {
  /** Include seconds: `DDHHMMSSZMONYY`. Default false (the time is truncated to the minute). */
  readonly seconds?: boolean;
  /** Four-digit year, as symbol amplifiers use: `221530ZNOV2026`. Default false. */
  readonly fourDigitYear?: boolean;
}

function invalidTime(message: string): DeconflictError {
  return new DeconflictError([{ code: 'invalid_time', feature: null, path: '', message }]);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Epoch ms of a UTC calendar time, or null when the fields do not name a real instant (31 NOV,
 * 29 FEB of a common year, hour 24, second 60…). Years 0–99 are taken literally, unlike
 * `Date.UTC`.
 */
function utcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | null {
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (hour > 23 || minute > 59 || second > 59 || ms > 999) return null;
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  d.setUTCFullYear(year, month - 1, day);
  const t = d.getTime();
  if (!Number.isFinite(t)) return null;
  // Round trip: Date silently rolls 31 NOV over to 1 DEC.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    return null;
  }
  return t;
}

/**
 * Formats an instant as a Zulu DTG: `221530ZNOV26` for 2026-11-22T15:30:00Z; with
 * `{ seconds: true }` `22153000ZNOV26`; with `{ fourDigitYear: true }` `221530ZNOV2026`.
 * Smaller units are truncated, not rounded. A year outside 2000–2099 is always written with
 * four digits, because a two-digit year is read back as 20YY. Throws `invalid_time` for a
 * non-finite time or a year outside 0–9999.
 */
export function formatDtg(ms: number, opts: DtgOptions = {}): string {
  if (!Number.isFinite(ms)) throw invalidTime(`cannot format ${ms} as a date-time group`);
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw invalidTime(`cannot format ${ms} as a date-time group: year outside 0000–9999`);
  }
  const month = MONTHS[d.getUTCMonth()] as string;
  const time =
    pad(d.getUTCDate(), 2) +
    pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) +
    (opts.seconds ? pad(d.getUTCSeconds(), 2) : '');
  const twoDigit = !opts.fourDigitYear && year >= 2000 && year <= 2099;
  return `${time}Z${month}${twoDigit ? pad(year % 100, 2) : pad(year, 4)}`;
}

// DD [sp] HHMM[SS] [sp] Z [sp] MON [sp] YY|YYYY, case-insensitive after upper-casing.
const DTG_RE = /^(\d{2}) *(\d{2})(\d{2})(\d{2})? *Z *([A-Z]{3}) *(\d{4}|\d{2})$/;

/**
 * Parses a Zulu DTG into epoch ms UTC. Accepts `DDHHMMZMONYY`, `DDHHMMSSZMONYY` and the
 * four-digit-year forms, in upper or lower case, with optional spaces between the groups
 * (`22 1530Z NOV 26`). Two-digit years are 20YY. Throws `invalid_time` for anything else,
 * including impossible dates (`310000ZNOV26`) and times (`222400ZNOV26`).
 */
export function parseDtg(s: string): number {
  if (typeof s !== 'string') throw invalidTime(`not a date-time group: ${String(s)}`);
  const m = DTG_RE.exec(s.trim().toUpperCase());
  if (!m) {
    throw invalidTime(`not a date-time group (DDHHMM[SS]ZMONYY, e.g. 221530ZNOV26): ${JSON.stringify(s)}`);
  }
  const [, dd, hh, mi, ss, mon, yy] = m as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string,
    string,
  ];
  const monthIndex = (MONTHS as readonly string[]).indexOf(mon);
  if (monthIndex < 0) {
    throw invalidTime(`unknown month ${JSON.stringify(mon)} in date-time group ${JSON.stringify(s)}`);
  }
  const year = yy.length === 2 ? 2000 + Number(yy) : Number(yy);
  const t = utcMs(
    year,
    monthIndex + 1,
    Number(dd),
    Number(hh),
    Number(mi),
    ss === undefined ? 0 : Number(ss),
    0,
  );
  if (t === null) throw invalidTime(`no such date or time: ${JSON.stringify(s)}`);
  return t;
}

/**
 * Parses a time given either as ISO 8601 UTC (`2026-11-22T15:30:00Z`, `2026-11-22T15:30Z`,
 * optional fractional seconds to the millisecond, `Z` or `+00:00`; the engine's own parser, so
 * the command line and declarations accept exactly the same times) or as a Zulu DTG (see
 * {@link parseDtg}). Returns epoch ms UTC. Local times without an offset, other offsets, and
 * dates that do not exist (`2026-02-30`) raise `invalid_time`. Surrounding whitespace is ignored.
 */
export function parseTime(s: string): number {
  if (typeof s !== 'string') throw invalidTime(`not a time: ${String(s)}`);
  const text = s.trim();
  if (!/^\d{4}-/.test(text)) {
    if (DTG_RE.test(text.toUpperCase())) return parseDtg(text);
    throw invalidTime(
      `not an ISO 8601 UTC time (e.g. 2026-11-22T15:30:00Z) or a date-time group (e.g. 221530ZNOV26): ${JSON.stringify(s)}`,
    );
  }
  const t = parseIsoUtc(text);
  if (t !== null) return t;
  if (/T[\d:.]+$/.test(text)) throw invalidTime(`time without a UTC offset (add Z): ${JSON.stringify(s)}`);
  throw invalidTime(
    `not an ISO 8601 UTC time (YYYY-MM-DDTHH:MM[:SS[.sss]] then Z or +00:00): ${JSON.stringify(s)}`,
  );
}
