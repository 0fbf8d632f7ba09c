/**
 * Exports of a large picture (`npm run bench:formats`): 100,000 point declarations (protected
 * sites on a grid over the Arad theatre, one party, no conflicts between them) are loaded
 * through Hub.submit in FeatureCollections of 1,000; then the party's picture is exported as
 * KML, CSV and GeoJSON through the real route over HTTP (GET /api/v1/export on a socket,
 * read by a client that counts the bytes and keeps none).
 *
 * Printed per format: seconds, MB written and MB/s, and the process's peak RSS and heap growth
 * over the export (sampled every 10 ms, after a GC, against the figures just before it). A
 * streamed export grows by a page of declarations and the socket's buffers, not by the file.
 * EXPORT_BENCH_N sets the count (default 100,000).
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { systemClock } from '../src/hub/clock.ts';
import { Hub } from '../src/hub/hub.ts';
import { buildApp } from '../src/server/app.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { gdalVersion } from '../test/support/gdal.ts';
import { benchParty } from './accounts.ts';
import { count, MB, msSince, now, secs, table } from './support.ts';

const N = Number(process.env.EXPORT_BENCH_N ?? 100_000);
const BATCH = 1000;
const PARTY = 'relief';
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Sites on a grid of about 60 m over Arad, starting tomorrow. */
function sites(from: number, n: number, start: string) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      type: 'Feature',
      geometry: {
        type: 'Point',
        coordinates: [21.1 + (i % 400) * 0.0008, 46.05 + Math.floor(i / 400) * 0.0005],
      },
      properties: {
        id: `site-${String(i).padStart(6, '0')}`,
        kind: 'protected_site',
        category: 'humanitarian',
        start,
        label: `Water point ${i}`,
      },
    };
  });
}

/** Download a URL, counting bytes; resolves to [bytes, status]. */
function download(url: string, token: string): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve([bytes, res.statusCode ?? 0]));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/**
 * The anchor: what a user could do instead of asking the hub for KML or CSV — take its GeoJSON
 * and convert it with GDAL (`ogr2ogr`, the field's reference converter), from a file on disk,
 * without authentication, visibility or HTTP. Printed beside the hub's own export of the same
 * declarations, as GDAL's time ÷ the hub's (above 1: the hub is faster).
 */
async function gdalAnchor(
  address: string,
  token: string,
  dir: string,
  hub: Map<string, string>,
): Promise<void> {
  const version = gdalVersion();
  if (version === null) {
    console.log('\nanchor skipped: ogr2ogr is not installed (apt-get install gdal-bin)');
    return;
  }
  const geojson = join(dir, 'picture.geojson');
  await new Promise<void>((resolve, reject) => {
    get(
      `${address}/api/v1/export?format=geojson`,
      { headers: { authorization: `Bearer ${token}` } },
      (res) => {
        pipeline(res, createWriteStream(geojson)).then(resolve, reject);
      },
    ).on('error', reject);
  });
  const rows: string[][] = [];
  for (const [format, args] of [
    ['kml', ['-f', 'KML', join(dir, 'gdal.kml'), geojson]],
    ['csv', ['-f', 'CSV', join(dir, 'gdal.csv'), geojson, '-lco', 'GEOMETRY=AS_WKT']],
  ] as const) {
    const t = now();
    execFileSync('ogr2ogr', [...args], { stdio: 'ignore' });
    const ms = msSince(t);
    const hubSecs = Number.parseFloat(hub.get(format) ?? 'NaN');
    rows.push([format, secs(ms), hub.get(format) ?? '-', (ms / 1000 / hubSecs).toFixed(2)]);
  }
  console.log(`\nanchor: ogr2ogr (${version}) from the GeoJSON export on disk:`);
  console.log(table(['format', 'GDAL', 'hub', 'GDAL ÷ hub'], rows));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-export-bench-'));
  const store = openSqliteStore({ dir });
  try {
    const hub = await Hub.open(store, systemClock);
    const { admin: partyAdmin, token } = await benchParty(hub, PARTY, 'Relief');

    const start = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10).concat('T00:00:00Z');
    const t0 = now();
    for (let i = 0; i < N; i += BATCH)
      await hub.declarations.submit(partyAdmin, {
        type: 'FeatureCollection',
        features: sites(i, Math.min(BATCH, N - i), start),
      });
    console.log(`loaded ${count(N)} declarations through Hub.submit in ${secs(msSince(t0))}`);

    const app = await buildApp({ hub, rate: { perSecond: 1000, burst: 1000 }, console: false });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const rows: string[][] = [];
    for (const format of ['kml', 'kmz', 'csv', 'xlsx', 'geojson', 'cot', 'takpkg']) {
      gc();
      const rss0 = process.memoryUsage().rss;
      const heap0 = process.memoryUsage().heapUsed;
      let rssPeak = rss0;
      let heapPeak = heap0;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        rssPeak = Math.max(rssPeak, m.rss);
        heapPeak = Math.max(heapPeak, m.heapUsed);
      }, 10);
      const t = now();
      const [bytes, status] = await download(`${address}/api/v1/export?format=${format}`, token);
      const ms = msSince(t);
      clearInterval(sampler);
      if (status !== 200) throw new Error(`${format}: HTTP ${status}`);
      rows.push([
        format,
        secs(ms),
        MB(bytes),
        (bytes / 2 ** 20 / (ms / 1000)).toFixed(1),
        MB(rssPeak - rss0),
        MB(heapPeak - heap0),
      ]);
    }
    console.log(`\nexport of ${count(N)} declarations over HTTP (GET /api/v1/export):`);
    console.log(table(['format', 'time', 'MB', 'MB/s', 'peak RSS +MB', 'peak heap +MB'], rows));
    await gdalAnchor(address, token, dir, new Map(rows.map((r) => [r[0] as string, r[1] as string])));
    await app.close();
    await hub.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
