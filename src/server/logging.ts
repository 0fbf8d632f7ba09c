/**
 * The hub's logs: Fastify's pino, configured so that no credential reaches a log line, and one
 * line per request (instead of Fastify's two, which carry the URL and nothing about the caller).
 *
 * `buildApp` passes {@link loggerOptions} as Fastify's `logger` with `disableRequestLogging`,
 * calls {@link requestLog} before adding its own hooks, and {@link logUnexpected} from its error
 * handler for a 5xx.
 */
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import pretty from 'pino-pretty';

/** The levels `--log-level` accepts, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LogOptions {
  /** One of {@link LOG_LEVELS}; default `info`. */
  readonly level?: string;
  /** Where lines go; default standard output. */
  readonly stream?: NodeJS.WritableStream;
  /** Readable lines (pino-pretty) instead of JSON: for a person at a terminal. */
  readonly pretty?: boolean;
}

/** Keys whose values are replaced by {@link CENSOR} wherever they appear in a logged object. */
const SECRET_KEYS = ['password', 'token', 'device', 'secret', 'authorization', 'cookie', 'set-cookie'];
/** How deep below a line's top level a secret key is still found (pino paths have no `**`). */
const SECRET_DEPTH = 4;
const CENSOR = '[redacted]';

/** `password`, `*.password`, `*.*.password`, ... and `["set-cookie"]`, `*["set-cookie"]`, ... */
const REDACT_PATHS = SECRET_KEYS.flatMap((key) =>
  Array.from({ length: SECRET_DEPTH + 1 }, (_, depth) => {
    const stars = '*.'.repeat(depth);
    return /^[a-z]+$/.test(key) ? `${stars}${key}` : `${stars.slice(0, -1)}["${key}"]`;
  }),
);

type FastifyLogger = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/**
 * What to pass as Fastify's `logger` option: level (default `info`), credentials redacted at
 * any depth (`authorization` and cookie headers, any `password`, `token` or `secret` field),
 * ISO timestamps, and JSON lines or, with `pretty`, readable ones.
 */
export function loggerOptions(o: LogOptions = {}): FastifyLogger {
  const stream = o.pretty
    ? pretty({
        destination: o.stream ?? 1,
        sync: true,
        colorize: o.stream === undefined,
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
        ignore: 'pid,hostname',
      })
    : o.stream;
  return {
    level: o.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    ...(stream !== undefined && { stream }),
  };
}

/** The caller as the app's authentication hook leaves it on the request (never its token). */
interface Caller {
  readonly username: string;
  readonly party: string | null;
}

/**
 * Log exactly one line per request when its response has been sent (or the client went away
 * first, or, for a WebSocket, when the connection closes): the request id (bound by Fastify as
 * `reqId`), method, route pattern (never the URL, which may carry ids and queries), status,
 * duration in ms, and the caller's party and member when the request was authenticated. A 5xx
 * is logged at `error`, the rest at `info`. Call it before adding other hooks, so that the
 * duration of an aborted request counts from the start.
 */
export function requestLog(app: FastifyInstance): void {
  const started = new WeakMap<FastifyRequest, number>();
  const done = new WeakSet<FastifyRequest>();
  const line = (req: FastifyRequest, status: number | null, ms: number | null) => {
    if (done.has(req)) return;
    done.add(req);
    const caller = (req as FastifyRequest & { principal?: Caller }).principal;
    const route = req.routeOptions.url;
    const fields = {
      method: req.method,
      route: route ?? null,
      // No route matched: the path (without its query) is all there is to say what was asked.
      ...(route === undefined && { path: req.url.split('?')[0] }),
      status,
      duration_ms: ms === null ? null : Math.round(ms * 10) / 10,
      ...(caller && { party: caller.party, member: caller.username }),
    };
    if (status === null) req.log.info(fields, 'request aborted');
    else if (status === 101) req.log.info(fields, 'connection closed');
    else if (status >= 500) req.log.error(fields, 'request completed');
    else req.log.info(fields, 'request completed');
  };
  app.addHook('onRequest', async (req, reply) => {
    const t = performance.now();
    started.set(req, t);
    // An upgraded WebSocket is hijacked: no response is sent, and its request ends when the
    // connection closes. An upgrade refused with an error status is logged by onResponse first.
    if (req.headers.upgrade !== undefined) {
      req.raw.socket.once('close', () => line(req, reply.sent ? 101 : null, performance.now() - t));
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    line(req, reply.statusCode, reply.elapsedTime);
  });
  app.addHook('onRequestAbort', async (req) => {
    const t = started.get(req);
    line(req, null, t === undefined ? null : performance.now() - t);
  });
}

/** Log an error the hub did not expect (one that becomes a 5xx), with its stack, at `error`. */
export function logUnexpected(req: FastifyRequest, err: unknown): void {
  req.log.error({ err }, 'unexpected error');
}
