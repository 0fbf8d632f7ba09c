/**
 * The PostgreSQL store: every port of `ports.ts` over node-postgres with a pool, for any number
 * of hub instances on one database. The embedded store (`sqlite.ts`) is the reference: the same
 * tables, columns and answers (`postgres-repos.ts`), the same contract suite.
 *
 * One lock orders every write. Each write transaction (`transactGroup`; `transact` is a group of
 * one) runs at READ COMMITTED and takes one transaction-level advisory lock first
 * ({@link WRITERS_LOCK}), the same for every instance: writes are totally ordered across
 * instances, as the ledger's single hash chain needs anyway, and whatever the transaction reads
 * after the lock is granted (each statement takes a fresh snapshot) includes every write committed
 * before it. So numbering "one past the last" (ledger seq, streams, messages, the shared feed)
 * stays right, and `GroupOptions.first` can catch the hub's memory up under the lock. Inside,
 * each unit of work runs in a savepoint of its own, and one COMMIT makes them durable together
 * (`synchronous_commit` stays on). A transaction that wrote sends a NOTIFY on
 * {@link CHANGES_CHANNEL}, delivered at its commit, which `follow` of every other instance hears.
 * Within one process the transactions also queue, so that the process holds at most one
 * connection waiting for the lock. Reads are REPEATABLE READ READ ONLY transactions on pooled
 * connections: consistent snapshots, never waiting for the lock.
 *
 * Faults: a database out of reach answers `store_unavailable` (503), a full disk `storage_full`
 * (`postgres-errors.ts`); a connection that failed is destroyed rather than returned to the pool,
 * and the pool opens new ones when the server is back, so the store recovers by itself.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { isStorageFull, markStorage, storageFullError } from './errors.ts';
import type { DumpRow, GroupOptions, Store, Tx } from './ports.ts';
import { DatabaseUnreachable, isDiskFull, isUnreachable, storeUnavailableError } from './postgres-errors.ts';
import { PgListener } from './postgres-listen.ts';
import { migratePostgres, type PgMigrationReport } from './postgres-migrate.ts';
import { type Conn, numbered, pgRepos, type Value } from './postgres-repos.ts';
import { type Row, tracked } from './rows.ts';
import { HUB_TABLES } from './tables.ts';

/**
 * The writers' advisory lock: every write transaction of every instance takes it first. Any
 * fixed number does; this one spells "deconfl".
 */
export const WRITERS_LOCK = 0x6465636f6e666c;

/** The channel a committed write is announced on (its payload: the writing store's id). */
export const CHANGES_CHANNEL = 'deconflict_changes';

/**
 * The channel of {@link Store.signal}: JSON `{ from, topic, message }`, `from` the sending
 * store's id (it does not hear itself).
 */
export const SIGNALS_CHANNEL = 'deconflict_signals';

/** How often `follow` reports a possible change regardless of notifications (one can be lost). */
const FOLLOW_EVERY_MS = 2000;
/** The longest wait between attempts to re-establish the listening connection. */
const FOLLOW_BACKOFF_MAX_MS = 5000;
/** How long a connection may take to open before the request is answered `store_unavailable`. */
const CONNECT_TIMEOUT_MS = 5000;
/** How long `ping` waits for the database. */
const PING_TIMEOUT_MS = 2000;
/** Rows per INSERT statement when loading a table. */
const LOAD_BATCH = 500;

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (node-postgres connection string). */
  readonly url: string;
  /** Connections in the pool (default 10): the writer, reads side by side, `ping`. */
  readonly poolSize?: number;
  /** As `SqliteStoreOptions.storeLeaves` (the benchmark's "log off" baseline only). */
  readonly storeLeaves?: boolean;
  /**
   * How often `follow` reports a possible change regardless of notifications (default 2 s).
   * Tests lengthen it to see what the notifications alone do.
   */
  readonly followEveryMs?: number;
}

/** The PostgreSQL store, and what opening it did to the database's schema. */
export interface PostgresStore extends Store {
  readonly migration: PgMigrationReport;
}

