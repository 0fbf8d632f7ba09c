/**
 * `GET /metrics`: the hub's metrics in the Prometheus text format (prom-client, one registry per
 * app, never the library's global one), for its operator's monitoring (docs/operations.md,
 * "Metrics").
 *
 * What is measured, and where it is read — from existing seams, so that no feature knows of it:
 * - submissions and amendments answered, by outcome (accepted, refused, failed), and every answer
 *   by route pattern and status: a Fastify `onResponse` hook (the route's pattern, never its ids);
 * - group commits: their time (histogram) and writes, committed or failed (`Kernel.onGroup`);
 * - store errors: failed group commits, and answers `store_unavailable` (503) and `storage_full`
 *   (507);
 * - conflicts by status and alerts by status and escalation level, hub-wide, read from the store at
 *   scrape time with one grouped count each (so that every instance on a shared database tells the
 *   same truth); active declarations from the live index;
 * - push: WebSocket streams open; the time from an event's commit to its frame going out to each
 *   console (histogram, live events only: the lag a console sees, including, with several
 *   instances, the time for this instance to hear of another's commit); and the bytes queued to
 *   streams unsent (the lag of a console that reads slowly shows there before it is closed as too
 *   slow);
 * - the process (CPU, memory, event loop delay, GC): prom-client's default metrics, collected
 *   once per process.
 *
 * Access: the metrics are aggregate counts, with no party, member or declaration named, but they
 * move with what parties do, so they are the operator's: with a token (`serve
 * --metrics-token-file`) the scraper sends it as a bearer; without one, only a loopback client is
 * answered.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import Type from 'typebox';
import type { Hub } from '../hub/hub.ts';
import { coded } from './errors.ts';
import { within } from './routes/readiness.ts';
import { type App, ERRORS } from './routes/support.ts';
import type { PushTap } from './stream.ts';
import { isLoopback } from './tls.ts';

export interface MetricsOptions {
  /** The bearer token a scraper must send; without it only loopback clients are answered. */
  readonly token?: string;
}

/** A metrics token: long enough that it cannot be guessed, in the alphabet of a bearer token. */
export const METRICS_TOKEN = /^[A-Za-z0-9_-]{16,200}$/;

/** The routes whose answers count as submissions (a dry run checks, stores nothing: not counted). */
const SUBMISSIONS = new Set([
  'POST /api/v1/declarations',
  'PUT /api/v1/declarations/:id',
  'POST /api/v1/imports',
]);

/** Group commit times, in seconds: a quiet disk commits in under a millisecond. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Push delays, in seconds: one instance sends within milliseconds of the commit; another hears of
 * it by a notification first (tens of milliseconds); seconds mean a console or a link is behind.
 */
const PUSH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How long a scrape waits for the store's counts before it answers without them. */
const COUNT_TIMEOUT_MS = 2_000;

let processRegistry: Registry | undefined;

