/**
 * The buffers the console draws (web/src/geo/buffers.ts), measured with GeographicLib directly:
 * distances by its inverse problem, a point's distance to a route minimized along each geodesic
 * edge by golden-section search, areas by its geodesic polygon. The console computes its
 * outlines through the engine's geodesy (src/engine/geodesy/wgs84.ts); nothing here does.
 *
 * What is asserted, and within what:
 * - a point's buffer: every vertex is `r` from the centre within 1 µm;
 * - a corridor's or a grown polygon's outline: every vertex is `r` from the geometry, never
 *   beyond it by more than 1e-6·r, never short of it by more than (1 − cos 0.5°)·r ≈ 4e-5·r
 *   (where a path bends by less than 1°, the outline has one vertex, on the bisector);
 * - between vertices, the geodesic midpoint of each outline segment is no nearer than
 *   r·cos 4° (a rounded corner is drawn in steps of at most 8°) and no farther than r by more
 *   than L²/8ρ² (a geodesic between two points of a curve parallel to a route bows away from it:
 *   1.25e-6·r for the longest segments, L = 20 km, ρ = 6,335 km the least radius of curvature):
 *   no gap, no spike;
 * - the area enclosed (GeographicLib's polygon area) is the geometry's area plus what Steiner's
 *   formula adds — perimeter·r + π·r² — within 0.5 % of the added part (the chords of the round
 *   parts cut at most 0.33 % of them);
 * - longitudes are continuous (no step of 10° or more; a latitude step under 1°), across the
 *   antimeridian too, where the outline leaves [-180, 180] so that MapLibre draws the short way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import geographiclib from 'geographiclib-geodesic';
import { bufferOf, circle } from '../web/src/geo/buffers.ts';
import { DENSIFY_STEP_M } from '../web/src/geo/path.ts';

type Pos = [number, number];

const G = geographiclib.Geodesic.WGS84;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
/** How far an outline vertex may lie beyond `r` (relative): rounding only. */
const BEYOND = 1e-6;
/** How far short of `r` an outline vertex may lie (relative): 1 − cos 0.5°. */
const SHORT = 1 - Math.cos((0.5 * Math.PI) / 180);
/** How far inside `r` the midpoint of an outline segment may lie: an 8° step of an arc. */
const CHORD = Math.cos((4 * Math.PI) / 180);
/** How far beyond `r` it may lie (relative): the bow of the longest chord drawn, L²/8ρ². */
const BOW = DENSIFY_STEP_M ** 2 / (8 * 6_335_439 ** 2);

/** GeographicLib's distance between two positions (m). */
function dist(a: Pos, b: Pos): number {
  return G.Inverse(a[1], a[0], b[1], b[0], geographiclib.Geodesic.DISTANCE).s12 as number;
}

/** The point `s` metres from p along azimuth `azi`, by GeographicLib's direct problem. */
function dest(p: Pos, azi: number, s: number): Pos {
  const r = G.Direct(p[1], p[0], azi, s);
  return [r.lon2 as number, r.lat2 as number];
}

/** The midpoint of the geodesic from a to b. */
function midpoint(a: Pos, b: Pos): Pos {
  const line = G.InverseLine(a[1], a[0], b[1], b[0]);
  const q = line.Position((line.s13 as number) / 2);
  return [q.lon2 as number, q.lat2 as number];
}

/**
 * The distance from p to the geodesic edge ab: golden-section search along the edge (the
 * distance is unimodal along edges this short), to 0.1 µm, and both ends.
 */
function toEdge(p: Pos, a: Pos, b: Pos): number {
  const line = G.InverseLine(a[1], a[0], b[1], b[0]);
  const len = line.s13 as number;
  const at = (s: number) => {
    const q = line.Position(s);
    return dist(p, [q.lon2 as number, q.lat2 as number]);
  };
  const phi = (Math.sqrt(5) - 1) / 2;
  let [lo, hi] = [0, len];
  let [x1, x2] = [hi - phi * len, lo + phi * len];
  let [f1, f2] = [at(x1), at(x2)];
  while (hi - lo > 1e-7) {
    if (f1 < f2) {
      [hi, x2, f2] = [x2, x1, f1];
      x1 = hi - phi * (hi - lo);
      f1 = at(x1);
    } else {
      [lo, x1, f1] = [x1, x2, f2];
      x2 = lo + phi * (hi - lo);
      f2 = at(x2);
    }
  }
  return Math.min(at(0), at(len), f1, f2);
}

