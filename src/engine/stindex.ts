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
import { evaluatePair, type Prepared, reachOf } from './rules.ts';
import { makeTrack } from './track.ts';
import {
  type Conflict,
  DEFAULT_OPTIONS,
  type Declaration,
  type EngineOptions,
  type Position,
} from './types.ts';

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
  private readonly slotOf = new Map<string, number>();
  private tree: Flatbush | null = null;
  private treeSlots: Int32Array = new Int32Array(0);
  private delta: Entry[] = [];
  private dead = 0;
  private stamp: Uint32Array = new Uint32Array(0);
  private stampValue = 0;

  constructor(options: Partial<EngineOptions> = {}) {
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
  static build(decls: Iterable<Declaration>, options: Partial<EngineOptions> = {}): ConflictIndex {
    const index = new ConflictIndex(options);
    for (const d of decls) {
      if (index.slotOf.has(d.id)) throw new Error(`duplicate declaration id ${d.id}`);
      index.slotOf.set(d.id, index.decls.length);
      index.decls.push(d);
    }
    index.rebuild();
    return index;
  }

  private boxesOf(slot: number): Box[] {
    const d = this.decls[slot] as Declaration;
    const reach = reachOf(d, this.options);
    if (d.geometry.type === 'Point') return pointReachBoxes(d.geometry.coordinates as Position, reach);
    return reachBoxes(this.preparedAt(slot).shape, reach);
  }

  private preparedAt(slot: number): Prepared {
    let p = this.prepared[slot];
    if (p === undefined) {
      p = prepare(this.decls[slot] as Declaration);
      this.prepared[slot] = p;
    }
    return p;
  }

  /** Rebuild the tree from every live declaration, compacting slots. */
  private rebuild(): void {
    const decls: Declaration[] = [];
    const prepared: (Prepared | undefined)[] = [];
    for (let i = 0; i < this.decls.length; i++) {
      const d = this.decls[i];
      if (d === undefined) continue;
      decls.push(d);
      prepared.push(this.prepared[i]);
    }
    this.decls = decls;
    this.prepared = prepared;
    this.slotOf.clear();
    for (let i = 0; i < decls.length; i++) this.slotOf.set((decls[i] as Declaration).id, i);
    const boxes: Box[] = [];
    const slots: number[] = [];
    for (let i = 0; i < decls.length; i++) {
      for (const b of this.boxesOf(i)) {
        boxes.push(b);
        slots.push(i);
      }
    }
    this.delta = [];
    this.dead = 0;
    this.stamp = new Uint32Array(Math.max(16, decls.length * 2));
    this.stampValue = 0;
    if (boxes.length === 0) {
      this.tree = null;
      this.treeSlots = new Int32Array(0);
      return;
    }
    const tree = new Flatbush(boxes.length);
    for (const b of boxes) tree.add(b[0], b[1], b[2], b[3]);
    tree.finish();
    this.tree = tree;
    this.treeSlots = Int32Array.from(slots);
  }

  /** Add a declaration to the active set (replacing none: ids are unique). */
  add(decl: Declaration): void {
    if (this.slotOf.has(decl.id)) throw new Error(`declaration ${decl.id} is already active`);
    const slot = this.decls.length;
    this.decls.push(decl);
    this.slotOf.set(decl.id, slot);
    for (const box of this.boxesOf(slot)) this.delta.push({ box, slot });
    if (slot >= this.stamp.length) {
      const s = new Uint32Array(this.stamp.length * 2 + 16);
      s.set(this.stamp);
      this.stamp = s;
    }
    if (this.delta.length > Math.max(2048, this.slotOf.size / 64)) this.rebuild();
  }

  /** Remove a declaration (withdrawn, amended or expired). Returns false if it was not active. */
  withdraw(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.slotOf.delete(id);
    this.decls[slot] = undefined;
    this.prepared[slot] = undefined;
    this.dead++;
    if (this.dead > 1024 && this.dead > this.slotOf.size / 4) this.rebuild();
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
    const visit = (slot: number): void => {
      if (this.stamp[slot] === mark) return;
      this.stamp[slot] = mark;
      const d = this.decls[slot];
      if (d === undefined || d.id === decl.id) return;
      // Half-open windows must overlap.
      if (d.end !== null && d.end <= decl.start) return;
      if (decl.end !== null && decl.end <= d.start) return;
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
        : reachBoxes(prepared.shape, reach);
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
