/**
 * Coordinates across threads as two typed arrays, moved rather than copied.
 *
 * Why: a message between threads is copied by the structured clone algorithm, one object at a
 * time, and a heavy submission is 120,000 small arrays of two numbers: copying it to a detection
 * worker and its parsed declarations back cost the main thread 100–400 ms each way (measured on
 * this project's machine), the very block the workers are there to avoid. Packed, the nesting
 * becomes one Int32Array and the numbers one Float64Array, whose buffers are transferred (no
 * copy); packing and unpacking are one tight loop each.
 *
 * Exactness: a value is packed only when it is nested arrays of numbers (what coordinates are
 * meant to be); anything else — a string where a number should be, an object, arrays nested deeper
 * than any geometry — is left as it is and copied the ordinary way, so the worker parses exactly
 * the input the client sent and reports exactly the same problems. Float64 holds every number JSON
 * can give (and -0). Which values were packed is a list of their places, never a marker inside the
 * input, so no input can pass for a packed one.
 */
import type { Declaration, Geometry } from '../engine/types.ts';

/** Packed values: their places (indexes into the caller's list), their nesting, their numbers. */
export interface Packed {
  readonly which: readonly number[];
  readonly shape: Int32Array;
  readonly numbers: Float64Array;
}

/** Deeper than a MultiPolygon's coordinates (polygons, rings, positions, numbers): not coordinates. */
const MAX_DEPTH = 4;

/**
 * Pack the values that are nested arrays of numbers; the others are left out of `which`.
 * Nesting, in pre-order: an array of arrays is `2n` (n children follow), an array of numbers
 * `2L + 1` (its L numbers follow in `numbers`).
 */
export function pack(values: readonly unknown[]): Packed {
  // Two passes: measure (and check) each value, then write into typed arrays of the exact size.
  const which: number[] = [];
  const size = { shape: 0, numbers: 0 };
  values.forEach((v, i) => {
    const before = { ...size };
    if (measure(v, 0, size)) which.push(i);
    else Object.assign(size, before);
  });
  const out = { which, shape: new Int32Array(size.shape), numbers: new Float64Array(size.numbers) };
  const at = { shape: 0, numbers: 0 };
  for (const i of which) write(values[i] as unknown[], out, at);
  return out;
}

/** Adds what `v` takes to `size`; false when it is not nested arrays of numbers. */
function measure(v: unknown, depth: number, size: { shape: number; numbers: number }): boolean {
  if (!Array.isArray(v) || depth > MAX_DEPTH) return false;
  size.shape++;
  if (v.length > 0 && typeof v[0] === 'number') {
    for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number') return false;
    size.numbers += v.length;
    return true;
  }
  for (let i = 0; i < v.length; i++) if (!measure(v[i], depth + 1, size)) return false;
  return true;
}

function write(v: unknown[], out: Packed, at: { shape: number; numbers: number }): void {
  if (v.length > 0 && typeof v[0] === 'number') {
    out.shape[at.shape++] = 2 * v.length + 1;
    for (let i = 0; i < v.length; i++) out.numbers[at.numbers++] = v[i] as number;
    return;
  }
  out.shape[at.shape++] = 2 * v.length;
  for (let i = 0; i < v.length; i++) write(v[i] as unknown[], out, at);
}

/** The packed values again, in the order of `which`. */
export function unpack(p: Packed): unknown[] {
  let s = 0;
  let n = 0;
  const read = (): unknown[] => {
    const code = p.shape[s++] as number;
    const length = code >> 1;
    const out: unknown[] = new Array(length);
    if (code & 1) {
      for (let i = 0; i < length; i++) out[i] = p.numbers[n++];
    } else {
      for (let i = 0; i < length; i++) out[i] = read();
    }
    return out;
  };
  return p.which.map(() => read());
}

/** The buffers to transfer with a message carrying `p`. */
export const transfers = (p: Packed): ArrayBuffer[] => [
  p.shape.buffer as ArrayBuffer,
  p.numbers.buffer as ArrayBuffer,
];

/** A copy with buffers of its own (one message per worker: a buffer moves only once). */
export const copyPacked = (p: Packed): Packed => ({
  which: p.which,
  shape: p.shape.slice(),
  numbers: p.numbers.slice(),
});

/** A raw submission with its features' coordinates packed (the rest as it came). */
export interface PackedInput {
  readonly input: unknown;
  readonly packed: Packed;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** The features of a raw submission, and how to put changed ones back. */
function featuresOf(input: unknown): { list: unknown[]; rebuild: (list: unknown[]) => unknown } {
  if (isObject(input) && input.type === 'FeatureCollection' && Array.isArray(input.features)) {
    return { list: input.features, rebuild: (features) => ({ ...input, features }) };
  }
  return { list: [input], rebuild: (list) => list[0] };
}

const coordinatesOf = (f: unknown): unknown => {
  const g = isObject(f) ? f.geometry : undefined;
  return isObject(g) ? g.coordinates : undefined;
};

/** Pack a raw submission's coordinates; keys keep their order (a spread keeps it). */
export function packInput(input: unknown): PackedInput {
  const { list, rebuild } = featuresOf(input);
  const packed = pack(list.map(coordinatesOf));
  if (packed.which.length === 0) return { input, packed };
  const copy = [...list];
  for (const i of packed.which) {
    const f = copy[i] as Record<string, unknown>;
    copy[i] = { ...f, geometry: { ...(f.geometry as Record<string, unknown>), coordinates: null } };
  }
  return { input: rebuild(copy), packed };
}

export function unpackInput(p: PackedInput): unknown {
  if (p.packed.which.length === 0) return p.input;
  const { list, rebuild } = featuresOf(p.input);
  const values = unpack(p.packed);
  const copy = [...list];
  p.packed.which.forEach((i, k) => {
    const f = copy[i] as Record<string, unknown>;
    copy[i] = { ...f, geometry: { ...(f.geometry as Record<string, unknown>), coordinates: values[k] } };
  });
  return rebuild(copy);
}

/** Declarations with their coordinates packed (a parsed geometry's always pack). */
export interface PackedDeclarations {
  readonly decls: readonly Declaration[];
  readonly packed: Packed;
}

export function packDeclarations(decls: readonly Declaration[]): PackedDeclarations {
  const packed = pack(decls.map((d) => d.geometry.coordinates));
  const which = new Set(packed.which);
  const out = decls.map((d, i) =>
    which.has(i) ? { ...d, geometry: { ...d.geometry, coordinates: null } } : d,
  );
  return { decls: out as unknown as Declaration[], packed };
}

export function unpackDeclarations(p: PackedDeclarations): Declaration[] {
  const values = unpack(p.packed);
  const out = [...p.decls];
  p.packed.which.forEach((i, k) => {
    const d = out[i] as Declaration;
    out[i] = { ...d, geometry: { ...d.geometry, coordinates: values[k] } as Geometry };
  });
  return out;
}
