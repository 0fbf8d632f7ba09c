/**
 * Plain-text output of the command line for people: the conflict table (`--format table`) and
 * readable error lines. Machines should read the JSON output instead; the layout here may change.
 */
import type { Conflict, Severity } from '../engine/types.ts';
import type { ErrorDetail } from '../errors.ts';
import { formatDtg } from '../field/dtg.ts';
import { toMgrs } from '../field/mgrs.ts';
import { formatDistance, groupThousands } from '../field/units.ts';

const HEADER = ['SEV', 'RULE', 'A', 'B', 'INT', 'DIST', 'FROM', 'TO', 'CLOSEST'] as const;
const GAP = '  ';

// C0 and C1 control characters, line and paragraph separators, and the bidirectional marks,
// embeddings, overrides and isolates.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * Makes untrusted text (ids come from other parties) safe for one terminal line: control
 * characters (newlines, escape sequences) and bidirectional overrides are written as `\uXXXX`.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `34T CQ 12345 67890`, or `lat,lon` with 5 decimals where MGRS does not reach (polar). */
function closestText(lon: number, lat: number): string {
  const grid = toMgrs(lon, lat, 5);
  return grid !== '' ? grid : `${lat.toFixed(5)},${lon.toFixed(5)}`;
}

function plural(n: number, word: string): string {
  return `${groupThousands(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** Severities, most severe first: the order a person reads the table in. */
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * The order of the table for people: the most severe conflicts first (critical, high, medium,
 * low), then the earliest window start, then the engine's own order (A, B, rule), so that the
 * same input always prints the same table. The JSON output keeps the engine's order: machines
 * sort for themselves, and a stable order keeps outputs comparable between runs.
 */
export function mostSevereFirst(x: Conflict, y: Conflict): number {
  return (
    SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] ||
    x.window.start - y.window.start ||
    (x.a < y.a ? -1 : x.a > y.a ? 1 : 0) ||
    (x.b < y.b ? -1 : x.b > y.b ? 1 : 0) ||
    (x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : 0)
  );
}

/**
 * The summary line: `3 conflicts among 42 declarations`, `1 conflict among 2 declarations`,
 * `no conflict among 5 declarations`.
 */
export function conflictSummary(conflictCount: number, declarationCount: number): string {
  const conflicts = conflictCount === 0 ? 'no conflict' : plural(conflictCount, 'conflict');
  return `${conflicts} among ${plural(declarationCount, 'declaration')}`;
}

/**
 * The conflicts as a left-aligned table, in the order given: a header line, one line per
 * conflict with columns SEV (upper case), RULE, A, B, INT (`yes` for an internal conflict),
 * DIST, FROM and TO (Zulu DTGs of the window; TO `open` when open-ended), CLOSEST (the MGRS
 * reference of the closest point on A, or `lat,lon` beyond MGRS), then the summary line
 * ({@link conflictSummary}). Columns are separated by two spaces and padded to their widest
 * cell; lines carry no trailing spaces and the text no final newline. With no conflict, only
 * the summary line.
 */
export function formatConflictTable(conflicts: readonly Conflict[], declarationCount: number): string {
  const summary = conflictSummary(conflicts.length, declarationCount);
  if (conflicts.length === 0) return summary;
  const rows: string[][] = [[...HEADER]];
  for (const c of conflicts) {
    const [lon, lat] = c.closest[0];
    rows.push([
      c.severity.toUpperCase(),
      c.rule,
      printable(c.a),
      printable(c.b),
      c.internal ? 'yes' : '',
      formatDistance(c.distance_m),
      formatDtg(c.window.start),
      c.window.end === null ? 'open' : formatDtg(c.window.end),
      closestText(lon, lat),
    ]);
  }
  // A loop, not Math.max(...): a spread of a very long list overflows the call stack.
  const widths = HEADER.map(() => 0);
  for (const r of rows) {
    r.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] as number, cell.length);
    });
  }
  const lines = rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join(GAP)
      .trimEnd(),
  );
  lines.push(summary);
  return lines.join('\n');
}

/**
 * One readable line per error, e.g.
 * `feature 3 (id "x") properties.end: window_empty: end is not after start`. The feature part
 * is omitted when the error concerns no feature, the path when it is empty. Lines are joined
 * with `\n`, without a final newline.
 */
export function formatErrorLines(details: readonly ErrorDetail[]): string {
  return details
    .map((d) => {
      const where: string[] = [];
      if (d.feature !== null) {
        where.push(
          d.feature.id === undefined
            ? `feature ${d.feature.index}`
            : `feature ${d.feature.index} (id ${printable(JSON.stringify(d.feature.id))})`,
        );
      }
      if (d.path !== '') where.push(printable(d.path));
      const prefix = where.length > 0 ? `${where.join(' ')}: ` : '';
      return `${prefix}${d.code}: ${printable(d.message)}`;
    })
    .join('\n');
}
