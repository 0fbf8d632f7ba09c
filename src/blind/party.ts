/**
 * A party's side of blind matching (docs/blind-matching.md), platform-free: what `deconflict
 * agent` runs and a browser could run too. It never talks to the hub; it turns declarations into
 * tokens and elements and back.
 *
 * - {@link sealTokens}: the owner's tokens for a sealed declaration — every (cell, slot) of its
 *   geometry widened by its reach, evaluated under the party's key (RFC 9497 Evaluate), the first
 *   32 bytes of each output.
 * - {@link queryInputs}: the asking side's inputs for a check — its declaration covered the same
 *   way, over the slots the check names, in a random order (so the order of the elements says
 *   nothing of the cells), with the index of each one's slot.
 * - Blinding, evaluation and finalizing are the {@link Oprf}'s; {@link tokenOf} cuts an output.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Declaration, EngineOptions } from '../engine/types.ts';
import { coverCells } from './cover.ts';
import type { Oprf } from './oprf.ts';
import { coarseWindow, slotLengthFor, slotsOf, tokenInput } from './params.ts';
import { blindReach } from './rules.ts';

/** Bytes of a token: the first half of an OPRF output (a false match is a 2⁻²⁵⁶ event per pair). */
export const TOKEN_BYTES = 32;

export const tokenOf = (output: Uint8Array): Uint8Array => output.slice(0, TOKEN_BYTES);

export interface SealedTokens {
  /** The coarse window: whole slots. */
  readonly start: number;
  readonly end: number;
  readonly slot_ms: number;
  readonly resolution: number;
  readonly cells: number;
  readonly tokens: Uint8Array[];
}

/** The owner's tokens for one of its declarations, sealed (it must end). */
export function sealTokens(
  oprf: Oprf,
  key: Uint8Array,
  d: Declaration,
  engine: EngineOptions,
  resolution: number,
  maxTokens: number,
): SealedTokens {
  if (d.end === null) throw new RangeError(`declaration ${d.id}: a sealed declaration must end`);
  const slot_ms = slotLengthFor(d.start, d.end);
  const w = coarseWindow(d.start, d.end, slot_ms);
  const slots = slotsOf(w.start, w.end, slot_ms);
  const cells = coverCells(
    d.geometry,
    blindReach(d, engine),
    resolution,
    Math.max(1, Math.floor(maxTokens / slots.length)),
  );
  if (cells.length * slots.length > maxTokens)
    throw new RangeError(
      `declaration ${d.id}: ${cells.length} cells × ${slots.length} slots is more than ${maxTokens} tokens`,
    );
  const inputs: Uint8Array[] = [];
  for (const t of slots) for (const c of cells) inputs.push(tokenInput(c, t, slot_ms));
  const tokens = oprf.evaluateMany(key, inputs).map(tokenOf);
  return { start: w.start, end: w.end, slot_ms, resolution, cells: cells.length, tokens };
}

export interface QueryInputs {
  readonly inputs: Uint8Array[];
  /** For each input, the index of its slot in the check's slots. */
  readonly slotIndex: number[];
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates on the platform's CSPRNG). */
function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const r = new Uint32Array(1);
  for (let i = n - 1; i > 0; i--) {
    // Rejection sampling: no modulo bias.
    const limit = Math.floor(0x1_0000_0000 / (i + 1)) * (i + 1);
    let x: number;
    do {
      crypto.getRandomValues(r);
      x = r[0] as number;
    } while (x >= limit);
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** The asking side's inputs for a check of `d` over `slots` (starts, of `slot_ms`). */
export function queryInputs(
  d: Declaration,
  engine: EngineOptions,
  resolution: number,
  slots: readonly number[],
  slot_ms: number,
  maxElements: number,
): QueryInputs {
  const cells = coverCells(
    d.geometry,
    blindReach(d, engine),
    resolution,
    Math.max(1, Math.floor(maxElements / Math.max(1, slots.length))),
  );
  const all: { input: Uint8Array; slot: number }[] = [];
  slots.forEach((t, i) => {
    for (const c of cells) all.push({ input: tokenInput(c, t, slot_ms), slot: i });
  });
  if (all.length > maxElements)
    throw new RangeError(
      `${cells.length} cells × ${slots.length} slots is more than ${maxElements} elements`,
    );
  const order = shuffled(all.length);
  return {
    inputs: order.map((i) => (all[i] as { input: Uint8Array }).input),
    slotIndex: order.map((i) => (all[i] as { slot: number }).slot),
  };
}

/**
 * The hash of a check's blinded elements (base64, one per line): what the ledger records of a
 * query, and what binds an evaluation to the blinding it answers — an agent finalizes only the
 * evaluation of the elements it blinded itself (another agent of the party may have blinded
 * again since: with the wrong scalars the outputs would be noise, and a match would be missed).
 */
export function elementsHash(elements: readonly string[]): string {
  return bytesToHex(sha256(new TextEncoder().encode(elements.join('\n'))));
}
