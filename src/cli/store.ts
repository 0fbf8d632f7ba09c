/**
 * The data directory as the CLI's commands open it: the embedded store, or one line saying why it
 * cannot be opened and what to do (another process holds it, a newer deconflict wrote it, the
 * disk is full, the database is damaged, ...). An operator meets a stack trace only for a bug.
 */
import { DataDirectoryError, startupFault } from '../store/errors.ts';
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
