/**
 * A static packed R-tree over boxes in space, time and kind: each node holds the box of its
 * children, the time interval they span ([least start, greatest end)) and a bit mask of their
 * kinds, so that a search prunes on all three at every level.
 *
 * Why not a flatbush per time bucket: the live set mixes windows of 30 minutes (strikes) with
 * open-ended ones (protected sites), and what a query can conflict with depends on the kinds
 * (an air corridor has no rule with a protected site, yet crossed thousands of them in a 2-D
 * tree). One tree with the time interval and the kinds in its nodes prunes both exactly, with no
 * bucket edge to get wrong: a node's interval is the union of its children's actual windows, so
 * a window straddling any boundary is found like any other. Buckets only steer the sort.
 *
 * Sort (what makes the pruning work): by kind, then by a class of window length with a bucket of
 * the start at that class's width (≤ 6 h, ≤ 2 days, ≤ 16 days, longer or open-ended), then by
 * the Hilbert value of the box centre on a 65,536² grid over the extent of all boxes. Leaves of
 * 30-minute strikes of one 6-hour bucket thus share nodes, and whole subtrees of protected sites
 * are skipped by a corridor's kind mask. Sorting stops at node granularity (the order inside a
 * node does not matter), as flatbush does.
 *
 * The tree is one SharedArrayBuffer (header, level bounds, node boxes and intervals as Float64,
 * ids as Int32, masks as Uint8), never written once built: a worker builds it and the main
 * thread reads it with no copy ({@link PackedTree.from}), and the next build elsewhere reads the
 * old tree's entries in place ({@link mergePackedTree}), so the main thread copies only the
 * entries added since (copying a million entries out cost it 200 ms and a full GC). Open-ended windows are +Infinity, which Float64 holds. Ids are
 * int32 (the index's slots). Nothing here allocates during a search.
 */

/** Entries to build from: per entry, [minX, minY, maxX, maxY, start, end] and a kind (0–7) and id. */
export interface TreeInput {
  readonly items: Float64Array;
  readonly kinds: Uint8Array;
  readonly ids: Int32Array;
}

/**
 * A new tree from an old one: the old tree's entries whose id is still `alive`, then the
 * `added` entries whose id is alive (ids index `alive`). What a rebuild elsewhere is sent: the
 * old tree is shared, not copied, so the sender copies only what was added and one byte per id.
 */
export interface MergeInput {
  readonly base: ArrayBufferLike | null;
  readonly added: TreeInput;
  readonly alive: Uint8Array;
}

const MAGIC = 0x3d7e1601;
const NODE_SIZE = 16;
const HOUR = 3_600_000;
/** Window-length classes for the sort: their widths (the last class is everything longer). */
const CLASS_WIDTH = [6 * HOUR, 48 * HOUR, 384 * HOUR] as const;

export class PackedTree {
  readonly numItems: number;
  readonly numNodes: number;
  /** Per node: minX, minY, maxX, maxY, least start, greatest end (nodes 0..numItems-1 are the entries). */
  readonly boxes: Float64Array;
  /** Per node: the entry's id (a leaf) or the position of the first child. */
  readonly ids: Int32Array;
  readonly masks: Uint8Array;
  /** End (exclusive) of each level in node positions, leaves first. */
  private readonly levelEnds: Int32Array;
  private readonly stack: Int32Array;

  private constructor(readonly data: ArrayBufferLike) {
    const head = new Int32Array(data, 0, 4);
    if (head[0] !== MAGIC) throw new Error('not a packed tree');
    this.numItems = head[1] as number;
    this.numNodes = head[2] as number;
    const levels = head[3] as number;
    this.levelEnds = new Int32Array(data, 16, levels);
    const at = headerBytes(levels);
    this.boxes = new Float64Array(data, at, this.numNodes * 6);
    this.ids = new Int32Array(data, at + this.numNodes * 48, this.numNodes);
    this.masks = new Uint8Array(data, at + this.numNodes * 52, this.numNodes);
    this.stack = new Int32Array(levels * NODE_SIZE + 1);
  }

  /** A tree from the buffer {@link buildPackedTree} made (here or in another thread). */
  static from(data: ArrayBufferLike): PackedTree {
    return new PackedTree(data);
  }

  static build(input: TreeInput): PackedTree {
    return new PackedTree(buildPackedTree(input));
  }

  /**
   * Calls `visit(id)` for every entry whose box meets [minX, maxX] × [minY, maxY] (closed), whose
   * window meets [start, end) (half-open, like the declarations'), and whose kind is in `mask`.
   * An entry may be visited once per call; the caller de-duplicates across calls.
   */
  search(
    minX: number,
    minY: number,
    maxX: number,
    maxY: number,
    start: number,
    end: number,
    mask: number,
    visit: (id: number) => void,
  ): void {
    const { boxes, ids, masks, levelEnds, stack, numItems, numNodes } = this;
    if (numNodes === 0) return;
    let sp = 0;
    stack[sp++] = numNodes - 1;
    while (sp > 0) {
      const node = stack[--sp] as number;
      const first = ids[node] as number;
      let level = 0;
      while ((levelEnds[level] as number) <= first) level++;
      const last = Math.min(first + NODE_SIZE, levelEnds[level] as number);
      for (let p = first; p < last; p++) {
        if (((masks[p] as number) & mask) === 0) continue;
        const o = p * 6;
        if (
          (boxes[o] as number) > maxX ||
          (boxes[o + 1] as number) > maxY ||
          (boxes[o + 2] as number) < minX ||
          (boxes[o + 3] as number) < minY ||
          (boxes[o + 4] as number) >= end ||
          (boxes[o + 5] as number) <= start
        )
          continue;
        if (p < numItems) visit(ids[p] as number);
        else stack[sp++] = p;
      }
    }
  }
}

