/**
 * The H3 cover of a widened geometry (src/blind/cover.ts), on random geometries (points, lines,
 * small polygons with and without holes, MultiPolygons; in ordinary places, across the
 * antimeridian, above 80° N and around the pole), reaches 0–5 km and resolutions 7–9:
 * - every point within reach of the shape lies in a cell of the cover;
 * - every cell of the cover has its centre within reach + R_c of the shape;
 * - R_c bounds the distance from a cell's centre to any point of the cell;
 * - a Point with reach 0 is covered by its own cell; a cover too large is refused.
 * Reference distances are GeographicLib's (the engine's wgs84.ts and distance.ts), never H3's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cellToBoundary, cellToLatLng, getPentagons, latLngToCell } from 'h3-js';
import { cellRadius, coverCells, maxCellRadius } from '../src/blind/cover.ts';
import { pointInShape, shapeDistance } from '../src/engine/geodesy/distance.ts';
import { type Shape, toShape } from '../src/engine/geodesy/shape.ts';
import { direct, distance, inverseLine, linePoint } from '../src/engine/geodesy/wgs84.ts';
import type { Geometry, Position } from '../src/engine/types.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

/** Mid-latitudes, both sides of the antimeridian, above 80° N, near the pole, the south. */
const CENTRES: readonly Position[] = [
  [20.45, 44.8],
  [179.995, -16.5],
  [-179.98, 65.2],
  [12, 83.5],
  [12, 88.6],
  [-70, -45],
];

/** A regular polygon's ring: n vertices at radius r around c (closed). */
function ring(c: Position, r: number, n: number, rot: number): Position[] {
  const out: Position[] = [];
  for (let i = 0; i < n; i++) out.push(direct(c, rot - (360 * i) / n, r));
  out.push(out[0] as Position);
  return out;
}

/** A random geometry, with what it takes to sample points of it. */
interface Case {
  readonly geometry: Geometry;
  /** Polygons: centre, circumradius, sides, and whether a hole (radius r/3) cuts the middle. */
  readonly polygons: readonly { c: Position; r: number; n: number; hole: boolean }[];
}

const arbAzi = fc.double({ min: 0, max: 360, noNaN: true });

function arbCase(centre: Position): fc.Arbitrary<Case> {
  const near = fc
    .record({ azi: arbAzi, s: fc.double({ min: 0, max: 3000, noNaN: true }) })
    .map(({ azi, s }) => direct(centre, azi, s));
  const poly = fc.record({
    c: near,
    r: fc.double({ min: 50, max: 3000, noNaN: true }),
    n: fc.integer({ min: 3, max: 7 }),
    rot: arbAzi,
    hole: fc.boolean(),
  });
  const rings = (p: { c: Position; r: number; n: number; rot: number; hole: boolean }): Position[][] =>
    p.hole
      ? [ring(p.c, p.r, p.n, p.rot), ring(p.c, p.r / 3, 4, p.rot).reverse()]
      : [ring(p.c, p.r, p.n, p.rot)];
  const point = near.map((p): Case => ({ geometry: { type: 'Point', coordinates: p }, polygons: [] }));
  const line = fc
    .record({
      start: near,
      legs: fc.array(fc.record({ azi: arbAzi, len: fc.double({ min: 20, max: 5000, noNaN: true }) }), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    .map(({ start, legs }): Case => {
      const coords: Position[] = [start];
      for (const l of legs) coords.push(direct(coords[coords.length - 1] as Position, l.azi, l.len));
      return { geometry: { type: 'LineString', coordinates: coords }, polygons: [] };
    });
  const polygon = poly.map(
    (p): Case => ({ geometry: { type: 'Polygon', coordinates: rings(p) }, polygons: [p] }),
  );
  const multi = fc.tuple(poly, poly, arbAzi).map(([p, q, azi]): Case => {
    // The second part well apart from the first.
    const q2 = { ...q, c: direct(p.c, azi, 2.5 * (p.r + q.r)) };
    return { geometry: { type: 'MultiPolygon', coordinates: [rings(p), rings(q2)] }, polygons: [p, q2] };
  });
  return fc.oneof(point, line, polygon, multi);
}

/** Fixed cases: a polygon across the antimeridian, one above 80° N, one around the north pole. */
const FIXED: readonly Case[] = [
  { c: [180, 0.5] as Position, r: 2000, n: 6 },
  { c: [-179.999, 70] as Position, r: 1500, n: 5 },
  { c: [30, 84] as Position, r: 3000, n: 5 },
  { c: [0, 90] as Position, r: 2500, n: 6 },
].map((p) => ({
  geometry: { type: 'Polygon', coordinates: [ring(p.c, p.r, p.n, 0)] },
  polygons: [{ ...p, hole: false }],
}));

const arbAnyCase = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...CENTRES).chain(arbCase) },
  { weight: 1, arbitrary: fc.constantFrom(...FIXED) },
);

