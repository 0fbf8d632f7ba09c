/**
 * PostgreSQL for tests: the server the test script provides (`DECONFLICT_TEST_PG`, a URL whose
 * role may create databases), a fresh database per test that is dropped afterwards, and a
 * throwaway private cluster for tests that stop and start the server (which must not disturb the
 * other test files sharing the main one).
 *
 * Without a reachable server a PostgreSQL test is skipped with the reason, unless
 * `DECONFLICT_REQUIRE_PG=1` (set by scripts/test.sh): then it fails, so that a run meant to cover
 * PostgreSQL cannot pass without it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The server tests use: `DECONFLICT_TEST_PG`, or the role scripts/test.sh creates on localhost. */
export function pgBaseUrl(): string {
  return process.env.DECONFLICT_TEST_PG ?? 'postgres://deconflict:deconflict@127.0.0.1:5432/postgres';
}

/** The same server, another database. */
export function pgUrlFor(database: string, base = pgBaseUrl()): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

let available: Promise<string | null> | undefined;

/** Null when the server answers, else why not (once per process). */
export function pgUnavailable(): Promise<string | null> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: pgBaseUrl(), connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (err) {
      return `no PostgreSQL at ${new URL(pgBaseUrl()).host} (${(err as Error).message}); run bash scripts/test.sh, or set DECONFLICT_TEST_PG`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

/**
 * The `skip` option of a PostgreSQL suite: false when the server answers (or when it is required,
 * so that the tests run and fail), else the reason. For `describe(name, { skip: await pgSkip() })`.
 */
export async function pgSkip(): Promise<string | false> {
  const why = await pgUnavailable();
  if (why === null || process.env.DECONFLICT_REQUIRE_PG === '1') return false;
  return why;
}

/** Whether a server answers. */
export async function pgAvailable(): Promise<boolean> {
  return (await pgUnavailable()) === null;
}

/** Run `work` on a connection of its own to `url`, closed afterwards. */
export async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface PgDatabase {
  readonly url: string;
  readonly name: string;
  /** Drop the database (closing whatever still connects to it). */
  drop(): Promise<void>;
}

/**
 * A new database `deconflict_test_<random>` on the server (`base`: the test server): empty, or a
 * copy of the database named `template` (which nothing may be connected to meanwhile).
 */
export async function freshPgDatabase(base = pgBaseUrl(), template?: string): Promise<PgDatabase> {
  const name = `deconflict_test_${randomBytes(6).toString('hex')}`;
  const from = template === undefined ? '' : ` TEMPLATE ${JSON.stringify(template)}`;
  await withClient(base, (c) => c.query(`CREATE DATABASE ${name}${from}`));
  return {
    url: pgUrlFor(name, base),
    name,
    drop: () =>
      withClient(base, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The directory of PostgreSQL's server programs (pg_ctl, initdb), by the installed pg_config. */
function serverBin(): string {
  for (const candidate of [
    '/usr/lib/postgresql/15/bin',
    '/usr/lib/postgresql/16/bin',
    '/usr/lib/postgresql/17/bin',
  ]) {
    if (spawnSync(join(candidate, 'pg_ctl'), ['--version']).status === 0) return candidate;
  }
  return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
}

export interface PrivatePostgres {
  /** A superuser URL of its `postgres` database (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  /** Stop the server (fast shutdown: connections are closed). */
  stop(): void;
  /** Start it again on the same port and data. */
  start(): void;
  /** Stop it and remove its files. */
  destroy(): void;
}

/**
 * A throwaway PostgreSQL cluster: initdb into a temporary directory owned by the `postgres` OS
 * user (the server refuses to run as root), trust authentication, loopback on a free port, the
 * socket in the temporary directory; PostGIS is available when the packages are installed.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = serverBin();
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const asPostgres = (program: string, args: readonly string[]) => {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', join(bin, program), ...args], {
      encoding: 'utf8',
      cwd: dir,
    });
    if (r.status !== 0) throw new Error(`${program} failed: ${r.stderr || r.stdout}`);
  };
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', 'start']);
  const stop = () => asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop() {
      stop();
      running = false;
    },
    start() {
      start();
      running = true;
    },
    destroy() {
      if (running) stop();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
