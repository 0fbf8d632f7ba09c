/**
 * Readiness and draining: `GET /readyz` says whether this instance can serve now — its link to
 * the database answers — for a load balancer, an orchestrator or systemd's watchdog; `/healthz`
 * (app.ts) stays liveness only. While the instance stops (SIGTERM), every new request is refused
 * with `shutting_down` (503, `Connection: close`) in the API's error shape, so a balancer moves
 * on, while the requests already read finish and are answered.
 *
 * Neither needs a token nor says anything about parties: the dialect, whether the database
 * answered and in how long.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { DeconflictError } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import { coded } from '../errors.ts';
import { type App, ERRORS } from './support.ts';

/** How long `/readyz` waits for the database before it says it is out of reach. */
export const READY_TIMEOUT_MS = 2_000;

/** `p`, or a rejection once `ms` passed without its answer (`what` names what did not answer). */
export function within<T>(p: Promise<T>, ms: number, what = 'the store'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const Ready = Type.Object(
  {
    ready: Type.Literal(true),
    database: Type.Object(
      {
        dialect: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
        reachable: Type.Literal(true),
        ms: Type.Number({ minimum: 0, description: 'how long the database took to answer' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Apps draining: new requests refused, those read before finishing. */
const draining = new WeakSet<FastifyInstance>();

/** How long a drain waits, at most, for connections already open to deliver their requests. */
export const DRAIN_GRACE_MS = 1_000;

/**
 * Stop the app gracefully: from now on every new request is refused `shutting_down` (with
 * `Connection: close`); then, once the connections already open have no request left to deliver
 * — at most {@link DRAIN_GRACE_MS}, since a connection whose request the hub has not read yet
 * counts as idle and closing it would reset it — close the app: it stops listening, finishes
 * the requests under way (and the writes they queued) and closes the streams.
 */
export async function drain(app: FastifyInstance, graceMs = DRAIN_GRACE_MS): Promise<void> {
  draining.add(app);
  const until = performance.now() + graceMs;
  while (performance.now() < until) {
    const open = await new Promise<number>((resolve) =>
      app.server.getConnections((_e, n) => resolve(n ?? 0)),
    );
    if (open <= app.websocketServer.clients.size) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await app.close();
}

export function readinessRoutes(app: App, hub: Hub): void {
  app.addHook('preClose', async () => {
    draining.add(app);
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!draining.has(app)) return;
    void reply.header('connection', 'close');
    throw coded(
      'shutting_down',
      'this hub instance is stopping: send the request again, to another instance or once it is back',
    );
  });
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['service'],
        summary: "Readiness (no token needed): the hub's link to its database answers",
        description: `200 when the database answered within ${READY_TIMEOUT_MS} ms; 503 \`store_unavailable\` when it did not (PostgreSQL down or out of reach, the store closed), 503 \`shutting_down\` while the instance stops. It says nothing about parties.`,
        response: { 200: Ready, ...ERRORS },
      },
    },
    async () => {
      const started = performance.now();
      try {
        await within(hub.store.ping(), READY_TIMEOUT_MS, 'the database');
      } catch (err) {
        if (err instanceof DeconflictError && err.details[0]?.code === 'store_unavailable') throw err;
        throw coded('store_unavailable', `the hub cannot reach its database: ${(err as Error).message}`);
      }
      return {
        ready: true as const,
        database: {
          dialect: hub.store.dialect,
          reachable: true as const,
          ms: Math.round((performance.now() - started) * 100) / 100,
        },
      };
    },
  );
}