/** The process's own metrics: one collector per process, however many apps it builds. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Register `/metrics` and the hooks that feed it. */
export function metricsRoutes(app: App, hub: Hub, pushes: PushTap, options: MetricsOptions = {}): void {
  const registry = new Registry();
  const metric = { registers: [registry] };
  const submissions = new Counter({
    ...metric,
    name: 'deconflict_submissions_total',
    help: 'Declaration submissions, amendments and imports answered by this instance, by outcome',
    labelNames: ['outcome'] as const,
  });
  const responses = new Counter({
    ...metric,
    name: 'deconflict_http_responses_total',
    help: 'HTTP answers of this instance, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
  });
  const commitTime = new Histogram({
    ...metric,
    name: 'deconflict_group_commit_seconds',
    help: 'Time of a group commit, from the start of its transaction to its durable commit or failure',
    labelNames: ['outcome'] as const,
    buckets: COMMIT_BUCKETS,
  });
  const commitWrites = new Counter({
    ...metric,
    name: 'deconflict_group_commit_writes_total',
    help: 'Writes carried by group commits, by the outcome of their transaction',
    labelNames: ['outcome'] as const,
  });
  const storeErrors = new Counter({
    ...metric,
    name: 'deconflict_store_errors_total',
    help: 'Store errors: group commits that failed, and answers store_unavailable (503) and storage_full (507)',
    labelNames: ['kind'] as const,
  });
  for (const kind of ['commit_failed', 'store_unavailable', 'storage_full']) storeErrors.inc({ kind }, 0);
  for (const outcome of ['accepted', 'refused', 'failed']) submissions.inc({ outcome }, 0);
  const conflicts = new Gauge({
    ...metric,
    name: 'deconflict_conflicts',
    help: 'Conflicts recorded, hub-wide, by status (read from the store at scrape time)',
    labelNames: ['status'] as const,
  });
  const alerts = new Gauge({
    ...metric,
    name: 'deconflict_alerts',
    help: 'Alerts, hub-wide, by status and escalation level (0 watch officer … 3 overdue; read from the store at scrape time)',
    labelNames: ['status', 'level'] as const,
  });
  const storeUp = new Gauge({
    ...metric,
    name: 'deconflict_store_up',
    help: 'Whether the last scrape read its counts from the store (1) or could not (0)',
  });
  new Gauge({
    ...metric,
    name: 'deconflict_declarations_active',
    help: 'Active declarations in this instance’s live index',
    collect() {
      this.set(hub.declarations.activeCount);
    },
  });
  new Gauge({
    ...metric,
    name: 'deconflict_push_connections',
    help: 'WebSocket push streams open on this instance',
    collect() {
      this.set(app.websocketServer.clients.size);
    },
  });
  new Gauge({
    ...metric,
    name: 'deconflict_push_queued_bytes',
    help: 'Bytes of push frames queued to this instance’s streams and not yet sent (a slow console’s lag)',
    collect() {
      let queued = 0;
      for (const c of app.websocketServer.clients) queued += c.bufferedAmount;
      this.set(queued);
    },
  });

  const pushDelay = new Histogram({
    ...metric,
    name: 'deconflict_push_delay_seconds',
    help: 'Time from an event’s commit to its frame going out to a console of this instance (live events; by the hub clocks, so a clock skew between instances shows here too)',
    buckets: PUSH_BUCKETS,
  });
  pushes.listen((ms) => pushDelay.observe(Math.max(0, ms) / 1000));

  hub.kernel.onGroup((g) => {
    const outcome = g.committed ? 'committed' : 'failed';
    commitTime.observe({ outcome }, g.ms / 1000);
    commitWrites.inc({ outcome }, g.writes);
    if (!g.committed) storeErrors.inc({ kind: 'commit_failed' });
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    const status = reply.statusCode;
    responses.inc({ method: req.method, route: route ?? 'unmatched', status: String(status) });
    if (status === 503 || status === 507)
      storeErrors.inc({ kind: status === 503 ? 'store_unavailable' : 'storage_full' });
    if (route !== undefined && SUBMISSIONS.has(`${req.method} ${route}`) && !dryRun(req))
      submissions.inc({ outcome: status < 300 ? 'accepted' : status < 500 ? 'refused' : 'failed' });
  });

  /** The hub-wide counts, from one read of the store (bounded in time: a scrape must answer). */
  const readCounts = async (): Promise<void> => {
    try {
      const [c, a] = await within(
        hub.store.read((tx) => Promise.all([tx.conflicts.countByStatus(), tx.alerts.countByState()])),
        COUNT_TIMEOUT_MS,
      );
      conflicts.reset();
      for (const r of c) conflicts.set({ status: r.status }, r.count);
      alerts.reset();
      for (const r of a) alerts.set({ status: r.status, level: String(r.level) }, r.count);
      storeUp.set(1);
    } catch {
      storeUp.set(0);
    }
  };

  const expected = options.token === undefined ? null : digest(options.token);
  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags: ['service'],
        summary:
          'Metrics in the Prometheus text format, for the operator: a bearer metrics token (serve --metrics-token-file), or a loopback client when the hub has none',
        description:
          'Aggregate counts only: no party, member or declaration is named. 401 without the metrics token when the hub has one; 403 for a client that is not on loopback when it has none.',
        response: {
          200: {
            description: 'The Prometheus text exposition format, version 0.0.4',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...ERRORS,
        },
      },
    },
    async (req, reply) => {
      authorize(req, expected);
      await readCounts();
      const text = await Registry.merge([registry, processMetrics()]).metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
}

function dryRun(req: FastifyRequest): boolean {
  return (req.query as { dry_run?: unknown } | undefined)?.dry_run === 'true';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

/** The metrics token, compared in constant time; or, without one, a loopback client. */
function authorize(req: FastifyRequest, expected: Buffer | null): void {
  if (expected === null) {
    if (isLoopback(req.socket.remoteAddress ?? '')) return;
    throw coded(
      'forbidden',
      'this hub answers /metrics to loopback clients only: start it with --metrics-token-file to scrape it from elsewhere',
    );
  }
  const m = BEARER.exec(req.headers.authorization ?? '');
  if (m === null || !timingSafeEqual(digest(m[1] as string), expected))
    throw coded(
      'unauthorized',
      'send "Authorization: Bearer <the metrics token>" (serve --metrics-token-file)',
    );
}
