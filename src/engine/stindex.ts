/**
 * The spatio-temporal index: the live set of active declarations, so that checking one new
 * declaration costs about as much as checking it against its neighbours.
 *
 * Layout (log-structured, like an LSM tree):
 * - a static packed tree (packed-tree.ts) over the entries of the bulk of the set: each entry is
 *   a box widened by the declaration's reach, its window and its kind, and every node holds the
 *   union of its children in all three, so a search prunes in space, time and kind at once (a
 *   point strike no longer visits the ~180 boxes it meets in space but not in time, and an air
 *   corridor no longer visits the protected sites no rule pairs it with);
 * - a small "delta" of the entries added since the tree was built, scanned linearly with the
 *   same three tests;
 * - withdrawn slots, skipped on every visit until a rebuild drops them.
 * A declaration has one entry per box (reach-entries.ts: one per point and polygon, one per edge
 * or short run of edges of a line), so a candidate may be met more than once per query: a stamp
 * per slot keeps it once.
 *
 * Rebuilds. When the delta passes `compaction.delta` entries (or 1/64 of the set) the tree is
 * rebuilt from the live entries of the old tree and the delta (boxes are never computed again).
 * In place by default (`deconflict check`, tests, the engine alone). With a {@link TreeBuilder}
 * (the hub gives one that builds in a worker thread) the new tree is built elsewhere from the
 * entries as they were when it started, while the old tree and the whole delta keep answering;
 * when it arrives it replaces the old tree and the delta forgets only the entries it holds, so
 * what was added meanwhile stays in the delta and what was withdrawn meanwhile is skipped. A
 * rebuild in place (many withdrawals compact the slots; a delta grown past {@link DELTA_SLACK}
 * times its threshold) makes a tree still being built elsewhere stale: it is dropped on arrival.
 *
 * Restarts. {@link ConflictIndex.state} gives the built index as typed arrays (the tree's buffer,
 * the delta, each declaration's slot) and {@link ConflictIndex.restore} takes them back over the
 * same declarations with no box computed and nothing sorted (the hub's snapshot, snapshot.ts). A
 * restore checks what it can cheaply (options, slots, each entry's kind and window, a sample of
 * boxes computed again) and refuses the rest, so a caller builds instead.
 *
 * Invariant (never miss a conflict): every stored box is (part of) the declaration's geometry
 * widened by its own reach ({@link reachOf}), the union of its boxes holds every point within
 * that reach, and a query widens the new declaration likewise. Two declarations within the sum
 * of their reaches have intersecting boxes (the midpoint of the geodesic between their closest
 * points lies in both); their half-open windows must overlap and a rule must govern their kinds
 * for any rule to fire. So the index only ever removes pairs that no rule can fire on. Exactness
 * is the rules' job.
 */
import type { Box } from './geodesy/bbox.ts';
import { toShape } from './geodesy/shape.ts';
import { type MergeInput, PackedTree, type TreeInput } from './packed-tree.ts';
import { entryBoxes } from './reach-entries.ts';
import { evaluatePair, kindsCanConflict, type Prepared, reachOf } from './rules.ts';
import { makeTrack } from './track.ts';
import {
  type Conflict,
  DEFAULT_OPTIONS,
  type Declaration,
  type EngineOptions,
  KINDS,
  type Kind,
} from './types.ts';

const KIND_CODE = new Map<Kind, number>(KINDS.map((k, i) => [k, i]));
/** CAN_CONFLICT[a * 6 + b]: some rule governs a pair of kinds a, b (codes of KINDS). */
const CAN_CONFLICT = Uint8Array.from(
  KINDS.flatMap((a) => KINDS.map((b) => (kindsCanConflict(a, b) ? 1 : 0))),
);

/** Prepare a declaration's geometry for the rules (shape, and track for a scheduled movement). */
export function prepare(decl: Declaration): Prepared {
  const shape = toShape(decl.geometry);
  if (decl.kind === 'movement' && decl.schedule && decl.geometry.type === 'LineString') {
    return { decl, shape, track: makeTrack(decl.geometry.coordinates, decl.schedule) };
  }
  return { decl, shape };
}

/** Order conflicts by a, b, rule (the CLI's and API's order). */
export function compareConflicts(x: Conflict, y: Conflict): number {
  if (x.a !== y.a) return x.a < y.a ? -1 : 1;
  if (x.b !== y.b) return x.b < y.b ? -1 : 1;
  return x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : 0;
}

