/**
 * The spatio-temporal index's layout, each part against trying every pair (checkAllPairs): a box
 * per edge of long lines, windows straddling the sort's time buckets, open-ended windows, the
 * withdrawal of a declaration with many boxes, a tree built elsewhere and swapped in while
 * additions and withdrawals continue, the tree worker's tree against one built here, and an index
 * restored from its saved state (a restart's snapshot) against the index it was saved from and a
 * rebuild.
 *
 * Fixtures are GeoJSON features around Arad (the demo theatre, 46.1°N 21.3°E), parsed by the
 * engine's own parser, so each is a declaration a party could submit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDeclarations } from '../src/engine/declaration.ts';
import { checkAllPairs } from '../src/engine/engine.ts';
import {
  type MergeInput,
  mergeEntries,
  mergePackedTree,
  PackedTree,
  type TreeInput,
} from '../src/engine/packed-tree.ts';
import { MAX_RUNS } from '../src/engine/reach-entries.ts';
import { ConflictIndex, type IndexState, type TreeBuilder } from '../src/engine/stindex.ts';
import type { Conflict, Declaration, Position } from '../src/engine/types.ts';
import { TreeWorker } from '../src/hub/detect-pool.ts';
import { arbDeclaration, CENTRES, direct } from './support/arbitraries.ts';
import { HOUR, MIN } from './support/time.ts';

const ARAD: Position = [21.3, 46.1];
const DAY = 24 * HOUR;
/** A 6-hour bucket edge of the sort: 2026-11-23T06:00Z (epoch ms divisible by 6 h). */
const EDGE = Date.UTC(2026, 10, 23, 6);

const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

interface Spec {
  readonly id: string;
  readonly kind: Declaration['kind'];
  readonly party?: string;
  readonly start: number;
  readonly end?: number | null;
  readonly buffer_m?: number;
  readonly geometry:
    | { type: 'Point'; coordinates: Position }
    | { type: 'LineString'; coordinates: Position[] };
}

/** GeoJSON features, parsed as `deconflict check` parses a file. */
function declarations(specs: readonly Spec[]): Declaration[] {
  return parseDeclarations({
    type: 'FeatureCollection',
    features: specs.map((s) => ({
      type: 'Feature',
      geometry: s.geometry,
      properties: {
        id: s.id,
        kind: s.kind,
        party: s.party ?? (s.kind === 'protected_site' ? 'icrc' : 'coalition'),
        start: iso(s.start),
        ...(s.end !== undefined && s.end !== null && { end: iso(s.end) }),
        buffer_m: s.buffer_m ?? 100,
        ...(s.kind === 'protected_site' && { category: 'medical' }),
      },
    })),
  });
}

const point = (p: Position) => ({ type: 'Point' as const, coordinates: p });
const key = (c: Conflict): string => `${c.rule} ${c.a} ${c.b}`;

/** What trying every pair finds between `d` and `live`. */
function brute(live: readonly Declaration[], d: Declaration): string[] {
  return checkAllPairs([...live, d])
    .filter((c) => c.a === d.id || c.b === d.id)
    .map(key);
}

/** A route of `n` vertices heading east from Arad, 1 km apart. */
function route(n: number): Position[] {
  const out: Position[] = [ARAD];
  for (let i = 1; i < n; i++) out.push(direct(out[i - 1] as Position, 90 + (i % 2 === 0 ? 3 : -3), 1000));
  return out;
}

