/**
 * What the PostgreSQL adapter's faults mean, to a client and to an operator.
 *
 * Running: a database out of reach (refused, reset, shut down, restarting, a connection that did
 * not come in time) is the coded `store_unavailable` (HTTP 503: retry; the change was not applied,
 * so nothing acknowledged is lost); a full disk (SQLSTATE 53100) is the same `storage_full` the
 * embedded store answers. Anything else is a bug and keeps its stack.
 *
 * Starting: one line that names the database by a URL with its password hidden, never the
 * password itself, as `DataDirectoryError`s so that the CLI reports them as it reports the
 * embedded store's.
 */
import { DeconflictError } from '../errors.ts';
import { DataDirectoryError, errorCode } from './errors.ts';

/** SQLSTATEs (and client-side codes) that say the database cannot be reached now. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENOENT', // a Unix socket that is not there: the server is down
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '53300', // too_many_connections
]);

/** node-postgres reports a lost or late connection by message only. */
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'connection timeout',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'the database did not answer in time',
];

/** Whether `err` says the database cannot be reached (the connection it came on is unusable). */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof DeconflictError) return err.details.some((d) => d.code === 'store_unavailable');
  const code = errorCode(err);
  if (UNREACHABLE_CODES.has(code) || code.startsWith('08')) return true;
  if (err instanceof AggregateError) return err.errors.some(isUnreachable);
  const message = err instanceof Error ? err.message : '';
  return UNREACHABLE_MESSAGES.some((m) => message.includes(m));
}

/** Whether `err` is PostgreSQL's disk_full. */
export const isDiskFull = (err: unknown): boolean => errorCode(err) === '53100';

/** The error a request meets while the database is out of reach: 503 `store_unavailable`. */
export function storeUnavailableError(): DeconflictError {
  return new DeconflictError([
    {
      code: 'store_unavailable',
      feature: null,
      path: '',
      message:
        'the hub cannot reach its database just now: the change was not applied (nothing acknowledged was lost); retry in a few seconds',
    },
  ]);
}

/**
 * A PostgreSQL URL as it may be printed: `postgres://user@host:port/db`, the password replaced
 * and any query (which may carry one too) left out.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username === '' ? '' : `${u.username}@`;
    return `${u.protocol}//${user}${u.host}${u.pathname}${u.password === '' ? '' : ' (password hidden)'}`;
  } catch {
    return 'the database URL given (not a valid URL)';
  }
}

/** The database cannot be reached at start (or refused the credentials). */
export class DatabaseUnreachable extends DataDirectoryError {
  readonly code = 'database_unreachable';
  constructor(url: string, cause: unknown) {
    super(
      `cannot reach the database at ${redactUrl(url)}: ${reason(cause)}. Check that PostgreSQL runs there and ` +
        'that --database (or DATABASE_URL) names it with the right user and password. Nothing was changed.',
      { cause },
    );
    this.name = 'DatabaseUnreachable';
  }
}

/** The database's schema was written by a newer deconflict. */
export class DatabaseTooNew extends DataDirectoryError {
  readonly code = 'data_directory_too_new';
  constructor(url: string, found: number, supported: number) {
    super(
      `the database at ${redactUrl(url)} is at schema version ${found}, but this deconflict knows versions up to ` +
        `${supported} only: it was upgraded by a newer release. Run that release (or a newer one), or restore ` +
        'a backup taken before the upgrade. Nothing was changed.',
    );
    this.name = 'DatabaseTooNew';
  }
}

/** The database holds tables or versions that are not this deconflict's. */
export class DatabaseUnrecognised extends DataDirectoryError {
  readonly code = 'data_directory_unrecognised';
  constructor(url: string, why: string) {
    super(
      `the database at ${redactUrl(url)} does not hold a schema this deconflict can use: ${why}. ` +
        'Check that --database names the right database. Nothing was changed.',
    );
    this.name = 'DatabaseUnrecognised';
  }
}

/** A migration failed and was rolled back. */
export class DatabaseMigrationFailed extends DataDirectoryError {
  readonly code = 'migration_failed';
  constructor(url: string, migration: string, version: number, cause: unknown) {
    super(
      `migration ${migration} of the database at ${redactUrl(url)} failed: ${reason(cause)}. It was rolled ` +
        `back: the database is still at schema version ${version}.`,
      { cause },
    );
    this.name = 'DatabaseMigrationFailed';
  }
}

/** An error's message on one line, with anything that looks like a URL's password hidden. */
function reason(cause: unknown): string {
  const text = cause instanceof Error ? cause.message || errorCode(cause) : String(cause);
  return text.replace(/\s+/g, ' ').replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}
