/**
 * Which store a hub runs on: the embedded SQLite store in a data directory, or PostgreSQL when a
 * database URL is given (`--database`, else the `DATABASE_URL` environment variable). One place
 * decides, so that `serve`, `migrate` and the other commands agree.
 */

import type { Store } from './ports.ts';
import { openPostgresStore } from './postgres.ts';
import { redactUrl } from './postgres-errors.ts';
import { openSqliteStore } from './sqlite.ts';

/** What opening a store did to its schema: from which version to which, applying which. */
export interface OpenedStore extends Store {
  readonly migration: { readonly from: number; readonly to: number; readonly applied: readonly string[] };
}

/** Where a hub's data is: a data directory, or a PostgreSQL database. */
export type StoreLocation =
  | { readonly dialect: 'sqlite'; readonly dir: string }
  | { readonly dialect: 'postgres'; readonly url: string };

export interface StoreChoice {
  /** The data directory (SQLite), used when no database URL is given. */
  readonly data?: string;
  /** A `postgres://` URL (`--database`); `env.DATABASE_URL` when absent. */
  readonly database?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** The store a choice names, or a RangeError saying what is wrong with the URL. */
export function storeLocation(choice: StoreChoice): StoreLocation {
  const url = choice.database ?? (choice.env ?? process.env).DATABASE_URL;
  if (url === undefined || url === '') return { dialect: 'sqlite', dir: choice.data ?? './data' };
  if (!POSTGRES_URL.test(url))
    throw new RangeError(
      `--database (or DATABASE_URL) must be a postgres:// URL, as postgres://user:password@host:5432/deconflict; got ${redactUrl(url)}`,
    );
  return { dialect: 'postgres', url };
}

/** The location as it may be printed (a URL without its password). */
export function describeLocation(where: StoreLocation): string {
  return where.dialect === 'sqlite' ? where.dir : redactUrl(where.url);
}

/**
 * Open the store at `where`, applying pending migrations.
 *
 * @throws what `openSqliteStore` or `openPostgresStore` throw (a `DataDirectoryError` for every
 *   fault an operator can act on).
 */
export async function openStore(
  where: StoreLocation,
  options: { poolSize?: number } = {},
): Promise<OpenedStore> {
  if (where.dialect === 'sqlite') return openSqliteStore({ dir: where.dir });
  return openPostgresStore({
    url: where.url,
    ...(options.poolSize !== undefined && { poolSize: options.poolSize }),
  });
}
