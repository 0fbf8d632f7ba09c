/**
 * Schema migrations of the PostgreSQL adapter: numbered plain-SQL files in
 * `migrations/postgres/`, applied in order when the store opens and by `deconflict migrate`, each
 * in one transaction of its own together with its row in `schema_migrations` (version, name,
 * applied_at: the table migrate.ts keeps for SQLite, for the same reasons).
 *
 * The numbers are SQLite's: the PostgreSQL adapter starts at version 9 with one baseline file
 * (`0009_baseline.sql`, the embedded store's schema at its version 9), and every later migration
 * comes as a pair, `sqlite/NNNN_name.sql` and `postgres/NNNN_name.sql`, so that both adapters are
 * at the same version with the same tables (whole-hub export moves rows between them).
 *
 * Several instances start at once against one database: the whole run holds a session advisory
 * lock of its own ({@link MIGRATION_LOCK}), so one applies and the others then find nothing to do.
 * A database at a version newer than this code is refused untouched, as is one whose versions
 * were applied under other names or that holds the hub's tables without a version.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';
import { DatabaseMigrationFailed, DatabaseTooNew, DatabaseUnrecognised } from './postgres-errors.ts';
import { HUB_TABLES } from './tables.ts';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The advisory lock a migration run holds (any number: it only needs to be deconflict's own). */
export const MIGRATION_LOCK = 0x6465636f6e6d;

const DIRECTORY = new URL('./migrations/postgres/', import.meta.url);

/** The migrations in `migrations/postgres/`, numbered without gaps from the first (the baseline). */
function loadMigrations(): readonly Migration[] {
  const files = readdirSync(DIRECTORY)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  let first = 0;
  return files.map((file, i): Migration => {
    const m = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(file);
    const version = m === null ? Number.NaN : Number(m[1]);
    if (i === 0) first = version;
    if (!Number.isInteger(version) || version !== first + i)
      throw new Error(
        `migrations/postgres/${file}: expected ${String(first + i).padStart(4, '0')}_<name>.sql`,
      );
    return {
      version,
      name: file.slice(0, -'.sql'.length),
      sql: readFileSync(new URL(file, DIRECTORY), 'utf8'),
    };
  });
}

const MIGRATIONS = loadMigrations();

/** The schema version this code creates and reads on PostgreSQL (the same as SQLite's). */
export const PG_SCHEMA_VERSION = (MIGRATIONS[MIGRATIONS.length - 1] as Migration).version;

/** What opening the database did to its schema (as `MigrationReport` for SQLite). */
export interface PgMigrationReport {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly string[];
}

const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

/** The version the database is at (0: none of the hub's tables), refusing one this code cannot use. */
async function inspect(client: pg.ClientBase, url: string): Promise<number> {
  const tables = (
    await client.query<{ name: string }>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
    )
  ).rows.map((r) => r.name);
  if (!tables.includes('schema_migrations')) {
    const ours = tables.filter((t) => (HUB_TABLES as readonly string[]).includes(t));
    if (ours.length > 0)
      throw new DatabaseUnrecognised(
        url,
        `it has tables named as the hub's (${ours.slice(0, 3).join(', ')}, ...) but no schema version`,
      );
    return 0;
  }
  const rows = (
    await client.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    )
  ).rows;
  const last = rows[rows.length - 1];
  if (last === undefined) return 0;
  if (Number(last.version) > PG_SCHEMA_VERSION)
    throw new DatabaseTooNew(url, Number(last.version), PG_SCHEMA_VERSION);
  rows.forEach((r, i) => {
    const known = MIGRATIONS[i] as Migration;
    if (Number(r.version) !== known.version || r.name !== known.name)
      throw new DatabaseUnrecognised(
        url,
        `its schema version ${r.version} was applied as ${r.name}, but this deconflict's version ${known.version} is ${known.name}`,
      );
  });
  return Number(last.version);
}

/**
 * Bring the database `client` is connected to (named in errors by `url`) to
 * {@link PG_SCHEMA_VERSION}. Applying it again is a no-op; concurrent runs wait for each other.
 *
 * @throws DatabaseTooNew, DatabaseUnrecognised, DatabaseMigrationFailed.
 */
export async function migratePostgres(client: pg.ClientBase, url: string): Promise<PgMigrationReport> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    const from = await inspect(client, url);
    let version = from;
    const applied: string[] = [];
    for (const m of MIGRATIONS.filter((x) => x.version > from)) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(VERSIONS_TABLE);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new DatabaseMigrationFailed(url, m.name, version, err);
      }
      version = m.version;
      applied.push(m.name);
    }
    return { from, to: version, applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}
