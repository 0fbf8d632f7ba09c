/**
 * Blind matching never misses what the clear-text engine finds (src/blind): whenever
 * `evaluatePair` reports a conflict between two declarations, `blindRule` gives the same rule and
 * severity, and their covers — each geometry widened by its `blindReach` in H3 cells, × the
 * slots of its window at the slot length of one side (the sealed one; both are tried) — share a
 * (cell, slot). On random pairs of every pair of kinds, on every rule fixture
 * (test/fixtures/rules/in) and on the demo theatre (scenarios/river-line.geojson).
 *
 * And the over-report, measured: for pairs that match blindly (shared (cell, slot), a rule, windows
 * that overlap) but that the engine clears, the distance between the geometries exceeds the sum
 * of the reaches by at most twice the largest R_c of the shared cells. Over the engine's own
 * threshold that is 2 R_c, plus half the air separation when an air operation meets a
 * declaration that is not one (an air operation covers by the reach an `air_air` check needs).
 *
 * Also the time slots of src/blind/params.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { coverCells, maxCellRadius } from '../src/blind/cover.ts';
import {
  coarseWindow,
  DEFAULT_RESOLUTION,
  MAX_SLOTS,
  parseTokenInput,
  SLOT_LADDER_MS,
  slotLengthFor,
  slotsOf,
  tokenInput,
} from '../src/blind/params.ts';
import { type BlindSide, blindReach, blindRule } from '../src/blind/rules.ts';
import { GEOMETRIES_BY_KIND } from '../src/engine/declaration.ts';
import { DISTANCE_TOLERANCE_M, shapeDistance } from '../src/engine/geodesy/distance.ts';
import { direct } from '../src/engine/geodesy/wgs84.ts';
import { parseDeclarations } from '../src/engine/index.ts';
import { evaluatePair, overlap, type Prepared, ruleForKinds } from '../src/engine/rules.ts';
import { prepare } from '../src/engine/stindex.ts';
import {
  type AltitudeBand,
  DEFAULT_OPTIONS,
  type Declaration,
  type Geometry,
  KINDS,
  type Kind,
  type Position,
  SITE_CATEGORIES,
} from '../src/engine/types.ts';
import { DAY, HOUR, MIN } from './support/time.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const OPTS = DEFAULT_OPTIONS;
/** Covers in these tests stop here; a declaration too large for it is covered at a coarser resolution. */
const TEST_MAX_CELLS = 20_000;
/** Open-ended windows are capped at the other's end, or 30 days after the later start. */
const OPEN_CAP_MS = 30 * DAY;

// ---------------------------------------------------------------------------------------------
// The blind side of a pair, and its check.

function sideOf(d: Declaration): BlindSide {
  return {
    kind: d.kind,
    party: d.party,
    ...(d.category !== undefined && { category: d.category }),
    ...(d.applies_to !== undefined && { applies_to: d.applies_to }),
    ...(d.ground_only !== undefined && { ground_only: d.ground_only }),
  };
}

/** The window the cover uses: an open end capped at the other's end, or 30 days after the later start. */
function capped(d: Declaration, other: Declaration): { start: number; end: number } {
  if (d.end !== null) return { start: d.start, end: d.end };
  const cap = other.end ?? Math.max(d.start, other.start) + OPEN_CAP_MS;
  return { start: d.start, end: Math.max(cap, d.start + 1) };
}

/** The engine's distance threshold for a pair under a rule (before the 1 mm allowance). */
function thresholdOf(a: Declaration, b: Declaration): number {
  const pr = ruleForKinds(a.kind, b.kind);
  return a.buffer_m + b.buffer_m + (pr?.rule === 'air_air' ? OPTS.horizontalSeparation_m : 0);
}

/** Covers per declaration and resolution, computed once. */
class Covers {
  private readonly cache = new Map<Declaration, Map<number, Set<string> | null>>();