function headerBytes(levels: number): number {
  return Math.ceil((16 + levels * 4) / 8) * 8;
}

/** The entries of `m` that are alive, in order: the old tree's leaves, then the added ones. */
export function mergeEntries(m: MergeInput): TreeInput {
  const base = m.base === null ? null : PackedTree.from(m.base);
  const { alive, added } = m;
  const total = (base?.numItems ?? 0) + added.ids.length;
  const items = new Float64Array(total * 6);
  const kinds = new Uint8Array(total);
  const ids = new Int32Array(total);
  let n = 0;
  const take = (from: Float64Array, k: number, kind: number, id: number): void => {
    if (alive[id] !== 1) return;
    for (let j = 0; j < 6; j++) items[n * 6 + j] = from[k * 6 + j] as number;
    kinds[n] = kind;
    ids[n++] = id;
  };
  if (base !== null)
    for (let k = 0; k < base.numItems; k++)
      take(base.boxes, k, 31 - Math.clz32(base.masks[k] as number), base.ids[k] as number);
  for (let k = 0; k < added.ids.length; k++)
    take(added.items, k, added.kinds[k] as number, added.ids[k] as number);
  return { items: items.subarray(0, n * 6), kinds: kinds.subarray(0, n), ids: ids.subarray(0, n) };
}

/** {@link buildPackedTree} of {@link mergeEntries}: what the hub's tree worker runs. */
export function mergePackedTree(m: MergeInput): SharedArrayBuffer {
  return buildPackedTree(mergeEntries(m));
}

/**
 * Build the tree's buffer (pure). Shared memory, so that a tree built in one thread is read in
 * another with no copy, and the next build elsewhere can read its entries in place; the tree is
 * never written once built.
 */
export function buildPackedTree(input: TreeInput): SharedArrayBuffer {
  const n = input.ids.length;
  const levelEnds: number[] = [n];
  let count = n;
  let total = n;
  do {
    count = Math.ceil(count / NODE_SIZE);
    total += count;
    levelEnds.push(total);
  } while (count > 1);
  const numNodes = n === 0 ? 0 : total;
  if (n === 0) levelEnds.length = 0;
  const at = headerBytes(levelEnds.length);
  const data = new SharedArrayBuffer(at + numNodes * 53);
  const head = new Int32Array(data, 0, 4);
  head.set([MAGIC, n, numNodes, levelEnds.length]);
  new Int32Array(data, 16, levelEnds.length).set(levelEnds);
  if (n === 0) return data;
  const boxes = new Float64Array(data, at, numNodes * 6);
  const ids = new Int32Array(data, at + numNodes * 48, numNodes);
  const masks = new Uint8Array(data, at + numNodes * 52, numNodes);

  const order = sortOrder(input);
  const { items, kinds } = input;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    for (let j = 0; j < 6; j++) boxes[k * 6 + j] = items[i * 6 + j] as number;
    ids[k] = input.ids[i] as number;
    masks[k] = 1 << (kinds[i] as number);
  }
  // Each level: groups of NODE_SIZE nodes of the level below, their union and their kinds.
  let from = 0;
  for (let l = 1; l < levelEnds.length; l++) {
    const to = levelEnds[l - 1] as number;
    let pos = to;
    for (let c = from; c < to; c += NODE_SIZE) {
      const end = Math.min(c + NODE_SIZE, to);
      let x0 = Number.POSITIVE_INFINITY;
      let y0 = Number.POSITIVE_INFINITY;
      let x1 = Number.NEGATIVE_INFINITY;
      let y1 = Number.NEGATIVE_INFINITY;
      let t0 = Number.POSITIVE_INFINITY;
      let t1 = Number.NEGATIVE_INFINITY;
      let m = 0;
      for (let p = c; p < end; p++) {
        const o = p * 6;
        x0 = Math.min(x0, boxes[o] as number);
        y0 = Math.min(y0, boxes[o + 1] as number);
        x1 = Math.max(x1, boxes[o + 2] as number);
        y1 = Math.max(y1, boxes[o + 3] as number);
        t0 = Math.min(t0, boxes[o + 4] as number);
        t1 = Math.max(t1, boxes[o + 5] as number);
        m |= masks[p] as number;
      }
      const o = pos * 6;
      boxes[o] = x0;
      boxes[o + 1] = y0;
      boxes[o + 2] = x1;
      boxes[o + 3] = y1;
      boxes[o + 4] = t0;
      boxes[o + 5] = t1;
      masks[pos] = m;
      ids[pos] = c;
      pos++;
    }
    from = to;
  }
  return data;
}