/**
 * Type parsers of this store's connections only (pg's global ones stay untouched): int8 as a
 * JavaScript number (every integer the hub stores fits in 2^53: milliseconds, counts, sequence
 * numbers), bytea as pg's Buffer, the rest as pg parses them.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** The connection settings every connection of a store uses. */
export function clientConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    types: TYPES,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'deconflict',
  };
}

/**
 * Statements prepared once per connection, by name: the repositories' SQL is a fixed set, and a
 * write runs a few dozen statements under the writers' lock, where PostgreSQL parsing and planning
 * each again would hold every instance up. Text made per call (a list of `?` as long as its
 * arguments) could grow the set without end, so past this many distinct texts the rest run
 * unprepared.
 */
const MAX_PREPARED = 512;
const prepared = new Map<string, string>();

function statement(sql: string, args: readonly unknown[]): pg.QueryConfig {
  const text = numbered(sql);
  let name = prepared.get(text);
  if (name === undefined && prepared.size < MAX_PREPARED) {
    name = `deconflict_${prepared.size}`;
    prepared.set(text, name);
  }
  return name === undefined ? { text, values: args as Value[] } : { name, text, values: args as Value[] };
}

/** A connection as the repositories use it; `onWrite` hears of every statement that may write. */
function conn(client: pg.ClientBase, onWrite?: () => void): Conn {
  return {
    all: async (sql, args = []) => (await client.query<Row>(statement(sql, args))).rows,
    run: async (sql, args = []) => {
      onWrite?.();
      await client.query(statement(sql, args));
    },
  };
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Open the store on the database at `url`, bringing its schema to this code's version first
 * (`postgres-migrate.ts`, under its own advisory lock: instances starting together take turns).
 *
 * @throws DatabaseUnreachable when the database cannot be reached (or refuses the credentials).
 * @throws DatabaseTooNew, DatabaseUnrecognised or DatabaseMigrationFailed (see `migratePostgres`).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const { url } = options;
  const config = clientConfig(url);
  const setup = new pg.Client(config);
  setup.on('error', () => undefined);
  let migration: PgMigrationReport;
  try {
    try {
      await setup.connect();
    } catch (err) {
      throw new DatabaseUnreachable(url, err);
    }
    migration = await migratePostgres(setup, url);
  } finally {
    await setup.end().catch(() => undefined);
  }
  const pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
  // A connection lost while idle in the pool, or while checked out between queries: the query
  // that meets it fails and is answered; the event itself must not end the process.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pgStore(pool, config, migration, {
    storeLeaves: options.storeLeaves !== false,
    followEveryMs: options.followEveryMs ?? FOLLOW_EVERY_MS,
  });
}

