/**
 * The engine's distances against PostGIS, the reference most of the field already trusts: the
 * demo scenario (scenarios/river-line.geojson, Arad) is loaded into a hub on PostgreSQL, and the
 * distance of every conflict it produced is measured again by `ST_Distance(a::geography,
 * b::geography)` on the two declarations' geometries, in the same database.
 *
 * What may differ, and by how much (docs/geodesy.md, docs/design.md §4):
 * - Point to point: both solve the geodesic inverse problem on the WGS 84 ellipsoid (PostGIS
 *   through GeographicLib, the engine with it): they agree to far below a millimetre; asserted
 *   within 0.5 m.
 * - With a line or a polygon: the engine's edge is the ellipsoid's geodesic between the two
 *   vertices; PostGIS takes the great circle through them on a sphere whose coordinates are the
 *   geodetic latitude and longitude, finds the closest points there, and measures between them on
 *   the spheroid. The two curves share their ends and part most near their middles, by about
 *   f·L²/(8R)·sin 2φ for an edge of length L (flattening f, radius R, latitude φ): millimetres for
 *   the scenario's few-kilometre legs, decimetres at 60 km. The test measures that parting itself
 *   for every edge of the two geometries (sampled along the edge, twice the largest sample), so
 *   the tolerance of each pair is 0.5 m plus what its own edges allow.
 * - A scheduled movement counts only where it is during the overlap (and two scheduled movements
 *   at their closest approach in time), so the engine's distance may exceed the distance between
 *   the whole geometries: there only one side is asserted.
 * Whatever the case, the PostGIS distance must put the pair on the same side of its threshold as
 * the engine did: never "far apart" beyond the tolerance for a pair the engine reported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { ConflictRecord } from '../src/domain/records.ts';
import { distance, inverseLine, linePoint } from '../src/engine/geodesy/wgs84.ts';
import { DEFAULT_OPTIONS, type Declaration, type Geometry, type Position } from '../src/engine/index.ts';
import { systemClock } from '../src/hub/clock.ts';
import { DEMO_PARTIES, loadDemo } from '../src/hub/demo.ts';
import { Hub } from '../src/hub/hub.ts';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres.ts';
import { freshPgDatabase, type PgDatabase, pgSkip } from './support/postgres.ts';

/** What two implementations of the same point-to-point geodesic may differ by, with room to spare. */
const POINT_TOLERANCE_M = 0.5;
/** Samples along an edge when measuring how far its great circle parts from its geodesic. */
const SAMPLES = 16;

/** The edges of a geometry as pairs of positions (a polygon's rings are closed). */
function edgesOf(g: Geometry): [Position, Position][] {
  const lines: (readonly Position[])[] =
    g.type === 'Point'
      ? []
      : g.type === 'LineString'
        ? [g.coordinates]
        : g.type === 'Polygon'
          ? [...g.coordinates]
          : g.coordinates.flat();
  return lines.flatMap((line) =>
    line.slice(1).map((q, i) => [line[i] as Position, q] as [Position, Position]),
  );
}

const RAD = Math.PI / 180;

/** A position as a unit vector, its geodetic latitude taken as the sphere's (as PostGIS does). */
function unit([lon, lat]: Position): [number, number, number] {
  return [
    Math.cos(lat * RAD) * Math.cos(lon * RAD),
    Math.cos(lat * RAD) * Math.sin(lon * RAD),
    Math.sin(lat * RAD),
  ];
}

/** The point a fraction `t` along the great circle from `p` to `q` on that sphere (slerp). */
function greatCirclePoint(p: Position, q: Position, t: number): Position {
  const u = unit(p);
  const v = unit(q);
  const omega = Math.acos(Math.min(1, u[0] * v[0] + u[1] * v[1] + u[2] * v[2]));
  if (omega === 0) return p;
  const a = Math.sin((1 - t) * omega) / Math.sin(omega);
  const b = Math.sin(t * omega) / Math.sin(omega);
  const [x, y, z] = [0, 1, 2].map((k) => a * (u[k] as number) + b * (v[k] as number)) as [
    number,
    number,
    number,
  ];
  return [Math.atan2(y, x) / RAD, Math.atan2(z, Math.hypot(x, y)) / RAD];
}