describe('the index: a box per edge of a line', () => {
  const coords = route(200);
  const far = coords[coords.length - 1] as Position;
  const mid = coords[100] as Position;
  const specs: Spec[] = [
    {
      id: 'convoy',
      kind: 'movement',
      start: EDGE,
      end: EDGE + 6 * HOUR,
      buffer_m: 50,
      geometry: { type: 'LineString', coordinates: coords },
    },
    // 300 m from the far end: a conflict (buffers 50 + 400 m).
    {
      id: 'near-end',
      kind: 'strike',
      start: EDGE + HOUR,
      end: EDGE + 2 * HOUR,
      buffer_m: 400,
      geometry: point(direct(far, 0, 300)),
    },
    // 3 km north of the middle: inside the route's one big box, far from every edge.
    {
      id: 'off-route',
      kind: 'strike',
      start: EDGE + HOUR,
      end: EDGE + 2 * HOUR,
      buffer_m: 400,
      geometry: point(direct(mid, 0, 3000)),
    },
  ];
  const [convoy, nearEnd, offRoute] = declarations(specs) as [Declaration, Declaration, Declaration];

  it('finds a conflict near the far end of a long route, stored or checked', () => {
    const stored = ConflictIndex.build([convoy]);
    assert.deepEqual(stored.check(nearEnd).map(key), brute([convoy], nearEnd));
    assert.deepEqual(stored.check(nearEnd).map(key), ['strike_movement convoy near-end']);
    const strikes = ConflictIndex.build([nearEnd, offRoute]);
    assert.deepEqual(strikes.check(convoy).map(key), brute([nearEnd, offRoute], convoy));
    assert.deepEqual(strikes.check(convoy).map(key), ['strike_movement convoy near-end']);
  });

  it('finds the same far-end conflict while the route is still in the delta', () => {
    const index = new ConflictIndex();
    index.add(convoy);
    assert.deepEqual(index.check(nearEnd).map(key), ['strike_movement convoy near-end']);
    assert.deepEqual(index.check(offRoute), []);
  });

  it('cuts a line of many edges into at most MAX_RUNS runs that still cover it', () => {
    const long = declarations([
      { ...specs[0], id: 'long', geometry: { type: 'LineString', coordinates: route(1000) } } as Spec,
    ])[0] as Declaration;
    const end = (long.geometry.coordinates as Position[])[999] as Position;
    const strikes = declarations(
      [0, 10, 500, 998, 999].map((i) => ({
        id: `s${i}`,
        kind: 'strike' as const,
        start: EDGE,
        end: EDGE + HOUR,
        buffer_m: 100,
        geometry: point(direct((long.geometry.coordinates as Position[])[i] as Position, 0, 120)),
      })),
    );
    strikes.push(
      ...declarations([
        {
          id: 'beyond',
          kind: 'strike',
          start: EDGE,
          end: EDGE + HOUR,
          buffer_m: 100,
          geometry: point(direct(end, 90, 900)),
        },
      ]),
    );
    const index = ConflictIndex.build([long]);
    for (const s of strikes) assert.deepEqual(index.check(s).map(key), brute([long], s), s.id);
    assert.equal(index.check(strikes[strikes.length - 1] as Declaration).length, 0);
    assert.ok(MAX_RUNS < 999);
  });
});

