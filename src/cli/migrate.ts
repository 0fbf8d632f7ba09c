/**
 * `deconflict migrate [--data DIR]`: bring a data directory's schema to this release's version
 * and say from which version to which. `serve` and `admin` do the same when they open it; this
 * command does it alone, for an operator who upgrades deliberately (say, right after a backup).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { databaseFile } from '../store/sqlite.ts';
import type { Io } from './io.ts';
import { openDataDirectory } from './store.ts';

/** Run `deconflict migrate`; exit status 0 when the directory is at the latest version, 2 when not. */
export async function migrateCommand(args: readonly string[], io: Io): Promise<number> {
  let dir: string;
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { data: { type: 'string', default: './data' } },
    });
    dir = values.data;
  } catch (err) {
    io.stderr(`deconflict migrate: ${(err as Error).message}\n`);
    return 2;
  }
  if (!existsSync(databaseFile(dir))) {
    io.stderr(
      `deconflict migrate: ${dir} holds no deconflict data (no ${databaseFile(dir)}): nothing to migrate\n`,
    );
    return 2;
  }
  const store = openDataDirectory(dir, 'migrate', io);
  if (store === null) return 2;
  await store.close();
  const { from, to, applied } = store.migration;
  io.stdout(
    applied.length === 0
      ? `${dir}: schema version ${from} → ${to}, already the latest: nothing to apply.\n`
      : `${dir}: schema version ${from} → ${to}, applied ${applied.join(', ')}.\n`,
  );
  return 0;
}