/** One sample: which part, where along or inside it, then an offset (azimuth, fraction of reach). */
const arbSample = fc.record({
  pick: fc.nat(),
  where: fc.double({ min: 0, max: 1, noNaN: true }),
  inside: fc.boolean(),
  azi: arbAzi,
  frac: fc.oneof(fc.constant(1), fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
});

/** A point of the geometry: a point, a point of an edge, or a point inside a polygon (not a hole). */
function pointOn(k: Case, s: { pick: number; where: number; inside: boolean; azi: number }): Position {
  const g = k.geometry;
  if (g.type === 'Point') return g.coordinates;
  if (s.inside && k.polygons.length > 0) {
    const p = k.polygons[s.pick % k.polygons.length] as Case['polygons'][number];
    // The exterior's inscribed radius is at least r/2 (a triangle); the hole reaches r/3.
    const d = p.hole ? p.r * (0.34 + 0.15 * s.where) : p.r * 0.49 * s.where;
    return direct(p.c, s.azi, d);
  }
  const lines: (readonly Position[])[] =
    g.type === 'LineString'
      ? [g.coordinates]
      : g.type === 'Polygon'
        ? [...g.coordinates]
        : g.coordinates.flat();
  const coords = lines[s.pick % lines.length] as readonly Position[];
  const i = s.pick % (coords.length - 1);
  const line = inverseLine(coords[i] as Position, coords[i + 1] as Position);
  return linePoint(line, s.where * line.s13).pos;
}

const pointShape = (p: Position): Shape => toShape({ type: 'Point', coordinates: p });
const centreOf = (cell: string): Position => {
  const [lat, lng] = cellToLatLng(cell);
  return [lng, lat];
};

describe('blind: the H3 cover of a widened geometry', () => {
  it('holds the cell of every point within reach of the shape', () => {
    let points = 0;
    fc.assert(
      fc.property(
        arbAnyCase,
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5000, noNaN: true })),
        fc.integer({ min: 7, max: 9 }),
        fc.array(arbSample, { minLength: 10, maxLength: 40 }),
        (k, reach, res, samples) => {
          const cover = new Set(coverCells(k.geometry, reach, res));
          for (const s of samples) {
            const on = pointOn(k, s);
            const p = direct(on, s.azi, s.frac * reach);
            points++;
            const cell = latLngToCell(p[1], p[0], res);
            assert.ok(
              cover.has(cell),
              `${cell} (point ${p}, ${s.frac * reach} m from ${on}) is not in the cover of ` +
                `${JSON.stringify(k.geometry)} widened by ${reach} m at resolution ${res}`,
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
    assert.ok(points > RUNS * 10);
  });

  it('holds only cells whose centre is within reach + R_c of the shape (GeographicLib distance)', () => {
    let worst = Number.NEGATIVE_INFINITY;
    fc.assert(
      fc.property(
        arbAnyCase,
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.integer({ min: 7, max: 9 }),
        (k, reach, res) => {
          const shape = toShape(k.geometry);
          for (const cell of coverCells(k.geometry, reach, res)) {
            const d = shapeDistance(pointShape(centreOf(cell)), shape).d;
            const rc = cellRadius(cell);
            worst = Math.max(worst, d - reach - rc);
            assert.ok(d <= reach + rc, `${cell}: centre ${d} m from the shape, reach ${reach} + R_c ${rc}`);
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
    console.log(`cover: largest (centre distance − reach − R_c) seen: ${worst.toFixed(1)} m (≤ 0 required)`);
  });

  it('bounds every point of a cell by R_c from its centre (pentagons, poles and the antimeridian too)', () => {
    // Relative to the farthest vertex: the argument says below 1.01; R_c allows 1.02 (+ 1 m).
    let worstRatio = 0;
    const pentagons = [7, 8, 9].flatMap((r) => getPentagons(r).map((c) => [r, c] as const));
    const arbPlace = fc.oneof(
      fc.record({
        lon: fc.double({ min: -180, max: 180, noNaN: true }),
        z: fc.double({ min: -1, max: 1, noNaN: true }),
      }),
      fc
        .record({
          pent: fc.constantFrom(...pentagons),
          azi: arbAzi,
          s: fc.double({ min: 0, max: 1500, noNaN: true }),
        })
        .map(({ pent, azi, s }) => {
          const p = direct(centreOf(pent[1]), azi, s);
          return { lon: p[0], z: Math.sin((p[1] * Math.PI) / 180) };
        }),
      fc
        .record({
          lon: fc.double({ min: -180, max: 180, noNaN: true }),
          lat: fc.double({ min: 80, max: 90, noNaN: true }),
        })
        .map(({ lon, lat }) => ({ lon, z: Math.sin((lat * Math.PI) / 180) })),
    );
    fc.assert(
      fc.property(arbPlace, fc.integer({ min: 3, max: 10 }), ({ lon, z }, res) => {
        const p: Position = [lon, (Math.asin(z) * 180) / Math.PI];
        const cell = latLngToCell(p[1], p[0], res);
        const d = distance(centreOf(cell), p);
        const rc = cellRadius(cell);
        worstRatio = Math.max(worstRatio, d / ((rc - 1) / 1.02));
        assert.ok(d <= rc, `${p} is ${d} m from the centre of its cell ${cell}, R_c ${rc}`);
      }),
      { numRuns: RUNS * 20 },
    );
    console.log(
      `cover: largest (point to centre) / (farthest vertex to centre) seen: ${worstRatio.toFixed(5)}`,
    );
  });

  it('bounds the points along the edges of a cell by 1.01 × its farthest vertex (what R_c builds on)', () => {
    // The farthest point of a cell from its centre is where the ellipsoid and H3's sphere differ
    // most: along the edges (great-circle arcs in latitude/longitude), sampled densely here.
    const unit = ([lat, lng]: readonly number[]): number[] => {
      const f = ((lat as number) * Math.PI) / 180;
      const l = ((lng as number) * Math.PI) / 180;
      return [Math.cos(f) * Math.cos(l), Math.cos(f) * Math.sin(l), Math.sin(f)];
    };
    const toPos = (v: readonly number[]): Position => {
      const [x, y, z] = v as [number, number, number];
      return [(Math.atan2(y, x) * 180) / Math.PI, (Math.atan2(z, Math.hypot(x, y)) * 180) / Math.PI];
    };
    let worst = 0;
    fc.assert(
      fc.property(
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.integer({ min: 5, max: 10 }),
        (lon, z, res) => {
          const cell = latLngToCell((Math.asin(z) * 180) / Math.PI, lon, res);
          const c = centreOf(cell);
          const boundary = cellToBoundary(cell);
          const far = Math.max(...boundary.map(([lat, lng]) => distance(c, [lng, lat])));
          for (let i = 0; i < boundary.length; i++) {
            const a = unit(boundary[i] as number[]);
            const b = unit(boundary[(i + 1) % boundary.length] as number[]);
            for (let k = 1; k < 16; k++) {
              const t = k / 16;
              const p = toPos(a.map((x, j) => (1 - t) * x + t * (b[j] as number)));
              const ratio = distance(c, p) / far;
              worst = Math.max(worst, ratio);
              assert.ok(ratio < 1.01, `${cell}: ${p} is ${ratio} × the farthest vertex from the centre`);
            }
          }
        },
      ),
      { numRuns: RUNS * 4 },
    );
    console.log(
      `cover: largest (edge point to centre) / (farthest vertex to centre) seen: ${worst.toFixed(5)}`,
    );
  });

  it('covers a Point with reach 0 by its own cell', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.double({ min: -90, max: 90, noNaN: true }),
        fc.integer({ min: 0, max: 15 }),
        (lon, lat, res) => {
          const cover = coverCells({ type: 'Point', coordinates: [lon, lat] }, 0, res);
          assert.ok(cover.includes(latLngToCell(lat, lon, res)));
          // Only the cell and cells within R_c of the point.
          for (const cell of cover) assert.ok(distance(centreOf(cell), [lon, lat]) <= cellRadius(cell));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('covers the inside of a polygon and not the inside of its hole', () => {
    const c: Position = [20.45, 44.8];
    const geometry: Geometry = {
      type: 'Polygon',
      coordinates: [ring(c, 6000, 6, 0), ring(c, 4000, 6, 0).reverse()],
    };
    const cover = new Set(coverCells(geometry, 0, 9));
    const shape = toShape(geometry);
    assert.ok(!pointInShape(c, shape));
    assert.ok(!cover.has(latLngToCell(c[1], c[0], 9)), 'the middle of the hole is not covered');
    const inside = direct(c, 30, 5000);
    assert.ok(cover.has(latLngToCell(inside[1], inside[0], 9)));
  });

  it('refuses a cover that is too large, and a reach or resolution that is not one', () => {
    const big: Geometry = { type: 'Polygon', coordinates: [ring([20.45, 44.8], 20_000, 6, 0)] };
    assert.throws(
      () => coverCells(big, 0, 9, 1000),
      (e: unknown) => e instanceof RangeError && /too large/.test(e.message),
    );
    assert.throws(() => coverCells({ type: 'Point', coordinates: [0, 0] }, 100_000, 9), RangeError);
    assert.throws(() => coverCells({ type: 'Point', coordinates: [0, 0] }, -1, 8), RangeError);
    assert.throws(() => coverCells({ type: 'Point', coordinates: [0, 0] }, Number.NaN, 8), RangeError);
    assert.throws(() => coverCells({ type: 'Point', coordinates: [0, 0] }, 0, 16), RangeError);
  });

  it('is fast enough at resolution 8: a point with 1 km of reach, a 100 km route with 500 m', () => {
    const p: Position = [20.45, 44.8];
    const route: Position[] = [p];
    // 100 km in 4 legs of 25 km, turning.
    for (const azi of [60, 80, 50, 70]) route.push(direct(route[route.length - 1] as Position, azi, 25_000));
    const straight: Position[] = [p, direct(p, 60, 100_000)];
    const cases: [string, Geometry, number][] = [
      ['point, 1 km reach', { type: 'Point', coordinates: p }, 1000],
      ['100 km route (4 legs), 500 m reach', { type: 'LineString', coordinates: route }, 500],
      ['100 km route (1 leg), 500 m reach', { type: 'LineString', coordinates: straight }, 500],
    ];
    for (const [name, g, reach] of cases) {
      let best = Number.POSITIVE_INFINITY;
      let cells: string[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        cells = coverCells(g, reach, 8);
        best = Math.min(best, performance.now() - t);
      }
      console.log(
        `cover: ${name}: ${cells.length} cells in ${best.toFixed(1)} ms (best of 3); largest R_c ${maxCellRadius(cells).toFixed(1)} m`,
      );
      assert.ok(best < 200, `${name}: ${best} ms`);
    }
  });
});
