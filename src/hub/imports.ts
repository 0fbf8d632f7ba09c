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
import type { Mapping } from '../formats/import/mapping.ts';
import { type ImportFormat, readImport } from '../formats/import/read.ts';
import { fileError } from '../formats/safe/xml.ts';
import type { Principal } from './access.ts';
import { RawBody, READ_IN_WORKER_ABOVE_BYTES, readJson } from './body.ts';
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
  const { body, sources, ignored, skipped } = await encoded(r, what);
  let result: Awaited<ReturnType<Declarations['submit']>>;
  try {
    result = await declarations.submit(p, body, {
      dryRun: r.dryRun === true,
      limits: { maxFeatures: IMPORT_MAX_FEATURES },
    });
  } catch (err) {
    throw located(err, sources);
  }
  return {
    accepted: true,
    dry_run: result.dry_run,
    format: r.format,
    declarations: result.declarations.map((d, i) => ({ source: sources.where[i] ?? '', ...d })),
    conflicts: result.conflicts,
    ...(result.hidden !== undefined && { hidden: result.hidden }),
    ignored: [...ignored],
    skipped: [...skipped],
  };
}

/** Where each declaration of the submission came from: its record, its columns, its id if given. */
interface Sources {
  readonly where: readonly string[];
  /** Shared between records read through the same columns (mapping.ts interns them). */
  readonly columns: readonly ReadonlyMap<string, string>[];
  /** Ids given in the file → the declaration's index (to name the record of an `id_exists`). */
  readonly byId: ReadonlyMap<string, number>;
}

/** JSON text is cut into chunks of about this size while it is written. */
const CHUNK = 1024 * 1024;

/**
 * The file read and mapped, then written at once as the JSON body of one submission: the mapped
 * features are released before the submission is parsed and checked, so that the file's records,
 * their features and the engine's declarations are never all held together (100,000 rows held
 * about 7 KB each that way). A body larger than {@link READ_IN_WORKER_ABOVE_BYTES} goes to the
 * hub as bytes (`RawBody`), read in a detection worker exactly like a large API body; a small one
 * is read here, as the server would.
 */
async function encoded(
  r: ImportRequest,
  what: string,
): Promise<{ body: unknown; sources: Sources; ignored: readonly string[]; skipped: readonly string[] }> {
  const imported = await readImport(r.format, r.bytes, r.mapping, what);
  const n = imported.mapped.length;
  if (n === 0) throw fileError('invalid_file', what, 'no declaration in the file');
  const where = new Array<string>(n);
  const columns = new Array<ReadonlyMap<string, string>>(n);
  const byId = new Map<string, number>();
  const chunks: Buffer[] = [];
  let text = '{"type":"FeatureCollection","features":[';
  imported.mapped.forEach((m, i) => {
    where[i] = m.where;
    columns[i] = m.columns;
    const id = m.feature.properties.id;
    if (typeof id === 'string') byId.set(id, i);
    text += (i === 0 ? '' : ',') + JSON.stringify(m.feature);
    if (text.length >= CHUNK) {
      chunks.push(Buffer.from(text));
      text = '';
    }
  });
  chunks.push(Buffer.from(`${text}]}`));
  const bytes = Buffer.concat(chunks);
  const body = bytes.length > READ_IN_WORKER_ABOVE_BYTES ? new RawBody(bytes) : readJson(bytes, false);
  return { body, sources: { where, columns, byId }, ignored: imported.ignored, skipped: imported.skipped };
}

/** A problem the JSON reader found, at `features.N.…`: the declaration's index and the rest. */
const AT_FEATURE = /^features\.(\d+)(?:\.(.*))?$/;

/** The engine's and the hub's errors, renamed to the record and column of the file. */
function located(err: unknown, sources: Sources): unknown {
  if (!(err instanceof DeconflictError) || err.constructor !== DeconflictError) return err;
  const details = (err.details as readonly ErrorDetail[]).map((d): ErrorDetail => {
    let index = d.feature?.index;
    let path = d.path;
    const read = index === undefined ? AT_FEATURE.exec(d.path) : null;
    if (read) {
      index = Number(read[1]);
      path = read[2] ?? '';
    }
    if (index === undefined && d.code === 'id_exists') {
      const quoted = /"([^"]+)"/.exec(d.message)?.[1] ?? '';
      index = sources.byId.get(quoted) ?? sources.byId.get(quoted.slice(quoted.indexOf(':') + 1));
    }
    const where = index === undefined ? undefined : sources.where[index];
    if (where === undefined || index === undefined) return d;
    const prop = path.startsWith('properties.')
      ? (/^properties\.([A-Za-z_]+)/.exec(path)?.[1] ?? '')
      : path.startsWith('geometry')
        ? 'geometry'
        : path === 'id'
          ? 'id'
          : '';
    const column = sources.columns[index]?.get(prop);
    const at = column === undefined ? where : `${where}, column ${JSON.stringify(column)}`;
    return { ...d, path: at, message: `${at}: ${d.message}` };
  });
  return new DeconflictError(details);
}
