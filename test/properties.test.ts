/**
 * Properties every rule and the index must have, on random declaration sets (fast-check):
 * symmetry, monotonicity in the buffer, invariance under a common shift in time, and the index
 * finding exactly what trying every pair finds — also after adds and withdrawals. And the window
 * of a scheduled movement entering an area: it holds every instant the movement is there, and is
 * at most a millisecond wider at each end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkAllPairs, checkDeclarations } from '../src/engine/engine.ts';
import { DISTANCE_TOLERANCE_M, shapeDistanceWithin } from '../src/engine/geodesy/distance.ts';
import { toShape } from '../src/engine/geodesy/shape.ts';
import { evaluatePair, overlap } from '../src/engine/rules.ts';
import { ConflictIndex, compareConflicts, prepare } from '../src/engine/stindex.ts';
import { coveredShape, positionAt, type Track } from '../src/engine/track.ts';
import {
  type Conflict,
  DEFAULT_OPTIONS,
  type Declaration,
  type Geometry,
  type Position,
} from '../src/engine/types.ts';
import { arbDeclaration, CENTRES, direct, regularPolygon } from './support/arbitraries.ts';
import { HOUR, MIN } from './support/time.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

/**
 * What the shared arbitraries do not make, mixed in: restricted zones drawn as a line or a point
 * widened by a buffer (a road corridor, a circle), and areas of responsibility for the ground only.
 */
function varied(arb: fc.Arbitrary<Declaration>): fc.Arbitrary<Declaration> {
  return fc
    .tuple(arb, fc.constantFrom('polygon', 'line', 'point'), fc.boolean(), fc.integer({ min: 1, max: 3000 }))
    .map(([d, shape, groundOnly, width]): Declaration => {
      if (d.kind === 'area_of_responsibility' && groundOnly) return { ...d, ground_only: true };
      if (d.kind !== 'restricted_zone' || shape === 'polygon' || d.geometry.type !== 'Polygon') return d;
      const ring = d.geometry.coordinates[0] as readonly Position[];
      const geometry: Geometry =
        shape === 'point'
          ? { type: 'Point', coordinates: ring[0] as Position }
          : { type: 'LineString', coordinates: ring.slice(0, -1) };
      return { ...d, geometry, buffer_m: Math.max(d.buffer_m, width) };
    });
}

/** A random set of declarations in one theatre, with unique ids, of every shape. */
function arbDeclarationSet(maxSize: number): fc.Arbitrary<Declaration[]> {
  return fc
    .record({ centre: fc.constantFrom(...CENTRES), n: fc.integer({ min: 2, max: maxSize }) })
    .chain(({ centre, n }) =>
      fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          varied(arbDeclaration(`d${String(i).padStart(3, '0')}`, centre)),
        ),
      ),
    );
}

const arbPair = fc
  .constantFrom(...CENTRES)
  .chain((c) => fc.tuple(varied(arbDeclaration('p', c, 8000)), varied(arbDeclaration('q', c, 8000))));

/** True when window `outer` holds window `inner` (`end: null` is open-ended). */
function holds(outer: Conflict['window'], inner: Conflict['window']): boolean {
  if (inner.start < outer.start) return false;
  if (outer.end === null) return true;
  return inner.end !== null && inner.end <= outer.end;
}

const key = (c: Conflict) => `${c.rule} ${c.a} ${c.b}`;

