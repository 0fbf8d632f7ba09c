/**
 * `deconflict hub export --out FILE` and `deconflict hub import FILE`, each on `--data DIR` (the
 * embedded store) or `--database URL` (PostgreSQL; DATABASE_URL when neither is given): a whole
 * hub moved between stores through an
 * archive without its secrets (`hub/hub-archive.ts` says which, and what stands in for them).
 * Run them with the hub stopped. Exit 0 done; 2 for arguments, a store that cannot be opened, an
 * archive that is damaged or cut short, or an import the target refuses (not empty, another
 * schema version) — one line saying which, and nothing is written.
 */
import { existsSync } from 'node:fs';
import { systemClock } from '../hub/clock.ts';
import { exportHub, ImportRefused, importHub } from '../hub/hub-archive.ts';
import { ArchiveInvalid } from '../store/archive.ts';
import type { StoreLocation } from '../store/open.ts';
import type { Store } from '../store/ports.ts';
import { commandLine } from './args.ts';
import type { Io } from './io.ts';
import { openStoreAt, storeLocationOf } from './store.ts';

const USAGE =
  'usage: deconflict hub export --out FILE [--data DIR | --database URL]\n' +
  '       deconflict hub import FILE [--data DIR | --database URL]\n';

/**
 * The store a command names: `--data DIR` when given, else `--database URL` or DATABASE_URL
 * (PostgreSQL), else ./data. Null when it cannot be opened (the reason printed, no password).
 */
async function openNamed(values: Record<string, unknown>, command: string, io: Io): Promise<Store | null> {
  const data = values.data as string | undefined;
  const where: StoreLocation | null =
    data !== undefined
      ? { dialect: 'sqlite', dir: data }
      : storeLocationOf(
          { ...(typeof values.database === 'string' && { database: values.database }) },
          command,
          io,
        );
  return where === null ? null : openStoreAt(where, command, io);
}

export async function hubCommand(args: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const name = `hub ${sub ?? ''}`.trim();
  const fail = (message: string) => {
    io.stderr(`deconflict ${name}: ${message}\n`);
    return 2;
  };
  if (sub !== 'export' && sub !== 'import') {
    io.stderr(USAGE);
    return 2;
  }
  const line = commandLine(rest, {
    data: { type: 'string' },
    database: { type: 'string' },
    out: { type: 'string' },
  });
  if ('error' in line) return fail(line.error);
  const { values, positionals } = line;
  if (values.data !== undefined && values.database !== undefined)
    return fail('give --data or --database, not both');
  if (sub === 'export') {
    if (positionals.length > 0) return fail(`unexpected ${positionals[0]}: the archive is --out FILE`);
    const out = values.out as string | undefined;
    if (out === undefined) return fail('--out FILE is required');
    if (existsSync(out)) return fail(`${out} exists: give a new file`);
    const store = await openNamed(values, name, io);
    if (store === null) return 2;
    try {
      const h = await exportHub(store, out, systemClock.now());
      const rows = h.tables.reduce((n, t) => n + t.rows, 0);
      io.stdout(
        `Exported ${rows} rows of ${h.tables.length} tables to ${out} (no secrets: docs/operations.md).\n`,
      );
      return 0;
    } finally {
      await store.close();
    }
  }
  if (values.out !== undefined) return fail('--out is for export; import reads FILE');
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) return fail('give the archive FILE once');
  if (!existsSync(file)) return fail(`${file}: no such file`);
  const store = await openNamed(values, name, io);
  if (store === null) return 2;
  try {
    const r = await importHub(store, file, systemClock);
    io.stdout(
      `Imported ${r.rows} rows of ${r.header.tables.length} tables from ${file} (made ${r.header.created_at} on ${r.header.dialect}); ` +
        `the ledger verifies through entry ${r.ledgerSeq}, and the new checkpoint key is entry ${r.ledgerSeq + r.appended}.\n` +
        'No password, token or webhook secret came along: make administrators with deconflict admin create (docs/operations.md).\n',
    );
    return 0;
  } catch (err) {
    if (err instanceof ArchiveInvalid || err instanceof ImportRefused) return fail(err.message);
    throw err;
  } finally {
    await store.close();
  }
}
