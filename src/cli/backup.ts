/**
 * `deconflict backup --data DIR --out FILE`: an online copy of the embedded store, taken while the
 * hub keeps running on DIR (no lock needed; `store/sqlite-backup.ts`). `deconflict restore --from
 * FILE --data DIR`: that copy put back as the database of a data directory that holds none, then
 * opened as the hub would (migrations applied) and its ledger chain verified. Exit 0 done; 2 for
 * arguments or a refusal, said in one line.
 */
import { verifyLedger } from '../hub/hub-archive.ts';
import { BackupRefused, backupDataDirectory, restoreDataDirectory } from '../store/sqlite-backup.ts';
import { commandLine } from './args.ts';
import type { Io } from './io.ts';
import { openDataDirectory } from './store.ts';

export async function backupCommand(args: readonly string[], io: Io): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`deconflict backup: ${message}\n`);
    return 2;
  };
  const line = commandLine(args, { data: { type: 'string', default: './data' }, out: { type: 'string' } });
  if ('error' in line) return fail(line.error);
  if (line.positionals.length > 0) return fail(`unexpected ${line.positionals[0]}`);
  const out = line.values.out as string | undefined;
  if (out === undefined) return fail('--out FILE is required');
  try {
    const { pages } = await backupDataDirectory(line.values.data as string, out);
    io.stdout(`Backed up ${line.values.data} to ${out} (${pages} pages).\n`);
    return 0;
  } catch (err) {
    if (err instanceof BackupRefused) return fail(err.message);
    throw err;
  }
}

export async function restoreCommand(args: readonly string[], io: Io): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`deconflict restore: ${message}\n`);
    return 2;
  };
  const line = commandLine(args, { data: { type: 'string' }, from: { type: 'string' } });
  if ('error' in line) return fail(line.error);
  if (line.positionals.length > 0) return fail(`unexpected ${line.positionals[0]}`);
  const { data, from } = line.values as { data?: string; from?: string };
  if (from === undefined || data === undefined) return fail('--from FILE and --data DIR are required');
  try {
    restoreDataDirectory(from, data);
  } catch (err) {
    if (err instanceof BackupRefused) return fail(err.message);
    throw err;
  }
  const store = openDataDirectory(data, 'restore', io);
  if (store === null) return 2;
  try {
    const entries = await verifyLedger(store);
    io.stdout(`Restored ${from} into ${data}; the ledger verifies (${entries} entries).\n`);
    return 0;
  } catch (err) {
    return fail((err as Error).message);
  } finally {
    await store.close();
  }
}
