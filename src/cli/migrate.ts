/**
 * `deconflict migrate [--data DIR | --database URL]`: bring a store's schema to this release's
 * version and say from which version to which. `serve` and `admin` do the same when they open it;
 * this command does it alone, for an operator who upgrades deliberately (say, right after a
 * backup). A PostgreSQL database is named by `--database` or `DATABASE_URL`.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeLocation } from '../store/open.ts';
import { databaseFile } from '../store/sqlite.ts';
import type { Io } from './io.ts';
import { openStoreAt, storeLocationOf } from './store.ts';

/** Run `deconflict migrate`; exit status 0 when the store is at the latest version, 2 when not. */
export async function migrateCommand(args: readonly string[], io: Io): Promise<number> {
  let values: { data: string; database?: string };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { data: { type: 'string', default: './data' }, database: { type: 'string' } },
    }));
  } catch (err) {
    io.stderr(`deconflict migrate: ${(err as Error).message}\n`);
    return 2;
  }
  const where = storeLocationOf(values, 'migrate', io);
  if (where === null) return 2;
  if (where.dialect === 'sqlite' && !existsSync(databaseFile(where.dir))) {
    io.stderr(
      `deconflict migrate: ${where.dir} holds no deconflict data (no ${databaseFile(where.dir)}): nothing to migrate\n`,
    );
    return 2;
  }
  const store = await openStoreAt(where, 'migrate', io);
  if (store === null) return 2;
  await store.close();
  const { from, to, applied } = store.migration;
  const name = describeLocation(where);
  io.stdout(
    applied.length === 0
      ? `${name}: schema version ${from} → ${to}, already the latest: nothing to apply.\n`
      : `${name}: schema version ${from} → ${to}, applied ${applied.join(', ')}.\n`,
  );
  return 0;
}