/**
 * How far an edge's great circle (PostGIS) strays from its geodesic (the engine): the largest
 * distance between the two curves' points at the same fraction along them, over SAMPLES steps,
 * doubled for what lies between the samples. An upper bound of the sideways parting, since the
 * points compared need not be abreast.
 */
function edgeParting(p: Position, q: Position): number {
  const line = inverseLine(p, q);
  let worst = 0;
  for (let k = 1; k < SAMPLES; k++) {
    const t = k / SAMPLES;
    const { pos } = linePoint(line, t * (line.s13 as number));
    worst = Math.max(worst, distance(pos, greatCirclePoint(p, q, t)));
  }
  return 2 * worst;
}

/** The most any edge of a geometry strays from the engine's (0 for a point). */
const parting = (g: Geometry): number => Math.max(0, ...edgesOf(g).map(([p, q]) => edgeParting(p, q)));

const longestEdge = (g: Geometry): number => Math.max(0, ...edgesOf(g).map(([p, q]) => distance(p, q)));

/** The distance at or below which the rule fires (docs/design.md §4), with the hub's defaults. */
function threshold(c: ConflictRecord, a: Declaration, b: Declaration): number {
  if (c.rule === 'aor_overlap') return 0;
  const sum = a.buffer_m + b.buffer_m;
  return c.rule === 'air_air' ? sum + DEFAULT_OPTIONS.horizontalSeparation_m : sum;
}

interface Pair {
  readonly conflict: ConflictRecord;
  readonly a: Declaration;
  readonly b: Declaration;
  /** ST_Distance on geography (spheroid). */
  readonly postgis: number;
  readonly tolerance: number;
  /** Whether the engine measured the whole geometries (no scheduled movement on either side). */
  readonly whole: boolean;
}

const skip = await pgSkip();

