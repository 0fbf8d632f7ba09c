/**
 * The data directory as the CLI's commands open it: the embedded store, or a message saying why
 * it cannot be opened (another process holds it, a newer deconflict wrote it, ...).
 */
import { DataDirectoryError } from '../store/errors.ts';
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts';
import type { Io } from './io.ts';

/**
 * Open the store in `dir` (applying pending migrations), or print why not on standard error as
 * `deconflict COMMAND: ...` and return null (the command then exits 2).
 */
export function openDataDirectory(dir: string, command: string, io: Io): SqliteStore | null {
  try {
    return openSqliteStore({ dir });
  } catch (err) {
    if (err instanceof DataDirectoryError) {
      io.stderr(`deconflict ${command}: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}
