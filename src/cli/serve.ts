/**
 * `deconflict serve`: one hub process on the embedded store, logging one line per request
 * (`--log-level`; readable when standard output is a terminal, JSON otherwise).
 *
 * Start-up faults of the machine (the data directory held by another hub, a file where it should
 * be, a damaged database, a full disk, no permission to write) are one line on standard error
 * saying what to do, and exit status 2; the hub never starts on data it cannot trust.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_REQUEST_RATE, type RequestRate } from '../domain/limits.ts';
import { PRECEDENCES } from '../domain/records.ts';
import { systemClock } from '../hub/clock.ts';
import { deadlines as deadlinePolicy } from '../hub/deadlines.ts';
import { DEMO_HUB_ADMIN, loadDemo } from '../hub/demo.ts';
import { parseDetectWorkers } from '../hub/detect-pool.ts';
import { parseNetwork } from '../hub/egress.ts';
import { Hub, type HubOptions } from '../hub/hub.ts';
import { Scheduler } from '../hub/scheduler.ts';
import { SNAPSHOT_FILE } from '../hub/snapshot.ts';
import { parseWorkBudget } from '../hub/work-budget.ts';
import { buildApp } from '../server/app.ts';
import { type Basemaps, openBasemaps } from '../server/basemap.ts';
import { type CotFeed, type CotFeedOptions, cotFeedOptions, startCotFeed } from '../server/cot-feed.ts';
import { LOG_LEVELS } from '../server/logging.ts';
import { METRICS_TOKEN } from '../server/metrics.ts';
import { parseRequestRate } from '../server/rate.ts';
import { drain } from '../server/routes/readiness.ts';
import { isLoopback, readTlsFlags, type TlsFiles } from '../server/tls.ts';
import { describeLocation } from '../store/open.ts';
import type { Io } from './io.ts';
import { openStoreAt, reportStoreFault, storeLocationOf } from './store.ts';

/** How often ended windows are swept out of the live set. */
const EXPIRY_INTERVAL_MS = 15_000;

/**
 * Connections per instance to PostgreSQL (`--database-pool`): at least one for the writer and one
 * for reads and `/readyz` beside it; at most what one server's `max_connections` (100 by default)
 * gives a single instance. The default, 10, is the store's.
 */
const MIN_POOL = 2;
const MAX_POOL = 100;

/** The options of `deconflict serve` (`deconflict help` lists each; a test checks it). */
export const SERVE_OPTIONS = {
  data: { type: 'string', default: './data' },
  // PostgreSQL instead of the data directory (src/store/open.ts; DATABASE_URL when absent).
  database: { type: 'string' },
  'database-pool': { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '8080' },
  demo: { type: 'boolean', default: false },
  'ack-deadlines': { type: 'string' },
  'lead-times': { type: 'string' },
  'probe-budget': { type: 'string' },
  'work-budget': { type: 'string' },
  // Requests per token (src/server/rate.ts; docs/security.md, "Request rates").
  'rate-limit': { type: 'string' },
  'rate-burst': { type: 'string' },
  'rate-limit-max': { type: 'string' },
  'rate-burst-max': { type: 'string' },
  'detect-workers': { type: 'string' },
  'checkpoint-every': { type: 'string', default: '10' },
  'blind-timeout': { type: 'string', default: '120' },
  'log-level': { type: 'string', default: 'info' },
  'webhook-allow': { type: 'string', multiple: true },
  // The CoT feed for TAK clients (src/server/cot-feed.ts).
  'cot-port': { type: 'string' },
  'cot-host': { type: 'string' },
  'cot-tls-cert': { type: 'string' },
  'cot-tls-key': { type: 'string' },
  'cot-tls-ca': { type: 'string' },
  // TLS on the hub's own port; plain HTTP only on loopback unless told (src/server/tls.ts).
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'insecure-http': { type: 'boolean', default: false },
  // Who may scrape /metrics from elsewhere than loopback (src/server/metrics.ts).
  'metrics-token-file': { type: 'string' },
  basemap: { type: 'string' },
  hillshade: { type: 'string' },
} as const;