describe('PostGIS recomputes the distances of the demo scenario’s conflicts', { skip }, () => {
  let db: PgDatabase;
  let store: PostgresStore;
  let hub: Hub;
  let client: pg.Client;
  const pairs: Pair[] = [];
  let postgisVersion = '';
  let conflicts = 0;

  before(async () => {
    db = await freshPgDatabase();
    store = await openPostgresStore({ url: db.url });
    hub = await Hub.open(store, systemClock);
    assert.equal(await loadDemo(hub), true);
    const seen = new Map<string, ConflictRecord>();
    for (const { id: party } of DEMO_PARTIES)
      for (const c of await store.read((tx) => tx.conflicts.query({ party, limit: 10_000 })))
        seen.set(c.id, c);
    client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS postgis');
    postgisVersion =
      (await client.query<{ v: string }>('SELECT postgis_lib_version() AS v')).rows[0]?.v ?? '';
    conflicts = seen.size;
    for (const conflict of seen.values()) {
      // Blind matches have no distance; an agreement's term is not a declaration.
      if (conflict.sealed !== undefined || conflict.term !== undefined) continue;
      const [ra, rb] = await store.read((tx) =>
        Promise.all([
          tx.declarations.version(conflict.a, conflict.a_version),
          tx.declarations.version(conflict.b, conflict.b_version),
        ]),
      );
      assert.ok(ra && rb, `the declarations of ${conflict.id} are stored`);
      const { rows } = await client.query<{ d: number }>(
        'SELECT ST_Distance(ST_GeomFromGeoJSON($1)::geography, ST_GeomFromGeoJSON($2)::geography) AS d',
        [JSON.stringify(ra.decl.geometry), JSON.stringify(rb.decl.geometry)],
      );
      pairs.push({
        conflict,
        a: ra.decl,
        b: rb.decl,
        postgis: Number(rows[0]?.d),
        tolerance: POINT_TOLERANCE_M + parting(ra.decl.geometry) + parting(rb.decl.geometry),
        whole: ra.decl.schedule === undefined && rb.decl.schedule === undefined,
      });
    }
  });

  after(async () => {
    await client?.end().catch(() => undefined);
    await hub?.close();
    await store?.close();
    await db?.drop();
  });

  it('measures every conflict the scenario raised, of several rules and geometry types', (t) => {
    assert.match(postgisVersion, /^3\./, 'PostGIS 3 answers in the test database');
    // The scenario's story designs eight conflicts (scenarios/README.md); every one has a distance.
    assert.equal(pairs.length, conflicts, 'every conflict is measured');
    assert.ok(pairs.length >= 8, `the scenario raised ${pairs.length} conflicts with a distance`);
    const rules = new Set(pairs.map((p) => p.conflict.rule));
    assert.ok(rules.size >= 4, `rules seen: ${[...rules].join(', ')}`);
    const types = new Set<string>(pairs.flatMap((p) => [p.a.geometry.type, p.b.geometry.type]));
    for (const type of ['Point', 'LineString', 'Polygon'])
      assert.ok(types.has(type), `a ${type} is measured`);
    for (const p of pairs) {
      assert.ok(Number.isFinite(p.postgis) && p.postgis >= 0, `${p.conflict.id}: ${p.postgis}`);
      t.diagnostic(
        `${p.conflict.rule} ${p.a.geometry.type}–${p.b.geometry.type}: engine ${p.conflict.distance_m.toFixed(4)} m,` +
          ` PostGIS ${p.postgis.toFixed(4)} m, tolerance ${p.tolerance.toFixed(4)} m${p.whole ? '' : ' (scheduled)'}`,
      );
    }
  });

  it('agrees point to point to well under a metre', () => {
    const points = pairs.filter((p) => p.a.geometry.type === 'Point' && p.b.geometry.type === 'Point');
    assert.ok(points.length > 0, 'the scenario has point–point conflicts');
    for (const p of points) {
      const diff = Math.abs(p.postgis - p.conflict.distance_m);
      assert.ok(
        diff < POINT_TOLERANCE_M,
        `${p.conflict.rule} ${p.a.id}–${p.b.id}: engine ${p.conflict.distance_m} m, PostGIS ${p.postgis} m`,
      );
    }
  });

  it('agrees with lines and polygons within what great circles and geodesics can part', () => {
    const shapes = pairs.filter(
      (p) => p.whole && (p.a.geometry.type !== 'Point' || p.b.geometry.type !== 'Point'),
    );
    assert.ok(shapes.length > 0, 'the scenario has conflicts with a line or a polygon');
    for (const p of shapes) {
      const diff = Math.abs(p.postgis - p.conflict.distance_m);
      assert.ok(
        diff <= p.tolerance,
        `${p.conflict.rule} ${p.a.id}–${p.b.id}: engine ${p.conflict.distance_m} m, PostGIS ${p.postgis} m,` +
          ` tolerance ${p.tolerance.toFixed(3)} m (longest edges ${longestEdge(p.a.geometry).toFixed(0)} m,` +
          ` ${longestEdge(p.b.geometry).toFixed(0)} m)`,
      );
    }
  });

  it('never finds a scheduled movement nearer than PostGIS allows for its whole route', () => {
    // The engine measures only the part covered during the overlap: never less than the whole.
    for (const p of pairs.filter((x) => !x.whole)) {
      assert.ok(
        p.postgis <= p.conflict.distance_m + p.tolerance,
        `${p.conflict.rule} ${p.a.id}–${p.b.id}: engine ${p.conflict.distance_m} m, PostGIS ${p.postgis} m`,
      );
    }
  });

  it('puts every reported pair within its threshold by PostGIS too', () => {
    for (const p of pairs) {
      const limit = threshold(p.conflict, p.a, p.b);
      assert.ok(p.conflict.distance_m <= limit + 1e-3, `${p.conflict.id}: the engine's own threshold`);
      assert.ok(
        p.postgis <= limit + p.tolerance,
        `${p.conflict.rule} ${p.a.id}–${p.b.id}: PostGIS ${p.postgis} m beyond the threshold ${limit} m` +
          ` (tolerance ${p.tolerance.toFixed(3)} m)`,
      );
    }
  });
});
