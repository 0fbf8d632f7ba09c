/**
 * `deconflict check`: read declarations (and the agreements a file carries), print every conflict,
 * exit 0 / 1 / 2.
 */
import { type Agreement, breachesOf, incursionAllowedBy, parseAgreement } from '../engine/agreements.ts';
import { parseDeclarations } from '../engine/declaration.ts';
import { checkDeclarations, windowContains } from '../engine/engine.ts';
import { compareConflicts } from '../engine/stindex.ts';
import { formatIsoUtc } from '../engine/time.ts';
import type { Conflict, Declaration, EngineOptions, Position } from '../engine/types.ts';
import { DeconflictError, type ErrorDetail } from '../errors.ts';
import { parseTime } from '../field/dtg.ts';
import { asksJson, commandLine } from './args.ts';
import type { Io } from './io.ts';
import { formatConflictTable, formatErrorLines, mostSevereFirst } from './table.ts';

type Format = 'json' | 'table';

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function roundPosition(p: Position): [number, number] {
  return [round(p[0], 7), round(p[1], 7)];
}

/** The JSON form of a conflict: ISO times, distances to the millimetre, positions to ~1 cm. */
export function conflictToJson(c: Conflict) {
  return {
    rule: c.rule,
    severity: c.severity,
    a: c.a,
    b: c.b,
    internal: c.internal,
    distance_m: round(c.distance_m, 3),
    window: {
      start: formatIsoUtc(c.window.start),
      end: c.window.end === null ? null : formatIsoUtc(c.window.end),
    },
    closest: [roundPosition(c.closest[0]), roundPosition(c.closest[1])],
  };
}

function fail(io: Io, format: Format, details: readonly ErrorDetail[]): number {
  if (format === 'json') io.stdout(`${JSON.stringify({ errors: details })}\n`);
  else io.stderr(`${formatErrorLines(details)}\n`);
  return 2;
}

function argError(message: string, path: string): ErrorDetail {
  return { code: 'invalid_argument', feature: null, path, message };
}

function metres(value: string | undefined, name: string, errors: ErrorDetail[]): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    errors.push(argError(`--${name} must be a number of metres >= 0, got "${value}"`, `--${name}`));
    return undefined;
  }
  return n;
}

