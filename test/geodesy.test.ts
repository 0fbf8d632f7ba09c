/**
 * The geodesy against an independent reference: GeographicLib's distances between points,
 * minimized by brute force (dense sampling along each edge, then a golden-section search around
 * the best sample). Thousands of random cases, from metres to thousands of kilometres, at mid
 * latitudes, across the antimeridian and near the poles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import geographiclib from 'geographiclib-geodesic';
import { pointReachBoxes, reachBoxes } from '../src/engine/geodesy/bbox.ts';
import {
  DISTANCE_TOLERANCE_M,
  edgeEdge,
  pointEdge,
  pointInShape,
  ROOT_TOLERANCE_M,
  shapeDistance,
} from '../src/engine/geodesy/distance.ts';
import { type Edge, makeEdge, toShape } from '../src/engine/geodesy/shape.ts';
import type { Position } from '../src/engine/types.ts';
import { direct, geodesicDistance, regularPolygon } from './support/arbitraries.ts';

const G = geographiclib.Geodesic.WGS84;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

/** The point `s` metres along the edge, by GeographicLib's direct problem from its start. */
function along(e: Edge, s: number): Position {
  const r = G.Direct(e.a[1], e.a[0], e.azi1, s);
  return [r.lon2 as number, r.lat2 as number];
}

/** Reference: min over the edge of the distance to p, by sampling and golden-section refinement. */
function bruteMinAlong(len: number, f: (s: number) => number, samples = 400): number {
  let best = Number.POSITIVE_INFINITY;
  let bestI = 0;
  for (let i = 0; i <= samples; i++) {
    const d = f((len * i) / samples);
    if (d < best) {
      best = d;
      bestI = i;
    }
  }
  let lo = (len * Math.max(0, bestI - 1)) / samples;
  let hi = (len * Math.min(samples, bestI + 1)) / samples;
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 80 && hi - lo > 1e-6; k++) {
    const x1 = hi - phi * (hi - lo);
    const x2 = lo + phi * (hi - lo);
    if (f(x1) < f(x2)) hi = x2;
    else lo = x1;
  }
  return Math.min(best, f((lo + hi) / 2));
}

const arbLat = fc.double({ min: -89, max: 89, noNaN: true });
const arbLon = fc.double({ min: -180, max: 180, noNaN: true });
const arbPos = fc.tuple(arbLon, arbLat).map(([lon, lat]): Position => [lon, lat]);
/** Lengths from metres to thousands of kilometres, log-uniform. */
const arbLength = fc.double({ min: 0, max: 6.5, noNaN: true }).map((x) => 10 ** x);
const arbAzi = fc.double({ min: 0, max: 360, noNaN: true });

const arbEdge = fc
  .record({ a: arbPos, azi: arbAzi, len: arbLength })
  .map(({ a, azi, len }) => makeEdge(a, direct(a, azi, Math.max(1, len))));