  /** The cover at `res`, or null when it holds more than TEST_MAX_CELLS cells. */
  at(d: Declaration, res: number): Set<string> | null {
    let byRes = this.cache.get(d);
    if (byRes === undefined) {
      byRes = new Map();
      this.cache.set(d, byRes);
    }
    if (!byRes.has(res)) {
      try {
        byRes.set(res, new Set(coverCells(d.geometry, blindReach(d, OPTS), res, TEST_MAX_CELLS)));
      } catch (e) {
        if (!(e instanceof RangeError && /too large/.test(e.message))) throw e;
        byRes.set(res, null);
      }
    }
    return byRes.get(res) as Set<string> | null;
  }

  /** Both covers at the finest resolution from `res` down to 3 at which both fit. */
  pair(a: Declaration, b: Declaration, res: number): { res: number; ca: Set<string>; cb: Set<string> } {
    for (let r = res; r >= 3; r--) {
      const ca = this.at(a, r);
      const cb = ca === null ? null : this.at(b, r);
      if (ca !== null && cb !== null) return { res: r, ca, cb };
    }
    throw new Error(`no resolution covers ${a.id} and ${b.id} in ${TEST_MAX_CELLS} cells`);
  }
}

/** What the over-reports measured at one resolution. */
interface Excess {
  /** Largest (geometry distance − engine threshold), pairs with no air operation or two. */
  same: number;
  /** The same, for an air operation with a declaration of another kind. */
  airMixed: number;
  /** Largest (geometry distance − sum of reaches), any pair. */
  overReach: number;
  /** Largest R_c of a shared cell of a blind match. */
  maxRc: number;
}

/** What the checks saw, for the report. */
interface Tally {
  pairs: number;
  conflicts: number;
  blindMatches: number;
  overReports: number;
  /** Engine conflicts between scheduled movements at a lower bound, the routes being farther apart. */
  boundOnly: number;
  byRes: Map<number, Excess>;
  coarser: number;
}

const newTally = (): Tally => ({
  pairs: 0,
  conflicts: 0,
  blindMatches: 0,
  overReports: 0,
  boundOnly: 0,
  byRes: new Map(),
  coarser: 0,
});

function excessAt(t: Tally, res: number): Excess {
  let e = t.byRes.get(res);
  if (e === undefined) {
    const none = Number.NEGATIVE_INFINITY;
    e = { same: none, airMixed: none, overReach: none, maxRc: 0 };
    t.byRes.set(res, e);
  }
  return e;
}

function report(name: string, t: Tally): void {
  const f = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} m` : 'none');
  console.log(
    `${name}: ${t.pairs} pairs, ${t.conflicts} engine conflicts (all matched blindly), ${t.blindMatches} ` +
      `blind matches, ${t.overReports} over-reports (rule and windows fit, the engine clears)` +
      (t.boundOnly > 0
        ? `; ${t.boundOnly} of the engine's conflicts are 4D lower bounds between routes farther apart than the threshold (no proximity: not required of the covers)`
        : '') +
      (t.coarser > 0
        ? `; ${t.coarser} pairs covered at a coarser resolution (too many cells at ${DEFAULT_RESOLUTION})`
        : ''),
  );
  for (const [res, e] of [...t.byRes].sort((x, y) => y[0] - x[0])) {
    console.log(
      `  resolution ${res}: largest R_c of a shared cell ${f(e.maxRc)} (2 R_c = ${f(2 * e.maxRc)}); largest ` +
        `excess of an over-report over the engine's threshold ${f(e.same)}, ${f(e.airMixed)} for an air ` +
        `operation with another kind; over the sum of reaches ${f(e.overReach)}`,
    );
  }
}

/**
 * The check on one pair: completeness when the engine reports a conflict, and the over-report
 * bound when it does not but the pair matches blindly.
 */