/** Kinds a query of kind k may conflict with, as a bit mask over KINDS codes (the tree's masks). */
const MASK_OF = Uint8Array.from(
  KINDS.map((_, a) => KINDS.reduce((m, _k, b) => (CAN_CONFLICT[a * KINDS.length + b] ? m | (1 << b) : m), 0)),
);

/** Entries of the tree to be: per entry a box, a window, a kind and a slot, in growable typed arrays. */
class Entries {
  items: Float64Array;
  kinds: Uint8Array;
  ids: Int32Array;
  length = 0;

  constructor(capacity = 64) {
    this.items = new Float64Array(capacity * 6);
    this.kinds = new Uint8Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  push(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    start: number,
    end: number,
    kind: number,
    id: number,
  ): void {
    if (this.length === this.ids.length) this.grow(this.length * 2 + 64);
    const n = this.length++;
    const o = n * 6;
    const items = this.items;
    items[o] = x0;
    items[o + 1] = y0;
    items[o + 2] = x1;
    items[o + 3] = y1;
    items[o + 4] = start;
    items[o + 5] = end;
    this.kinds[n] = kind;
    this.ids[n] = id;
  }

  private grow(capacity: number): void {
    const items = new Float64Array(capacity * 6);
    items.set(this.items.subarray(0, this.length * 6));
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kinds.subarray(0, this.length));
    const ids = new Int32Array(capacity);
    ids.set(this.ids.subarray(0, this.length));
    this.items = items;
    this.kinds = kinds;
    this.ids = ids;
  }

  /** Forget the first `k` entries (those a tree built elsewhere now holds). */
  dropFirst(k: number): void {
    this.items.copyWithin(0, k * 6, this.length * 6);
    this.kinds.copyWithin(0, k, this.length);
    this.ids.copyWithin(0, k, this.length);
    this.length -= k;
  }

  /** The entries as a tree's input (views, not copies). */
  view(): TreeInput {
    return {
      items: this.items.subarray(0, this.length * 6),
      kinds: this.kinds.subarray(0, this.length),
      ids: this.ids.subarray(0, this.length),
    };
  }
}

/**
 * Builds the next tree somewhere else (the hub: a worker thread) and answers its buffer
 * (packed-tree.ts `mergePackedTree`); the index swaps it in when it arrives. The old tree is
 * shared; the other arrays of the input are the builder's to keep or move. The engine itself never
 * starts a thread: without a builder it rebuilds in place, synchronously.
 */
export type TreeBuilder = (input: MergeInput) => Promise<ArrayBufferLike>;

/** When the tree is rebuilt; see {@link ConflictIndex}'s constructor. */
export interface Compaction {
  readonly delta: number;
  readonly dead: number;
}

/**
 * While a tree is being built elsewhere the delta keeps growing; past this many times its
 * threshold (a slow or stuck builder, a large import) the index rebuilds in place rather than
 * scan an ever longer delta.
 */
const DELTA_SLACK = 8;

/**
 * The index's built state ({@link ConflictIndex.state}), what a restart restores instead of
 * computing every box and sorting every entry again ({@link ConflictIndex.restore}): the tree's
 * buffer as built, the delta's entries and, per active declaration in the order
 * {@link ConflictIndex.declarations} yields them, its slot (slots of withdrawn declarations not
 * yet compacted away are holes). Typed arrays only, so that a snapshot file holds it as bytes.
 */
export interface IndexState {
  /** How the boxes were made ({@link boxesFingerprint}): a restore under other options is refused. */
  readonly boxes: string;
  /** Slots in use, holes included. */
  readonly slotCount: number;
  /** The slot of each active declaration, ascending. */
  readonly slots: Int32Array;
  /** The tree's buffer (packed-tree.ts), or null before the first build. */
  readonly tree: ArrayBufferLike | null;
  readonly delta: TreeInput;
}

/**
 * Bump when the boxes of a declaration change (reach-entries.ts, `reachOf`): a state saved by an
 * older build is then refused, since its boxes may no longer cover what the rules need.
 */
const BOXES_LAYOUT = 1;

/** What the stored boxes depend on besides a declaration: the layout and the reach's options. */
export function boxesFingerprint(options: EngineOptions): string {
  return `boxes ${BOXES_LAYOUT}; horizontal separation ${options.horizontalSeparation_m} m`;
}

