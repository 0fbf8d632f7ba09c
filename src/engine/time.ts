/**
 * Instants as the engine reads and writes them: ISO 8601 in UTC, held as epoch milliseconds.
 * Only UTC is accepted (`Z` or `+00:00`): a local time in a deconfliction message is how a
 * window ends up an hour off.
 */

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|\+00:00)$/;

/** Epoch ms of an ISO 8601 UTC instant, or null when the text is not one (or not a real date). */
export function parseIsoUtc(text: string): number | null {
  const m = ISO_UTC.exec(text);
  if (m === null) return null;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  // Instants are held to the millisecond: finer digits are dropped (truncated, never rounded up).
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (h > 23 || mi > 59 || sec > 59) return null;
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d);
  back.setUTCHours(h, mi, sec, ms);
  const t = back.getTime();
  // Date.UTC rolls 30 February over into March: refuse instead.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    return null;
  }
  return t;
}

/**
 * The latest instant that ISO 8601 text without an expanded year can write (9999-12-31T23:59:59.999Z).
 * A time computed from one a client gave (a default end a week later) is held to it, or its text
 * would become `+010000-…`, which no reader of the API takes for a date-time.
 */
export const LATEST_ISO_UTC_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** ISO 8601 UTC text of an instant, without milliseconds when they are zero. */
export function formatIsoUtc(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}
