/**
 * Why the store cannot open a data directory, and what the store reports while it runs.
 *
 * Opening: each error carries a stable `code` and a one-line message that names the problem and
 * says what to do; the CLI prints the message and exits with status 2. They are operational, not
 * domain errors: no HTTP request can cause them, so they are not in the registry of
 * `src/errors.ts`. {@link startupFault} turns what SQLite and the file system throw at start-up
 * (a damaged database, a full disk, a directory the hub may not write) into one of them, so that
 * an operator never meets a raw stack trace for a fault of the machine rather than of the code.
 *
 * Running: a write refused for want of space is the coded error `storage_full` (HTTP 507: the
 * request was fine, the hub could not store it; nothing was applied), and the store is marked full
 * until a write commits again, which `/healthz` reports ({@link storageFull}).
 */
import { DeconflictError } from '../errors.ts';

/** The common class: catch this to report any of the reasons below. */
export abstract class DataDirectoryError extends Error {
  abstract readonly code: string;
}

/** Another process (or another store in this one) holds the data directory. */
export class DataDirectoryLocked extends DataDirectoryError {
  readonly code = 'data_directory_locked';
  constructor(dir: string, holder: string) {
    super(
      `the data directory ${dir} is in use by another deconflict process (${holder}); ` +
        'stop it first, or give this one another --data directory',
    );
    this.name = 'DataDirectoryLocked';
  }
}

/** The data directory was written by a newer deconflict, whose schema this one does not know. */
export class DataDirectoryTooNew extends DataDirectoryError {
  readonly code = 'data_directory_too_new';
  constructor(
    dir: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `the data directory ${dir} is at schema version ${found}, but this deconflict knows versions up ` +
        `to ${supported} only: it was upgraded by a newer release. Run that release (or a newer one), ` +
        'or restore a copy of the directory taken before the upgrade. Nothing was changed.',
    );
    this.name = 'DataDirectoryTooNew';
  }
}

/**
 * The database is not one this deconflict made: tables without a schema version that are not
 * those of a hub from before versions were kept, or a version applied under another name (a
 * build from a diverging branch).
 */
export class DataDirectoryUnrecognised extends DataDirectoryError {
  readonly code = 'data_directory_unrecognised';
  constructor(dir: string, why: string) {
    super(
      `the data directory ${dir} does not hold a database this deconflict can open: ${why}. ` +
        'Check that --data names the right directory. Nothing was changed.',
    );
    this.name = 'DataDirectoryUnrecognised';
  }
}

/** A migration failed; it was rolled back, so the directory stays at the version before it. */
export class MigrationFailed extends DataDirectoryError {
  readonly code = 'migration_failed';
  constructor(dir: string, migration: string, version: number, cause: unknown) {
    super(
      `migration ${migration} of the data directory ${dir} failed: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        `It was rolled back: the directory is still at schema version ${version}.`,
      { cause },
    );
    this.name = 'MigrationFailed';
  }
}

/** `--data` names something that is not a directory (a file, or a path through a file). */
export class DataDirectoryNotADirectory extends DataDirectoryError {
  readonly code = 'data_directory_not_a_directory';
  constructor(dir: string) {
    super(
      `${dir} is not a directory: --data must name the directory the hub keeps its data in ` +
        '(it is created if it does not exist). Nothing was changed.',
    );
    this.name = 'DataDirectoryNotADirectory';
  }
}

/** The process may not write in the data directory (permissions, a read-only file system). */
export class DataDirectoryUnwritable extends DataDirectoryError {
  readonly code = 'data_directory_unwritable';
  constructor(dir: string, why: string) {
    super(
      `cannot write in the data directory ${dir} (${why}): let the user that runs deconflict write ` +
        'there (its files included), or give it another --data directory',
    );
    this.name = 'DataDirectoryUnwritable';
  }
}

/** One of the hub's files in the data directory is something else (a directory, a non-lock). */
export class DataDirectoryFileInvalid extends DataDirectoryError {
  readonly code = 'data_directory_file_invalid';
  constructor(path: string, what: string, fix: string) {
    super(`${path} ${what}: ${fix}, then start again. Nothing was changed.`);
    this.name = 'DataDirectoryFileInvalid';
  }
}

/** The database file is damaged: SQLite found it is not a database, or malformed. */
export class DataDirectoryDamaged extends DataDirectoryError {
  readonly code = 'data_directory_damaged';
  constructor(file: string, detail: string) {
    super(
      `the database ${file} is damaged (${detail}): the hub will not run on it. Restore the data ` +
        'directory from a backup (or start on an empty --data directory). Nothing was changed.',
    );
    this.name = 'DataDirectoryDamaged';
  }
}

/** The disk holding the data directory is full (or the user's quota is spent). */
export class DataDirectoryFull extends DataDirectoryError {
  readonly code = 'data_directory_full';
  constructor(dir: string) {
    super(
      `the disk holding the data directory ${dir} is full: free some space there and start again. ` +
        'Nothing was changed (every change is one transaction: none was left half-written).',
    );
    this.name = 'DataDirectoryFull';
  }
}

/** The `code` of an error from SQLite (`SQLITE_...`) or the file system (`ENOSPC`, ...), or ''. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Whether an error says the disk is full: SQLite's `SQLITE_FULL` (which it also answers for a
 * write that meets ENOSPC), the file system's ENOSPC, or a spent quota (EDQUOT), or the coded
 * `storage_full` the store raises for them.
 */
export function isStorageFull(err: unknown): boolean {
  const code = errorCode(err);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return true;
  return err instanceof DeconflictError && err.details.some((d) => d.code === 'storage_full');
}

/** The error a write refused for want of space becomes: 507 `storage_full`, nothing applied. */
export function storageFullError(): DeconflictError {
  return new DeconflictError([
    {
      code: 'storage_full',
      feature: null,
      path: '',
      message:
        "the hub's storage is full: the change was not applied (nothing stored was lost); retry once the hub's operator has freed space",
    },
  ]);
}

/**
 * Stores whose last write failed for want of space, until one commits again. Kept here, beside
 * the error, rather than as a method of every store: it is the SQLite adapter's observation of its
 * disk, which `/healthz` reads by the store object it was given.
 */
const full = new WeakSet<object>();

/** Record whether `store`'s disk was found full (by a failed write) or not (by a committed one). */
export function markStorage(store: object, isFull: boolean): void {
  if (isFull) full.add(store);
  else full.delete(store);
}

/** Whether `store` last found its disk full (no write has committed since). */
export function storageFull(store: object): boolean {
  return full.has(store);
}

/**
 * What an error thrown while opening the data directory `dir` (its database `file`) or starting
 * the hub on it means to an operator, or null when it is none of the faults below (then it is a
 * bug, and its stack is wanted). Already classified errors pass through.
 */
export function startupFault(err: unknown, dir: string, file: string): DataDirectoryError | null {
  if (err instanceof DataDirectoryError) {
    // A migration that failed on a full disk or a damaged page failed for that, not for itself.
    if (err instanceof MigrationFailed) {
      const cause = startupFault(err.cause, dir, file);
      if (cause instanceof DataDirectoryFull || cause instanceof DataDirectoryDamaged) return cause;
    }
    return err;
  }
  if (isStorageFull(err)) return new DataDirectoryFull(dir);
  const code = errorCode(err);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return new DataDirectoryDamaged(file, (err as Error).message);
  if (
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN')
  ) {
    return new DataDirectoryUnwritable(
      dir,
      code === 'EROFS' ? 'a read-only file system' : 'permission denied',
    );
  }
  if (code === 'ENOTDIR') return new DataDirectoryNotADirectory(dir);
  return null;
}
