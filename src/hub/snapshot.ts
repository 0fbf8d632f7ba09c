/**
 * The live index's snapshot: the active declarations, already parsed, kept in the data directory
 * at a clean stop so that the next start does not read and parse every declaration's JSON again.
 *
 * Why: at start the hub rebuilt its index from the store, one `SELECT body` and one `JSON.parse`
 * per active declaration; at 1M that was most of a 23 s restart. The snapshot holds the same
 * declarations with their coordinates packed into typed arrays (pack.ts), which read back with
 * no parsing at all, and their other members as one JSON text per part.
 *
 * Trust. A snapshot is an optimisation, never a source of truth; it is used only when all of
 * these hold, and otherwise the index is rebuilt from the store and the log says why:
 * - the file is whole: the magic, the header, every part, and the SHA-256 of all that before the
 *   trailer (a truncated or damaged file, or one of another format, is refused);
 * - it reflects the store's position: the ledger's head (seq and hash) when it was written is the
 *   head now (every change of a declaration appends to the ledger);
 * - the active set agrees: the (id, version) pairs the store holds as active are exactly the
 *   snapshot's (a change that bypassed the ledger, or a restored backup, shows there).
 * The file is written atomically (a temporary file, fsync, rename, fsync of the directory) and
 * removed as soon as it was read, whatever the verdict: a hub that stops without writing a new
 * one (killed, crashed, out of power) simply rebuilds at its next start, and a stale snapshot
 * is never trusted.
 *
 * The built index too. Beside the declarations the file holds the index's state as it was
 * (stindex.ts `IndexState`: the packed tree's buffer, the entries added since it was built, each
 * declaration's slot), the declarations in that same order, so that a start restores the index
 * without computing a box or sorting an entry: at 1M declarations that was 2.5 s of the start.
 * The state is checked against the declarations as it is restored (`ConflictIndex.restore`:
 * options, slots, every entry's kind and window, a spot check of boxes); one that does not fit
 * is dropped and the index built from the snapshot's declarations, the log says why.
 *
 * Layout (little-endian): `MAGIC`; u32 header length and the header (JSON: format, ledger
 * position, declarations, parts, the index state's sizes); per part a u32 triple (JSON bytes,
 * nesting ints, numbers) then the JSON (`[[version, ...], [declaration without coordinates, ...]]`),
 * the nesting (Int32) and the numbers (Float64) of the packed coordinates; then the index state: the
 * slots (Int32, one per declaration), the tree's bytes, the delta's boxes and windows (Float64,
 * six per entry), kinds (Uint8) and slots (Int32); last the 32-byte SHA-256 of everything before.
 * Parts of {@link PART} declarations keep the memory of a read or write to a few MB at a time;
 * the index state is read straight into the arrays it becomes (the tree into shared memory, as
 * the tree worker reads it).
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { IndexState } from '../engine/stindex.ts';
import type { Declaration } from '../engine/types.ts';
import { packDeclarations, unpack } from './pack.ts';

/** The snapshot's file name in a data directory. */
export const SNAPSHOT_FILE = 'index.snapshot';

const MAGIC = Buffer.from('deconflict index snapshot\n', 'latin1');
/** 2: with the index state (a snapshot of format 1 is refused, and the index rebuilt). */
const FORMAT = 2;
/** Declarations per part. */
const PART = 16_384;
/** Bounds a damaged header or part length cannot exceed (refused before allocating). */
const MAX_HEADER = 4096;
const MAX_PART_BYTES = 1 << 30;
const DIGEST = 32;

/** Where the store was when the snapshot was taken: its ledger's head (seq 0 when empty). */
export interface LedgerPosition {
  readonly seq: number;
  readonly hash: string;
}

/** An active declaration and its current version, as the index holds it. */
export interface SnapshotEntry {
  readonly version: number;
  readonly decl: Declaration;
}

export interface Snapshot {
  readonly position: LedgerPosition;
  /** In the order of `index.slots` when there is an index state. */
  readonly entries: readonly SnapshotEntry[];
  readonly index: IndexState | null;
}

