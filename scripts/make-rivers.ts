/**
 * Regenerates web/basemap/rivers.json, the console's offline rivers layer, from GSHHG's WDBII
 * rivers as the Generic Mapping Tools ship them (Debian: `apt-get install gmt gmt-gshhg-low`, which carries the intermediate resolution too).
 *
 *   node --import tsx scripts/make-rivers.ts
 *
 * The file is committed, so neither building the console nor running the hub needs GMT: this
 * script is only for refreshing the data. It keeps:
 *
 * - the intermediate resolution (about 1 km). The low one (about 5 km) draws the Danube 6.6 km
 *   from Vienna's Stephansplatz, the intermediate 3.6 km, the river's real distance being about
 *   3 km: the low one is too far off for a map read at city scale;
 * - river classes 1–4 (double-lined rivers, permanent major rivers, additional major rivers,
 *   additional rivers): the Tigris at Baghdad is class 1, the Mureș at Arad class 4. Minor,
 *   intermittent rivers and canals (5–11) would more than double the file;
 * - coordinates rounded to 0.001° (at most about 80 m), far below the data's own accuracy.
 *
 * GSHHG is released under the GNU LGPL (version 3 or later) by Wessel and Smith; see
 * web/basemap/README.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * GMT numbers river classes from 1 in its `-I` option (1 double-lined rivers, 2 permanent major,
 * 3 additional major, 4 additional rivers, 5 minor, 6–9 intermittent, 10–11 canals) but from 0
 * in the segment headers it writes. The file uses the `-I` numbers.
 */
const LEVELS = [1, 2, 3, 4] as const;
const round = (x: number) => Math.round(x * 1000) / 1000;

const text = execFileSync('gmt', ['coast', '-R-180/180/-90/90', '-Di', '-Ir', '-M'], {
  encoding: 'utf8',
  maxBuffer: 1 << 28,
});

// GMT writes one multisegment table: a "> River Bin # N, Level L" header, then "lon lat" rows.
const byLevel = new Map<number, number[][][]>(LEVELS.map((l) => [l, []]));
let current: number[][] | null = null;
for (const line of text.split('\n')) {
  if (line.startsWith('>')) {
    const level = Number(/Level (\d+)/.exec(line)?.[1]) + 1;
    const lines = byLevel.get(level);
    current = lines ? [] : null;
    if (current && lines) lines.push(current);
    continue;
  }
  if (!current || line.trim() === '') continue;
  const [lon, lat] = line.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) throw new Error(`unreadable row: ${line}`);
  const p = [round(lon as number), round(lat as number)];
  const last = current[current.length - 1];
  if (!last || last[0] !== p[0] || last[1] !== p[1]) current.push(p);
}

const features = LEVELS.map((level) => {
  const lines = (byLevel.get(level) ?? []).filter((l) => l.length >= 2);
  return {
    type: 'Feature',
    properties: { level },
    geometry: { type: 'MultiLineString', coordinates: lines },
  };
});
const out = join(root, 'web', 'basemap', 'rivers.json');
writeFileSync(out, `${JSON.stringify({ type: 'FeatureCollection', features })}\n`);
const counts = features.map((f) => `level ${f.properties.level}: ${f.geometry.coordinates.length} lines`);
console.log(`${out}: ${counts.join(', ')}`);