describe('rules', () => {
  it('are symmetric: the pair (p, q) gives the same conflict as (q, p)', () => {
    fc.assert(
      fc.property(arbPair, ([p, q]) => {
        const pq = evaluatePair(prepare(p), prepare(q), DEFAULT_OPTIONS);
        const qp = evaluatePair(prepare(q), prepare(p), DEFAULT_OPTIONS);
        assert.equal(pq === null, qp === null);
        if (pq !== null && qp !== null) {
          assert.equal(key(pq), key(qp));
          assert.equal(pq.severity, qp.severity);
          assert.deepEqual(pq.window, qp.window);
          // Distances agree to the root search's tolerance.
          assert.ok(Math.abs(pq.distance_m - qp.distance_m) <= 0.002, `${pq.distance_m} vs ${qp.distance_m}`);
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('never lose a conflict when a buffer grows', () => {
    fc.assert(
      fc.property(arbPair, fc.integer({ min: 1, max: 5000 }), ([p, q], grow) => {
        const before = evaluatePair(prepare(p), prepare(q), DEFAULT_OPTIONS);
        const wider = { ...p, buffer_m: p.buffer_m + grow };
        const after = evaluatePair(prepare(wider), prepare(q), DEFAULT_OPTIONS);
        if (before !== null) {
          assert.ok(after !== null, `growing ${p.id}'s buffer by ${grow} m removed ${key(before)}`);
          assert.equal(after.rule, before.rule);
          assert.ok(after.distance_m <= before.distance_m + 0.002);
          // A wider movement is in the area for longer: its window never shrinks.
          assert.ok(holds(after.window, before.window), `${key(before)}: the window shrank`);
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('do not change when both windows (and schedules) shift by the same time', () => {
    fc.assert(
      fc.property(arbPair, fc.integer({ min: -1000, max: 1000 }), ([p, q], hours) => {
        const dt = hours * 3_600_000;
        const shift = (d: Declaration): Declaration => ({
          ...d,
          start: d.start + dt,
          end: d.end === null ? null : d.end + dt,
          ...(d.schedule && { schedule: d.schedule.map((t) => t + dt) }),
        });
        const before = evaluatePair(prepare(p), prepare(q), DEFAULT_OPTIONS);
        const after = evaluatePair(prepare(shift(p)), prepare(shift(q)), DEFAULT_OPTIONS);
        assert.equal(before === null, after === null);
        if (before !== null && after !== null) {
          assert.equal(key(after), key(before));
          assert.equal(after.window.start, before.window.start + dt);
          assert.equal(after.window.end, before.window.end === null ? null : before.window.end + dt);
          assert.ok(Math.abs(after.distance_m - before.distance_m) <= 0.002);
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

/**
 * A scheduled movement and an area it may enter (another party's area of responsibility, or a
 * restricted zone as a polygon, a corridor or a circle), close together so that most pairs
 * conflict, with windows that overlap in every way.
 */
const arbEntry = fc
  .record({
    centre: fc.constantFrom(...CENTRES),
    zone: fc.constantFrom('aor', 'polygon', 'line', 'point'),
    areaAzi: fc.double({ min: 0, max: 360, noNaN: true }),
    areaOffset: fc.double({ min: 0, max: 3000, noNaN: true }),
    radius: fc.double({ min: 300, max: 4000, noNaN: true }),
    sides: fc.integer({ min: 3, max: 7 }),
    areaBuffer: fc.integer({ min: 0, max: 500 }),
    legs: fc.array(
      fc.record({
        azi: fc.double({ min: 0, max: 360, noNaN: true }),
        len: fc.double({ min: 200, max: 8000, noNaN: true }),
        minutes: fc.integer({ min: 1, max: 240 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    routeAzi: fc.double({ min: 0, max: 360, noNaN: true }),
    routeOffset: fc.double({ min: 0, max: 8000, noNaN: true }),
    moveBuffer: fc.integer({ min: 0, max: 500 }),
    leadMin: fc.integer({ min: 0, max: 120 }),
    tailMin: fc.option(fc.integer({ min: 0, max: 120 }), { freq: 4 }),
    areaStartMin: fc.integer({ min: -600, max: 600 }),
    areaLengthMin: fc.option(fc.integer({ min: 1, max: 900 }), { freq: 3 }),
  })
  .map((r): [Declaration, Declaration] => {
    const t0 = Date.UTC(2026, 10, 23, 6);
    const start: Position = direct(r.centre, r.routeAzi, r.routeOffset);
    const route: Position[] = [start];
    const schedule: number[] = [t0 + r.leadMin * MIN];
    for (const leg of r.legs) {
      route.push(direct(route[route.length - 1] as Position, leg.azi, leg.len));
      schedule.push((schedule[schedule.length - 1] as number) + leg.minutes * MIN);
    }
    const last = schedule[schedule.length - 1] as number;
    const movement: Declaration = {
      id: 'move',
      kind: 'movement',
      party: 'alpha',
      geometry: { type: 'LineString', coordinates: route },
      start: t0,
      end: r.tailMin === null ? null : last + r.tailMin * MIN + 1,
      buffer_m: r.moveBuffer,
      schedule,
      visibility: 'all',
    };
    const c = direct(r.centre, r.areaAzi, r.areaOffset);
    const ring = regularPolygon(c, r.radius, r.sides);
    const geometry: Geometry =
      r.zone === 'point'
        ? { type: 'Point', coordinates: c }
        : r.zone === 'line'
          ? { type: 'LineString', coordinates: ring.slice(0, -1) }
          : { type: 'Polygon', coordinates: [ring] };
    const areaStart = t0 + r.areaStartMin * MIN;
    const area: Declaration = {
      id: 'area',
      kind: r.zone === 'aor' ? 'area_of_responsibility' : 'restricted_zone',
      party: 'bravo',
      geometry,
      start: areaStart,
      end: r.areaLengthMin === null ? null : areaStart + r.areaLengthMin * MIN,
      // A corridor or a circle has a width; a polygon may have none.
      buffer_m: r.zone === 'line' || r.zone === 'point' ? Math.max(1, r.areaBuffer) : r.areaBuffer,
      visibility: 'all',
    };
    return [movement, area];
  });

describe('a scheduled movement entering an area', () => {
  it('is in conflict over a window that holds every instant it is there, and no more than 1 ms beyond', () => {
    let fired = 0;
    let narrowed = 0;
    fc.assert(
      fc.property(
        arbEntry,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        ([m, area], samples) => {
          const pm = prepare(m);
          const pa = prepare(area);
          const c = evaluatePair(pm, pa, DEFAULT_OPTIONS);
          const whole = overlap(m, area);
          if (c === null) return;
          fired++;
          assert.ok(whole !== null);
          assert.ok(c.rule === 'incursion' || c.rule === 'restricted');
          assert.ok(holds(whole, c.window), 'the window leaves the overlap');
          assert.ok(c.window.end === null || c.window.start < c.window.end, 'empty window');
          if (c.window.start !== whole.start || c.window.end !== whole.end) narrowed++;
          const track = pm.track as Track;
          const shape = toShape(area.geometry);
          const threshold = m.buffer_m + area.buffer_m;
          const reaches = (a: number, b: number, limit: number) =>
            shapeDistanceWithin(coveredShape(track, a, b), shape, limit) !== null;
          // Never missed: outside the window, the movement is farther than the threshold.
          const lastEta = track.schedule[track.schedule.length - 1] as number;
          const horizon = whole.end ?? Math.max(whole.start, lastEta) + HOUR;
          for (const u of samples) {
            const t = Math.floor(whole.start + u * (horizon - whole.start));
            if (t >= horizon && whole.end !== null) continue;
            const inside = t >= c.window.start && (c.window.end === null || t < c.window.end);
            if (inside) continue;
            const here = toShape({ type: 'Point', coordinates: positionAt(track, t) });
            assert.equal(
              shapeDistanceWithin(here, shape, threshold),
              null,
              `at ${new Date(t).toISOString()}, outside the window ${JSON.stringify(c.window)}, the movement is within ${threshold} m`,
            );
          }
          // Tight: it is there within the first and the last millisecond of the window.
          const limit = threshold + DISTANCE_TOLERANCE_M;
          assert.ok(reaches(c.window.start, c.window.start + 1, limit), 'the window starts early');
          if (c.window.end !== null && c.window.end !== whole.end) {
            assert.ok(reaches(c.window.end - 1, c.window.end, limit), 'the window ends late');
          }
        },
      ),
      { numRuns: RUNS * 2 },
    );
    // The generator is built to exercise the search: most pairs fire, many over part of the overlap.
    assert.ok(fired >= RUNS / 4, `only ${fired} of ${RUNS * 2} pairs conflicted`);
    assert.ok(narrowed >= RUNS / 10, `only ${narrowed} windows were narrowed`);
  });
});

describe('the spatio-temporal index', () => {
  it('finds exactly what trying every pair finds', () => {
    fc.assert(
      fc.property(arbDeclarationSet(30), (decls) => {
        const viaIndex = checkDeclarations(decls).map(key);
        const brute = checkAllPairs(decls).map(key);
        assert.deepEqual(viaIndex, brute);
      }),
      { numRuns: RUNS },
    );
  });

  it('stays exact through adds and withdrawals', () => {
    fc.assert(
      fc.property(arbDeclarationSet(40), fc.array(fc.nat(), { maxLength: 20 }), (decls, removals) => {
        const [first, rest] = [decls.slice(0, decls.length >> 1), decls.slice(decls.length >> 1)];
        // Tiny compaction thresholds, so the tree is rebuilt (from its own boxes) along the way.
        const index = ConflictIndex.build(first, {}, { delta: 3, dead: 2 });
        for (const d of rest) {
          // What the hub does on a submission: check against the live set, then add.
          const live = [...index.declarations()];
          assert.deepEqual(
            index.check(d).map(key),
            checkAllPairs([...live, d])
              .filter((c) => c.a === d.id || c.b === d.id)
              .map(key),
          );
          index.add(d);
        }
        const gone = new Set<string>();
        for (const r of removals) {
          const d = decls[r % decls.length] as Declaration;
          assert.equal(index.withdraw(d.id), !gone.has(d.id));
          gone.add(d.id);
        }
        const remaining = decls.filter((d) => !gone.has(d.id));
        assert.equal(index.size, remaining.length);
        assert.deepEqual(index.allConflicts().map(key), checkAllPairs(remaining).map(key));
      }),
      { numRuns: RUNS },
    );
  });

  it('returns conflicts sorted by a, b, rule, with a < b', () => {
    fc.assert(
      fc.property(arbDeclarationSet(30), (decls) => {
        const cs = checkDeclarations(decls);
        assert.deepEqual([...cs].sort(compareConflicts), cs);
        for (const c of cs) assert.ok(c.a < c.b);
      }),
      { numRuns: RUNS / 3 },
    );
  });
});