describe('the index: windows in time', () => {
  /**
   * Strikes on one hospital's doorstep whose windows start and end a few minutes either side of
   * the sort's bucket edges (6 h, 2 days, 16 days) and of each other, many more than a tree node
   * holds, so nodes of several buckets meet.
   */
  function straddling(): Declaration[] {
    const specs: Spec[] = [];
    const lengths = [
      30 * MIN,
      6 * HOUR,
      6 * HOUR + MIN,
      2 * DAY,
      2 * DAY + MIN,
      16 * DAY,
      16 * DAY + MIN,
      40 * DAY,
    ];
    let i = 0;
    for (const edge of [EDGE, EDGE + 2 * DAY, EDGE + 16 * DAY])
      for (const shift of [-7 * HOUR, -6 * HOUR, -MIN, 0, MIN, 6 * HOUR])
        for (const length of lengths) {
          const start = edge + shift;
          specs.push({
            id: `s${String(i++).padStart(3, '0')}`,
            kind: 'strike',
            party: i % 2 === 0 ? 'coalition' : 'northern-forces',
            start,
            end: start + length,
            buffer_m: 200,
            geometry: point(direct(ARAD, (i * 37) % 360, (i * 13) % 300)),
          });
        }
    specs.push({
      id: 'hospital',
      kind: 'protected_site',
      start: EDGE - 30 * DAY,
      end: null,
      buffer_m: 100,
      geometry: point(ARAD),
    });
    specs.push({
      id: 'clinic-closed',
      kind: 'protected_site',
      start: EDGE - 30 * DAY,
      end: EDGE,
      buffer_m: 100,
      geometry: point(direct(ARAD, 45, 150)),
    });
    return declarations(specs);
  }

  it('finds every pair whose windows overlap, across bucket edges, built whole or added one by one', () => {
    const decls = straddling();
    const whole = ConflictIndex.build(decls);
    assert.deepEqual(whole.allConflicts().map(key), checkAllPairs(decls).map(key));
    const one = new ConflictIndex({}, { delta: 5, dead: 3 });
    for (const d of decls) {
      assert.deepEqual(one.check(d).map(key), brute([...one.declarations()], d), d.id);
      one.add(d);
    }
    assert.ok(checkAllPairs(decls).length > 1000, 'the set is meant to be dense in conflicts');
  });

  it('meets a window that ends where another starts nowhere (half-open windows)', () => {
    const [a, b] = declarations([
      { id: 'a', kind: 'strike', start: EDGE - HOUR, end: EDGE, buffer_m: 200, geometry: point(ARAD) },
      {
        id: 'b',
        kind: 'strike',
        party: 'northern-forces',
        start: EDGE,
        end: EDGE + HOUR,
        buffer_m: 200,
        geometry: point(ARAD),
      },
    ]) as [Declaration, Declaration];
    assert.deepEqual(ConflictIndex.build([a]).check(b), []);
    assert.deepEqual(brute([a], b), []);
  });

  it('keeps open-ended windows: a strike years later still meets a site with no end', () => {
    const later = EDGE + 3 * 365 * DAY;
    const decls = declarations([
      {
        id: 'site',
        kind: 'protected_site',
        start: EDGE - DAY,
        end: null,
        buffer_m: 100,
        geometry: point(ARAD),
      },
      {
        id: 'zone',
        kind: 'restricted_zone',
        party: 'northern-forces',
        start: EDGE,
        end: null,
        buffer_m: 500,
        geometry: point(direct(ARAD, 90, 400)),
      },
      ...Array.from({ length: 40 }, (_, i) => ({
        id: `old${i}`,
        kind: 'strike' as const,
        start: EDGE + i * HOUR,
        end: EDGE + i * HOUR + 30 * MIN,
        buffer_m: 100,
        geometry: point(direct(ARAD, i * 9, 50)),
      })),
    ]);
    const [strike] = declarations([
      {
        id: 'late',
        kind: 'strike',
        start: later,
        end: later + HOUR,
        buffer_m: 100,
        geometry: point(direct(ARAD, 90, 100)),
      },
    ]) as [Declaration];
    const index = ConflictIndex.build(decls);
    const found = index.check(strike).map(key);
    assert.deepEqual(found, brute(decls, strike));
    assert.ok(found.some((k) => k.includes('site')) && found.some((k) => k.includes('zone')), found.join());
    assert.ok(!found.some((k) => k.includes('old')), found.join());
  });
});

describe('the index: withdrawals', () => {
  it('withdraws a declaration with many boxes from the tree and from the delta', () => {
    const coords = route(120);
    const strikes: Spec[] = coords
      .filter((_, i) => i % 10 === 5)
      .map((p, i) => ({
        id: `s${i}`,
        kind: 'strike',
        start: EDGE,
        end: EDGE + HOUR,
        buffer_m: 100,
        geometry: point(direct(p, 0, 80)),
      }));
    const decls = declarations([
      {
        id: 'convoy',
        kind: 'movement',
        start: EDGE,
        end: EDGE + 5 * HOUR,
        buffer_m: 50,
        geometry: { type: 'LineString', coordinates: coords },
      },
      {
        id: 'convoy-2',
        kind: 'movement',
        start: EDGE,
        end: EDGE + 5 * HOUR,
        buffer_m: 50,
        geometry: { type: 'LineString', coordinates: coords.slice(0, 40) },
      },
      ...strikes,
    ]);
    const probe = declarations([{ ...(strikes[11] as Spec), id: 'probe' }])[0] as Declaration;
    for (const where of ['tree', 'delta'] as const) {
      const index =
        where === 'tree'
          ? ConflictIndex.build(decls.slice(0, 2), {}, { delta: 2, dead: 1 })
          : new ConflictIndex();
      if (where === 'delta') index.addAll(decls.slice(0, 2));
      assert.deepEqual(index.check(probe).map(key), ['strike_movement convoy probe']);
      assert.equal(index.withdraw('convoy'), true);
      assert.deepEqual(index.check(probe), [], where);
      assert.equal(index.withdraw('convoy'), false);
      for (const d of decls.slice(2)) index.add(d);
      const rest = decls.filter((d) => d.id !== 'convoy');
      assert.deepEqual(index.allConflicts().map(key), checkAllPairs(rest).map(key), where);
      // Compacted away (two withdrawals pass `dead: 1`), the rest keep their conflicts.
      index.withdraw('convoy-2');
      assert.deepEqual(index.allConflicts().map(key), checkAllPairs(rest.slice(1)).map(key), where);
    }
  });
});