function checkPair(pa: Prepared, pb: Prepared, covers: Covers, res: number, tally: Tally): void {
  const a = pa.decl;
  const b = pb.decl;
  tally.pairs++;
  const conflict = evaluatePair(pa, pb, OPTS);
  const rule = blindRule(sideOf(a), sideOf(b));
  const what = `${a.id} (${a.kind}, ${a.party}) × ${b.id} (${b.kind}, ${b.party})`;
  if (conflict !== null) {
    tally.conflicts++;
    assert.ok(rule !== null, `${what}: the engine finds ${conflict.rule}, blindRule finds no rule`);
    assert.equal(rule.rule, conflict.rule, what);
    assert.equal(rule.severity, conflict.severity, what);
  }
  if (rule === null) return;
  const { res: used, ca, cb } = covers.pair(a, b, res);
  if (used !== res) tally.coarser++;
  const shared = [...ca].filter((c) => cb.has(c));
  // Both sides as the sealed one: the slot length is the sealed side's.
  const wa = capped(a, b);
  const wb = capped(b, a);
  let slotShared = true;
  for (const sealed of [wa, wb]) {
    const slotMs = slotLengthFor(sealed.start, sealed.end);
    const sa = new Set(slotsOf(wa.start, wa.end, slotMs));
    const common = slotsOf(wb.start, wb.end, slotMs).some((s) => sa.has(s));
    if (conflict !== null) {
      assert.ok(
        common,
        `${what}: ${conflict.rule} in ${JSON.stringify(conflict.window)}, but no shared slot of ${slotMs} ms`,
      );
    }
    slotShared &&= common;
  }
  // The engine's 4D search between two scheduled movements answers with a lower bound, not a
  // distance, when it stops at its 1 ms floor or its budget (over-reporting, by design). Such a
  // conflict is no proximity when even the whole routes are farther apart than the threshold
  // (the movements are always somewhere on their routes): no cover could hold it, and none need.
  let proximity = conflict !== null;
  if (conflict !== null && pa.track && pb.track) {
    const d = shapeDistance(pa.shape, pb.shape).d;
    if (d > thresholdOf(a, b) + DISTANCE_TOLERANCE_M) {
      proximity = false;
      tally.boundOnly++;
    }
  }
  if (conflict !== null && proximity) {
    assert.ok(
      shared.length > 0,
      `${what}: ${conflict.rule} at ${conflict.distance_m} m, but the covers (reaches ${blindReach(a, OPTS)} m, ` +
        `${blindReach(b, OPTS)} m, resolution ${used}) share no cell`,
    );
  }
  if (shared.length === 0 || !slotShared) return;
  tally.blindMatches++;
  const rc = maxCellRadius(shared);
  const ex = excessAt(tally, used);
  ex.maxRc = Math.max(ex.maxRc, rc);
  if (conflict !== null || overlap(a, b) === null) return;
  // An over-report: measure how far apart the geometries are, beyond the engine's threshold.
  tally.overReports++;
  const d = shapeDistance(pa.shape, pb.shape).d;
  const threshold = thresholdOf(a, b);
  const reaches = blindReach(a, OPTS) + blindReach(b, OPTS);
  const excess = d - threshold;
  const airMixed = (a.kind === 'air_operation') !== (b.kind === 'air_operation');
  if (airMixed) ex.airMixed = Math.max(ex.airMixed, excess);
  else ex.same = Math.max(ex.same, excess);
  ex.overReach = Math.max(ex.overReach, d - reaches);
  // Each shared cell's centre is within reach + R_c of each shape.
  assert.ok(
    excess <= 2 * rc + (reaches - threshold) + 1e-3,
    `${what}: ${d} m apart, threshold ${threshold} m, reaches ${reaches} m, largest shared R_c ${rc} m`,
  );
  if (!airMixed) assert.ok(excess <= 2 * rc + 2e-3, `${what}: excess ${excess} m over 2 R_c = ${2 * rc} m`);
}

// ---------------------------------------------------------------------------------------------
// Random pairs of declarations of given kinds, near each other.

const CENTRES: readonly Position[] = [
  [20.45, 44.8],
  [179.97, -16.5],
  [-179.98, 65.2],
  [12, 83.5],
];
const PARTIES = ['alpha', 'bravo', 'charlie'];
const T0 = Date.UTC(2026, 10, 23);
const SPREAD = 6000;

const arbAzi = fc.double({ min: 0, max: 360, noNaN: true });

function ring(c: Position, r: number, n: number, rot: number): Position[] {
  const out: Position[] = [];
  for (let i = 0; i < n; i++) out.push(direct(c, rot - (360 * i) / n, r));
  out.push(out[0] as Position);
  return out;
}

