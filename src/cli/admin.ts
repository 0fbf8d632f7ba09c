/**
 * `deconflict admin create [--data DIR | --database URL] --username NAME [--party P]`: create a hub administrator,
 * or with `--party` a party administrator of party P (the recovery path for a party, or a hub,
 * whose administrators cannot log in: docs/security.md). The password is read from standard
 * input (first line) so that it never appears in a process list or a shell history. On the
 * embedded store, run it while the hub is stopped: the data directory has one user at a time.
 * On PostgreSQL (`--database`, or `DATABASE_URL`) it may run beside the instances, as one more
 * writer under the same lock. (While the hub runs, a hub administrator adds a party
 * administrator over the API instead.)
 */
import { parseArgs } from 'node:util';
import { DeconflictError } from '../errors.ts';
import { systemClock } from '../hub/clock.ts';
import { Hub } from '../hub/hub.ts';
import type { Io } from './io.ts';
import { openStoreAt, storeLocationOf } from './store.ts';

const USAGE =
  'usage: deconflict admin create [--data DIR | --database URL] --username NAME [--party P [--role party_admin]]   (password on standard input)\n';

/** Run `deconflict admin ...`; exit status 0 on success, 2 on a bad argument or password. */
export async function adminCommand(args: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    io.stderr(USAGE);
    return 2;
  }
  let values: { data?: string; database?: string; username?: string; party?: string; role?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        data: { type: 'string', default: './data' },
        database: { type: 'string' },
        username: { type: 'string' },
        party: { type: 'string' },
        role: { type: 'string' },
      },
    }));
  } catch (err) {
    io.stderr(`deconflict admin create: ${(err as Error).message}\n`);
    return 2;
  }
  if (!values.username) {
    io.stderr('deconflict admin create: --username is required\n');
    return 2;
  }
  // The role follows from --party; --role may say it, and is refused when it says otherwise.
  const role = values.party === undefined ? 'hub_admin' : 'party_admin';
  if (values.role !== undefined && values.role !== role) {
    io.stderr(
      `deconflict admin create: --role ${values.role}: ${
        values.party === undefined
          ? 'without --party the role is hub_admin'
          : 'with --party the role is party_admin'
      }\n`,
    );
    return 2;
  }
  const password = (await io.read('-')).split('\n')[0]?.trimEnd() ?? '';
  const where = storeLocationOf(values, 'admin create', io);
  if (where === null) return 2;
  const store = await openStoreAt(where, 'admin create', io);
  if (store === null) return 2;
  let hub: Hub | undefined;
  try {
    hub = await Hub.open(store, systemClock);
    if (values.party === undefined) {
      await hub.accounts.createHubAdmin(values.username, password);
      io.stdout(`Created hub administrator "${values.username}".\n`);
    } else {
      await hub.accounts.createPartyAdmin(values.party, values.username, password);
      io.stdout(`Created party administrator "${values.username}" of ${values.party}.\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof DeconflictError) {
      io.stderr(`deconflict admin create: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await hub?.close();
    await store.close();
  }
}
