/**
 * Schema migrations of the embedded store: numbered plain-SQL files in `migrations/sqlite/`
 * (`0001_initial.sql`, `0002_declaration_filters.sql`, ...), applied in order when a data
 * directory is opened, each in one transaction of its own. A migration whose rows SQL cannot
 * compute (geodesic boxes) has a TypeScript step, `NNNN_name.ts` beside its SQL, that runs in
 * the same transaction right after it.
 *
 * The version is kept in a `schema_migrations` table (version, name, applied_at), not in
 * `PRAGMA user_version`: the table says which migration made each version and when it was
 * applied (what an operator asks after an upgrade), it lets a build notice a version applied
 * under another name (a diverging branch), and it is the shape a PostgreSQL adapter would keep
 * too (PostgreSQL has no user_version). Its rows commit with the migration they record.
 *
 * A database with tables but no `schema_migrations` was made by a hub from before versions were
 * kept; it is recognised as version 1 when its schema is 0001's (after 0001's `IF NOT EXISTS`
 * statements added the tables that hubs older still did not have, as each of them did on start).
 * A database at a version newer than this code knows is refused, untouched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DataDirectoryTooNew, DataDirectoryUnrecognised, MigrationFailed } from './errors.ts';
import { backfillDeclarationFilters } from './migrations/sqlite/0002_declaration_filters.ts';

type Db = Database.Database;

interface Migration {
  readonly version: number;
  /** The file name without `.sql`, e.g. `0002_declaration_filters`. */
  readonly name: string;
  readonly sql: string;
  /** Rows SQL alone cannot compute, written in the migration's transaction after its SQL. */
  readonly step?: (db: Db) => void;
}

/** TypeScript steps, by the name of the migration they complete. */
const STEPS: Readonly<Record<string, (db: Db) => void>> = {
  '0002_declaration_filters': backfillDeclarationFilters,
};

const DIRECTORY = new URL('./migrations/sqlite/', import.meta.url);

/** The migrations in `migrations/sqlite/`, checked to be numbered 1, 2, 3... without gaps. */
function loadMigrations(): readonly Migration[] {
  const files = readdirSync(DIRECTORY)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const out = files.map((file, i): Migration => {
    const m = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(file);
    if (m === null || Number(m[1]) !== i + 1) {
      throw new Error(`migrations/sqlite/${file}: expected ${String(i + 1).padStart(4, '0')}_<name>.sql`);
    }
    const name = file.slice(0, -'.sql'.length);
    const step = STEPS[name];
    return {
      version: i + 1,
      name,
      sql: readFileSync(new URL(file, DIRECTORY), 'utf8'),
      ...(step && { step }),
    };
  });
  for (const name of Object.keys(STEPS)) {
    if (!out.some((m) => m.name === name))
      throw new Error(`a migration step for ${name}, which has no SQL file`);
  }
  return out;
}

const MIGRATIONS = loadMigrations();

/** The schema version this code creates and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** What opening a data directory did to its schema. */
export interface MigrationReport {
  /** The version found: 0 for a new database, 1 for one from before versions were kept. */
  readonly from: number;
  /** The version it is at now: always {@link SCHEMA_VERSION}. */
  readonly to: number;
  /** The migrations applied, in order (none when it was up to date). */
  readonly applied: readonly string[];
}

/** Created by the first migration's transaction, beside what it records. */
const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`;

/** Tables, indexes, triggers and views, as SQLite keeps their definitions. */
function schemaOf(db: Db): string[] {
  const rows = db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  return rows.map((r) => `${r.type} ${r.name} ON ${r.tbl_name}: ${r.sql}`);
}

/** The schema 0001 creates in an empty database: what a hub from before versions left. */
function initialSchema(): string[] {
  const db = new Database(':memory:');
  try {
    db.exec((MIGRATIONS[0] as Migration).sql);
    return schemaOf(db);
  } finally {
    db.close();
  }
}

type Found =
  | { readonly kind: 'empty' }
  | { readonly kind: 'unversioned' }
  | { readonly kind: 'versioned'; readonly version: number };

/** What the database holds, refusing one that is newer than this code or not one it made. */
function inspect(db: Db, dir: string): Found {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  if (tables.length === 0) return { kind: 'empty' };
  if (!tables.includes('schema_migrations')) return { kind: 'unversioned' };
  const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
  }[];
  const version = rows.length === 0 ? 0 : (rows[rows.length - 1] as { version: number }).version;
  if (version > SCHEMA_VERSION) throw new DataDirectoryTooNew(dir, version, SCHEMA_VERSION);
  rows.forEach((r, i) => {
    const known = MIGRATIONS[i] as Migration;
    if (r.version !== known.version || r.name !== known.name) {
      throw new DataDirectoryUnrecognised(
        dir,
        `its schema version ${r.version} was applied as ${r.name}, but this deconflict's version ` +
          `${known.version} is ${known.name}`,
      );
    }
  });
  return { kind: 'versioned', version };
}

/**
 * Run `work` as one immediate transaction that also records `m` as applied, with foreign keys
 * checked before the commit (they are off while migrations run, so that a migration may rebuild
 * a table the way SQLite's documentation prescribes).
 */
function commitAs(db: Db, dir: string, m: Migration, from: number, work: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    work();
    db.exec(VERSIONS_TABLE);
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`${broken.length} rows break a foreign key`);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      m.version,
      m.name,
      Date.now(),
    );
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    if (err instanceof DataDirectoryUnrecognised) throw err;
    throw new MigrationFailed(dir, m.name, from, err);
  }
}

/**
 * Bring the database of data directory `dir` (named in errors) to {@link SCHEMA_VERSION}:
 * recognise one from before versions were kept as version 1, then apply each pending migration
 * in its own transaction. Call it on the writing connection before anything else uses it, with
 * foreign keys off. Applying it again is a no-op.
 *
 * @throws DataDirectoryTooNew when the database is at a version newer than this code's.
 * @throws DataDirectoryUnrecognised when it is not a database this code made.
 * @throws MigrationFailed when a migration fails (it is rolled back; earlier ones stay).
 */
export function migrate(db: Db, dir: string): MigrationReport {
  const found = inspect(db, dir);
  let version = found.kind === 'versioned' ? found.version : 0;
  if (found.kind === 'unversioned') {
    const initial = MIGRATIONS[0] as Migration;
    commitAs(db, dir, initial, 0, () => {
      db.exec(initial.sql);
      if (schemaOf(db).join('\n') !== initialSchema().join('\n')) {
        throw new DataDirectoryUnrecognised(
          dir,
          'it has tables but no schema version, and they are not those of a deconflict hub',
        );
      }
    });
    version = 1;
  }
  const from = found.kind === 'empty' ? 0 : version;
  const applied: string[] = [];
  for (const m of MIGRATIONS.slice(version)) {
    commitAs(db, dir, m, version, () => {
      db.exec(m.sql);
      m.step?.(db);
    });
    version = m.version;
    applied.push(m.name);
  }
  return { from, to: version, applied };
}
