/**
 * The store as the CLI's commands open it: the embedded store in a data directory, or PostgreSQL
 * (`--database` / `DATABASE_URL`), or one line saying why it cannot be opened and what to do
 * (another process holds it, a newer deconflict wrote it, the disk is full, the database is
 * damaged or out of reach, ...). An operator meets a stack trace only for a bug.
 */
import { DataDirectoryError, startupFault } from '../store/errors.ts';
import { type OpenedStore, openStore, type StoreLocation, storeLocation } from '../store/open.ts';
import { DatabaseUnreachable, isUnreachable } from '../store/postgres-errors.ts';
import { databaseFile, openSqliteStore, type SqliteStore } from '../store/sqlite.ts';
import type { Io } from './io.ts';

/**
 * Open the store in `dir` (applying pending migrations), or print why not on standard error as
 * `deconflict COMMAND: ...` and return null (the command then exits 2).
 */
export function openDataDirectory(dir: string, command: string, io: Io): SqliteStore | null {
  try {
    return openSqliteStore({ dir });
  } catch (err) {
    if (reportStartupFault(err, dir, command, io)) return null;
    throw err;
  }
}

/**
 * Print `deconflict COMMAND: <what is wrong and what to do>` for a fault met while starting on the
 * data directory `dir` after the store opened (a damaged page read while loading the declarations,
 * a full disk on the first write), and say whether it was one; anything else is a bug to rethrow.
 */
export function reportStartupFault(err: unknown, dir: string, command: string, io: Io): boolean {
  const fault = err instanceof DataDirectoryError ? err : startupFault(err, dir, databaseFile(dir));
  if (fault === null) return false;
  io.stderr(`deconflict ${command}: ${fault.message}\n`);
  return true;
}

/**
 * Where a command's store is (`--database URL`, else `DATABASE_URL`, else the data directory
 * `--data`), or print why the URL is not one and return null.
 */
export function storeLocationOf(
  values: { readonly data?: string; readonly database?: string },
  command: string,
  io: Io,
): StoreLocation | null {
  try {
    return storeLocation({
      ...(values.data !== undefined && { data: values.data }),
      ...(values.database !== undefined && { database: values.database }),
    });
  } catch (err) {
    io.stderr(`deconflict ${command}: ${(err as Error).message}\n`);
    return null;
  }
}

/**
 * Open the store at `where` (a data directory or a PostgreSQL database, applying pending
 * migrations), or print why not as one line (a PostgreSQL URL without its password) and return
 * null (the command then exits 2).
 */
export async function openStoreAt(
  where: StoreLocation,
  command: string,
  io: Io,
  options: { poolSize?: number } = {},
): Promise<OpenedStore | null> {
  try {
    return await openStore(where, options);
  } catch (err) {
    if (reportStoreFault(err, where, command, io)) return null;
    throw err;
  }
}

/**
 * As {@link reportStartupFault}, for either store: on PostgreSQL, a database that went out of reach
 * while the hub started is said as such (without the password).
 */
export function reportStoreFault(err: unknown, where: StoreLocation, command: string, io: Io): boolean {
  if (where.dialect === 'sqlite') return reportStartupFault(err, where.dir, command, io);
  const fault =
    err instanceof DataDirectoryError
      ? err
      : isUnreachable(err)
        ? new DatabaseUnreachable(where.url, err)
        : null;
  if (fault === null) return false;
  io.stderr(`deconflict ${command}: ${fault.message}\n`);
  return true;
}