/** The distance from p to a path of geodesic edges (an edge is skipped when it cannot be nearer). */
function toPath(p: Pos, path: readonly Pos[]): number {
  let best = path.length === 1 ? dist(p, path[0] as Pos) : Number.POSITIVE_INFINITY;
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1] as Pos;
    const b = path[i] as Pos;
    // Triangle inequality: no point of the edge is nearer than this.
    if (dist(p, a) - dist(a, b) > best) continue;
    best = Math.min(best, toEdge(p, a, b));
  }
  return best;
}

/** The area (m²) a ring encloses, by GeographicLib's geodesic polygon, whatever its orientation. */
function area(ring: readonly Pos[]): number {
  const poly = G.Polygon(false);
  for (const [lon, lat] of ring.slice(0, -1)) poly.AddPoint(lat, lon);
  return Math.abs(poly.Compute(false, true).area as number);
}

/** The length (m) of a path of geodesic edges. */
function length(path: readonly Pos[]): number {
  return path.slice(1).reduce((sum, b, i) => sum + dist(path[i] as Pos, b), 0);
}

/** Every vertex of the outline is `r` from the path, within the stated tolerances. */
function assertAtDistance(outline: readonly Pos[], path: readonly Pos[], r: number): void {
  for (const q of outline) {
    const d = toPath(q, path);
    assert.ok(d <= r * (1 + BEYOND) + 1e-9, `vertex ${q} is ${d} m from the geometry, beyond ${r} m`);
    assert.ok(d >= r * (1 - SHORT), `vertex ${q} is ${d} m from the geometry, short of ${r} m`);
  }
}

/** Between its vertices, the outline stays between r·cos 4° and r from the path. */
function assertNoGaps(outline: readonly Pos[], path: readonly Pos[], r: number): void {
  for (let i = 1; i < outline.length; i++) {
    const m = midpoint(outline[i - 1] as Pos, outline[i] as Pos);
    const d = toPath(m, path);
    assert.ok(d <= r * (1 + BEYOND + BOW), `segment ${i}: midpoint ${d} m from the path, beyond ${r} m`);
    assert.ok(d >= r * CHORD * (1 - SHORT), `segment ${i}: midpoint ${d} m from the path, short of ${r} m`);
  }
}

/** No step of 10° or more in longitude, or of 1° in latitude, between consecutive vertices. */
function assertContinuous(ring: readonly Pos[]): void {
  for (let i = 1; i < ring.length; i++) {
    const [a, b] = [ring[i - 1] as Pos, ring[i] as Pos];
    assert.ok(Math.abs(b[0] - a[0]) < 10 && Math.abs(b[1] - a[1]) < 1, `a jump from ${a} to ${b}`);
  }
}

/** The ring leaves [-180, 180]: it crosses the antimeridian, drawn the short way. */
function assertCrossesAntimeridian(ring: readonly Pos[]): void {
  assert.ok(
    ring.some((q) => Math.abs(q[0]) > 180),
    'the outline crosses the antimeridian',
  );
}

/** The ring ends where it starts. */
function assertClosed(ring: readonly Pos[]): void {
  assert.deepEqual(ring[ring.length - 1], ring[0], 'the ring is closed');
}

/** The area enclosed exceeds the geometry's by Steiner's perimeter·r + π·r², within 0.5 %. */
function assertSteiner(outline: readonly Pos[], inner: number, perimeter: number, r: number): void {
  const added = area(outline) - inner;
  const expected = perimeter * r + Math.PI * r * r;
  assert.ok(Math.abs(added / expected - 1) < 0.005, `added ${added} m², Steiner says ${expected} m²`);
}

/** A regular polygon's closed ring: `n` vertices `radius` metres from `c`, clockwise or not. */
function regular(c: Pos, n: number, radius: number, rotation: number, clockwise: boolean): Pos[] {
  const ring = Array.from({ length: n }, (_, i) =>
    dest(c, rotation + ((clockwise ? 1 : -1) * 360 * i) / n, radius),
  );
  return [...ring, ring[0] as Pos];
}

/** A route from `start`: each leg turns by the given angle from the last and runs its length. */
function route(start: Pos, heading: number, legs: readonly { turn: number; length: number }[]): Pos[] {
  const out: Pos[] = [start];
  let azi = heading;
  for (const leg of legs) {
    azi += leg.turn;
    const from = out[out.length - 1] as Pos;
    const r = G.Direct(from[1], from[0], azi, leg.length);
    out.push([r.lon2 as number, r.lat2 as number]);
    azi = r.azi2 as number;
  }
  return out;
}

const ARAD: Pos = [21.3035, 46.1532];
const AT_80N: Pos = [16.2, 80.1];
const FIJI: Pos = [179.9995, -16.8];