/** A builder that holds each build until the test lets it go. */
function heldBuilder(): { build: TreeBuilder; pending: (() => void)[]; fail: (() => void)[] } {
  const pending: (() => void)[] = [];
  const fail: (() => void)[] = [];
  const build: TreeBuilder = (input) =>
    new Promise((resolve, reject) => {
      pending.push(() => resolve(mergePackedTree(input)));
      fail.push(() => reject(new Error('builder failed')));
    });
  return { build, pending, fail };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Random declarations of every kind in one of the small theatres. */
const arbSet = (n: number): fc.Arbitrary<Declaration[]> =>
  fc
    .constantFrom(...CENTRES)
    .chain((c) =>
      fc.tuple(...Array.from({ length: n }, (_, i) => arbDeclaration(`d${String(i).padStart(3, '0')}`, c))),
    );

describe('the index: a tree built elsewhere', () => {
  it('loses nothing added or withdrawn while the new tree is being built', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbSet(40),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        async (decls, removals, swaps) => {
          const held = heldBuilder();
          const index = ConflictIndex.build(decls.slice(0, 8), {}, { delta: 3, dead: 1000 });
          index.buildWith(held.build);
          const live = new Map(decls.slice(0, 8).map((d) => [d.id, d]));
          let started = 0;
          for (const [i, d] of decls.slice(8).entries()) {
            assert.deepEqual(index.check(d).map(key), brute([...live.values()], d), `before adding ${d.id}`);
            index.add(d);
            live.set(d.id, d);
            const r = removals[i];
            if (r !== undefined) {
              const gone = decls[r % (8 + i)] as Declaration;
              assert.equal(index.withdraw(gone.id), live.delete(gone.id));
            }
            started = Math.max(started, held.pending.length);
            // Let some builds finish at random moments, others stay pending across more additions.
            if (swaps[i] === true) {
              for (const go of held.pending.splice(0)) go();
              await tick();
            }
            assert.deepEqual(index.allConflicts().map(key), checkAllPairs([...live.values()]).map(key));
          }
          for (const go of held.pending.splice(0)) go();
          await tick();
          assert.equal(index.size, live.size);
          assert.deepEqual(index.allConflicts().map(key), checkAllPairs([...live.values()]).map(key));
        },
      ),
      { numRuns: 40, endOnFailure: true },
    );
  });

  it('builds elsewhere only once at a time, and swaps the tree in when it arrives', async () => {
    const decls = declarations(
      Array.from({ length: 30 }, (_, i) => ({
        id: `s${String(i).padStart(2, '0')}`,
        kind: 'strike' as const,
        party: i % 2 ? 'coalition' : 'northern-forces',
        start: EDGE + (i % 5) * HOUR,
        end: EDGE + (i % 5) * HOUR + 2 * HOUR,
        buffer_m: 300,
        geometry: point(direct(ARAD, i * 12, i * 40)),
      })),
    );
    const held = heldBuilder();
    const index = new ConflictIndex({}, { delta: 4, dead: 1000 });
    index.buildWith(held.build);
    for (const d of decls.slice(0, 10)) index.add(d);
    assert.equal(held.pending.length, 1, 'one build, however far past the threshold');
    assert.equal(index.rebuilding, true);
    for (const d of decls.slice(10, 20)) index.add(d);
    assert.equal(held.pending.length, 1);
    (held.pending.shift() as () => void)();
    await tick();
    // The swap found the delta past its threshold again (additions during the build): a second build.
    assert.equal(held.pending.length, 1);
    assert.deepEqual(index.allConflicts().map(key), checkAllPairs(decls.slice(0, 20)).map(key));
    (held.pending.shift() as () => void)();
    await tick();
    assert.equal(index.rebuilding, false);
    for (const d of decls.slice(20)) assert.deepEqual(index.check(d).map(key), brute(decls.slice(0, 20), d));
  });

  it('rebuilds in place when the builder fails or the delta outgrows it, and drops the stale tree', async () => {
    const decls = declarations(
      Array.from({ length: 60 }, (_, i) => ({
        id: `s${String(i).padStart(2, '0')}`,
        kind: 'strike' as const,
        party: i % 2 ? 'coalition' : 'northern-forces',
        start: EDGE,
        end: EDGE + HOUR,
        buffer_m: 300,
        geometry: point(direct(ARAD, i * 6, i * 20)),
      })),
    );
    const held = heldBuilder();
    const index = new ConflictIndex({}, { delta: 2, dead: 1000 });
    index.buildWith(held.build);
    index.addAll(decls.slice(0, 3));
    assert.equal(index.rebuilding, true);
    // Past 8 × the threshold while the build is pending: rebuilt in place, the pending one is stale.
    index.addAll(decls.slice(3, 30));
    assert.equal(index.rebuilding, false);
    (held.pending.shift() as () => void)();
    await tick();
    assert.deepEqual(index.allConflicts().map(key), checkAllPairs(decls.slice(0, 30)).map(key));
    index.addAll(decls.slice(30, 33));
    assert.equal(index.rebuilding, true);
    (held.fail.pop() as () => void)();
    await tick();
    // A failed builder is dropped: from now on the index rebuilds in place.
    assert.equal(index.rebuilding, false);
    index.addAll(decls.slice(33));
    assert.equal(held.pending.length, 1, 'no build asked of the failed builder');
    assert.deepEqual(index.allConflicts().map(key), checkAllPairs(decls).map(key));
  });
});

