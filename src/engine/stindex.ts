/**
 * The spatio-temporal index: the live set of active declarations, so that checking one new
 * declaration costs about as much as checking it against its neighbours.
 *
 * Layout (log-structured, like an LSM tree):
 * - a static packed Hilbert R-tree (flatbush) over the widened boxes of the bulk of the set,
 * - a small unsorted "delta" of boxes added since the last rebuild, scanned linearly,
 * - tombstones for withdrawn declarations.
 * When the delta or the tombstones grow past a fraction of the set, the tree is rebuilt
 * (amortized cost per change stays small). Time is filtered per candidate from the windows.
 *
 * Invariant (never miss a conflict): every stored box is the declaration's geometry widened by
 * its own reach ({@link reachOf}); a query widens the new declaration by its reach. Two
 * declarations within the sum of their reaches have intersecting boxes (the midpoint of the
 * geodesic between their closest points lies in both), so the index only ever removes pairs
 * that no rule can fire on. Exactness is the rules' job.
 */
import Flatbush from 'flatbush';
import { type Box, boxesIntersect, pointReachBoxes, reachBoxes } from './geodesy/bbox.ts';
import { toShape } from './geodesy/shape.ts';
import { evaluatePair, kindsCanConflict, type Prepared, reachOf } from './rules.ts';
import { makeTrack } from './track.ts';
import {
  type Conflict,
  DEFAULT_OPTIONS,
  type Declaration,
  type EngineOptions,
  KINDS,
  type Kind,
  type Position,
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

interface Entry {
  readonly box: Box;
  readonly slot: number;
}

export class ConflictIndex {
  readonly options: EngineOptions;
  private decls: (Declaration | undefined)[] = [];
  private prepared: (Prepared | undefined)[] = [];
  /** Per slot, kept beside the declarations so the candidate filter touches no object. */
  private starts: number[] = [];
  private ends: number[] = [];
  private kinds: number[] = [];
  private readonly slotOf = new Map<string, number>();
  private tree: Flatbush | null = null;
  private treeSlots: Int32Array = new Int32Array(0);
  /** The tree's boxes, 4 numbers per item in item order (for rebuilding without recomputing). */
  private treeBoxes: Float64Array = new Float64Array(0);
  private delta: Entry[] = [];
  private dead = 0;
  private stamp: Uint32Array = new Uint32Array(0);
  private stampValue = 0;

  /**
   * @param compaction when the tree is rebuilt: after `delta` boxes were added (or 1/64 of the
   *   set, whichever is more), or `dead` withdrawals (and a quarter of the set). Tests lower them.
   */
  constructor(
    options: Partial<EngineOptions> = {},
    private readonly compaction = { delta: 2048, dead: 1024 },
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
    compaction?: { delta: number; dead: number },
  ): ConflictIndex {
    const index = new ConflictIndex(options, compaction);
    for (const d of decls) {
      if (index.slotOf.has(d.id)) throw new Error(`duplicate declaration id ${d.id}`);
      index.slotOf.set(d.id, index.decls.length);
      index.decls.push(d);
    }
    index.rebuild(true);
    return index;
  }

  private boxesOf(slot: number): Box[] {
    const d = this.decls[slot] as Declaration;
    const reach = reachOf(d, this.options);
    if (d.geometry.type === 'Point') return pointReachBoxes(d.geometry.coordinates as Position, reach);
    return reachBoxes(d.geometry, reach);
  }

  private preparedAt(slot: number): Prepared {
    let p = this.prepared[slot];
    if (p === undefined) {
      p = prepare(this.decls[slot] as Declaration);
      this.prepared[slot] = p;
    }
    return p;
  }

  /**
   * Rebuild the tree from every live declaration, compacting slots when some were withdrawn.
   * Boxes are taken from the old tree and the delta, not computed again; `fresh` computes them
   * all (the first build).
   */
  private rebuild(fresh = false): void {
    const remap = new Int32Array(this.decls.length).fill(-1);
    if (this.dead > 0) {
      const decls: Declaration[] = [];
      const prepared: (Prepared | undefined)[] = [];
      for (let i = 0; i < this.decls.length; i++) {
        const d = this.decls[i];
        if (d === undefined) continue;
        remap[i] = decls.length;
        decls.push(d);
        prepared.push(this.prepared[i]);
      }
      this.decls = decls;
      this.prepared = prepared;
      this.slotOf.clear();
      for (let i = 0; i < decls.length; i++) this.slotOf.set((decls[i] as Declaration).id, i);
    } else {
      for (let i = 0; i < remap.length; i++) remap[i] = i;
    }
    this.starts = [];
    this.ends = [];
    this.kinds = [];
    for (const d of this.decls) this.remember(d as Declaration);
    const boxes: number[] = [];
    const slots: number[] = [];
    const keep = (b: ArrayLike<number>, at: number, oldSlot: number): void => {
      const slot = remap[oldSlot] as number;
      if (slot < 0) return;
      boxes.push(b[at] as number, b[at + 1] as number, b[at + 2] as number, b[at + 3] as number);
      slots.push(slot);
    };
    if (fresh) {
      for (let i = 0; i < this.decls.length; i++) for (const b of this.boxesOf(i)) keep(b, 0, i);
    } else {
      for (let k = 0; k < this.treeSlots.length; k++)
        keep(this.treeBoxes, k * 4, this.treeSlots[k] as number);
      for (const e of this.delta) keep(e.box, 0, e.slot);
    }
    this.delta = [];
    this.dead = 0;
    this.stamp = new Uint32Array(Math.max(16, this.decls.length * 2));
    this.stampValue = 0;
    const n = slots.length;
    if (n === 0) {
      this.tree = null;
      this.treeSlots = new Int32Array(0);
      this.treeBoxes = new Float64Array(0);
      return;
    }
    const tree = new Flatbush(n);
    for (let k = 0; k < n; k++)
      tree.add(
        boxes[4 * k] as number,
        boxes[4 * k + 1] as number,
        boxes[4 * k + 2] as number,
        boxes[4 * k + 3] as number,
      );
    tree.finish();
    this.tree = tree;
    this.treeSlots = Int32Array.from(slots);
    this.treeBoxes = Float64Array.from(boxes);
  }

  private remember(d: Declaration): void {
    this.starts.push(d.start);
    this.ends.push(d.end ?? Number.POSITIVE_INFINITY);
    this.kinds.push(KIND_CODE.get(d.kind) as number);
  }

  /** Add a declaration to the active set (replacing none: ids are unique). */
  add(decl: Declaration): void {
    if (this.slotOf.has(decl.id)) throw new Error(`declaration ${decl.id} is already active`);
    const slot = this.decls.length;
    this.decls.push(decl);
    this.remember(decl);
    this.slotOf.set(decl.id, slot);
    for (const box of this.boxesOf(slot)) this.delta.push({ box, slot });
    if (slot >= this.stamp.length) {
      const s = new Uint32Array(this.stamp.length * 2 + 16);
      s.set(this.stamp);
      this.stamp = s;
    }
    if (this.delta.length > Math.max(this.compaction.delta, this.slotOf.size / 64)) this.rebuild();
  }

  /** Remove a declaration (withdrawn, amended or expired). Returns false if it was not active. */
  withdraw(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.slotOf.delete(id);
    this.decls[slot] = undefined;
    this.prepared[slot] = undefined;
    this.dead++;
    if (this.dead > this.compaction.dead && this.dead > this.slotOf.size / 4) this.rebuild();
    return true;
  }

  /** Active declarations whose widened boxes meet the widened boxes of `decl`. */
  private candidates(decl: Declaration, queryBoxes: readonly Box[]): number[] {
    this.stampValue++;
    if (this.stampValue === 0xffffffff) {
      this.stamp.fill(0);
      this.stampValue = 1;
    }
    const mark = this.stampValue;
    const out: number[] = [];
    const start = decl.start;
    const end = decl.end ?? Number.POSITIVE_INFINITY;
    const row = (KIND_CODE.get(decl.kind) as number) * KINDS.length;
    const { stamp, starts, ends, kinds } = this;
    const visit = (slot: number): void => {
      if (stamp[slot] === mark) return;
      stamp[slot] = mark;
      // Cheap filters first, on plain arrays: a rule must govern the kinds, and the half-open
      // windows must overlap. Only then is the declaration itself looked at.
      if (CAN_CONFLICT[row + (kinds[slot] as number)] === 0) return;
      if ((ends[slot] as number) <= start || end <= (starts[slot] as number)) return;
      const d = this.decls[slot];
      if (d === undefined || d.id === decl.id) return;
      out.push(slot);
    };
    for (const q of queryBoxes) {
      if (this.tree !== null) {
        for (const i of this.tree.search(q[0], q[1], q[2], q[3])) visit(this.treeSlots[i] as number);
      }
      for (const e of this.delta) if (boxesIntersect(e.box, q)) visit(e.slot);
    }
    return out;
  }

  /** Every conflict between `decl` and the active set (decl itself need not be in the set). */
  check(decl: Declaration, prepared: Prepared = prepare(decl)): Conflict[] {
    const reach = reachOf(decl, this.options);
    const boxes =
      decl.geometry.type === 'Point'
        ? pointReachBoxes(decl.geometry.coordinates as Position, reach)
        : reachBoxes(decl.geometry, reach);
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
