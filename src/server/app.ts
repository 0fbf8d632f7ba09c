/**
 * The HTTP API, built by a function so that tests call `app.inject()` without a socket. This file
 * wires: the logger, validation from the routes' schemas, authentication, the OpenAPI document
 * generated from the same schemas, the route modules (one per feature, in `routes/`), the push
 * stream and the console. Routes are thin: their schema checks the input, the hub's feature does
 * the work, the schema serializes the answer (so a field not in a party's view cannot slip out).
 * Errors become statuses only in `errors.ts`.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import Type from 'typebox';
import { Errors } from '../api/common.ts';
import { DEFAULT_REQUEST_RATE, type RequestRate } from '../domain/limits.ts';
import { MAX_ID_LENGTH } from '../engine/text.ts';
import { RawBody, READ_IN_WORKER_ABOVE_BYTES, readJson } from '../hub/body.ts';
import type { Hub } from '../hub/hub.ts';
import { storageFull } from '../store/errors.ts';
import { type Basemaps, basemapRoutes } from './basemap.ts';
import { consoleRoutes } from './console.ts';
import { coded, errorResponse } from './errors.ts';
import { type LogOptions, loggerOptions, logUnexpected, requestLog } from './logging.ts';
import { type MetricsOptions, metricsRoutes } from './metrics.ts';
import { RateLimiter } from './rate.ts';
import { accountRoutes } from './routes/accounts.ts';
import { agreementRoutes } from './routes/agreements.ts';
import { blindRoutes } from './routes/blind.ts';
import { declarationRoutes } from './routes/declarations.ts';
import { formatRoutes } from './routes/formats.ts';
import { importRoutes } from './routes/imports.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { probingRoutes } from './routes/probing.ts';
import { readinessRoutes } from './routes/readiness.ts';
import { type App, BEARER, ERRORS, principalOf } from './routes/support.ts';
import { hotlineRoutes, rosterAndAlertRoutes, webhookRoutes } from './routes/watch.ts';
import { type StreamLimits, streamRoute } from './stream.ts';
import { type TlsFiles, tlsServerOptions } from './tls.ts';
import { installResponseCheck, installValidation } from './validation.ts';

/**
 * The body limit of every route but the declaration routes (which take the hub's whole limit,
 * 5 MiB by default, for geometry). An honest body there is at most a few KiB (a hotline message
 * of 4,000 characters, a roster shift, an account); a 64 KiB one is read in about 0.3 ms. At
 * 5 MiB one would hold the main thread ~50 ms to read, so that a few at once would do what the
 * heavy-request defences keep declarations from doing (docs/security.md, "Heavy requests").
 */
export const SMALL_BODY_LIMIT = 64 * 1024;

export interface AppOptions {
  readonly hub: Hub;
  /** Request body limit in bytes (default 5 MiB). */
  readonly bodyLimit?: number;
  /**
   * Requests per second per token, and the burst allowed (default 100/s, burst 200), for every
   * token without a rate of its own (an API token may have one, within the hub's ceiling:
   * `HubOptions.tokenRateCeiling`). A stream that authenticates in its first frame takes from
   * the same bucket as a request.
   */
  readonly rate?: RequestRate;
  /** Open streams allowed per token and per party (default 10 and 200; src/server/stream.ts). */
  readonly streams?: Partial<StreamLimits>;
  /** Logs (default: none, as in tests; `deconflict serve` logs at `info`). */
  readonly log?: LogOptions;
  /** Directory of the built web console (default web/dist); false serves no console. */
  readonly console?: string | false;
  /**
   * Check every answer against its route's declared schema and fail loudly on a mismatch or an
   * undeclared status. Default: on when `DECONFLICT_CHECK_RESPONSES=1` (the test suite sets it).
   */
  readonly checkResponses?: boolean;
  /** The operator's base map archives (`serve --basemap`, `--hillshade`; src/server/basemap.ts). */
  readonly basemaps?: Basemaps;
  /**
   * HTTPS (and wss) on the hub's own port (`serve --tls-cert`, `--tls-key`, `--tls-ca`;
   * src/server/tls.ts): with a CA, clients without a certificate it signed are refused at the
   * handshake. `app.inject()` is not affected.
   */
  readonly tls?: TlsFiles;
  /** Who may read `/metrics` (src/server/metrics.ts): a bearer token, else loopback clients. */
  readonly metrics?: MetricsOptions;
}

