/**
 * Properties every rule and the index must have, on random declaration sets (fast-check):
 * symmetry, monotonicity in the buffer, invariance under a common shift in time, and the index
 * finding exactly what trying every pair finds — also after adds and withdrawals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkAllPairs, checkDeclarations } from '../src/engine/engine.ts';
import { evaluatePair } from '../src/engine/rules.ts';
import { ConflictIndex, compareConflicts, prepare } from '../src/engine/stindex.ts';
import { type Conflict, DEFAULT_OPTIONS, type Declaration } from '../src/engine/types.ts';
import { arbDeclaration, arbDeclarationSet, CENTRES } from './support/arbitraries.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

const arbPair = fc
  .constantFrom(...CENTRES)
  .chain((c) => fc.tuple(arbDeclaration('p', c, 8000), arbDeclaration('q', c, 8000)));

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
