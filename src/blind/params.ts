/**
 * The parameters of blind matching (sealed declarations): the H3 resolution, the ladder of time
 * slot lengths, and the bytes each (cell, slot) pair is turned into before it is blinded.
 *
 * A sealed declaration never shows its geometry to the hub: its owner covers the geometry,
 * widened by its reach, with H3 cells (cover.ts) × the time slots that meet its window, and each
 * (cell, slot) becomes a token under the party's OPRF key. Two declarations can conflict only
 * when their covers share a (cell, slot). Time: two windows that overlap share an instant t, and
 * t lies in the slot `⌊t / slotMs⌋ · slotMs` of both when both are covered by slots of the same
 * length on the same grid (multiples of the length from the epoch). So both sides of a match use
 * one slot length: the sealed side's, {@link slotLengthFor} its window.
 *
 * Platform-free: imports only the engine (types) and h3-js, no Node built-ins.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The H3 resolution of covers unless a hub says otherwise (cells about 0.74 km², edge ≈ 0.46 km). */
export const DEFAULT_RESOLUTION = 8;

/** Slot lengths to choose from, shortest first: 1 h, 6 h, 1 d, 7 d, 28 d. */
export const SLOT_LADDER_MS: readonly number[] = [HOUR_MS, 6 * HOUR_MS, DAY_MS, 7 * DAY_MS, 28 * DAY_MS];

/** The most slots a window is covered with, unless even the longest slot needs more. */
export const MAX_SLOTS = 12;

/** The longest window a sealed declaration may have (366 days). */
export const MAX_SEALED_WINDOW_MS = 366 * DAY_MS;

/** The most slots {@link slotsOf} lists before refusing. */
const SLOTS_LIMIT = 100_000;

/** The token domain: changing it changes every token (a new version of the scheme). */
const TOKEN_DOMAIN = 'deconflict-blind-v1';

function checkSlotMs(slotMs: number): void {
  if (!Number.isSafeInteger(slotMs) || slotMs <= 0) {
    throw new RangeError(`slot length must be a positive whole number of milliseconds, got ${slotMs}`);
  }
}

function checkTime(name: string, t: number): void {
  if (!Number.isSafeInteger(t)) throw new RangeError(`${name} must be a whole number of epoch ms, got ${t}`);
}

/** How many slots of `slotMs` on the grid meet the half-open window [start, end). */
function slotCount(start: number, end: number, slotMs: number): number {
  if (end <= start) return 0;
  return Math.ceil(end / slotMs) - Math.floor(start / slotMs);
}

/**
 * The slot length for the window [start, end): the first length of {@link SLOT_LADDER_MS} whose
 * aligned slots meeting the window number at most {@link MAX_SLOTS}, else the last (longest).
 */
export function slotLengthFor(start: number, end: number): number {
  checkTime('start', start);
  checkTime('end', end);
  for (const slotMs of SLOT_LADDER_MS) {
    if (slotCount(start, end, slotMs) <= MAX_SLOTS) return slotMs;
  }
  return SLOT_LADDER_MS[SLOT_LADDER_MS.length - 1] as number;
}

/**
 * The starts (epoch ms, multiples of `slotMs` from the epoch) of every slot of length `slotMs`
 * that meets the half-open window [start, end), in increasing order; none when the window is
 * empty. Refuses (RangeError) more than 100,000 slots.
 */
export function slotsOf(start: number, end: number, slotMs: number): number[] {
  checkTime('start', start);
  checkTime('end', end);
  checkSlotMs(slotMs);
  const n = slotCount(start, end, slotMs);
  if (n > SLOTS_LIMIT) {
    throw new RangeError(`the window needs ${n} slots of ${slotMs} ms; at most ${SLOTS_LIMIT}`);
  }
  const first = Math.floor(start / slotMs) * slotMs + 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(first + i * slotMs);
  return out;
}

/** The window [start, end) rounded out to the slot grid: the union of its slots. */
export function coarseWindow(start: number, end: number, slotMs: number): { start: number; end: number } {
  checkTime('start', start);
  checkTime('end', end);
  checkSlotMs(slotMs);
  // `+ 0`: no −0 (a window just before the epoch).
  return { start: Math.floor(start / slotMs) * slotMs + 0, end: Math.ceil(end / slotMs) * slotMs + 0 };
}

/** The bytes a (cell, slot) pair is blinded as: UTF-8 of `deconflict-blind-v1|cell|slotMs|slotStart`. */
export function tokenInput(cell: string, slotStart: number, slotMs: number): Uint8Array {
  if (!/^[0-9a-f]{15}$/.test(cell)) throw new RangeError(`not an H3 cell index: ${JSON.stringify(cell)}`);
  checkSlotMs(slotMs);
  checkTime('slot start', slotStart);
  if (slotStart % slotMs !== 0)
    throw new RangeError(`slot start ${slotStart} is not on the ${slotMs} ms grid`);
  return new TextEncoder().encode(`${TOKEN_DOMAIN}|${cell}|${slotMs}|${slotStart}`);
}

/** The pair {@link tokenInput} encoded (for tests and debugging); throws on anything else. */
export function parseTokenInput(bytes: Uint8Array): { cell: string; slotStart: number; slotMs: number } {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const m = /^deconflict-blind-v1\|([0-9a-f]{15})\|([1-9][0-9]*)\|(-?(?:0|[1-9][0-9]*))$/.exec(text);
  if (m === null) throw new RangeError(`not a blind token input: ${JSON.stringify(text)}`);
  const slotMs = Number(m[2]);
  const slotStart = Number(m[3]);
  checkSlotMs(slotMs);
  checkTime('slot start', slotStart);
  if (slotStart % slotMs !== 0)
    throw new RangeError(`slot start ${slotStart} is not on the ${slotMs} ms grid`);
  return { cell: m[1] as string, slotStart, slotMs };
}
