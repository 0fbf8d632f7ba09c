/**
 * A hub's database read as one snapshot, without opening it as a store: for `deconflict verify`,
 * which must not change what it verifies. SQLite's file is opened read-only and never migrated;
 * PostgreSQL is read in one `REPEATABLE READ READ ONLY` transaction, no migration, no lock, so a
 * running hub goes on while its record is checked. Rows are streamed (a cursor on PostgreSQL),
 * so a million ledger entries are never held at once.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { StoreLocation } from './open.ts';
import { clientConfig } from './postgres.ts';
import { DatabaseUnreachable, redactUrl } from './postgres-errors.ts';
import type { Row } from './rows.ts';
import { databaseFile } from './sqlite.ts';

export interface Snapshot {
  /** Where it was read from, as it may be printed (a URL without its password). */
  readonly label: string;
  /** The tables the database has (an older schema may lack some). */
  readonly tables: ReadonlySet<string>;
  /** The columns of a table. */
  columns(table: string): Promise<ReadonlySet<string>>;
  /** The rows of a statement (no parameters), streamed. */
  rows(sql: string): AsyncIterable<Row>;
  close(): Promise<void>;
}

/** Why a snapshot cannot be read: no database there, or one that cannot be opened. */
export class SnapshotUnavailable extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'SnapshotUnavailable';
  }
}

/** The rows a PostgreSQL cursor fetches at a time. */
const FETCH_ROWS = 2000;

/** Open a read-only snapshot of the database at `where`. */
export async function openSnapshot(where: StoreLocation): Promise<Snapshot> {
  return where.dialect === 'sqlite' ? sqliteSnapshot(where.dir) : await pgSnapshot(where.url);
}

function sqliteSnapshot(dir: string): Snapshot {
  const file = databaseFile(dir);
  if (!existsSync(file)) throw new SnapshotUnavailable(`${dir} holds no deconflict database (${file})`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new SnapshotUnavailable(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  const names = (sql: string) => new Set((db.prepare(sql).all() as Row[]).map((r) => String(r.name)));
  let tables: Set<string>;
  try {
    tables = names("SELECT name FROM sqlite_master WHERE type = 'table'");
    // One read transaction: everything read is one state of the database.
    db.exec('BEGIN');
  } catch (err) {
    db.close();
    throw new SnapshotUnavailable(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return {
    label: file,
    tables,
    columns: async (table) => names(`SELECT name FROM pragma_table_info('${table.replaceAll("'", "''")}')`),
    async *rows(sql) {
      yield* db.prepare(sql).iterate() as IterableIterator<Row>;
    },
    async close() {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    },
  };
}

async function pgSnapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ ...clientConfig(url), application_name: 'deconflict verify' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseUnreachable(url, err);
  }
  const names = async (sql: string, args: unknown[] = []) =>
    new Set((await client.query<Row>(sql, args)).rows.map((r) => String(r.name)));
  let tables: Set<string>;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    tables = await names(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new SnapshotUnavailable(`cannot read ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  let cursors = 0;
  return {
    label: redactUrl(url),
    tables,
    columns: (table) =>
      names(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [table],
      ),
    async *rows(sql) {
      const cursor = `deconflict_snapshot_${++cursors}`;
      await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`);
      try {
        for (;;) {
          const page = (await client.query<Row>(`FETCH ${FETCH_ROWS} FROM ${cursor}`)).rows;
          yield* page;
          if (page.length < FETCH_ROWS) return;
        }
      } finally {
        await client.query(`CLOSE ${cursor}`).catch(() => undefined);
      }
    },
    async close() {
      await client.query('COMMIT').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
