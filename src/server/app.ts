/**
 * The HTTP API, built by a function so that tests call `app.inject()` without a socket.
 * Routes are thin: authenticate, read parameters, call the {@link Hub}, return its answer.
 * Errors are mapped to statuses only in `errors.ts`.
 */
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kind } from '../engine/types.ts';
import { KINDS } from '../engine/types.ts';
import type { Hub, Principal } from '../hub/hub.ts';
import { consoleRoutes } from './console.ts';
import { coded, errorResponse } from './errors.ts';
import { openapi } from './openapi.ts';
import { bboxParam, bodyObject, intParam, oneOf, principalOf, type Query, timeParam } from './params.ts';
import { RateLimiter } from './rate.ts';
import { streamRoute } from './stream.ts';
import { watchRoutes } from './watch-routes.ts';

export interface AppOptions {
  readonly hub: Hub;
  /** Request body limit in bytes (default 5 MiB). */
  readonly bodyLimit?: number;
  /** Requests per second per token, and the burst allowed (default 100/s, burst 200). */
  readonly rate?: { readonly perSecond: number; readonly burst: number };
  readonly logger?: boolean;
  /** Directory of the built web console (default web/dist); false serves no console. */
  readonly console?: string | false;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { hub } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 5 * 1024 * 1024,
    // Ids are the hub's and the parties' own: never let a long one exhaust the router.
    routerOptions: { maxParamLength: 200 },
  });
  const limiter = new RateLimiter(options.rate?.perSecond ?? 100, options.rate?.burst ?? 200, () =>
    hub.clock.now(),
  );
  const loginLimiter = new RateLimiter(0.2, 10, () => hub.clock.now());

  // JSON only: Fastify's default text/plain parser would hand the hub a string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/geo+json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(coded('invalid_json', 'the request body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = errorResponse(err);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      errors: [
        {
          code: 'not_found',
          feature: null,
          path: '',
          message: `no route ${req.method} ${req.url.split('?')[0]}`,
        },
      ],
    });
  });

  // Authentication: every /api/v1 route but login and the API description needs a token.
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json') return;
    if (path === '/api/v1/session' && req.method === 'POST') return;
    const auth = req.headers.authorization;
    // A browser's WebSocket cannot send the header: the stream then authenticates in its first frame.
    if (path === '/api/v1/stream' && auth === undefined) return;
    const m = typeof auth === 'string' ? /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(auth) : null;
    if (!m) throw coded('unauthorized', 'send "Authorization: Bearer <token>"');
    const secret = m[1] as string;
    if (!limiter.take(secret)) throw coded('rate_limited', 'too many requests for this token; slow down');
    req.principal = await hub.authenticate(secret);
  });

  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  streamRoute(app, hub);
  watchRoutes(app, hub);

  if (options.console !== false) consoleRoutes(app, options.console);

  // A WebSocket upgrade refused by the hook above (a bad token) is answered on the raw socket,
  // which Node's HTTP server has already let go of: end it, or the server could never close.
  app.addHook('onResponse', async (req, reply) => {
    if (req.headers.upgrade !== undefined && reply.statusCode !== 101) req.raw.socket.destroy();
  });

  app.get('/healthz', async () => ({ status: 'ok', active_declarations: hub.activeCount }));
  app.get('/api/v1/openapi.json', async () => openapi);

  // --- Session and tokens ----------------------------------------------------------------------
  app.post('/api/v1/session', async (req, reply) => {
    const b = bodyObject(req);
    const username = typeof b.username === 'string' ? b.username : '';
    if (!loginLimiter.take(`login:${username}`))
      throw coded('rate_limited', 'too many login attempts; wait a minute');
    const s = await hub.login(b.username, b.password);
    return reply.status(201).send({
      token: s.token,
      expires_at: new Date(s.expires_at).toISOString(),
      member: { username: s.member.username, party: s.member.party, roles: s.member.roles },
    });
  });
  app.delete('/api/v1/session', async (req, reply) => {
    await hub.logout(principalOf(req));
    return reply.status(204).send();
  });
  app.get('/api/v1/tokens', async (req) => ({ tokens: await hub.listTokens(principalOf(req)) }));
  app.post('/api/v1/tokens', async (req, reply) =>
    reply.status(201).send(await hub.createApiToken(principalOf(req), bodyObject(req))),
  );
  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', async (req, reply) => {
    await hub.revokeToken(principalOf(req), req.params.id);
    return reply.status(204).send();
  });

  // --- Parties and members ---------------------------------------------------------------------
  app.get('/api/v1/parties', async (req) => ({ parties: await hub.listParties(principalOf(req)) }));
  app.post('/api/v1/parties', async (req, reply) =>
    reply.status(201).send(await hub.createParty(principalOf(req), bodyObject(req))),
  );
  app.get<{ Params: { party: string } }>('/api/v1/parties/:party/members', async (req) => ({
    members: await hub.listMembers(principalOf(req), req.params.party),
  }));
  app.post<{ Params: { party: string } }>('/api/v1/parties/:party/members', async (req, reply) =>
    reply.status(201).send(await hub.createMember(principalOf(req), req.params.party, bodyObject(req))),
  );
  app.patch<{ Params: { party: string; username: string } }>(
    '/api/v1/parties/:party/members/:username',
    async (req) => hub.updateMember(principalOf(req), req.params.party, req.params.username, bodyObject(req)),
  );

  // --- Declarations ----------------------------------------------------------------------------
  app.post<{ Querystring: Query }>('/api/v1/declarations', async (req, reply) => {
    const dryRun = oneOf(req.query, 'dry_run', ['true', 'false'] as const) === 'true';
    const result = await hub.submit(principalOf(req), req.body, { dryRun });
    return reply.status(dryRun ? 200 : 201).send(result);
  });
  app.get<{ Querystring: Query }>('/api/v1/declarations', async (req) => {
    const q = req.query;
    const bbox = bboxParam(q);
    const start = timeParam(q, 'start');
    const end = timeParam(q, 'end');
    const kind = oneOf<Kind>(q, 'kind', KINDS);
    const status = oneOf(q, 'status', ['active', 'withdrawn', 'expired'] as const);
    const limit = intParam(q, 'limit', 5000);
    return hub.listDeclarations(principalOf(req), {
      ...(bbox && { bbox }),
      ...(start !== undefined && { start }),
      ...(end !== undefined && { end }),
      ...(kind && { kind }),
      ...(q.party !== undefined && { party: q.party }),
      ...(status && { status }),
      ...(limit !== undefined && { limit }),
    });
  });
  app.get<{ Params: { id: string }; Querystring: Query }>('/api/v1/declarations/:id', async (req) =>
    hub.getDeclaration(
      principalOf(req),
      req.params.id,
      intParam(req.query, 'version', Number.MAX_SAFE_INTEGER),
    ),
  );
  app.get<{ Params: { id: string } }>('/api/v1/declarations/:id/versions', async (req) =>
    hub.declarationVersions(principalOf(req), req.params.id),
  );
  app.put<{ Params: { id: string } }>('/api/v1/declarations/:id', async (req) =>
    hub.amend(principalOf(req), req.params.id, req.body),
  );
  app.post<{ Params: { id: string } }>('/api/v1/declarations/:id/withdraw', async (req) => {
    const b = req.body === undefined || req.body === null ? {} : bodyObject(req);
    return hub.withdraw(principalOf(req), req.params.id, b.reason);
  });

  // --- Conflicts -------------------------------------------------------------------------------
  app.get<{ Querystring: Query }>('/api/v1/conflicts', async (req) => {
    const q = req.query;
    const status = oneOf(q, 'status', ['open', 'resolved'] as const);
    const limit = intParam(q, 'limit', 5000);
    return {
      conflicts: await hub.listConflicts(principalOf(req), {
        ...(status && { status }),
        ...(q.rule !== undefined && { rule: q.rule }),
        ...(q.severity !== undefined && { severity: q.severity }),
        ...(q.declaration !== undefined && { declaration: q.declaration }),
        ...(limit !== undefined && { limit }),
      }),
    };
  });
  app.get<{ Params: { id: string } }>('/api/v1/conflicts/:id', async (req) =>
    hub.getConflict(principalOf(req), req.params.id),
  );
  app.post<{ Params: { id: string } }>('/api/v1/conflicts/:id/resolve', async (req) => {
    const b = bodyObject(req);
    if (b.resolution !== 'risk_accepted') {
      throw coded(
        'invalid_request',
        'resolution: "risk_accepted" (with a reason); to resolve by withdrawing or amending, withdraw or amend the declaration',
        'resolution',
      );
    }
    return hub.acceptRisk(principalOf(req), req.params.id, b.reason);
  });

  return app;
}