describe('point to edge', () => {
  it('agrees with brute force over GeographicLib to 1 mm (metres to thousands of km)', () => {
    fc.assert(
      fc.property(
        arbEdge,
        fc.double({ min: 0, max: 1, noNaN: true }),
        arbAzi,
        arbLength,
        (e, t, azi, off) => {
          // A point near the edge: offset from a point along it, up to the edge's own scale.
          const p = direct(along(e, t * e.len), azi, Math.min(off, 2 * e.len + 10));
          const ours = pointEdge(p, e);
          const ref = bruteMinAlong(e.len, (s) => geodesicDistance(p, along(e, s)));
          // Ours is the distance to an actual point of the edge found to within the root search's
          // tolerance: never below the true minimum, above it by at most ROOT_TOLERANCE_M.
          assert.ok(ours.d <= ref + ROOT_TOLERANCE_M + 1e-6, `ours ${ours.d} > reference ${ref}`);
          assert.ok(ours.d >= ref - DISTANCE_TOLERANCE_M, `ours ${ours.d} < reference ${ref}`);
          // The foot is on the edge and at the distance reported.
          assert.ok(Math.abs(geodesicDistance(p, ours.foot) - ours.d) < 1e-6);
          assert.ok(pointEdge(ours.foot, e).d < 1e-3);
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });

  it('is exact at the antimeridian and near the poles', () => {
    const dateline = makeEdge([179.9, -16.5], [-179.9, -16.5]);
    const p: Position = [180, -16.49];
    assert.ok(pointEdge(p, dateline).d < geodesicDistance(p, [179.9, -16.5]) - 1000);
    const ref = bruteMinAlong(dateline.len, (s) => geodesicDistance(p, along(dateline, s)));
    assert.ok(Math.abs(pointEdge(p, dateline).d - ref) < 1e-3);
    const polar = makeEdge([0, 89.5], [180 - 1e-3, 89.5]);
    assert.ok(polar.latHi > 89.99, 'an edge across the pole region bulges to the pole');
    const q: Position = [90, 89.99];
    const refPolar = bruteMinAlong(polar.len, (s) => geodesicDistance(q, along(polar, s)));
    assert.ok(Math.abs(pointEdge(q, polar).d - refPolar) < 1e-3);
  });
});

describe('edge to edge', () => {
  it('agrees with brute force over GeographicLib (and is 0 exactly when they cross)', () => {
    const arbNearPair = fc
      .record({
        e: arbEdge,
        t: fc.double({ min: 0, max: 1, noNaN: true }),
        azi: arbAzi,
        len: arbLength,
        off: arbLength,
      })
      .map(({ e, t, azi, len, off }) => {
        const start = direct(along(e, t * e.len), azi + 90, Math.min(off, e.len));
        return [e, makeEdge(start, direct(start, azi, Math.max(1, Math.min(len, 3e6))))] as const;
      });
    fc.assert(
      fc.property(arbNearPair, ([e, f]) => {
        const ours = edgeEdge(e, f);
        const distToF = (x: Position) => bruteMinAlong(f.len, (s) => geodesicDistance(x, along(f, s)), 60);
        const ref = bruteMinAlong(e.len, (s) => distToF(along(e, s)), 60);
        assert.ok(ours.d <= ref + 1e-3, `ours ${ours.d} > reference ${ref}`);
        assert.ok(ours.d >= ref - DISTANCE_TOLERANCE_M - 1e-3, `ours ${ours.d} < reference ${ref}`);
        assert.ok(Math.abs(geodesicDistance(ours.pa, ours.pb) - ours.d) < 1e-3);
      }),
      { numRuns: RUNS },
    );
  });

  it('finds a crossing of two long edges at 60° N', () => {
    const e = makeEdge([0, 60], [40, 60]);
    const f = makeEdge([20, 58], [20, 63]);
    const c = edgeEdge(e, f);
    assert.equal(c.d, 0);
    // The geodesic bulges north of the parallel: it crosses 20° E well above 60° N.
    assert.ok(c.pa[1] > 61.5 && Math.abs(c.pa[0] - 20) < 1e-6, `${c.pa}`);
  });
});

describe('points against GeographicLib', () => {
  it('shape distance between points is GeographicLib to 0.1 m', () => {
    fc.assert(
      fc.property(arbPos, arbAzi, arbLength, (p, azi, s) => {
        const q = direct(p, azi, s);
        const d = shapeDistance(
          toShape({ type: 'Point', coordinates: p }),
          toShape({ type: 'Point', coordinates: q }),
        ).d;
        assert.ok(Math.abs(d - s) < 0.1, `${d} vs ${s}`);
      }),
      { numRuns: RUNS * 20 },
    );
  });
});

describe('point in polygon', () => {
  const centres: Position[] = [
    [20, 45],
    [180, -16.5],
    [-179.999, 70],
    [0, 89.9],
    [-60, -89.5],
  ];
  it('classifies points by their distance from the centre of a regular polygon', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...centres),
        fc.double({ min: 100, max: 500_000, noNaN: true }),
        fc.integer({ min: 5, max: 12 }),
        arbAzi,
        fc.double({ min: 0, max: 3, noNaN: true }),
        (c, r, n, azi, k) => {
          const shape = toShape({ type: 'Polygon', coordinates: [regularPolygon(c, r, n)] });
          const p = direct(c, azi, k * r);
          // Inside the inscribed circle (with a 2 % margin for the ellipsoid) / outside the vertices' circle.
          if (k < Math.cos(Math.PI / n) * 0.98) assert.ok(pointInShape(p, shape), `inside at ${k}`);
          if (k > 1.02) assert.ok(!pointInShape(p, shape), `outside at ${k}`);
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });

  it('knows which pole a ring around a pole encloses, and honours holes', () => {
    const arctic = toShape({
      type: 'Polygon',
      coordinates: [
        [
          [0, 80],
          [90, 80],
          [180, 80],
          [-90, 80],
          [0, 80],
        ],
        [
          [0, 88],
          [-90, 88],
          [180, 88],
          [90, 88],
          [0, 88],
        ],
      ],
    });
    assert.ok(pointInShape([45, 85], arctic));
    assert.ok(!pointInShape([45, 89], arctic), 'in the hole');
    assert.ok(!pointInShape([45, 75], arctic));
    const antarctic = toShape({
      type: 'Polygon',
      coordinates: [
        [
          [0, -80],
          [-90, -80],
          [180, -80],
          [90, -80],
          [0, -80],
        ],
      ],
    });
    assert.ok(pointInShape([10, -85], antarctic));
    assert.ok(!pointInShape([10, -70], antarctic));
  });
});

describe('index boxes', () => {
  it('hold every point within reach of the shape (antimeridian and poles included)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Position>([20, 45], [179.99, 0], [-179.99, -60], [30, 89.8], [30, -89.8]),
        fc.double({ min: 10, max: 200_000, noNaN: true }),
        fc.integer({ min: 3, max: 8 }),
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        arbAzi,
        fc.integer({ min: 0, max: 7 }),
        (c, r, n, reach, azi, vertex) => {
          const ring = regularPolygon(c, r, n);
          const shape = toShape({ type: 'Polygon', coordinates: [ring] });
          const boxes = reachBoxes({ type: 'Polygon', coordinates: [ring] }, reach);
          // A point at exactly `reach` from a vertex, and one beside an edge's midpoint.
          const v = ring[vertex % n] as Position;
          const e = shape.edges[vertex % n] as Edge;
          for (const p of [direct(v, azi, reach), direct(along(e, e.len / 2), azi, reach)]) {
            const inside = boxes.some((b) => p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3]);
            assert.ok(inside, `${p} not in ${JSON.stringify(boxes)}`);
          }
          for (const b of boxes) assert.ok(b[0] >= -180 && b[2] <= 180 && b[0] <= b[2]);
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });

  it('widen a point at the antimeridian into two boxes, and near a pole to all longitudes', () => {
    assert.equal(pointReachBoxes([179.9999, 0], 1000).length, 2);
    const polar = pointReachBoxes([0, 89.999], 1000);
    assert.deepEqual([polar[0]?.[0], polar[0]?.[2]], [-180, 180]);
  });
});