export async function checkCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = commandLine(args, {
    format: { type: 'string', default: 'table' },
    at: { type: 'string' },
    'horizontal-separation': { type: 'string' },
    'vertical-separation': { type: 'string' },
    'hazard-ceiling': { type: 'string' },
  });
  // When the arguments do not parse, --format did not either: it is read by hand.
  if ('error' in parsed) return fail(io, asksJson(args) ? 'json' : 'table', [argError(parsed.error, '')]);
  const { values, positionals } = parsed;
  const format = values.format as string;
  if (format !== 'json' && format !== 'table') {
    return fail(io, 'table', [argError(`--format must be json or table, got "${format}"`, '--format')]);
  }
  const errors: ErrorDetail[] = [];
  if (positionals.length > 1) errors.push(argError('check takes one FILE (or - for standard input)', ''));
  let at: number | undefined;
  if (values.at !== undefined) {
    try {
      at = parseTime(values.at as string);
    } catch (err) {
      if (!(err instanceof DeconflictError)) throw err;
      errors.push(argError(`--at: ${err.details[0]?.message ?? 'bad time'}`, '--at'));
    }
  }
  const options: Partial<EngineOptions> = {};
  const hs = metres(values['horizontal-separation'] as string | undefined, 'horizontal-separation', errors);
  const vs = metres(values['vertical-separation'] as string | undefined, 'vertical-separation', errors);
  const hc = values['hazard-ceiling'] as string | undefined;
  if (hs !== undefined) Object.assign(options, { horizontalSeparation_m: hs });
  if (vs !== undefined) Object.assign(options, { verticalSeparation_m: vs });
  if (hc !== undefined) {
    const n = Number(hc);
    if (hc.trim() === '' || !Number.isFinite(n))
      errors.push(argError(`--hazard-ceiling must be metres AMSL, got "${hc}"`, '--hazard-ceiling'));
    else Object.assign(options, { strikeHazardCeiling_m: n });
  }
  if (errors.length > 0) return fail(io, format, errors);

  const path = positionals[0] ?? '-';
  let text: string;
  try {
    text = await io.read(path);
  } catch (err) {
    return fail(io, format, [
      {
        code: 'io_error',
        feature: null,
        path: '',
        message: `cannot read ${path}: ${(err as Error).message}`,
      },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(io, format, [
      {
        code: 'invalid_json',
        feature: null,
        path: '',
        message: `${path} is not JSON: ${(err as Error).message}`,
      },
    ]);
  }
  let decls: Declaration[] = [];
  const problems: ErrorDetail[] = [];
  try {
    decls = parseDeclarations(json, { assignId: (i) => `#${i}` });
  } catch (err) {
    if (!(err instanceof DeconflictError)) throw err;
    problems.push(...err.details);
  }
  const agreements = parseAgreements(json, problems);
  if (problems.length > 0) return fail(io, format, problems);
  const count = decls.length;
  const conflicts = withAgreements(decls, agreements, options).filter(
    (c) => at === undefined || windowContains(c.window, at),
  );
  if (format === 'json') {
    const out = {
      declarations: count,
      ...(agreements.length > 0 && { agreements: agreements.length }),
      conflicts: conflicts.map(conflictToJson),
    };
    io.stdout(`${JSON.stringify(out)}\n`);
  } else {
    // People read the table top down: the most severe conflicts first (the JSON keeps the
    // engine's order).
    io.stdout(`${formatConflictTable([...conflicts].sort(mostSevereFirst), count)}\n`);
  }
  return conflicts.length > 0 ? 1 : 0;
}

/**
 * The agreements a FeatureCollection carries in its foreign member `"agreements": [ … ]`
 * (docs/agreements.md §4), each in the format of docs/agreements.md §1 and named by its index
 * (its breaches name `agreement:<index>/<term id>`). Their problems are added to `problems` with
 * paths from the file's root (`agreements[0].terms.features[2].properties.end`).
 */
function parseAgreements(json: unknown, problems: ErrorDetail[]): Agreement[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return [];
  const doc = json as Record<string, unknown>;
  if (doc.type !== 'FeatureCollection' || doc.agreements === undefined) return [];
  if (!Array.isArray(doc.agreements)) {
    problems.push({
      code: 'invalid_property',
      feature: null,
      path: 'agreements',
      message: '"agreements" must be a list of agreements (docs/agreements.md)',
    });
    return [];
  }
  const out: Agreement[] = [];
  doc.agreements.forEach((raw, i) => {
    try {
      out.push(parseAgreement(raw, { id: `${i}` }));
    } catch (err) {
      if (!(err instanceof DeconflictError)) throw err;
      for (const d of err.details as readonly ErrorDetail[]) {
        // The path names the term; "feature" in the CLI's errors means a declaration of the file.
        problems.push({
          ...d,
          feature: null,
          path: d.path === '' ? `agreements[${i}]` : `agreements[${i}].${d.path}`,
        });
      }
    }
  });
  return out;
}

/**
 * The conflicts with the agreements in force over their windows: the incursions their permissions
 * lift are not reported (the engine's agreement hook), and every declaration's
 * breaches of each are added.
 */
function withAgreements(
  decls: readonly Declaration[],
  agreements: readonly Agreement[],
  options: Partial<EngineOptions>,
): Conflict[] {
  if (agreements.length === 0) return checkDeclarations(decls, options);
  const conflicts = checkDeclarations(decls, {
    ...options,
    incursionAllowed: incursionAllowedBy(agreements),
  });
  for (const d of decls) for (const a of agreements) conflicts.push(...breachesOf(d, a, options));
  return conflicts.sort(compareConflicts);
}