/** Time a client has to finish its TLS handshake. */
const TLS_HANDSHAKE_MS = 10_000;

const BEARER_TOKEN = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { hub } = options;
  const app = Fastify({
    logger: options.log ? loggerOptions(options.log) : false,
    // One line per request comes from logging.ts, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 5 * 1024 * 1024,
    // Ids are the hub's and the parties' own: never let a long one exhaust the router. The router
    // measures a segment as sent, %-escapes included, so it allows three characters for each of
    // the longest id's (a client may escape any of them, `:` → `%3A`); the route's schema then
    // checks the id itself against MAX_ID_LENGTH. Longer is `uri_too_long`.
    routerOptions: { maxParamLength: 3 * MAX_ID_LENGTH },
    // The router's own refusals (a malformed %-escape, an over-long segment) in the one shape.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = errorResponse(err);
      void (reply as unknown as FastifyReply).status(status).send(body);
    },
    clientErrorHandler,
    // A request that arrives while the app closes is refused in the one error shape
    // (`shutting_down`: routes/readiness.ts), not with Fastify's own body.
    return503OnClosing: false,
    // Fastify makes an HTTPS server when given these (its types would have another app type).
    ...(options.tls !== undefined && ({ https: tlsServerOptions(options.tls, TLS_HANDSHAKE_MS) } as object)),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Without a logger there is nothing to write: the hooks would cost every request for nothing.
  if (options.log) requestLog(app);
  installValidation(app);
  if (options.checkResponses ?? process.env.DECONFLICT_CHECK_RESPONSES === '1') installResponseCheck(app);
  jsonOnly(app);
  errorHandlers(app);
  const limiter = new RateLimiter(options.rate ?? DEFAULT_REQUEST_RATE, () => hub.clock.now());
  authentication(app, hub, limiter);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'deconflict hub API',
        version: '1',
        description:
          'Parties declare areas of responsibility, protected sites, movements, air operations, strikes and restricted zones; the hub detects every conflict and shows each party only what it may see. Errors are {"errors": [{code, feature, path, message}]} with the codes and statuses of docs/errors.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  // On close, each stream gets a close frame 1001 (going away): its console reconnects with
  // `since`, to another instance or to this one once it is back, and misses nothing.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 }, preClose: goingAway });
  smallBodies(app, options.bodyLimit ?? 5 * 1024 * 1024);

  for (const routes of [
    accountRoutes,
    declarationRoutes,
    rosterAndAlertRoutes,
    hotlineRoutes,
    webhookRoutes,
    probingRoutes,
    ledgerRoutes,
    agreementRoutes,
    blindRoutes,
    importRoutes,
    formatRoutes,
  ])
    routes(app as App, hub);
  const pushes = streamRoute(app as App, hub, limiter, options.streams);
  basemapRoutes(app as App, options.basemaps);
  if (options.console !== false) consoleRoutes(app as App, options.console);
  serviceRoutes(app as App, hub);
  readinessRoutes(app as App, hub);
  metricsRoutes(app as App, hub, pushes, options.metrics);
  return app;
}

/** @fastify/websocket's preClose: close every stream with 1001, then the WebSocket server. */
function goingAway(this: FastifyInstance, done: () => void): void {
  for (const client of this.websocketServer.clients) client.close(1001, 'shutting_down');
  this.websocketServer.close();
  done();
}