/** The geometry types the parser allows for each kind. */
const TYPES = GEOMETRIES_BY_KIND;

function arbGeometry(type: Geometry['type'], centre: Position): fc.Arbitrary<Geometry> {
  const near = fc
    .record({ azi: arbAzi, s: fc.double({ min: 0, max: SPREAD, noNaN: true }) })
    .map(({ azi, s }) => direct(centre, azi, s));
  const poly = fc
    .record({
      c: near,
      r: fc.double({ min: 50, max: 3000, noNaN: true }),
      n: fc.integer({ min: 3, max: 7 }),
      rot: arbAzi,
      hole: fc.boolean(),
    })
    .map((p) => ({
      ...p,
      rings: p.hole
        ? [ring(p.c, p.r, p.n, p.rot), ring(p.c, p.r / 3, 4, p.rot).reverse()]
        : [ring(p.c, p.r, p.n, p.rot)],
    }));
  switch (type) {
    case 'Point':
      return near.map((p): Geometry => ({ type: 'Point', coordinates: p }));
    case 'LineString':
      return fc
        .record({
          start: near,
          legs: fc.array(fc.record({ azi: arbAzi, len: fc.double({ min: 20, max: 4000, noNaN: true }) }), {
            minLength: 1,
            maxLength: 4,
          }),
        })
        .map(({ start, legs }): Geometry => {
          const coords: Position[] = [start];
          for (const l of legs) coords.push(direct(coords[coords.length - 1] as Position, l.azi, l.len));
          return { type: 'LineString', coordinates: coords };
        });
    case 'Polygon':
      return poly.map((p): Geometry => ({ type: 'Polygon', coordinates: p.rings }));
    case 'MultiPolygon':
      return fc
        .tuple(poly, fc.double({ min: 50, max: 1500, noNaN: true }), arbAzi)
        .map(([p, r2, azi]): Geometry => {
          const c2 = direct(p.c, azi, 2.5 * (p.r + r2));
          return { type: 'MultiPolygon', coordinates: [p.rings, [ring(c2, r2, 5, azi)]] };
        });
  }
}

const arbBand: fc.Arbitrary<AltitudeBand> = fc
  .record({
    lower: fc.integer({ min: 0, max: 60 }).map((x) => x * 100),
    height: fc.integer({ min: 0, max: 30 }).map((x) => x * 100),
    reference: fc.constantFrom('AMSL' as const, 'AMSL' as const, 'AGL' as const),
  })
  .map(({ lower, height, reference }) => ({ lower_m: lower, upper_m: lower + height, reference }));

/** A window: minutes to months long or open-ended, at any minute (and millisecond) of four days. */
const arbWindow = fc
  .record({
    startMin: fc.integer({ min: 0, max: 4 * 24 * 60 }),
    ms: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MIN - 1 })),
    length: fc.option(
      fc.oneof(
        fc.integer({ min: 1, max: 60 }).map((m) => m * MIN),
        fc.integer({ min: 1, max: 48 }).map((h) => h * HOUR),
        fc.integer({ min: 2, max: 400 }).map((d) => d * DAY),
      ),
      { freq: 4 },
    ),
  })
  .map(({ startMin, ms, length }) => {
    const start = T0 + startMin * MIN + ms;
    return { start, end: length === null ? null : start + length };
  });