/** Why a snapshot was not used (the log says it): nothing there, or what was wrong with it. */
export type Refusal = { readonly ok: false; readonly reason: string };

interface Header {
  readonly format: number;
  readonly position: LedgerPosition;
  readonly declarations: number;
  readonly parts: number;
  readonly index: IndexSizes | null;
}

/** The index state's header: what is not an array, and the arrays' lengths. */
interface IndexSizes {
  readonly boxes: string;
  readonly slotCount: number;
  readonly treeBytes: number;
  readonly deltaEntries: number;
}

/**
 * Write the snapshot atomically at `path`: nothing is at `path` but a whole file, the old one or
 * the new one. Synchronous: it runs when the hub stops, with nothing else to serve.
 */
export function writeSnapshot(
  path: string,
  position: LedgerPosition,
  entries: readonly SnapshotEntry[],
  index: IndexState | null = null,
): void {
  if (index !== null && index.slots.length !== entries.length)
    throw new Error(`an index state of ${index.slots.length} declarations for ${entries.length}`);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  const hash = createHash('sha256');
  const put = (b: Uint8Array): void => {
    hash.update(b);
    for (let at = 0; at < b.byteLength; ) at += writeSync(fd, b, at);
  };
  try {
    const parts = Math.ceil(entries.length / PART);
    const sizes: IndexSizes | null =
      index === null
        ? null
        : {
            boxes: index.boxes,
            slotCount: index.slotCount,
            treeBytes: index.tree?.byteLength ?? 0,
            deltaEntries: index.delta.ids.length,
          };
    const header: Header = { format: FORMAT, position, declarations: entries.length, parts, index: sizes };
    const head = Buffer.from(JSON.stringify(header), 'utf8');
    put(MAGIC);
    put(u32s(head.byteLength));
    put(head);
    for (let at = 0; at < entries.length; at += PART) {
      const part = entries.slice(at, at + PART);
      const { decls, packed } = packDeclarations(part.map((e) => e.decl));
      const json = Buffer.from(JSON.stringify([part.map((e) => e.version), decls]), 'utf8');
      if (packed.which.length !== part.length) throw new Error('a declaration without coordinates');
      put(u32s(json.byteLength, packed.shape.length, packed.numbers.length));
      put(json);
      put(bytesOf(packed.shape));
      put(bytesOf(packed.numbers));
    }
    if (index !== null) {
      put(bytesOf(index.slots));
      if (index.tree !== null) put(new Uint8Array(index.tree));
      put(bytesOf(index.delta.items));
      put(bytesOf(index.delta.kinds));
      put(bytesOf(index.delta.ids));
    }
    const digest = hash.digest();
    for (let at = 0; at < digest.byteLength; ) at += writeSync(fd, digest, at);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
  syncDirectory(dirname(path));
}

/**
 * Read the snapshot at `path` and remove the file (it is read once: see the header). Answers
 * the snapshot, or why there is none to use: missing, truncated, corrupt, another format.
 */
export function takeSnapshot(path: string): Snapshot | Refusal {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { ok: false, reason: 'no snapshot' };
  }
  try {
    return readWhole(path, size);
  } finally {
    rmSync(path, { force: true });
    syncDirectory(dirname(path));
  }
}

/**
 * Whether a snapshot reflects the store: null when it does, else what differs. `active` is the
 * store's (id, version) of every active declaration.
 */
export function mismatch(
  s: Snapshot,
  head: LedgerPosition,
  active: ReadonlyMap<string, number>,
): string | null {
  if (s.position.seq !== head.seq || s.position.hash !== head.hash)
    return `taken at ledger entry ${s.position.seq}, the store is at ${head.seq}`;
  if (s.entries.length !== active.size)
    return `${s.entries.length} active declarations, the store has ${active.size}`;
  for (const { decl, version } of s.entries) {
    const stored = active.get(decl.id);
    if (stored !== version)
      return `declaration ${decl.id} is version ${version}, the store has ${stored ?? 'none active'}`;
  }
  return null;
}