/** The entries' order in the leaves: kind, class of window length and bucket, Hilbert value. */
function sortOrder(input: TreeInput): Int32Array {
  const { items, kinds } = input;
  const n = input.ids.length;
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const o = i * 6;
    x0 = Math.min(x0, items[o] as number);
    y0 = Math.min(y0, items[o + 1] as number);
    x1 = Math.max(x1, items[o + 2] as number);
    y1 = Math.max(y1, items[o + 3] as number);
  }
  const sx = x1 > x0 ? 65535 / (x1 - x0) : 0;
  const sy = y1 > y0 ? 65535 / (y1 - y0) : 0;
  const keys = new Float64Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 6;
    const start = items[o + 4] as number;
    const length = (items[o + 5] as number) - start;
    let cls = 0;
    while (cls < CLASS_WIDTH.length && !(length <= (CLASS_WIDTH[cls] as number))) cls++;
    const width = CLASS_WIDTH[cls];
    // The bucket only groups; wrapping it (mod 65,536) or clamping a strange start is harmless.
    const bucket =
      width === undefined || !Number.isFinite(start)
        ? 0
        : ((Math.floor(start / width) % 65536) + 65536) % 65536;
    const hx = Math.floor(sx * (((items[o] as number) + (items[o + 2] as number)) / 2 - x0));
    const hy = Math.floor(sy * (((items[o + 1] as number) + (items[o + 3] as number)) / 2 - y0));
    // kind (3 bits) · class (2 bits) · bucket (16 bits) · Hilbert (32 bits): 53 bits, exact in a double.
    keys[i] = (((kinds[i] as number) * 4 + cls) * 65536 + bucket) * 4294967296 + hilbert(hx, hy);
    order[i] = i;
  }
  sort(keys, order, 0, n - 1);
  return order;
}

/** Quicksort of `order` by `keys`, down to node granularity only. */
function sort(keys: Float64Array, order: Int32Array, left: number, right: number): void {
  while (Math.floor(left / NODE_SIZE) < Math.floor(right / NODE_SIZE)) {
    const pivot = keys[(left + right) >> 1] as number;
    let i = left - 1;
    let j = right + 1;
    for (;;) {
      do i++;
      while ((keys[i] as number) < pivot);
      do j--;
      while ((keys[j] as number) > pivot);
      if (i >= j) break;
      const k = keys[i] as number;
      keys[i] = keys[j] as number;
      keys[j] = k;
      const o = order[i] as number;
      order[i] = order[j] as number;
      order[j] = o;
    }
    // Recurse into the smaller side, loop on the larger (bounded stack depth).
    if (j - left < right - j) {
      sort(keys, order, left, j);
      left = j + 1;
    } else {
      sort(keys, order, j + 1, right);
      right = j;
    }
  }
}

/**
 * The position of (x, y) (0–65,535 each) along a Hilbert curve: the public-domain bit-twiddling
 * method of "Fast Hilbert curve generation, sorting, and range queries" (rawrunprotected), as
 * flatbush uses it.
 */
function hilbert(x: number, y: number): number {
  let a = x ^ y;
  let b = 0xffff ^ a;
  let c = 0xffff ^ (x | y);
  let d = x & (y ^ 0xffff);
  let A = a | (b >> 1);
  let B = (a >> 1) ^ a;
  let C = (c >> 1) ^ (b & (d >> 1)) ^ c;
  let D = (a & (c >> 1)) ^ (d >> 1) ^ d;

  a = A;
  b = B;
  c = C;
  d = D;
  A = (a & (a >> 2)) ^ (b & (b >> 2));
  B = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
  C ^= (a & (c >> 2)) ^ (b & (d >> 2));
  D ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

  a = A;
  b = B;
  c = C;
  d = D;
  A = (a & (a >> 4)) ^ (b & (b >> 4));
  B = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
  C ^= (a & (c >> 4)) ^ (b & (d >> 4));
  D ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

  a = A;
  b = B;
  c = C;
  d = D;
  C ^= (a & (c >> 8)) ^ (b & (d >> 8));
  D ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

  a = C ^ (C >> 1);
  b = D ^ (D >> 1);

  let i0 = x ^ y;
  let i1 = b | (0xffff ^ (i0 | a));

  i0 = (i0 | (i0 << 8)) & 0x00ff00ff;
  i0 = (i0 | (i0 << 4)) & 0x0f0f0f0f;
  i0 = (i0 | (i0 << 2)) & 0x33333333;
  i0 = (i0 | (i0 << 1)) & 0x55555555;

  i1 = (i1 | (i1 << 8)) & 0x00ff00ff;
  i1 = (i1 | (i1 << 4)) & 0x0f0f0f0f;
  i1 = (i1 | (i1 << 2)) & 0x33333333;
  i1 = (i1 | (i1 << 1)) & 0x55555555;

  return ((i1 << 1) | i0) >>> 0;
}