/** Every route whose body the engine does not parse takes SMALL_BODY_LIMIT (or less). */
function smallBodies(app: FastifyInstance, limit: number): void {
  app.addHook('onRoute', (route) => {
    const engine =
      (route.schema?.body as { 'x-parsed-by'?: string } | undefined)?.['x-parsed-by'] === 'engine';
    if (!engine && route.bodyLimit === undefined) route.bodyLimit = Math.min(SMALL_BODY_LIMIT, limit);
  });
}

/**
 * JSON bodies only, read by one reader for both media types (hub/body.ts `readJson`: UTF-8,
 * depth, prototype keys). Fastify's default text/plain parser would hand the hub a string; any
 * other media type is `unsupported_media_type`.
 *
 * A declaration body (its schema says `x-parsed-by: engine`) larger than
 * READ_IN_WORKER_ABOVE_BYTES is not read here: it goes to the hub as bytes (`RawBody`), which
 * reads it in a detection worker, so that a few bodies of megabytes do not hold the main thread.
 */
function jsonOnly(app: FastifyInstance): void {
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser(
    ['application/json', 'application/geo+json'],
    { parseAs: 'buffer' },
    (req, body, done) => {
      // No body is fine where the route takes none, or takes an optional one.
      const optional =
        req.routeOptions.config.optionalBody === true || req.routeOptions.schema?.body === undefined;
      const bytes = body as Buffer;
      const engineParsed =
        (req.routeOptions.schema?.body as { 'x-parsed-by'?: string } | undefined)?.['x-parsed-by'] ===
        'engine';
      if (engineParsed && bytes.length > READ_IN_WORKER_ABOVE_BYTES) {
        done(null, new RawBody(bytes));
        return;
      }
      try {
        done(null, readJson(bytes, optional));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  // A POST that only acts may come without a body; its fields are then all absent.
  app.addHook('preValidation', async (req) => {
    if (req.routeOptions.config.optionalBody && (req.body === undefined || req.body === null)) req.body = {};
  });
}

/** A body limit as people read it: whole MiB or KiB, else bytes. */
const sizeText = (bytes: number): string =>
  bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes.toLocaleString('en')} bytes`;

/**
 * Every error in the one shape; an unexpected one is logged with its stack and never echoed. A
 * path no route has is `not_found` (404); a path that routes take, but with other methods, is
 * `method_not_allowed` (405) with an `Allow` header listing them (RFC 9110 §15.5.6).
 */
function errorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    // Past the body limit: name the limit of this route (declarations take more than the rest).
    const { status, body } = errorResponse(
      (err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? coded(
            'payload_too_large',
            `the request body is larger than ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]} accepts (${sizeText(req.routeOptions.bodyLimit)})`,
          )
        : err,
    );
    if (status >= 500) logUnexpected(req, err);
    void reply.status(status).send(body);
  });
  const routes: { method: string; path: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    const path = new RegExp(
      `^${route.url
        .split('/')
        .map((s) =>
          s.startsWith(':') ? '[^/]+' : s === '*' ? '.*' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('/')}$`,
    );
    for (const method of [route.method].flat()) routes.push({ method, path });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const allow = [...new Set(routes.filter((r) => r.path.test(path)).map((r) => r.method))].sort();
    if (allow.length > 0) {
      const { status, body } = errorResponse(
        coded('method_not_allowed', `${path} takes ${allow.join(', ')}, not ${req.method}`),
      );
      void reply.status(status).header('allow', allow.join(', ')).send(body);
      return;
    }
    const { status, body } = errorResponse(coded('not_found', `no route ${req.method} ${path}`));
    void reply.status(status).send(body);
  });
  // A WebSocket upgrade refused by the hooks (a bad token) is answered on the raw socket, which
  // Node's HTTP server has already let go of: end it, or the server could never close.
  app.addHook('onResponse', async (req, reply) => {
    if (req.headers.upgrade !== undefined && reply.statusCode !== 101) req.raw.socket.destroy();
  });
}

/**
 * Every /api/v1 route needs a bearer token unless its config says `public`; the stream may
 * instead authenticate in its first frame (a browser's WebSocket cannot send the header). The
 * token is known before its bucket is taken from, so that its own rate applies; past it, 429
 * `rate_limited` with `Retry-After`: when the bucket will admit the next request.
 */
function authentication(app: FastifyInstance, hub: Hub, limiter: RateLimiter): void {
  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    if (!req.url.startsWith('/api/v1/') || config.public) return;
    const auth = req.headers.authorization;
    if (config.authInFirstFrame && auth === undefined) return;
    const m = typeof auth === 'string' ? BEARER_TOKEN.exec(auth) : null;
    if (!m) throw coded('unauthorized', 'send "Authorization: Bearer <token>"');
    const secret = m[1] as string;
    const principal = await hub.accounts.authenticate(secret);
    const rate = principal.rate ?? limiter.defaultRate;
    const wait_s = limiter.admit(secret, rate);
    if (wait_s > 0) {
      void reply.header('retry-after', String(wait_s));
      throw coded(
        'rate_limited',
        `too many requests for this token (${rate.perSecond}/s, burst ${rate.burst}); retry in ${wait_s} s`,
      );
    }
    req.principal = principal;
  });
}

/** Health and the API's own description. */
function serviceRoutes(app: App, hub: Hub): void {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['service'],
        summary: 'Liveness (no token needed); it says nothing that changes with what parties declare',
        description:
          "503 `degraded` while the hub's disk is full: its last write was refused as `storage_full` and none has committed since. For the operator's monitoring; parties learn nothing from it that a refused write does not tell them.",
        response: {
          200: Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false }),
          503: Type.Object(
            { status: Type.Literal('degraded'), storage: Type.Literal('full') },
            { additionalProperties: false },
          ),
          ...ERRORS,
        },
      },
    },
    async (_req, reply) => {
      if (storageFull(hub.store))
        return reply.status(503).send({ status: 'degraded', storage: 'full' } as const);
      return { status: 'ok' as const };
    },
  );
  app.get(
    '/api/v1/status',
    {
      schema: {
        tags: ['service'],
        summary: "The hub's state for its operator (hub_admin): how many declarations are active",
        security: BEARER,
        response: {
          200: Type.Object(
            { active_declarations: Type.Integer({ minimum: 0 }) },
            { additionalProperties: false },
          ),
          ...ERRORS,
        },
      },
    },
    async (req) => hub.declarations.status(principalOf(req)),
  );
  app.get(
    '/api/v1/openapi.json',
    {
      config: { public: true },
      schema: {
        tags: ['service'],
        summary: 'This description, generated from the routes’ schemas (no token needed)',
        response: {
          200: Type.Object(
            { openapi: Type.String() },
            { additionalProperties: true, description: 'An OpenAPI 3.1 document' },
          ),
          ...ERRORS,
        },
      },
    },
    async () => app.swagger() as unknown as { openapi: string },
  );
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them — headers (the URL included) over
 * 16 KiB, a request that does not arrive in time, malformed HTTP — answered on the socket in the
 * one error shape, then the connection closed (as Node does: the stream cannot be trusted).
 */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ([431, 'header_too_large', 'the request line and headers exceed 16 KiB'] as const)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ([408, 'request_timeout', 'the request did not arrive in full in time'] as const)
        : ([400, 'invalid_request', 'the request is not well-formed HTTP'] as const);
  const body = JSON.stringify({ errors: [{ code, feature: null, path: '', message }] });
  // The answer to a HEAD has no content (RFC 9110 §9.3.2): its client would read the body as the
  // start of another response. The parser gave up on this request, so its method is read from
  // the bytes it was given; a request line split across packets is answered with the body, as
  // before (a HEAD of more than 16 KiB sent slowly, byte by byte, is not worth more).
  const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`,
    );
  socket.destroy(err);
}

export { Errors };