/** Declarations whose boxes a restore computes again and compares with the state's (a spot check). */
const RESTORE_SAMPLE = 64;

export class ConflictIndex {
  readonly options: EngineOptions;
  private decls: (Declaration | undefined)[] = [];
  private prepared: (Prepared | undefined)[] = [];
  /** Per slot, kept beside the declarations so that filters touch no object. */
  private starts: number[] = [];
  private ends: number[] = [];
  private kinds: number[] = [];
  private readonly slotOf = new Map<string, number>();
  private tree: PackedTree | null = null;
  /** Entries added since the tree was built (scanned linearly), in the tree's input form. */
  private delta = new Entries();
  /** Withdrawn slots not yet compacted away (holes in the slot arrays). */
  private dead = 0;
  /** Per slot: 1 while its declaration is active (what a build elsewhere keeps). */
  private alive = new Uint8Array(64);
  private stamp: Uint32Array = new Uint32Array(0);
  private stampValue = 0;
  private builder: TreeBuilder | null = null;
  /** Bumped by every rebuild in place: a tree being built elsewhere from older entries is dropped. */
  private generation = 0;
  private building = false;
  // The query being checked, read by `visit` (one closure for the index's lifetime).
  private qId = '';
  private qOut: number[] = [];

  /**
   * @param compaction when the tree is rebuilt: after `delta` entries were added (or 1/64 of the
   *   set, whichever is more), or `dead` withdrawals (and a quarter of the set). Tests lower them.
   */
  constructor(
    options: Partial<EngineOptions> = {},
    private readonly compaction: Compaction = { delta: 2048, dead: 1024 },
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  /** Number of active declarations. */
  get size(): number {
    return this.slotOf.size;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  get(id: string): Declaration | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : this.decls[slot];
  }

  /** Build from a whole set at once (one bulk load; much faster than adding one by one). */
  static build(
    decls: Iterable<Declaration>,
    options: Partial<EngineOptions> = {},
    compaction?: Compaction,
  ): ConflictIndex {
    const index = new ConflictIndex(options, compaction);
    if (Array.isArray(decls)) index.delta = new Entries(Math.ceil(decls.length * 1.25));
    for (const d of decls) {
      if (index.slotOf.has(d.id)) throw new Error(`duplicate declaration id ${d.id}`);
      index.place(d);
    }
    index.rebuild();
    return index;
  }

  /**
   * The built state, for a snapshot: the tree's buffer itself (never written once built) and
   * copies of the rest (the delta is at most a few thousand entries), so later changes of the
   * index do not reach it. Its `slots` follow {@link declarations} taken at the same moment.
   */
  state(): IndexState {
    const d = this.delta.view();
    return {
      boxes: boxesFingerprint(this.options),
      slotCount: this.decls.length,
      slots: Int32Array.from(this.slotOf.values()),
      tree: this.tree?.data ?? null,
      delta: { items: d.items.slice(), kinds: d.kinds.slice(), ids: d.ids.slice() },
    };
  }

  /**
   * The index whose {@link state} was `state`, over `decls` (the declarations it held, in that
   * state's order): no box is computed and nothing is sorted, the tree is used as it was built.
   * Throws, saying what, when the state does not fit the declarations: other options, a slot out
   * of place, an entry whose kind or window is not its declaration's, a declaration with no
   * entry, or (spot-checked on {@link RESTORE_SAMPLE} declarations) boxes other than those
   * `entryBoxes` makes now. The caller then builds from the declarations instead.
   */
  static restore(
    decls: readonly Declaration[],
    state: IndexState,
    options: Partial<EngineOptions> = {},
    compaction?: Compaction,
  ): ConflictIndex {
    const index = new ConflictIndex(options, compaction);
    const { slots, slotCount } = state;
    if (state.boxes !== boxesFingerprint(index.options))
      throw new Error(`its boxes were made as "${state.boxes}", not "${boxesFingerprint(index.options)}"`);
    if (slots.length !== decls.length)
      throw new Error(`${slots.length} slots for ${decls.length} declarations`);
    const n = slotCount;
    if (!(Number.isSafeInteger(n) && n >= decls.length))
      throw new Error(`${n} slots for ${decls.length} declarations`);
    index.alive = new Uint8Array(n + 64);
    // Slot by slot, pushed (holes as withdrawn slots are): the arrays stay packed, as a build's are.
    const { slotOf, alive } = index;
    const all = index.decls;
    let i = 0;
    for (let slot = 0; slot < n; slot++) {
      const d = slots[i] === slot ? decls[i++] : undefined;
      all.push(d);
      index.starts.push(d?.start ?? 0);
      index.ends.push(d === undefined ? 0 : (d.end ?? Number.POSITIVE_INFINITY));
      index.kinds.push(d === undefined ? 0 : (KIND_CODE.get(d.kind) as number));
      if (d === undefined) continue;
      alive[slot] = 1;
      slotOf.set(d.id, slot);
    }
    if (i !== decls.length) throw new Error(`slot ${slots[i]} of ${decls[i]?.id} is out of order`);
    if (slotOf.size !== decls.length) throw new Error('a declaration id appears twice');
    index.dead = n - decls.length;
    const tree = state.tree === null ? null : PackedTree.from(state.tree);
    const delta = new Entries(state.delta.ids.length + 64);
    delta.items.set(state.delta.items);
    delta.kinds.set(state.delta.kinds);
    delta.ids.set(state.delta.ids);
    delta.length = state.delta.ids.length;
    index.verifyEntries(tree, delta);
    index.tree = tree;
    index.delta = delta;
    index.stamp = new Uint32Array(Math.max(16, n * 2));
    return index;
  }

  /**
   * Every entry belongs to an active or withdrawn slot with its declaration's kind and window,
   * every active declaration has one, and the sampled declarations' entries are the boxes
   * `entryBoxes` makes of them now (as multisets; a tree holds its leaves in its own order).
   */
  private verifyEntries(tree: PackedTree | null, delta: Entries): void {
    const n = this.decls.length;
    const seen = new Uint8Array(n);
    const every = Math.max(1, Math.floor(this.slotOf.size / RESTORE_SAMPLE));
    const sampled = new Map<number, number[][]>();
    let i = 0;
    for (const slot of this.slotOf.values()) if (i++ % every === 0) sampled.set(slot, []);
    const check = (box: Float64Array, o: number, kind: number, slot: number): void => {
      if (!(slot >= 0 && slot < n)) throw new Error(`an entry of slot ${slot}, past ${n} slots`);
      if (this.alive[slot] !== 1) return;
      if (kind !== this.kinds[slot] || box[o + 4] !== this.starts[slot] || box[o + 5] !== this.ends[slot])
        throw new Error(`an entry of ${(this.decls[slot] as Declaration).id} is not its kind and window`);
      seen[slot] = 1;
      sampled.get(slot)?.push([box[o], box[o + 1], box[o + 2], box[o + 3]] as number[]);
    };
    if (tree !== null)
      for (let k = 0; k < tree.numItems; k++)
        check(tree.boxes, k * 6, 31 - Math.clz32(tree.masks[k] as number), tree.ids[k] as number);
    for (let k = 0; k < delta.length; k++)
      check(delta.items, k * 6, delta.kinds[k] as number, delta.ids[k] as number);
    for (const slot of this.slotOf.values())
      if (seen[slot] !== 1) throw new Error(`${(this.decls[slot] as Declaration).id} has no entry`);
    const key = (b: readonly number[]): string => b.join(' ');
    for (const [slot, got] of sampled) {
      const d = this.decls[slot] as Declaration;
      const want = entryBoxes(d.geometry, reachOf(d, this.options)).map((b) => key([b[0], b[1], b[2], b[3]]));
      if (want.sort().join('\n') !== got.map(key).sort().join('\n'))
        throw new Error(`the boxes of ${d.id} are not those it has now`);
    }
  }

  /**
   * Rebuild the tree elsewhere from now on (the hub: in a worker thread), swapping it in when it
   * is done; `null` rebuilds in place again. A builder that fails is dropped (in place from then).
   */
  buildWith(builder: TreeBuilder | null): void {
    this.builder = builder;
  }

  /** True while a tree is being built elsewhere. */
  get rebuilding(): boolean {
    return this.building;
  }

  private preparedAt(slot: number): Prepared {
    let p = this.prepared[slot];
    if (p === undefined) {
      p = prepare(this.decls[slot] as Declaration);
      this.prepared[slot] = p;
    }
    return p;
  }

  /** Give a declaration a slot and put its entries in the delta. */
  private place(d: Declaration): void {
    const slot = this.decls.length;
    this.decls.push(d);
    const kind = KIND_CODE.get(d.kind) as number;
    const end = d.end ?? Number.POSITIVE_INFINITY;
    this.starts.push(d.start);
    this.ends.push(end);
    this.kinds.push(kind);
    this.slotOf.set(d.id, slot);
    if (slot >= this.alive.length) {
      const alive = new Uint8Array(slot * 2 + 64);
      alive.set(this.alive);
      this.alive = alive;
    }
    this.alive[slot] = 1;
    for (const b of entryBoxes(d.geometry, reachOf(d, this.options)))
      this.delta.push(b[0], b[1], b[2], b[3], d.start, end, kind, slot);
  }

  /**
   * The live entries of the tree and the delta, as a new tree's input; with `remap`, slots are
   * renumbered (−1: dropped).
   */
  private entries(remap?: Int32Array): TreeInput {
    const tree = this.tree;
    if (tree === null && remap === undefined) return this.delta.view();
    const out = new Entries((tree?.numItems ?? 0) + this.delta.length);
    const take = (items: Float64Array, k: number, slot: number): void => {
      const to = remap === undefined ? (this.decls[slot] === undefined ? -1 : slot) : (remap[slot] as number);
      if (to < 0) return;
      const o = k * 6;
      out.push(
        items[o] as number,
        items[o + 1] as number,
        items[o + 2] as number,
        items[o + 3] as number,
        items[o + 4] as number,
        items[o + 5] as number,
        this.kinds[slot] as number,
        to,
      );
    };
    if (tree !== null) for (let k = 0; k < tree.numItems; k++) take(tree.boxes, k, tree.ids[k] as number);
    const d = this.delta;
    for (let k = 0; k < d.length; k++) take(d.items, k, d.ids[k] as number);
    return out.view();
  }

  /**
   * Rebuild the tree here and now from the live entries (boxes are taken from the old tree and
   * the delta, never computed again), compacting slots when some were withdrawn. A tree being
   * built elsewhere is dropped when it arrives.
   */
  private rebuild(): void {
    this.generation++;
    this.building = false;
    const remap = this.dead > 0 ? new Int32Array(this.decls.length).fill(-1) : undefined;
    if (remap !== undefined) {
      let n = 0;
      for (let i = 0; i < this.decls.length; i++) if (this.decls[i] !== undefined) remap[i] = n++;
    }
    const input = this.entries(remap);
    if (remap !== undefined) {
      const keep = <T>(xs: readonly T[]): T[] => xs.filter((_, i) => (remap[i] as number) >= 0);
      const decls = keep(this.decls);
      this.prepared = keep(Array.from(this.decls, (_, i) => this.prepared[i]));
      this.starts = keep(this.starts);
      this.ends = keep(this.ends);
      this.kinds = keep(this.kinds);
      this.decls = decls;
      this.alive = new Uint8Array(decls.length + 64);
      this.alive.fill(1, 0, decls.length);
      this.slotOf.clear();
      for (let i = 0; i < decls.length; i++) this.slotOf.set((decls[i] as Declaration).id, i);
      this.dead = 0;
    }
    this.tree = input.ids.length === 0 ? null : PackedTree.build(input);
    this.delta = new Entries();
    this.stamp = new Uint32Array(Math.max(16, this.decls.length * 2));
    this.stampValue = 0;
  }

  /** Build the next tree elsewhere; the delta keeps what is added meanwhile. */
  private rebuildElsewhere(builder: TreeBuilder): void {
    const generation = this.generation;
    const taken = this.delta.length;
    this.building = true;
    // The old tree is shared (never written); the rest are copies a builder may move.
    const d = this.delta.view();
    const input: MergeInput = {
      base: this.tree?.data ?? null,
      added: { items: d.items.slice(), kinds: d.kinds.slice(), ids: d.ids.slice() },
      alive: this.alive.slice(0, this.decls.length),
    };
    builder(input).then(
      (data) => {
        if (generation !== this.generation) return;
        this.building = false;
        // Entries of declarations withdrawn meanwhile are still in it: a withdrawn slot is
        // skipped on every visit, and left out of the next build.
        this.tree = PackedTree.from(data);
        this.delta.dropFirst(taken);
        this.compactIfDue();
      },
      () => {
        if (generation !== this.generation) return;
        this.building = false;
        this.builder = null;
        this.compactIfDue();
      },
    );
  }

  private compactIfDue(): void {
    const limit = Math.max(this.compaction.delta, this.slotOf.size / 64);
    if (this.delta.length <= limit) return;
    if (this.builder !== null && this.delta.length <= limit * DELTA_SLACK) {
      if (!this.building) this.rebuildElsewhere(this.builder);
      return;
    }
    this.rebuild();
  }

  private growStamp(): void {
    if (this.decls.length <= this.stamp.length) return;
    const s = new Uint32Array(this.decls.length * 2 + 16);
    s.set(this.stamp);
    this.stamp = s;
  }

  /** Add a declaration to the active set (replacing none: ids are unique). */
  add(decl: Declaration): void {
    this.addAll([decl]);
  }

  /**
   * Add a batch: into the delta, then at most one rebuild (a large batch is bulk-loaded with the
   * tree's entries rather than rebuilding every 2,048 additions).
   */
  addAll(decls: readonly Declaration[]): void {
    const fresh = new Set<string>();
    for (const d of decls) {
      if (this.slotOf.has(d.id) || fresh.has(d.id)) throw new Error(`declaration ${d.id} is already active`);
      fresh.add(d.id);
    }
    for (const d of decls) this.place(d);
    this.growStamp();
    this.compactIfDue();
  }

  /** Remove a declaration (withdrawn, amended or expired). Returns false if it was not active. */
  withdraw(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.slotOf.delete(id);
    this.decls[slot] = undefined;
    this.prepared[slot] = undefined;
    this.alive[slot] = 0;
    this.dead++;
    if (this.dead > this.compaction.dead && this.dead > this.slotOf.size / 4) this.rebuild();
    return true;
  }

  /** Each candidate once per query: de-duplicated by a stamp per slot, live, not the query itself. */
  private readonly visit = (slot: number): void => {
    if (this.stamp[slot] === this.stampValue) return;
    this.stamp[slot] = this.stampValue;
    const d = this.decls[slot];
    if (d === undefined || d.id === this.qId) return;
    this.qOut.push(slot);
  };

  /**
   * Active declarations with an entry that meets an entry of `decl` in space (boxes widened by
   * both reaches), in time (half-open windows) and in kind (some rule governs the pair).
   */
  private candidates(decl: Declaration, queryBoxes: readonly Box[]): number[] {
    this.stampValue++;
    if (this.stampValue === 0xffffffff) {
      this.stamp.fill(0);
      this.stampValue = 1;
    }
    const out: number[] = [];
    this.qId = decl.id;
    this.qOut = out;
    const start = decl.start;
    const end = decl.end ?? Number.POSITIVE_INFINITY;
    const mask = MASK_OF[KIND_CODE.get(decl.kind) as number] as number;
    const { items, kinds, ids, length } = this.delta;
    for (const q of queryBoxes) {
      this.tree?.search(q[0], q[1], q[2], q[3], start, end, mask, this.visit);
      for (let k = 0; k < length; k++) {
        const o = k * 6;
        if (
          ((1 << (kinds[k] as number)) & mask) === 0 ||
          (items[o] as number) > q[2] ||
          (items[o + 1] as number) > q[3] ||
          (items[o + 2] as number) < q[0] ||
          (items[o + 3] as number) < q[1] ||
          (items[o + 4] as number) >= end ||
          (items[o + 5] as number) <= start
        )
          continue;
        this.visit(ids[k] as number);
      }
    }
    return out;
  }

  /** Every conflict between `decl` and the active set (decl itself need not be in the set). */
  check(decl: Declaration, prepared: Prepared = prepare(decl)): Conflict[] {
    const boxes = entryBoxes(decl.geometry, reachOf(decl, this.options));
    const out: Conflict[] = [];
    for (const slot of this.candidates(decl, boxes)) {
      const c = evaluatePair(prepared, this.preparedAt(slot), this.options);
      if (c !== null) out.push(c);
    }
    return out.sort(compareConflicts);
  }

  /** Every conflict among the active set, each pair once. */
  allConflicts(): Conflict[] {
    const out: Conflict[] = [];
    for (const [id, slot] of this.slotOf) {
      const p = this.preparedAt(slot);
      for (const c of this.check(p.decl, p)) {
        // Report each pair once: from the side whose id is the conflict's `a`.
        if (c.a === id) out.push(c);
      }
    }
    return out.sort(compareConflicts);
  }

  /** The active declarations. */
  *declarations(): IterableIterator<Declaration> {
    for (const slot of this.slotOf.values()) yield this.decls[slot] as Declaration;
  }
}