describe('the tree worker', () => {
  it('builds byte for byte the tree built here, and the index answers the same with it', async () => {
    const trees = new TreeWorker();
    try {
      const decls = fc
        .sample(arbSet(60), { numRuns: 3, seed: 16 })
        .flatMap((set, k) => set.map((d) => ({ ...d, id: `${k}-${d.id}` })));
      // A tree of the first 30 merged with the entries of the next 30, a third of all withdrawn.
      const entriesOf = (ix: ConflictIndex): TreeInput =>
        (ix as unknown as { entries(): TreeInput }).entries();
      const base = ConflictIndex.build(decls.slice(0, 30));
      const added = entriesOf(ConflictIndex.build(decls.slice(30, 60)));
      const merge = (): MergeInput => ({
        base: (base as unknown as { tree: PackedTree }).tree.data,
        added: {
          items: added.items.slice(),
          kinds: added.kinds.slice(),
          ids: added.ids.map((id) => id + 30),
        },
        alive: Uint8Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 0 : 1)),
      });
      const there = await trees.build(merge());
      assert.deepEqual(new Uint8Array(there), new Uint8Array(mergePackedTree(merge())));
      const kept = mergeEntries(merge()).ids;
      assert.equal(PackedTree.from(there).numItems, kept.length);
      assert.ok(kept.length < entriesOf(base).ids.length + added.ids.length);
      assert.ok(kept.every((id) => id % 3 !== 0));

      const viaWorker = new ConflictIndex({}, { delta: 8, dead: 1000 });
      viaWorker.buildWith(trees.build);
      const inPlace = new ConflictIndex({}, { delta: 8, dead: 1000 });
      let swaps = 0;
      for (const d of decls) {
        assert.deepEqual(viaWorker.check(d), inPlace.check(d), d.id);
        viaWorker.add(d);
        inPlace.add(d);
        if (viaWorker.rebuilding) {
          while (viaWorker.rebuilding) await new Promise((r) => setTimeout(r, 5));
          swaps++;
        }
      }
      assert.ok(swaps >= 3, `only ${swaps} trees came from the worker`);
      assert.deepEqual(viaWorker.allConflicts(), inPlace.allConflicts());
    } finally {
      await trees.stop();
    }
  });
});