function readWhole(path: string, size: number): Snapshot | Refusal {
  const truncated: Refusal = { ok: false, reason: 'the snapshot is truncated' };
  const corrupt = (what: string): Refusal => ({ ok: false, reason: `the snapshot is corrupt (${what})` });
  if (size < MAGIC.byteLength + 4 + DIGEST) return truncated;
  const fd = openSync(path, 'r');
  try {
    // The checksum first, over the whole file: nothing of a damaged file is parsed.
    if (!checksumHolds(fd, size)) {
      const magic = Buffer.alloc(MAGIC.byteLength);
      readSync(fd, magic, 0, magic.byteLength, 0);
      return magic.equals(MAGIC) ? corrupt('checksum: truncated or damaged') : corrupt('not a snapshot file');
    }
    let at = 0;
    /** Fill `b` with the next bytes; false past the content (the checksum's 32 bytes are not content). */
    const fill = (b: Uint8Array): boolean => {
      const n = b.byteLength;
      if (at + n > size - DIGEST) return false;
      for (let got = 0; got < n; ) {
        const r = readSync(fd, b, got, n - got, at + got);
        if (r === 0) return false;
        got += r;
      }
      at += n;
      return true;
    };
    /** The next `n` bytes, or null past the content (checked before allocating). */
    const take = (n: number): Buffer | null => {
      if (at + n > size - DIGEST) return null;
      const b = Buffer.allocUnsafe(n);
      return fill(b) ? b : null;
    };
    /** The next `n` elements of a typed array, read into it (checked before allocating). */
    const takeArray = <T extends Int32Array | Float64Array | Uint8Array>(
      make: new (buffer: ArrayBufferLike) => T,
      width: number,
      n: number,
      shared = false,
    ): T | null => {
      if (!(Number.isSafeInteger(n) && n >= 0 && at + n * width <= size - DIGEST)) return null;
      const buffer = shared ? new SharedArrayBuffer(n * width) : new ArrayBuffer(n * width);
      return fill(new Uint8Array(buffer)) ? new make(buffer) : null;
    };
    if (!take(MAGIC.byteLength)?.equals(MAGIC)) return corrupt('not a snapshot file');
    const headLength = take(4)?.readUInt32LE(0);
    if (headLength === undefined) return truncated;
    if (headLength > MAX_HEADER) return corrupt('header length');
    const headBytes = take(headLength);
    const header = headBytes === null ? null : parseHeader(headBytes);
    if (header === null) return corrupt('header');
    if (header.format !== FORMAT) return { ok: false, reason: `the snapshot is of format ${header.format}` };
    const entries: SnapshotEntry[] = [];
    for (let p = 0; p < header.parts; p++) {
      const lengths = take(12);
      if (lengths === null) return corrupt(`part ${p + 1}`);
      const [jsonBytes, ints, numbers] = [0, 4, 8].map((o) => lengths.readUInt32LE(o)) as [
        number,
        number,
        number,
      ];
      if (jsonBytes + 4 * ints + 8 * numbers > MAX_PART_BYTES) return corrupt('part length');
      const json = take(jsonBytes);
      const shape = takeArray(Int32Array, 4, ints);
      const nums = takeArray(Float64Array, 8, numbers);
      const part = json && shape && nums && parsePart(json, shape, nums);
      if (!part) return corrupt(`part ${p + 1}`);
      for (const e of part) entries.push(e);
    }
    if (entries.length !== header.declarations) return corrupt('count');
    let index: IndexState | null = null;
    if (header.index !== null) {
      const { boxes, slotCount, treeBytes, deltaEntries } = header.index;
      const slots = takeArray(Int32Array, 4, entries.length);
      const tree = treeBytes === 0 ? null : takeArray(Uint8Array, 1, treeBytes, true);
      const items = takeArray(Float64Array, 8, deltaEntries * 6);
      const kinds = takeArray(Uint8Array, 1, deltaEntries);
      const ids = takeArray(Int32Array, 4, deltaEntries);
      if (slots === null || (treeBytes !== 0 && tree === null) || !items || !kinds || !ids)
        return corrupt('index state');
      index = { boxes, slotCount, slots, tree: tree?.buffer ?? null, delta: { items, kinds, ids } };
    }
    if (at !== size - DIGEST) return corrupt('trailing bytes');
    return { position: header.position, entries, index };
  } finally {
    closeSync(fd);
  }
}

