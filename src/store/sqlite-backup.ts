/**
 * Online backup of the embedded store, and its restore into a new data directory.
 *
 * Backup reads the database through a read-only connection of its own and SQLite's backup API
 * (better-sqlite3's `db.backup`): it never takes the data directory's lock (`hub.lock`, which only
 * a store takes), so it runs beside a hub that keeps writing. In WAL mode a reader blocks no
 * writer, and a read-only connection reads the WAL through the index the hub keeps beside it
 * (`-shm`), so it sees the last commit; a copy that a write overtakes is started again by SQLite,
 * and every step after the first copies all the pages at once, inside one read transaction: the
 * copy is the database as of one commit, and every write acknowledged before the backup began is
 * in it.
 *
 * Restore is the copy put back as `deconflict.db` in a data directory that holds none yet, after
 * SQLite's own check of the file (`PRAGMA quick_check`); the store then opens it as any other
 * (applying migrations if it came from an older release).
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { databaseFile } from './sqlite.ts';

/** Pages per backup step after the first: all of them, so a step is one consistent read. */
const ALL_PAGES = 2 ** 30;

/** Why a backup or a restore was refused: the one line the command prints. */
export class BackupRefused extends Error {
  override readonly name = 'BackupRefused';
}

/** Copy the database of data directory `dir` to `out` (a new file) while a hub may run on it. */
export async function backupDataDirectory(dir: string, out: string): Promise<{ pages: number }> {
  const file = databaseFile(dir);
  if (!existsSync(file)) throw new BackupRefused(`${dir} holds no deconflict data (no ${file})`);
  if (existsSync(out)) throw new BackupRefused(`${out} exists: give a new file`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const part = `${out}.part`;
  try {
    db.pragma('busy_timeout = 5000');
    const { totalPages } = await db.backup(part, { progress: () => ALL_PAGES });
    renameSync(part, out);
    return { pages: totalPages };
  } finally {
    db.close();
    rmSync(part, { force: true });
  }
}

/**
 * Put the backup `from` in place as the database of data directory `dir`, which must not hold one.
 * The file is checked by SQLite first; the caller then opens the store on `dir`.
 */
export function restoreDataDirectory(from: string, dir: string): void {
  const file = databaseFile(dir);
  if (existsSync(file))
    throw new BackupRefused(`${dir} already holds a database (${file}): restore into a new directory`);
  let check: string;
  try {
    const db = new Database(from, { readonly: true, fileMustExist: true });
    try {
      check = String(db.pragma('quick_check', { simple: true }));
      db.prepare('SELECT version FROM schema_migrations LIMIT 1').get();
    } finally {
      db.close();
    }
  } catch (err) {
    throw new BackupRefused(`${from} is not a deconflict backup (${(err as Error).message})`);
  }
  if (check !== 'ok') throw new BackupRefused(`${from} is damaged: ${check}`);
  mkdirSync(dir, { recursive: true });
  const part = join(dirname(file), 'deconflict.db.restoring');
  copyFileSync(from, part);
  renameSync(part, file);
}
