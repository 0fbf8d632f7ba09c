/**
 * `deconflict serve`: one hub process on the embedded store, logging one line per request
 * (`--log-level`; readable when standard output is a terminal, JSON otherwise).
 */
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { PRECEDENCES } from '../domain/records.ts';
import { systemClock } from '../hub/clock.ts';
import { DEMO_HUB_ADMIN, loadDemo } from '../hub/demo.ts';
import { Hub, type HubOptions } from '../hub/hub.ts';
import { Scheduler } from '../hub/scheduler.ts';
import { buildApp } from '../server/app.ts';
import { LOG_LEVELS } from '../server/logging.ts';
import type { Io } from './io.ts';
import { openDataDirectory } from './store.ts';

/** How often ended windows are swept out of the live set. */
const EXPIRY_INTERVAL_MS = 15_000;

/** Run `deconflict serve` until SIGINT or SIGTERM; exit status 0, or 2 when it cannot start. */
export async function serveCommand(args: readonly string[], io: Io): Promise<number> {
  let values: {
    data?: string;
    host?: string;
    port?: string;
    demo?: boolean;
    'ack-deadlines'?: string;
    'probe-budget'?: string;
    'log-level'?: string;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        data: { type: 'string', default: './data' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        demo: { type: 'boolean', default: false },
        'ack-deadlines': { type: 'string' },
        'probe-budget': { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
      },
    }));
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
  try {
    deadlines = parseDeadlines(values['ack-deadlines']);
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
  const dir = values.data as string;
  // Listen for a stop from the start: SIGTERM or Ctrl-C while the hub is starting (say, loading
  // the demo) lets it finish the write under way and close the store, instead of killing it.
  let stopRequested = false;
  let onStop = () => {};
  const stop = () => {
    stopRequested = true;
    onStop();
  };
  const stopped = new Promise<void>((resolve) => {
    onStop = resolve;
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const store = openDataDirectory(dir, 'serve', io);
    if (store === null) return 2;
    const { from, to } = store.migration;
    // A new directory is created at the latest version: only an upgrade is news.
    if (from > 0 && from < to)
      io.stdout(`Upgraded the data directory from schema version ${from} to ${to}.\n`);
    let app: FastifyInstance | undefined;
    let timer: NodeJS.Timeout | undefined;
    let scheduler: Scheduler | undefined;
    try {
      const started = performance.now();
      const hub = await Hub.open(store, systemClock, {
        ...(deadlines && { deadlines }),
        ...(probeBudget !== undefined && { probeBudget }),
      });
      if (values.demo && !stopRequested && (await loadDemo(hub))) {
        io.stdout(
          `Loaded the demo scenario (${hub.declarations.activeCount} active declarations); accounts are listed in the README.\n`,
        );
      }
      if (stopRequested) return 0;
      if ((await hub.accounts.hubAdminCount()) === 0) {
        io.stdout(
          'No hub administrator yet. Stop the hub and create one:\n' +
            `  echo 'a long passphrase' | npx deconflict admin create --data ${dir} --username <name>\n` +
            `(or start with --demo on an empty data directory for the demo, hub admin "${DEMO_HUB_ADMIN.username}").\n`,
        );
      }
      app = await buildApp({ hub, log: { level, pretty: process.stdout.isTTY === true } });
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
        `deconflict hub listening on ${address} (data: ${dir}, ${hub.declarations.activeCount} active declarations, ready in ${Math.round(performance.now() - started)} ms)\n`,
      );
      await stopped;
      return 0;
    } finally {
      clearInterval(timer);
      await scheduler?.stop();
      await app?.close();
      await store.close();
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
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