/** The store over an open pool. */
function pgStore(
  pool: pg.Pool,
  config: pg.ClientConfig,
  migration: PgMigrationReport,
  { storeLeaves, followEveryMs }: { storeLeaves: boolean; followEveryMs: number },
): PostgresStore {
  /** This store's name on the changes channel: it does not follow its own writes. */
  const self = randomUUID();
  const followers = new Set<() => void>();
  const reading = new Set<Promise<unknown>>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  /** A fault as the caller should meet it (and the store's record of a full disk). */
  const refused = (err: unknown): unknown => {
    if (isUnreachable(err)) return storeUnavailableError();
    if (isDiskFull(err) || isStorageFull(err)) {
      markStorage(store, true);
      return storageFullError();
    }
    return err;
  };
  /** A pooled connection, or `store_unavailable`. */
  const connect = async (): Promise<pg.PoolClient> => {
    if (closed) throw new Error('the store is closed');
    try {
      return await pool.connect();
    } catch (err) {
      throw refused(err);
    }
  };
  /** Give a connection back, or destroy it when it failed (the pool opens a fresh one later). */
  const giveBack = (client: pg.PoolClient, failure: unknown) => {
    client.release(failure !== undefined && isUnreachable(failure) ? (failure as Error) : undefined);
  };
  /** End a transaction that failed; a connection that cannot even roll back is destroyed. */
  const abandon = async (client: pg.PoolClient, err: unknown): Promise<unknown> => {
    if (isUnreachable(err)) return err;
    try {
      await client.query('ROLLBACK');
      return undefined;
    } catch (lost) {
      return lost instanceof Error ? lost : new Error(String(lost));
    }
  };
  /** Run `work` on a connection of its own, in order with this process's other writes. */
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const p = queue.then(work, work);
    queue = p.catch(() => undefined);
    return p;
  };
  /** A write transaction under the writers' lock; `body` runs inside it. */
  const writing = <T>(body: (client: pg.PoolClient, wrote: () => void) => Promise<T>): Promise<T> =>
    serialized(async () => {
      const client = await connect();
      let changed = false;
      let failure: unknown;
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [WRITERS_LOCK]);
        const out = await body(client, () => {
          changed = true;
        });
        if (changed) await client.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, self]);
        await client.query('COMMIT');
        if (changed) markStorage(store, false);
        return out;
      } catch (err) {
        failure = (await abandon(client, err)) ?? (isUnreachable(err) ? err : undefined);
        throw refused(err);
      } finally {
        giveBack(client, failure);
      }
    });
  /** Column names and primary key of a hub table, read from the catalog once. */
  const shapes = new Map<string, { columns: string[]; key: string[]; hidden: boolean }>();
  const shapeOf = async (client: pg.ClientBase, table: string) => {
    if (!(HUB_TABLES as readonly string[]).includes(table))
      throw new RangeError(`${table} is not one of the hub's tables (${HUB_TABLES.join(', ')})`);
    let shape = shapes.get(table);
    if (shape === undefined) {
      const columns = (
        await client.query<{ name: string }>(
          `SELECT column_name AS name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        )
      ).rows.map((r) => r.name);
      const key = (
        await client.query<{ name: string }>(
          `SELECT a.attname AS name FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = $1::regclass AND i.indisprimary
            ORDER BY array_position(i.indkey::int2[], a.attnum)`,
          [table],
        )
      ).rows.map((r) => r.name);
      // A table with `ord` (the order rows were written) is paged in that order, and `ord` is
      // the adapter's own: a loaded row gets the next one, so the order survives export.
      const hidden = columns.includes('ord');
      shape = { columns: columns.filter((c) => c !== 'ord'), key: hidden ? ['ord'] : key, hidden };
      shapes.set(table, shape);
    }
    return shape;
  };
  /** One connection LISTENs for the whole store (postgres-listen.ts). */
  const listener = new PgListener(config, FOLLOW_BACKOFF_MAX_MS);
  const store: PostgresStore = {
    migration,
    dialect: 'postgres',
    shared: true,
    follow(onChange) {
      const stopListening = listener.subscribe(
        CHANGES_CHANNEL,
        (payload) => {
          if (payload !== self) onChange();
        },
        onChange,
      );
      const tick = setInterval(onChange, followEveryMs);
      tick.unref();
      const stop = () => {
        followers.delete(stop);
        clearInterval(tick);
        stopListening();
      };
      followers.add(stop);
      return stop;
    },
    signal(topic, message) {
      if (closed) return;
      const payload = JSON.stringify({ from: self, topic, message });
      // Best effort by definition: a signal lost is an instance that knows less, never a write lost.
      void pool.query('SELECT pg_notify($1, $2)', [SIGNALS_CHANNEL, payload]).catch(() => undefined);
    },
    onSignal(topic, hear) {
      return listener.subscribe(SIGNALS_CHANNEL, (payload) => {
        let s: { from?: unknown; topic?: unknown; message?: unknown };
        try {
          s = JSON.parse(payload) as typeof s;
        } catch {
          return;
        }
        if (s.from !== self && s.topic === topic && typeof s.message === 'string') hear(s.message);
      });
    },
    async ping() {
      const client = await connect();
      let failure: unknown;
      let timer: NodeJS.Timeout | undefined;
      try {
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the database did not answer in time')), PING_TIMEOUT_MS);
        });
        await Promise.race([client.query('SELECT 1'), late]);
      } catch (err) {
        // A connection that did not answer is not given back to anyone else.
        failure = isUnreachable(err) ? err : new Error('ping failed');
        throw refused(err);
      } finally {
        clearTimeout(timer);
        giveBack(client, failure);
      }
    },
    tables: () => HUB_TABLES,
    async dump(table, cursor, limit) {
      return store.read(async () => {
        const client = await connect();
        try {
          const { columns, key } = await shapeOf(client, table);
          const after = cursor === null ? null : parseCursor(cursor, key.length);
          const keys = key.map(quote).join(', ');
          const where =
            after === null ? '' : `WHERE (${keys}) > (${key.map((_, i) => `$${i + 1}`).join(', ')})`;
          const n = Math.max(1, Math.floor(limit));
          const sql = `SELECT ${[...new Set([...columns, ...key])].map(quote).join(', ')} FROM ${quote(table)} ${where} ORDER BY ${keys} LIMIT ${n}`;
          const rows = (await client.query<Row>(sql, after ?? [])).rows;
          const last = rows[rows.length - 1];
          return {
            rows: rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] as DumpRow[string]]))),
            next: rows.length < n || last === undefined ? null : JSON.stringify(key.map((k) => last[k])),
          };
        } catch (err) {
          throw refused(err);
        } finally {
          client.release();
        }
      });
    },
    load(table, rows) {
      return writing(async (client, wrote) => {
        const { columns } = await shapeOf(client, table);
        for (const row of rows) {
          for (const name of Object.keys(row)) {
            if (!columns.includes(name)) throw new RangeError(`${table} has no column ${name}`);
          }
        }
        for (let i = 0; i < rows.length; i += LOAD_BATCH) {
          const batch = rows.slice(i, i + LOAD_BATCH);
          const values: Value[] = [];
          const tuples = batch.map((row) => {
            const marks = columns.map((c) => {
              const v = row[c];
              values.push(
                v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : (v ?? null),
              );
              return `$${values.length}`;
            });
            return `(${marks.join(', ')})`;
          });
          wrote();
          // A column a row leaves out is NULL, as in the table it came from.
          await client.query(
            `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`,
            values,
          );
        }
        if (table === 'declaration_boxes')
          await client.query(
            "SELECT setval(pg_get_serial_sequence('declaration_boxes', 'box'), (SELECT coalesce(max(box), 0) + 1 FROM declaration_boxes), false)",
          );
      });
    },
    async transact<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      const [outcome] = await store.transactGroup([work]);
      if (outcome?.status !== 'fulfilled') throw outcome?.reason;
      return outcome.value;
    },
    transactGroup<T>(
      works: readonly ((tx: Tx) => Promise<T>)[],
      options?: GroupOptions,
    ): Promise<PromiseSettledResult<T>[]> {
      return writing(async (client, wrote) => {
        const tx = pgRepos(conn(client, wrote), storeLeaves);
        await options?.first?.(tx);
        const out: PromiseSettledResult<T>[] = [];
        for (const work of works) {
          // Each unit in a savepoint of its own: one that fails is undone alone.
          await client.query('SAVEPOINT unit');
          try {
            out.push({ status: 'fulfilled', value: await work(tx) });
            await client.query('RELEASE unit');
          } catch (err) {
            // A lost connection takes the whole transaction with it: the group fails whole.
            if (isUnreachable(err)) throw err;
            await client.query('ROLLBACK TO unit');
            await client.query('RELEASE unit');
            out.push({ status: 'rejected', reason: refused(err) });
          }
        }
        return out;
      });
    },
    read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        const client = await connect();
        let failure: unknown;
        try {
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          const out = await work(pgRepos(conn(client)));
          await client.query('COMMIT');
          return out;
        } catch (err) {
          failure = (await abandon(client, err)) ?? (isUnreachable(err) ? err : undefined);
          throw refused(err);
        } finally {
          giveBack(client, failure);
        }
      };
      return tracked(reading, run());
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const stop of [...followers]) stop();
      listener.close();
      await queue;
      await Promise.all(reading);
      await pool.end();
    },
  };
  return store;
}

/** A dump cursor as `dump` answered it: the JSON of the last row's key. */
function parseCursor(cursor: string, length: number): Value[] {
  let key: unknown;
  try {
    key = JSON.parse(cursor);
  } catch {
    key = undefined;
  }
  if (
    !Array.isArray(key) ||
    key.length !== length ||
    !key.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  )
    throw new RangeError('not a cursor a dump of this table answered');
  return key as Value[];
}