/** Whether the last 32 bytes are the SHA-256 of all before them (read in chunks of 8 MiB). */
function checksumHolds(fd: number, size: number): boolean {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(8 << 20);
  const end = size - DIGEST;
  for (let at = 0; at < end; ) {
    const r = readSync(fd, chunk, 0, Math.min(chunk.byteLength, end - at), at);
    if (r === 0) return false;
    hash.update(chunk.subarray(0, r));
    at += r;
  }
  const digest = Buffer.alloc(DIGEST);
  return readSync(fd, digest, 0, DIGEST, end) === DIGEST && hash.digest().equals(digest);
}

function parseHeader(b: Buffer): Header | null {
  try {
    const h = JSON.parse(b.toString('utf8')) as Header;
    // Another format is answered as such (refused by its number), whatever else it holds.
    if (Number.isSafeInteger(h?.format) && h.format !== FORMAT) return h;
    const ok =
      Number.isSafeInteger(h.format) &&
      Number.isSafeInteger(h.position?.seq) &&
      typeof h.position.hash === 'string' &&
      Number.isSafeInteger(h.declarations) &&
      Number.isSafeInteger(h.parts) &&
      (h.index === null ||
        (typeof h.index?.boxes === 'string' &&
          Number.isSafeInteger(h.index.slotCount) &&
          Number.isSafeInteger(h.index.treeBytes) &&
          Number.isSafeInteger(h.index.deltaEntries)));
    return ok ? h : null;
  } catch {
    return null;
  }
}

/** A part's entries; null when its pieces do not fit together (a damaged file). */
function parsePart(json: Buffer, shape: Int32Array, numbers: Float64Array): SnapshotEntry[] | null {
  try {
    const [versions, decls] = JSON.parse(json.toString('utf8')) as [number[], Declaration[]];
    if (versions.length !== decls.length) return null;
    const coordinates = unpack({ which: decls.map((_, i) => i), shape, numbers });
    // The objects were parsed just now and are ours: their coordinates are put in place, not
    // copied with them (a million copies were a second of garbage collection at start).
    return decls.map((decl, i) => {
      (decl.geometry as { coordinates: unknown }).coordinates = coordinates[i];
      return { version: versions[i] as number, decl };
    });
  } catch {
    return null;
  }
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(4 * values.length);
  values.forEach((v, i) => {
    b.writeUInt32LE(v, 4 * i);
  });
  return b;
}

const bytesOf = (a: Int32Array | Float64Array | Uint8Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Make a rename or removal in `dir` durable (a no-op where directories cannot be opened). */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some systems refuse fsync on a directory; the rename is then as durable as they make it.
  } finally {
    closeSync(fd);
  }
}

/** Where the index came from at start, and why (the hub logs it). */
export interface IndexSource {
  readonly from: 'snapshot' | 'store';
  readonly why: string;
}

/** A ledger head as a snapshot's position (seq 0 and no hash before the first entry). */
export const positionOf = (head: { readonly seq: number; readonly hash: string } | null): LedgerPosition => ({
  seq: head?.seq ?? 0,
  hash: head?.hash ?? '',
});

/**
 * The snapshot at `path` if there is one and it reflects the store (ledger head `head`, active
 * set `active`), else why not. Reads and removes the file (`takeSnapshot`).
 */
export function usableSnapshot(
  path: string | undefined,
  head: LedgerPosition,
  active: ReadonlyMap<string, number>,
): Snapshot | Refusal {
  if (path === undefined) return { ok: false, reason: 'no snapshot configured' };
  const taken = takeSnapshot(path);
  if ('ok' in taken) return taken;
  const differs = mismatch(taken, head, active);
  return differs === null
    ? taken
    : { ok: false, reason: `the snapshot does not match the store: ${differs}` };
}
