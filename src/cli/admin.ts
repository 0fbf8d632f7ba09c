/**
 * `deconflict admin create --data DIR --username NAME`: create a hub administrator, reading the
 * password from standard input (first line) so that it never appears in a process list or a
 * shell history. Run it while the hub is stopped: the data directory has one user at a time.
 */
import { parseArgs } from 'node:util';
import { DeconflictError } from '../errors.ts';
import { systemClock } from '../hub/clock.ts';
import { Hub } from '../hub/hub.ts';
import type { Io } from './io.ts';
import { openDataDirectory } from './store.ts';

/** Run `deconflict admin ...`; exit status 0 on success, 2 on a bad argument or password. */
export async function adminCommand(args: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    io.stderr('usage: deconflict admin create --data DIR --username NAME   (password on standard input)\n');
    return 2;
  }
  let values: { data?: string; username?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { data: { type: 'string', default: './data' }, username: { type: 'string' } },
    }));
  } catch (err) {
    io.stderr(`deconflict admin create: ${(err as Error).message}\n`);
    return 2;
  }
  if (!values.username) {
    io.stderr('deconflict admin create: --username is required\n');
    return 2;
  }
  const password = (await io.read('-')).split('\n')[0]?.trimEnd() ?? '';
  const store = openDataDirectory(values.data as string, 'admin create', io);
  if (store === null) return 2;
  try {
    const hub = await Hub.open(store, systemClock);
    await hub.accounts.createHubAdmin(values.username, password);
    io.stdout(`Created hub administrator "${values.username}".\n`);
    return 0;
  } catch (err) {
    if (err instanceof DeconflictError) {
      io.stderr(`deconflict admin create: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await store.close();
  }
}
