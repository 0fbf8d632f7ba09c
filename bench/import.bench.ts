/**
 * Import benchmark: 100,000 CSV rows (protected sites scattered over the demo theatre around
 * Arad, 46.1N 21.3E, in the notification-desk layout) written to a temporary file, then sent
 * through the real HTTP route `POST /api/v1/imports` of a hub on a temporary SQLite store
 * listening on 127.0.0.1: once as a dry run, once for real. Prints seconds, rows per second and
 * the peak growth of the process's resident memory during each import (sampled every 20 ms,
 * after a GC), for the server and client together in this one process.
 *
 * Run: `node --import tsx --expose-gc bench/import.bench.ts` (part of `npm run bench:formats`).
 * IMPORT_BENCH_ROWS=n changes the count (at most 100,000, the submission's limit).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/hub/clock.ts';
import { Hub } from '../src/hub/hub.ts';
import { buildApp } from '../src/server/app.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { hasGdal } from '../test/support/gdal.ts';
import { benchParty } from './accounts.ts';
import { count, gc, MB, msSince, mulberry32, now, secs, table, uniform } from './support.ts';

const ROWS = Number(process.env.IMPORT_BENCH_ROWS ?? 100_000);
const PARTY = 'relief-agency';

/** The CSV: header and ROWS rows, as the notification desks write them. */
function writeCsv(path: string): void {
  const rng = mulberry32(18);
  const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const lines = ['kind,name,category,latitude,longitude,start,end,contact'];
  for (let i = 0; i < ROWS; i++) {
    const lat = uniform(rng, 45.9, 46.4).toFixed(6);
    const lon = uniform(rng, 20.9, 21.8).toFixed(6);
    lines.push(`protected_site,Site ${i},humanitarian,${lat},${lon},${day},,Desk ${i % 97}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** The peak RSS growth while `f` runs, and how long it took. */
async function measured<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; peak: number }> {
  gc();
  const base = process.memoryUsage().rss;
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss - base);
  }, 20);
  const t0 = now();
  try {
    const value = await f();
    peak = Math.max(peak, process.memoryUsage().rss - base);
    return { value, ms: msSince(t0), peak };
  } finally {
    clearInterval(timer);
  }
}

/**
 * The anchor: loading the same CSV into a spatial database with GDAL alone — `ogr2ogr -f GPKG`
 * (a GeoPackage: SQLite, a spatial index, one transaction), no validation, conflict check,
 * ledger or HTTP. Printed as GDAL's time ÷ the hub's import (below 1: GDAL is faster).
 */
function gdalAnchor(csv: string, dir: string, hubTime: string): void {
  if (!hasGdal()) {
    console.log('anchor skipped: ogr2ogr is not installed (apt-get install gdal-bin)');
    return;
  }
  const t0 = now();
  execFileSync(
    'ogr2ogr',
    [
      '-f',
      'GPKG',
      join(dir, 'sites.gpkg'),
      csv,
      '-oo',
      'X_POSSIBLE_NAMES=longitude',
      '-oo',
      'Y_POSSIBLE_NAMES=latitude',
      '-a_srs',
      'EPSG:4326',
    ],
    { stdio: 'ignore' },
  );
  const ms = msSince(t0);
  const ratio = ms / 1000 / Number.parseFloat(hubTime);
  console.log(
    `\nanchor: ogr2ogr -f GPKG of the same CSV: ${secs(ms)}; the hub's import ${hubTime}; GDAL ÷ hub ${ratio.toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-import-bench-'));
  const store = openSqliteStore({ dir });
  const hub = await Hub.open(store, systemClock);
  const app = await buildApp({ hub, rate: { perSecond: 10_000, burst: 10_000 } });
  try {
    const { token } = await benchParty(hub, PARTY, 'Relief');
    const address = await app.listen({ host: '127.0.0.1', port: 0 });

    const file = join(dir, 'sites.csv');
    writeCsv(file);
    const size = statSync(file).size;
    console.log(`${count(ROWS)} rows, ${MB(size)} MiB of CSV`);
    const send = async (dryRun: boolean) => {
      const res = await fetch(`${address}/api/v1/imports?format=csv${dryRun ? '&dry_run=true' : ''}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: new Uint8Array(readFileSync(file)),
      });
      const body = (await res.json()) as { declarations?: unknown[]; errors?: unknown };
      if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body.errors).slice(0, 500)}`);
      return body.declarations?.length ?? 0;
    };
    const rows: string[][] = [];
    for (const dryRun of [true, false]) {
      const { value, ms, peak } = await measured(() => send(dryRun));
      if (value !== ROWS) throw new Error(`${value} declarations, not ${ROWS}`);
      rows.push([
        dryRun ? 'dry run' : 'import',
        count(value),
        secs(ms),
        count(Math.round(value / (ms / 1000))),
        MB(peak),
      ]);
    }
    console.log(table(['POST /api/v1/imports', 'rows', 'time', 'rows/s', 'peak RSS growth MiB'], rows));
    console.log(`active declarations after: ${count(hub.declarations.activeCount)}`);
    gdalAnchor(file, dir, rows.find((r) => r[0] === 'import')?.[2] ?? 'NaN');
  } finally {
    await app.close();
    await hub.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