describe('the index restored from its state', () => {
  /** Four theatres of random declarations, ids distinct across them. */
  const sets = fc
    .sample(arbSet(60), { numRuns: 4, seed: 1606 })
    .map((set, k) => set.map((d) => ({ ...d, id: `${k}-${d.id}` })));
  const all = sets.flat();

  /** An index with a tree, a delta and withdrawn slots not yet compacted: the state a hub stops in. */
  function lived(): ConflictIndex {
    const ix = ConflictIndex.build(all.slice(0, 150), {}, { delta: 16, dead: 1000 });
    for (const d of all.slice(150, 160)) ix.add(d);
    for (const d of all.slice(0, 160).filter((_, i) => i % 7 === 3)) ix.withdraw(d.id);
    return ix;
  }

  /** A copy of a state, so that a case may damage it. */
  const copy = (s: IndexState): IndexState => {
    const tree = s.tree === null ? null : new SharedArrayBuffer(s.tree.byteLength);
    if (tree !== null && s.tree !== null) new Uint8Array(tree).set(new Uint8Array(s.tree));
    const { items, kinds, ids } = s.delta;
    return {
      ...s,
      slots: s.slots.slice(),
      tree,
      delta: { items: items.slice(), kinds: kinds.slice(), ids: ids.slice() },
    };
  };

  it('answers every check as the index it was saved from and as a rebuild, then lives on alike', () => {
    const source = lived();
    const state = source.state();
    assert.ok(state.tree !== null, 'a tree');
    assert.ok(state.delta.ids.length > 0, 'entries in the delta');
    assert.ok(state.slotCount > state.slots.length, 'withdrawn slots not yet compacted');
    const live = [...source.declarations()];
    const restored = ConflictIndex.restore(live, state, {}, { delta: 16, dead: 1000 });
    const rebuilt = ConflictIndex.build(live, {}, { delta: 16, dead: 1000 });
    assert.equal(restored.size, live.length);
    let found = 0;
    for (const d of all) {
      const want = rebuilt.check(d);
      found += want.length;
      assert.deepEqual(restored.check(d), want, d.id);
      assert.deepEqual(source.check(d), want, d.id);
    }
    assert.ok(found > 100, `the checks meet the set (${found} conflicts)`);
    // Additions (past a rebuild) and withdrawals go on from the restored state as from a rebuild.
    for (const d of all.slice(160)) {
      restored.add(d);
      rebuilt.add(d);
    }
    for (const d of all.filter((_, i) => i % 5 === 1)) {
      assert.equal(restored.withdraw(d.id), rebuilt.withdraw(d.id), d.id);
    }
    assert.deepEqual(restored.allConflicts(), rebuilt.allConflicts());
    const remaining = [...rebuilt.declarations()];
    assert.deepEqual(restored.allConflicts(), checkAllPairs(remaining));
  });

  it('hands its restored tree to the tree worker, which builds the next one from it', async () => {
    const source = lived();
    const live = [...source.declarations()];
    const trees = new TreeWorker();
    try {
      const restored = ConflictIndex.restore(live, source.state(), {}, { delta: 16, dead: 1000 });
      restored.buildWith(trees.build);
      const rebuilt = ConflictIndex.build(live, {}, { delta: 16, dead: 1000 });
      let swaps = 0;
      for (const d of all.slice(160)) {
        assert.deepEqual(restored.check(d), rebuilt.check(d), d.id);
        restored.add(d);
        rebuilt.add(d);
        if (restored.rebuilding) {
          while (restored.rebuilding) await new Promise((r) => setTimeout(r, 5));
          swaps++;
        }
      }
      assert.ok(swaps >= 2, `only ${swaps} trees came from the worker`);
      assert.deepEqual(restored.allConflicts(), rebuilt.allConflicts());
    } finally {
      await trees.stop();
    }
  });

  it('is refused when the state does not fit the declarations, saying why', () => {
    const source = lived();
    const state = source.state();
    const live = [...source.declarations()];
    const leafMoved = copy(state);
    const leaves = PackedTree.from(leafMoved.tree as SharedArrayBuffer);
    leaves.boxes[0] = (leaves.boxes[0] as number) - 0.01;
    const strayDelta = copy(state);
    strayDelta.delta.ids[0] = state.slotCount + 5;
    const cases: [
      string,
      readonly Declaration[],
      IndexState,
      Parameters<typeof ConflictIndex.restore>[2],
      RegExp,
    ][] = [
      ['another separation', live, state, { horizontalSeparation_m: 18_520 }, /boxes were made as/],
      ['a declaration fewer', live.slice(1), state, {}, /slots for \d+ declarations/],
      [
        'the declarations in another order',
        [...live].reverse(),
        state,
        {},
        /is not its kind and window|has no entry|are not those/,
      ],
      ['a box moved', live, leafMoved, {}, /the boxes of .+ are not those it has now/],
      ['an entry past the slots', live, strayDelta, {}, /an entry of slot \d+, past \d+ slots/],
    ];
    for (const [what, decls, s, options, reason] of cases)
      assert.throws(() => ConflictIndex.restore(decls, s, options), reason, what);
    // The state itself was fine: restored as given, it answers.
    assert.equal(ConflictIndex.restore(live, state).size, live.length);
  });
});
