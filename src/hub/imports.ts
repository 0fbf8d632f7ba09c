/**
 * Imports: a file mapped to declarations (src/formats/import) and handed whole to the hub's one
 * submission path (`Declarations.submit`): the engine parses every declaration strictly, the
 * conflicts are found and recorded exactly as for any submission, and it is all or none — one
 * transaction, nothing half imported. An import may carry up to 100,000 declarations (an API
 * submission 1,000); the party's work budget in vertices holds as for any submission (250,000 per
 * request by default); a larger file is refused whole.
 *
 * The engine's errors name a feature by its index and a property path; here they are renamed to
 * the record of the file (`row 5`) and the column the value came from, so that a person can find
 * it in their spreadsheet. The party of every record is the caller's: a record naming another
 * party is refused by the engine (`party_mismatch`) with its row named.
 */
import type { ImportResult } from '../api/imports.ts';
import { DEFAULT_LIMITS } from '../engine/declaration.ts';
import type { ErrorDetail } from '../errors.ts';
import { DeconflictError } from '../errors.ts';
import type { Mapped, Mapping } from '../formats/import/mapping.ts';
import { type ImportFormat, readImport } from '../formats/import/read.ts';
import { fileError } from '../formats/safe/xml.ts';
import type { Principal } from './access.ts';
import type { Declarations } from './declarations.ts';

/**
 * Declarations one import may carry: the engine's own bound (100,000), above the 1,000 of a
 * submission by the API, because a file is one all-or-none unit. The work budget (vertices per
 * request and per party and minute) still holds.
 */
export const IMPORT_MAX_FEATURES = DEFAULT_LIMITS.maxFeatures;

export interface ImportRequest {
  readonly format: ImportFormat;
  readonly bytes: Uint8Array;
  readonly mapping?: Mapping;
  readonly dryRun?: boolean;
  /** How messages name the file (its name on the command line, else the format). */
  readonly what?: string;
}

export async function importFile(
  declarations: Declarations,
  p: Principal,
  r: ImportRequest,
): Promise<ImportResult> {
  const what = r.what ?? `the ${r.format.toUpperCase()} file`;
  const imported = await readImport(r.format, r.bytes, r.mapping, what);
  if (imported.mapped.length === 0) throw fileError('invalid_file', what, 'no declaration in the file');
  const collection = { type: 'FeatureCollection', features: imported.mapped.map((m) => m.feature) };
  let result: Awaited<ReturnType<Declarations['submit']>>;
  try {
    result = await declarations.submit(p, collection, {
      dryRun: r.dryRun === true,
      limits: { maxFeatures: IMPORT_MAX_FEATURES },
    });
  } catch (err) {
    throw located(err, imported.mapped);
  }
  return {
    accepted: true,
    dry_run: result.dry_run,
    format: r.format,
    declarations: result.declarations.map((d, i) => ({ source: imported.mapped[i]?.where ?? '', ...d })),
    conflicts: result.conflicts,
    ...(result.hidden !== undefined && { hidden: result.hidden }),
    ignored: [...imported.ignored],
    skipped: [...imported.skipped],
  };
}

/** The engine's and the hub's errors, renamed to the record and column of the file. */
function located(err: unknown, mapped: readonly Mapped[]): unknown {
  if (!(err instanceof DeconflictError) || err.constructor !== DeconflictError) return err;
  const byId = new Map<string, number>();
  mapped.forEach((m, i) => {
    const id = m.feature.properties.id;
    if (typeof id === 'string') byId.set(id, i);
  });
  const details = (err.details as readonly ErrorDetail[]).map((d): ErrorDetail => {
    let index = d.feature?.index;
    if (index === undefined && d.code === 'id_exists') {
      const quoted = /"([^"]+)"/.exec(d.message)?.[1] ?? '';
      index = byId.get(quoted) ?? byId.get(quoted.slice(quoted.indexOf(':') + 1));
    }
    const m = index === undefined ? undefined : mapped[index];
    if (!m) return d;
    const prop = d.path.startsWith('properties.')
      ? (/^properties\.([A-Za-z_]+)/.exec(d.path)?.[1] ?? '')
      : d.path.startsWith('geometry')
        ? 'geometry'
        : d.path === 'id'
          ? 'id'
          : '';
    const column = m.columns.get(prop);
    const at = column === undefined ? m.where : `${m.where}, column ${JSON.stringify(column)}`;
    return { ...d, path: at, message: `${at}: ${d.message}` };
  });
  return new DeconflictError(details);
}
