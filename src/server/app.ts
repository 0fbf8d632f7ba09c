/**
 * The HTTP API, built by a function so that tests call `app.inject()` without a socket. This file
 * wires: the logger, validation from the routes' schemas, authentication, the OpenAPI document
 * generated from the same schemas, the route modules (one per feature, in `routes/`), the push
 * stream and the console. Routes are thin: their schema checks the input, the hub's feature does
 * the work, the schema serializes the answer (so a field not in a party's view cannot slip out).
 * Errors become statuses only in `errors.ts`.
 */
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import Type from 'typebox';
import { Errors } from '../api/common.ts';
import type { Hub } from '../hub/hub.ts';
import { consoleRoutes } from './console.ts';
import { coded, errorResponse } from './errors.ts';
import { type LogOptions, loggerOptions, logUnexpected, requestLog } from './logging.ts';
import { RateLimiter } from './rate.ts';
import { accountRoutes } from './routes/accounts.ts';
import { declarationRoutes } from './routes/declarations.ts';
import { probingRoutes } from './routes/probing.ts';
import { type App, BEARER, ERRORS, principalOf } from './routes/support.ts';
import { hotlineRoutes, rosterAndAlertRoutes, webhookRoutes } from './routes/watch.ts';
import { streamOperation, streamRoute } from './stream.ts';
import { installResponseCheck, installValidation } from './validation.ts';

export interface AppOptions {
  readonly hub: Hub;
  /** Request body limit in bytes (default 5 MiB). */
  readonly bodyLimit?: number;
  /** Requests per second per token, and the burst allowed (default 100/s, burst 200). */
  readonly rate?: { readonly perSecond: number; readonly burst: number };
  /** Logs (default: none, as in tests; `deconflict serve` logs at `info`). */
  readonly log?: LogOptions;
  /** Directory of the built web console (default web/dist); false serves no console. */
  readonly console?: string | false;
  /**
   * Check every answer against its route's declared schema and fail loudly on a mismatch or an
   * undeclared status. Default: on when `DECONFLICT_CHECK_RESPONSES=1` (the test suite sets it).
   */
  readonly checkResponses?: boolean;
}

const BEARER_TOKEN = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { hub } = options;
  const app = Fastify({
    logger: options.log ? loggerOptions(options.log) : false,
    // One line per request comes from logging.ts, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 5 * 1024 * 1024,
    // Ids are the hub's and the parties' own: never let a long one exhaust the router.
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Without a logger there is nothing to write: the hooks would cost every request for nothing.
  if (options.log) requestLog(app);
  installValidation(app);
  if (options.checkResponses ?? process.env.DECONFLICT_CHECK_RESPONSES === '1') installResponseCheck(app);
  jsonOnly(app);
  errorHandlers(app);
  authentication(app, hub, options.rate ?? { perSecond: 100, burst: 200 });

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
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  for (const routes of [
    accountRoutes,
    declarationRoutes,
    rosterAndAlertRoutes,
    hotlineRoutes,
    webhookRoutes,
    probingRoutes,
  ])
    routes(app as App, hub);
  streamRoute(app as App, hub);
  if (options.console !== false) consoleRoutes(app as App, options.console);
  serviceRoutes(app as App, hub);
  return app;
}

/** JSON bodies only: Fastify's default text/plain parser would hand the hub a string. */
function jsonOnly(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/geo+json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(coded('invalid_json', 'the request body is not valid JSON'), undefined);
    }
  });
  // A POST that only acts may come without a body; its fields are then all absent.
  app.addHook('preValidation', async (req) => {
    if (req.routeOptions.config.optionalBody && (req.body === undefined || req.body === null)) req.body = {};
  });
}

/** Every error in the one shape; an unexpected one is logged with its stack and never echoed. */
function errorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = errorResponse(err);
    if (status >= 500) logUnexpected(req, err);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    void reply.status(404).send({
      errors: [{ code: 'not_found', feature: null, path: '', message: `no route ${req.method} ${path}` }],
    });
  });
  // A WebSocket upgrade refused by the hooks (a bad token) is answered on the raw socket, which
  // Node's HTTP server has already let go of: end it, or the server could never close.
  app.addHook('onResponse', async (req, reply) => {
    if (req.headers.upgrade !== undefined && reply.statusCode !== 101) req.raw.socket.destroy();
  });
}

/**
 * Every /api/v1 route needs a bearer token unless its config says `public`; the stream may
 * instead authenticate in its first frame (a browser's WebSocket cannot send the header).
 */
function authentication(app: FastifyInstance, hub: Hub, rate: { perSecond: number; burst: number }): void {
  const limiter = new RateLimiter(rate.perSecond, rate.burst, () => hub.clock.now());
  app.addHook('onRequest', async (req) => {
    const config = req.routeOptions.config;
    if (!req.url.startsWith('/api/v1/') || config.public) return;
    const auth = req.headers.authorization;
    if (config.authInFirstFrame && auth === undefined) return;
    const m = typeof auth === 'string' ? BEARER_TOKEN.exec(auth) : null;
    if (!m) throw coded('unauthorized', 'send "Authorization: Bearer <token>"');
    const secret = m[1] as string;
    if (!limiter.take(secret)) throw coded('rate_limited', 'too many requests for this token; slow down');
    req.principal = await hub.accounts.authenticate(secret);
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
        response: {
          200: Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false }),
          ...ERRORS,
        },
      },
    },
    async () => ({ status: 'ok' as const }),
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
    async () => {
      const doc = app.swagger() as unknown as { openapi: string; paths: Record<string, unknown> };
      doc.paths['/api/v1/stream'] ??= { get: streamOperation };
      return doc;
    },
  );
}

export { Errors };