function arbDecl(id: string, kind: Kind, centre: Position): fc.Arbitrary<Declaration> {
  return fc.constantFrom(...TYPES[kind]).chain((type) =>
    fc
      .record({
        geometry: arbGeometry(type, centre),
        party: fc.constantFrom(...PARTIES),
        window: arbWindow,
        buffer: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
        band: arbBand,
        hasBand: fc.boolean(),
        category: fc.constantFrom(...SITE_CATEGORIES),
        appliesTo: fc.option(fc.subarray(PARTIES, { minLength: 1 }), { freq: 3 }),
        groundOnly: fc.option(fc.boolean(), { freq: 2 }),
        scheduled: fc.boolean(),
        etas: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
      })
      .map((r): Declaration => {
        const { geometry } = r;
        let buffer = r.buffer;
        // A zone drawn as a line or a point needs a width.
        if (kind === 'restricted_zone' && (geometry.type === 'Point' || geometry.type === 'LineString')) {
          buffer = Math.max(1, buffer);
        }
        const d: Declaration = {
          id,
          kind,
          party: r.party,
          geometry,
          start: r.window.start,
          end: r.window.end,
          buffer_m: buffer,
          visibility: 'all',
        };
        const extra: Partial<Record<keyof Declaration, unknown>> = {};
        if (kind === 'air_operation' || (r.hasBand && (kind === 'strike' || kind === 'restricted_zone'))) {
          extra.altitude = r.band;
        }
        if (kind === 'protected_site') extra.category = r.category;
        if (kind === 'restricted_zone' && r.appliesTo !== null) extra.applies_to = r.appliesTo;
        if (kind === 'area_of_responsibility' && r.groundOnly !== null) extra.ground_only = r.groundOnly;
        if (kind === 'movement' && r.scheduled && geometry.type === 'LineString') {
          // Strictly increasing ETAs inside the window (an open window: within 12 h of its start).
          const n = geometry.coordinates.length;
          const span = (d.end ?? d.start + 12 * HOUR) - d.start;
          const fr = r.etas.slice(0, n).sort((x, y) => x - y);
          const schedule = fr.map((f, i) => d.start + Math.floor(f * (span - n)) + i);
          extra.schedule = schedule;
        }
        return { ...d, ...extra } as Declaration;
      }),
  );
}

/** Every unordered pair of kinds, those with a rule first. */
const KIND_PAIRS: readonly [Kind, Kind][] = KINDS.flatMap((a, i) =>
  KINDS.slice(i).map((b): [Kind, Kind] => [a, b]),
).sort((x, y) => Number(ruleForKinds(...y) !== null) - Number(ruleForKinds(...x) !== null));

/**
 * A pair at its threshold: the first vertex of the second geometry exactly the engine's
 * threshold (or a little less) from the first vertex of the first, in any direction; different
 * parties, the same window, bands that meet. The hardest case for the covers: the point m that
 * both reach lies anywhere relative to the cells, at exactly each one's reach.
 */
function arbAtThreshold(ka: Kind, kb: Kind): fc.Arbitrary<[Declaration, Declaration, number]> {
  const shapeAt = (kind: Kind, anchor: Position, azi: number, len: number): Geometry => {
    switch (kind) {
      case 'protected_site':
      case 'strike':
        return { type: 'Point', coordinates: anchor };
      case 'movement':
      case 'air_operation':
        return { type: 'LineString', coordinates: [anchor, direct(anchor, azi, len)] };
      default:
        // A triangle with a vertex at the anchor.
        return {
          type: 'Polygon',
          coordinates: [[anchor, direct(anchor, azi, len), direct(anchor, azi + 75, len * 0.8), anchor]],
        };
    }
  };
  return fc
    .record({
      centre: fc.constantFrom(...CENTRES),
      offset: fc.record({ azi: arbAzi, s: fc.double({ min: 0, max: SPREAD, noNaN: true }) }),
      toward: arbAzi,
      frac: fc.oneof(fc.constant(1), fc.double({ min: 0.9, max: 1, noNaN: true })),
      bufA: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
      bufB: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
      aziA: arbAzi,
      aziB: arbAzi,
      lenA: fc.double({ min: 100, max: 3000, noNaN: true }),
      lenB: fc.double({ min: 100, max: 3000, noNaN: true }),
      res: fc.constantFrom(DEFAULT_RESOLUTION, DEFAULT_RESOLUTION, 7, 9),
    })
    .map((r): [Declaration, Declaration, number] => {
      // Zones drawn as points or lines need a width; keep them polygons here.
      const base = (id: string, kind: Kind, party: string, buffer: number, g: Geometry): Declaration =>
        ({
          id,
          kind,
          party,
          geometry: g,
          start: T0,
          end: T0 + 6 * HOUR,
          buffer_m: buffer,
          visibility: 'all',
          ...(kind === 'air_operation' && { altitude: { lower_m: 1000, upper_m: 2000, reference: 'AMSL' } }),
          ...(kind === 'protected_site' && { category: 'medical' }),
        }) as Declaration;
      const a0 = direct(r.centre, r.offset.azi, r.offset.s);
      const sep = ruleForKinds(ka, kb)?.rule === 'air_air' ? OPTS.horizontalSeparation_m : 0;
      const b0 = direct(a0, r.toward, r.frac * (r.bufA + r.bufB + sep));
      const a = base('a', ka, 'alpha', r.bufA, shapeAt(ka, a0, r.aziA, r.lenA));
      const b = base('b', kb, 'bravo', r.bufB, shapeAt(kb, b0, r.aziB, r.lenB));
      return [a, b, r.res];
    });
}