/** Run `deconflict serve` until SIGINT or SIGTERM; exit status 0, or 2 when it cannot start. */
export async function serveCommand(args: readonly string[], io: Io): Promise<number> {
  let values: {
    data?: string;
    database?: string;
    'database-pool'?: string;
    host?: string;
    port?: string;
    demo?: boolean;
    'ack-deadlines'?: string;
    'lead-times'?: string;
    'probe-budget'?: string;
    'work-budget'?: string;
    'rate-limit'?: string;
    'rate-burst'?: string;
    'rate-limit-max'?: string;
    'rate-burst-max'?: string;
    'detect-workers'?: string;
    'checkpoint-every'?: string;
    'blind-timeout'?: string;
    'log-level'?: string;
    'webhook-allow'?: string[];
    'cot-port'?: string;
    'cot-host'?: string;
    'cot-tls-cert'?: string;
    'cot-tls-key'?: string;
    'cot-tls-ca'?: string;
    'tls-cert'?: string;
    'tls-key'?: string;
    'tls-ca'?: string;
    'insecure-http'?: boolean;
    'metrics-token-file'?: string;
    basemap?: string;
    hillshade?: string;
  };
  try {
    ({ values } = parseArgs({ args: [...args], options: SERVE_OPTIONS }));
  } catch (err) {
    io.stderr(`deconflict serve: ${(err as Error).message}\n`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr(`deconflict serve: --port must be 0–65535, got "${values.port}"\n`);
    return 2;
  }
  const level = values['log-level'] as string;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    io.stderr(`deconflict serve: --log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"\n`);
    return 2;
  }
  let deadlines: HubOptions['deadlines'];
  let leadTimes: HubOptions['leadTimes'];
  try {
    deadlines = parseDeadlines(values['ack-deadlines']);
    leadTimes = parseLeadTimes(values['lead-times']);
  } catch (err) {
    io.stderr(`deconflict serve: ${(err as Error).message}\n`);
    return 2;
  }
  const budget = values['probe-budget'];
  const probeBudget = budget === undefined ? undefined : Number(budget);
  if (
    probeBudget !== undefined &&
    !(Number.isInteger(probeBudget) && probeBudget >= 0 && probeBudget <= 10_000)
  ) {
    io.stderr(`deconflict serve: --probe-budget must be a whole number from 0 to 10000, got "${budget}"\n`);
    return 2;
  }
  // How often the transparency log signs a checkpoint while it grows (docs/transparency.md §3).
  const every = Number(values['checkpoint-every']);
  if (!(Number.isInteger(every) && every >= 0 && every <= 86_400)) {
    io.stderr(
      `deconflict serve: --checkpoint-every must be whole seconds from 0 to 86400, got "${values['checkpoint-every']}"\n`,
    );
    return 2;
  }
  // When an unanswered blind check is unknown, alerted as a risk (docs/blind-matching.md §3).
  const blindTimeout = Number(values['blind-timeout']);
  if (!(Number.isInteger(blindTimeout) && blindTimeout >= 1 && blindTimeout <= 86_400)) {
    io.stderr(
      `deconflict serve: --blind-timeout must be whole seconds from 1 to 86400, got "${values['blind-timeout']}"\n`,
    );
    return 2;
  }
  // What one submission may cost, and the detection workers (docs/security.md, "Heavy requests").
  let workBudget: HubOptions['workBudget'];
  let detectWorkers: number | undefined;
  try {
    workBudget = parseWorkBudget(values['work-budget']);
    detectWorkers = parseDetectWorkers(values['detect-workers']);
  } catch (err) {
    io.stderr(`deconflict serve: ${(err as Error).message}\n`);
    return 2;
  }
  let rates: { hub: RequestRate; ceiling: RequestRate };
  try {
    rates = parseRates(values);
  } catch (err) {
    io.stderr(`deconflict serve: ${(err as Error).message}\n`);
    return 2;
  }
  // Networks webhooks may lead to although they are not public (src/hub/egress.ts).
  const webhookAllow = values['webhook-allow'] ?? [];
  for (const net of webhookAllow) {
    try {
      parseNetwork(net);
    } catch (err) {
      io.stderr(`deconflict serve: --webhook-allow: ${(err as Error).message}\n`);
      return 2;
    }
  }
  // The operator's base maps, checked before anything starts (src/server/basemap.ts).
  let basemaps: Basemaps;
  try {
    basemaps = await openBasemaps({
      ...(values.basemap !== undefined && { vector: values.basemap }),
      ...(values.hillshade !== undefined && { hillshade: values.hillshade }),
    });
  } catch (err) {
    io.stderr(`deconflict serve: ${(err as Error).message}\n`);
    return 2;
  }
  // The CoT feed: plain TCP on loopback only, else TLS (src/server/cot-feed.ts).
  let cot: CotFeedOptions | null;
  try {
    cot = cotFeedOptions(values);
  } catch (err) {
    io.stderr(`deconflict serve: ${(err as Error).message}\n`);
    return 2;
  }
  // HTTPS on the hub's port, or plain HTTP on loopback only unless the operator says so (behind
  // a proxy that terminates TLS): a token is never sent in clear over a network by mistake.
  let tls: TlsFiles | undefined;
  let metricsToken: string | undefined;
  try {
    tls = readTlsFlags(values, '');
    metricsToken = readMetricsToken(values['metrics-token-file']);
  } catch (err) {
    io.stderr(`deconflict serve: ${(err as Error).message}\n`);
    return 2;
  }
  const host = values.host as string;
  if (tls === undefined && !isLoopback(host) && values['insecure-http'] !== true) {
    io.stderr(
      `deconflict serve: --host ${host} is not a loopback address: plain HTTP would send tokens in clear; give --tls-cert and --tls-key, or --insecure-http to accept plain HTTP (behind a proxy that terminates TLS)\n`,
    );
    return 2;
  }
  const dir = values.data as string;
  const where = storeLocationOf(values, 'serve', io);
  if (where === null) return 2;
  let poolSize: number | undefined;
  if (values['database-pool'] !== undefined) {
    poolSize = Number(values['database-pool']);
    if (where.dialect !== 'postgres') {
      io.stderr('deconflict serve: --database-pool is for --database (PostgreSQL)\n');
      return 2;
    }
    if (!Number.isInteger(poolSize) || poolSize < MIN_POOL || poolSize > MAX_POOL) {
      io.stderr(
        `deconflict serve: --database-pool must be a whole number from ${MIN_POOL} to ${MAX_POOL}, got "${values['database-pool']}"\n`,
      );
      return 2;
    }
  }
  // Listen for a stop from the start: SIGTERM or Ctrl-C while the hub is starting (say, loading
  // the demo) lets it finish the write under way and close the store, instead of killing it.
  let stopRequested = false;
  let onStop = () => {};
  const stop = () => {
    stopRequested = true;
    onStop();
    // The writes in flight finish and are answered; a second signal does not wait for them.
    process.once('SIGINT', forceExit);
    process.once('SIGTERM', forceExit);
  };
  const stopped = new Promise<void>((resolve) => {
    onStop = resolve;
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const store = await openStoreAt(where, 'serve', io, { ...(poolSize !== undefined && { poolSize }) });
    if (store === null) return 2;
    const { from, to } = store.migration;
    // A new directory is created at the latest version: only an upgrade is news.
    if (from > 0 && from < to)
      io.stdout(
        `Upgraded the ${where.dialect === 'sqlite' ? 'data directory' : 'database'} from schema version ${from} to ${to}.\n`,
      );
    let app: FastifyInstance | undefined;
    let feed: CotFeed | undefined;
    let timer: NodeJS.Timeout | undefined;
    let scheduler: Scheduler | undefined;
    let opened: Hub | undefined;
    try {
      const started = performance.now();
      let hub: Hub;
      let demoLoaded: boolean;
      let hubAdmins: number;
      try {
        hub = await Hub.open(store, systemClock, {
          ...(deadlines && { deadlines }),
          ...(leadTimes && { leadTimes }),
          ...(probeBudget !== undefined && { probeBudget }),
          ...(workBudget && { workBudget }),
          tokenRateCeiling: rates.ceiling,
          ...(detectWorkers !== undefined && { detection: { workers: detectWorkers } }),
          blind: { timeout_ms: blindTimeout * 1000 },
          // The live index's snapshot is a file beside the embedded store's database only.
          ...(where.dialect === 'sqlite' && {
            snapshot: { path: join(dir, SNAPSHOT_FILE), log: (line: string) => io.stdout(`${line}\n`) },
          }),
        });
        opened = hub;
        hub.webhooks.configure({ allow: webhookAllow });
        hub.transparency.startCheckpoints(every * 1000);
        demoLoaded = values.demo === true && !stopRequested && (await loadDemo(hub));
        hubAdmins = await hub.accounts.hubAdminCount();
      } catch (err) {
        // Loading reads every active declaration (a damaged page shows there) and writes the
        // hub's key and the demo (a full disk shows there).
        if (reportStoreFault(err, where, 'serve', io)) return 2;
        throw err;
      }
      if (demoLoaded) {
        io.stdout(
          `Loaded the demo scenario (${hub.declarations.activeCount} active declarations); accounts are listed in the README.\n`,
        );
      }
      if (stopRequested) return 0;
      if (hubAdmins === 0) {
        io.stdout(
          'No hub administrator yet. Stop the hub and create one:\n' +
            `  echo 'a long passphrase' | npx deconflict admin create --data ${dir} --username <name>\n` +
            `(or start with --demo on an empty data directory for the demo, hub admin "${DEMO_HUB_ADMIN.username}").\n`,
        );
      }
      app = await buildApp({
        hub,
        basemaps,
        rate: rates.hub,
        log: { level, pretty: process.stdout.isTTY === true },
        ...(tls !== undefined && { tls }),
        metrics: metricsToken === undefined ? {} : { token: metricsToken },
      });
      const expiring = setInterval(() => {
        hub.declarations
          .expire()
          .catch((err: unknown) => io.stderr(`expiry sweep failed: ${(err as Error).message}\n`));
      }, EXPIRY_INTERVAL_MS);
      expiring.unref();
      timer = expiring;
      scheduler = new Scheduler(hub, (err) => io.stderr(`watch timer failed: ${(err as Error).message}\n`));
      scheduler.start();
      let address: string;
      try {
        address = await app.listen({ host: values.host as string, port });
      } catch (err) {
        io.stderr(`deconflict serve: cannot listen on ${values.host}:${port}: ${(err as Error).message}\n`);
        return 2;
      }
      io.stdout(
        `deconflict hub listening on ${address} (data: ${describeLocation(where)}, ${hub.declarations.activeCount} active declarations, ready in ${Math.round(performance.now() - started)} ms)\n`,
      );
      if (cot !== null) {
        try {
          feed = await startCotFeed(hub, cot);
        } catch (err) {
          io.stderr(
            `deconflict serve: cannot start the CoT feed on ${cot.host}:${cot.port}: ${(err as Error).message}\n`,
          );
          return 2;
        }
        io.stdout(`CoT feed listening on ${feed.url}\n`);
      }
      await stopped;
      return 0;
    } finally {
      clearInterval(timer);
      await scheduler?.stop();
      await feed?.close();
      // New requests refused, those read answered, streams closed (src/server/routes/readiness.ts).
      if (app !== undefined) await drain(app);
      await opened?.close();
      await store.close();
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGINT', forceExit);
    process.off('SIGTERM', forceExit);
  }
}

/** A second SIGINT or SIGTERM while the hub drains: exit now (what did not commit is not lost: it was never answered). */
function forceExit(signal: NodeJS.Signals): void {
  process.stderr.write(
    `deconflict serve: ${signal} again: exiting without waiting for the requests in flight\n`,
  );
  process.exit(1);
}

/**
 * The token a scraper must send for `/metrics` (`--metrics-token-file`: a file, so that the
 * secret is not on the command line for every user of the machine to read), or undefined.
 */
function readMetricsToken(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(
      `--metrics-token-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  if (!METRICS_TOKEN.test(token))
    throw new Error(
      `--metrics-token-file: ${file} must hold one token of 16 to 200 characters A-Z a-z 0-9 _ -`,
    );
  return token;
}

/**
 * `--ack-deadlines 5,15,60,240`: acknowledgement deadlines in minutes for flash, immediate,
 * priority and routine; each escalation level gets as long again.
 */
export function parseDeadlines(v: string | undefined): HubOptions['deadlines'] {
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  if (parts.length !== 4 || !parts.every((n) => Number.isFinite(n) && n > 0 && n <= 7 * 24 * 60)) {
    throw new Error('--ack-deadlines: four minutes for flash,immediate,priority,routine, e.g. 5,15,60,240');
  }
  const out: Record<string, readonly [number, number, number]> = {};
  PRECEDENCES.forEach((p, i) => {
    const ms = Math.round((parts[i] as number) * 60_000);
    out[p] = [ms, ms, ms];
  });
  return out;
}

const LEAD_KEYS = {
  imminent: 'imminent_ms',
  soon: 'soon_ms',
  margin: 'margin_ms',
  'max-step': 'max_step_ms',
} as const;

/**
 * `--lead-times imminent=60,soon=360,margin=60,max-step=360` (minutes, any subset): how the time
 * before an activity relaxes precedence and stretches deadlines (src/hub/deadlines.ts).
 */
export function parseLeadTimes(v: string | undefined): HubOptions['leadTimes'] {
  if (v === undefined) return undefined;
  const usage = '--lead-times: minutes as imminent=60,soon=360,margin=60,max-step=360 (any of them)';
  const out: Record<string, number> = {};
  for (const part of v.split(',')) {
    const [key, value] = part.split('=');
    const field = LEAD_KEYS[key as keyof typeof LEAD_KEYS];
    const minutes = Number(value);
    if (!field || value === undefined || !Number.isFinite(minutes) || minutes < 0 || minutes > 7 * 24 * 60)
      throw new Error(usage);
    out[field] = Math.round(minutes * 60_000);
  }
  try {
    deadlinePolicy(undefined, out);
  } catch (err) {
    throw new Error(`--lead-times: ${(err as Error).message}`);
  }
  return out;
}

/**
 * The hub's request rate per token (`--rate-limit`, `--rate-burst`; default 100/s, burst 200)
 * and the ceiling of a token's own (`--rate-limit-max`, `--rate-burst-max`; default the hub's
 * rate: a party can then only ask for less). A ceiling below the hub's rate is refused: a token
 * asking for more would get less than one asking for nothing.
 */
function parseRates(values: {
  'rate-limit'?: string;
  'rate-burst'?: string;
  'rate-limit-max'?: string;
  'rate-burst-max'?: string;
}): { hub: RequestRate; ceiling: RequestRate } {
  const hub =
    parseRequestRate(values['rate-limit'], values['rate-burst'], {
      limit: '--rate-limit',
      burst: '--rate-burst',
    }) ?? DEFAULT_REQUEST_RATE;
  const ceiling =
    parseRequestRate(
      values['rate-limit-max'],
      values['rate-burst-max'],
      { limit: '--rate-limit-max', burst: '--rate-burst-max' },
      hub,
    ) ?? hub;
  if (ceiling.perSecond < hub.perSecond || ceiling.burst < hub.burst)
    throw new Error(
      `--rate-limit-max ${ceiling.perSecond}/s, burst ${ceiling.burst} is below the hub's rate (${hub.perSecond}/s, burst ${hub.burst}): a token's own rate could only be lower`,
    );
  return { hub, ceiling };
}
