/**
 * GPX 1.1 → movements: each track (`<trk>`, one segment) and each route (`<rte>`) is one
 * declaration of kind `movement`, its points the route's vertices. When every point carries a
 * `<time>`, the first is `start`, the last `end`, and all of them the `schedule` (one time per
 * vertex, as a movement's schedule is: docs/design.md §3); without times the window must come from
 * the mapping (`{"start": "=2026-11-23T06:00:00Z", "end": "=…"}`), else the engine refuses it,
 * naming the track. `<name>` → label, `<desc>` → notes; elevations are dropped.
 *
 * Waypoints (`<wpt>`) are not declarations: they are skipped and listed in the answer. A track of
 * several segments is refused (split it, one movement per segment). Times that are not UTC are
 * refused by the time grammar. Consecutive points at the same place are a degenerate edge for
 * the engine, and refused: nothing is dropped silently.
 */
import { gpx } from '@tmcw/togeojson';
import { fileError, parseXml } from '../safe/xml.ts';
import {
  type Geometry,
  type Imported,
  type Mapping,
  mapAll,
  type Raw,
  type SourceRecord,
} from './mapping.ts';

export function readGpx(text: string, mapping: Mapping | undefined, what: string): Imported {
  const doc = parseXml(text, what);
  if (doc.documentElement.localName !== 'gpx')
    throw fileError('invalid_file', what, `not GPX (root <${doc.documentElement.localName}>)`);
  const records: SourceRecord[] = [];
  const skipped: string[] = [];
  const count = { trk: 0, rte: 0, wpt: 0 };
  for (const f of gpx(doc as never).features) {
    const p = (f.properties ?? {}) as Record<string, unknown>;
    const type = p._gpxType === 'rte' ? 'rte' : p._gpxType === 'trk' ? 'trk' : 'wpt';
    count[type]++;
    const where = `${type === 'trk' ? 'track' : type === 'rte' ? 'route' : 'waypoint'} ${count[type]}`;
    if (type === 'wpt' || f.geometry?.type === 'Point') {
      skipped.push(`${where}: a waypoint, not a movement`);
      continue;
    }
    if (f.geometry?.type === 'MultiLineString')
      throw fileError('invalid_file', what, `${where} has several segments: one movement per segment`);
    const values = new Map<string, Raw>([['kind', 'movement']]);
    if (typeof p.name === 'string') values.set('name', p.name);
    if (typeof p.desc === 'string') values.set('description', p.desc);
    const times = (p.coordinateProperties as { times?: unknown } | undefined)?.times;
    const n = ((f.geometry as Geometry | null)?.coordinates as unknown[] | undefined)?.length ?? 0;
    if (Array.isArray(times) && times.length === n && times.every((t) => typeof t === 'string' && t !== '')) {
      values.set('start', times[0] as string);
      values.set('end', times[n - 1] as string);
      values.set('schedule', times as string[]);
    }
    records.push({ where, values, geometry: (f.geometry as Geometry | null) ?? null });
  }
  return mapAll(records, mapping, what, skipped);
}