// ---------------------------------------------------------------------------------------------

describe('blind: time slots', () => {
  const arbW = fc
    .record({
      start: fc.integer({ min: -1e12, max: 4e12 }),
      len: fc.oneof(fc.integer({ min: 1, max: 10 * DAY }), fc.integer({ min: 1, max: 366 * DAY })),
    })
    .map(({ start, len }) => ({ start, end: start + len }));

  it('chooses the first slot length of the ladder that covers a window in at most 12 slots', () => {
    fc.assert(
      fc.property(arbW, ({ start, end }) => {
        const slotMs = slotLengthFor(start, end);
        const i = SLOT_LADDER_MS.indexOf(slotMs);
        assert.ok(i >= 0);
        const n = slotsOf(start, end, slotMs).length;
        if (i < SLOT_LADDER_MS.length - 1) assert.ok(n <= MAX_SLOTS);
        else assert.ok(n <= Math.ceil((366 * DAY) / slotMs) + 1);
        if (i > 0) assert.ok(slotsOf(start, end, SLOT_LADDER_MS[i - 1] as number).length > MAX_SLOTS);
      }),
      { numRuns: RUNS * 4 },
    );
    assert.equal(slotLengthFor(T0, T0 + 12 * HOUR), HOUR);
    assert.equal(slotLengthFor(T0 + 1, T0 + 12 * HOUR), HOUR);
    assert.equal(slotLengthFor(T0 + 1, T0 + 12 * HOUR + 1), 6 * HOUR);
    assert.equal(slotLengthFor(T0, T0 + 366 * DAY), 28 * DAY);
  });

  it('lists every slot that meets the window, on the grid, and rounds the window out to them', () => {
    fc.assert(
      fc.property(arbW, fc.constantFrom(...SLOT_LADDER_MS), ({ start, end }, slotMs) => {
        const slots = slotsOf(start, end, slotMs);
        assert.ok(slots.length >= 1);
        for (const s of slots) {
          assert.ok(s % slotMs === 0, `${s} is not on the grid`);
          assert.ok(s < end && s + slotMs > start, 'the slot meets the window');
        }
        for (let i = 1; i < slots.length; i++)
          assert.equal((slots[i] as number) - (slots[i - 1] as number), slotMs);
        const w = coarseWindow(start, end, slotMs);
        assert.equal(w.start, slots[0]);
        assert.equal(w.end, (slots[slots.length - 1] as number) + slotMs);
        assert.ok(w.start <= start && end <= w.end);
      }),
      { numRuns: RUNS * 4 },
    );
    assert.deepEqual(slotsOf(T0, T0, HOUR), []);
    assert.deepEqual(slotsOf(T0 - 1, T0 + 1, HOUR), [T0 - HOUR, T0]);
    assert.throws(() => slotsOf(0, 100_001 * HOUR, HOUR), RangeError);
    assert.equal(slotsOf(0, 100_000 * HOUR, HOUR).length, 100_000);
  });

  it('gives two overlapping windows a shared slot at any slot length', () => {
    fc.assert(
      fc.property(arbW, arbW, fc.constantFrom(...SLOT_LADDER_MS), (a, b, slotMs) => {
        const sb = new Set(slotsOf(b.start, b.end, slotMs));
        const shared = slotsOf(a.start, a.end, slotMs).filter((s) => sb.has(s));
        if (overlap(a, b) !== null) assert.ok(shared.length > 0);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('encodes a (cell, slot) as deconflict-blind-v1|cell|slotMs|slotStart and reads it back', () => {
    const bytes = tokenInput('881e1b28b5fffff', 1_795_392_000_000, HOUR);
    assert.equal(
      new TextDecoder().decode(bytes),
      `deconflict-blind-v1|881e1b28b5fffff|3600000|1795392000000`,
    );
    assert.deepEqual(parseTokenInput(bytes), {
      cell: '881e1b28b5fffff',
      slotStart: 1_795_392_000_000,
      slotMs: HOUR,
    });
    assert.deepEqual(parseTokenInput(tokenInput('881e1b28b5fffff', -HOUR, HOUR)), {
      cell: '881e1b28b5fffff',
      slotStart: -HOUR,
      slotMs: HOUR,
    });
    assert.throws(() => tokenInput('881e1b28b5fffff', 1, HOUR), RangeError);
    assert.throws(() => tokenInput('not a cell', 0, HOUR), RangeError);
    assert.throws(
      () => parseTokenInput(new TextEncoder().encode('deconflict-blind-v2|881e1b28b5fffff|1|0')),
      RangeError,
    );
  });
});

describe('blind: completeness against the engine', () => {
  it('matches every conflict of random pairs of every pair of kinds, and over-reports by at most 2 R_c', () => {
    const tally = newTally();
    const started = performance.now();
    for (const [ka, kb] of KIND_PAIRS) {
      const ruled = ruleForKinds(ka, kb) !== null;
      const arb = fc
        .record({
          centre: fc.constantFrom(...CENTRES),
          res: fc.constantFrom(DEFAULT_RESOLUTION, DEFAULT_RESOLUTION, DEFAULT_RESOLUTION, 7, 9),
        })
        .chain(({ centre, res }) =>
          fc.tuple(arbDecl('p', ka, centre), arbDecl('q', kb, centre), fc.constant(res)),
        );
      fc.assert(
        fc.property(arb, ([p, q, res]) => {
          const covers = new Covers();
          checkPair(prepare(p), prepare(q), covers, res, tally);
        }),
        { numRuns: ruled ? RUNS : 10 },
      );
    }
    report(`random pairs (${((performance.now() - started) / 1000).toFixed(1)} s)`, tally);
    assert.ok(tally.conflicts > 0 && tally.overReports > 0);
  });

  it('matches every conflict of pairs at exactly their threshold, for every rule', () => {
    const tally = newTally();
    const started = performance.now();
    for (const [ka, kb] of KIND_PAIRS) {
      if (ruleForKinds(ka, kb) === null) continue;
      fc.assert(
        fc.property(arbAtThreshold(ka, kb), ([a, b, res]) => {
          checkPair(prepare(a), prepare(b), new Covers(), res, tally);
        }),
        { numRuns: RUNS },
      );
    }
    report(`pairs at the threshold (${((performance.now() - started) / 1000).toFixed(1)} s)`, tally);
    // Two areas without buffers must overlap inside, so not every pair fires; most do.
    assert.ok(tally.conflicts > tally.pairs / 2, `${tally.conflicts} of ${tally.pairs}`);
  });

  it('matches every conflict of the rule fixtures and of the demo theatre', () => {
    const dir = fileURLToPath(new URL('./fixtures/rules/in/', import.meta.url));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.geojson'))
      .map((f) => dir + f);
    files.push(fileURLToPath(new URL('../scenarios/river-line.geojson', import.meta.url)));
    const tally = newTally();
    const started = performance.now();
    for (const file of files) {
      const decls = parseDeclarations(JSON.parse(readFileSync(file, 'utf8')));
      const prepared = decls.map(prepare);
      const covers = new Covers();
      for (let i = 0; i < prepared.length; i++) {
        for (let j = i + 1; j < prepared.length; j++) {
          const pa = prepared[i] as Prepared;
          const pb = prepared[j] as Prepared;
          checkPair(pa, pb, covers, DEFAULT_RESOLUTION, tally);
          checkPair(pb, pa, covers, DEFAULT_RESOLUTION, tally);
        }
      }
    }
    report(`${files.length} fixture files (${((performance.now() - started) / 1000).toFixed(1)} s)`, tally);
    assert.ok(tally.conflicts >= files.length);
  });
});