const arbLat = fc.double({ min: -85, max: 85, noNaN: true });
const arbLon = fc.double({ min: -180, max: 180, noNaN: true });
const arbPos = fc.tuple(arbLon, arbLat).map(([lon, lat]): Pos => [lon, lat]);
/** Log-uniform between 10^lo and 10^hi metres. */
const arbMetres = (lo: number, hi: number) =>
  fc.double({ min: lo, max: hi, noNaN: true }).map((x) => 10 ** x);

describe('a point’s buffer', () => {
  it('an 800 m buffer: every vertex 800 m from the centre, evenly round it, closed', () => {
    const ring = circle(ARAD, 800);
    assert.equal(ring.length, 73);
    assertClosed(ring);
    ring.slice(0, -1).forEach((q, i) => {
      const inv = G.Inverse(ARAD[1], ARAD[0], q[1], q[0]);
      assert.ok(Math.abs((inv.s12 as number) - 800) < 1e-6, `vertex ${i} is ${inv.s12} m away`);
      const azi = ((inv.azi1 as number) + 360) % 360;
      assert.ok(Math.abs(azi - i * 5) < 1e-6 || Math.abs(azi - i * 5) > 359.999999, `vertex ${i} at ${azi}°`);
    });
  });

  it('encloses π·r² within the 72-gon’s 0.13 %, at 80°N and across the antimeridian too', () => {
    for (const c of [ARAD, AT_80N, FIJI]) {
      const ring = circle(c, 5000);
      assertContinuous(ring);
      if (c === FIJI) assertCrossesAntimeridian(ring);
      const ratio = area(ring) / (Math.PI * 5000 ** 2);
      const inscribed = (72 / (2 * Math.PI)) * Math.sin((2 * Math.PI) / 72);
      assert.ok(Math.abs(ratio - inscribed) < 2e-4, `at ${c}: ${ratio} of π·r², a 72-gon has ${inscribed}`);
    }
  });

  it('property: every vertex r from the centre within 1 µm, 1 m to 200 km, anywhere but the poles', () => {
    fc.assert(
      fc.property(arbPos, arbMetres(0, 5.3), (c, r) => {
        const ring = bufferOf({ type: 'Point', coordinates: c }, r);
        assert.equal(ring.length, 1);
        for (const q of ring[0] as Pos[]) assert.ok(Math.abs(dist(c, q) - r) < 1e-6, `${dist(c, q)} ≠ ${r}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('no buffer for 0 m, or for a buffer that is not a number', () => {
    assert.deepEqual(bufferOf({ type: 'Point', coordinates: ARAD }, 0), []);
    assert.deepEqual(bufferOf({ type: 'Point', coordinates: ARAD }, Number.NaN), []);
  });
});

describe('a corridor', () => {
  /** A convoy route through Arad: bends both ways, one leg 60 km long (densified). */
  const ARAD_ROUTE = route(ARAD, 80, [
    { turn: 0, length: 4000 },
    { turn: 35, length: 2500 },
    { turn: -70, length: 3000 },
    { turn: 10, length: 60_000 },
  ]);

  for (const [where, path, r] of [
    ['through Arad', ARAD_ROUTE, 500],
    [
      'at 80°N',
      route(AT_80N, 60, [
        { turn: 0, length: 30_000 },
        { turn: -45, length: 20_000 },
        { turn: 90, length: 25_000 },
      ]),
      2000,
    ],
    [
      'across the antimeridian',
      route(FIJI, 260, [
        { turn: 0, length: 15_000 },
        { turn: 150, length: 30_000 },
        { turn: -30, length: 12_000 },
      ]),
      1000,
    ],
  ] as const) {
    it(`${where}: one outline, every vertex ${r} m from the route, no gap between them, continuous`, () => {
      const rings = bufferOf({ type: 'LineString', coordinates: path }, r);
      assert.equal(rings.length, 1, 'one outline');
      const ring = rings[0] as Pos[];
      assertClosed(ring);
      assertContinuous(ring);
      if (path[0] === FIJI) assertCrossesAntimeridian(ring);
      assertAtDistance(ring, path, r);
      assertNoGaps(ring, path, r);
    });
  }

  it('one straight leg: the area is 2·r·length + π·r² (a stadium), at 80°N and across the antimeridian too', () => {
    for (const start of [ARAD, AT_80N, FIJI]) {
      const path = route(start, 100, [{ turn: 0, length: 45_000 }]);
      const ring = bufferOf({ type: 'LineString', coordinates: path }, 1500)[0] as Pos[];
      // A segment is a polygon of no area whose perimeter, there and back, is twice its length.
      assertSteiner(ring, 0, 2 * length(path), 1500);
    }
  });

  it('a route that comes back near itself is drawn as overlapping stadiums, each r from its own edge', () => {
    const hairpin = route(ARAD, 0, [
      { turn: 0, length: 3000 },
      { turn: 90, length: 300 },
      { turn: 90, length: 3000 },
    ]);
    const rings = bufferOf({ type: 'LineString', coordinates: hairpin }, 400);
    assert.equal(rings.length, 3, 'one stadium per edge');
    rings.forEach((ring, i) => {
      assertClosed(ring);
      assertAtDistance(ring, hairpin.slice(i, i + 2), 400);
    });
  });

  it('property: random routes anywhere but the poles, every vertex of every piece within r of the route, one outline exactly at r', () => {
    const arbLeg = fc.record({
      turn: fc.double({ min: -150, max: 150, noNaN: true }),
      length: arbMetres(2.5, 4.5),
    });
    fc.assert(
      fc.property(
        arbPos,
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.array(arbLeg, { minLength: 1, maxLength: 5 }),
        arbMetres(1, 3.7),
        (start, heading, legs, r) => {
          const path = route(start, heading, legs);
          const rings = bufferOf({ type: 'LineString', coordinates: path }, r);
          assert.ok(rings.length >= 1);
          for (const ring of rings) {
            assertClosed(ring);
            assertContinuous(ring);
            for (const q of ring) assert.ok(toPath(q, path) <= r * (1 + BEYOND) + 1e-9, `${q} beyond ${r} m`);
          }
          if (rings.length === 1) assertAtDistance(rings[0] as Pos[], path, r);
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

describe('a polygon’s buffer', () => {
  /** An L-shaped area: five outer corners and one inner (a miter). */
  const L_SHAPE = route(ARAD, 90, [
    { turn: 0, length: 6000 },
    { turn: 90, length: 6000 },
    { turn: 90, length: 3000 },
    { turn: 90, length: 3000 },
    { turn: -90, length: 3000 },
  ]);
  L_SHAPE.push(L_SHAPE[0] as Pos);

  it('an L-shaped area grown by 400 m: every vertex 400 m from its boundary, no gap, whichever way round', () => {
    for (const ring of [L_SHAPE, [...L_SHAPE].reverse()]) {
      const rings = bufferOf({ type: 'Polygon', coordinates: [ring] }, 400);
      assert.equal(rings.length, 1, 'one outline');
      const outline = rings[0] as Pos[];
      assertClosed(outline);
      assertAtDistance(outline, ring, 400);
      assertNoGaps(outline, ring, 400);
      assert.ok(area(outline) > area(ring), 'grown outward, not inward');
    }
  });

  for (const [where, c] of [
    ['at Arad', ARAD],
    ['at 80°N', AT_80N],
    ['across the antimeridian', FIJI],
  ] as const) {
    it(`a hexagon ${where} grown by 2 km: every vertex 2 km from it, and the area Steiner’s formula gives`, () => {
      const hexagon = regular(c, 6, 20_000, 15, true);
      const outline = bufferOf({ type: 'Polygon', coordinates: [hexagon] }, 2000)[0] as Pos[];
      assertContinuous(outline);
      if (c === FIJI) assertCrossesAntimeridian(outline);
      assertAtDistance(outline, hexagon, 2000);
      assertSteiner(outline, area(hexagon), length(hexagon), 2000);
    });
  }

  it('a MultiPolygon: one outline per polygon', () => {
    const a = regular(ARAD, 4, 3000, 0, true);
    const b = regular([21.6, 46.3], 5, 3000, 0, false);
    const rings = bufferOf({ type: 'MultiPolygon', coordinates: [[a], [b]] }, 250);
    assert.equal(rings.length, 2);
    assertAtDistance(rings[0] as Pos[], a, 250);
    assertAtDistance(rings[1] as Pos[], b, 250);
  });

  it('property: convex polygons grown by r, either orientation: vertices at r, area by Steiner’s formula', () => {
    fc.assert(
      fc.property(
        arbPos,
        fc.integer({ min: 3, max: 12 }),
        arbMetres(3, 4.7),
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.boolean(),
        arbMetres(1, 3.5),
        (c, n, radius, rotation, clockwise, r) => {
          const ring = regular(c, n, radius, rotation, clockwise);
          const rings = bufferOf({ type: 'Polygon', coordinates: [ring] }, r);
          assert.equal(rings.length, 1, 'one outline');
          const outline = rings[0] as Pos[];
          assertContinuous(outline);
          assertAtDistance(outline, ring, r);
          assertSteiner(outline, area(ring), length(ring), r);
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
