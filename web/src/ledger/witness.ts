/**
 * The console as a witness (docs/transparency.md §5): on login and every 60 s, read the hub's
 * latest checkpoint, judge it against the one this browser kept (checkpoints.ts), keep it when it
 * holds and — when the member's key may sign — cosign it. When it does not hold, the evidence (the
 * kept checkpoint, the one shown, why) is kept in this browser, the red banner says so while the
 * evidence is kept, and nothing is cosigned.
 *
 * The kept checkpoint is per log origin, shared by every member using this browser: the log is
 * the hub's, one for all parties. The evidence is never overwritten by a later check that holds:
 * a hub that once showed another history has been caught, whatever it shows next.
 */

import type { CheckpointView, LogView } from '../../../src/api/ledger.ts';
import { api, errorText } from '../api.ts';
import { cosignature, judge, proofHashes, type Seen, type Verdict } from './checkpoints.ts';
import { changed, ledger, signingKey } from './state.ts';

const EVERY = 60_000;
const keptStore = (origin: string): string => `deconflict.checkpoint:${origin}`;
const evidenceStore = (origin: string): string => `deconflict.split-view:${origin}`;
const ORIGIN_STORE = 'deconflict.log-origin';

/** What is kept when the hub is caught: enough for anyone to check the two signed notes. */
export interface Evidence {
  readonly origin: string;
  readonly failure: string;
  readonly message: string;
  readonly caught_at: string;
  readonly kept: Seen | null;
  readonly shown: { size: number; root: string; note: string };
}

let timer: ReturnType<typeof setInterval> | undefined;
let running: Promise<void> | null = null;

/** Check now and every 60 s (at login). */
export function startWitness(): void {
  stopWitness();
  void checkLog();
  timer = setInterval(() => void checkLog(), EVERY);
}

/** Stop checking (logging out). */
export function stopWitness(): void {
  clearInterval(timer);
  timer = undefined;
}

/** One check, unless one is under way (then that one). */
export function checkLog(): Promise<void> {
  running ??= check().finally(() => {
    running = null;
  });
  return running;
}

/** The checkpoint this browser kept for a log, or null. */
export function keptCheckpoint(origin: string): Seen | null {
  try {
    return JSON.parse(localStorage.getItem(keptStore(origin)) ?? 'null') as Seen | null;
  } catch {
    return null;
  }
}

/** The evidence kept against a log's hub, or null. */
export function evidenceOf(origin: string): Evidence | null {
  try {
    return JSON.parse(localStorage.getItem(evidenceStore(origin)) ?? 'null') as Evidence | null;
  } catch {
    return null;
  }
}

/**
 * Forget the evidence and the kept checkpoint, once the different history was reported and
 * explained (a hub restored from a backup): the hub's record as it is now is trusted from here on,
 * as on first sight. Kept otherwise, the banner could never go, the hub's history never matching
 * the one kept again.
 */
export function trustAnew(origin: string): void {
  localStorage.removeItem(evidenceStore(origin));
  localStorage.removeItem(keptStore(origin));
  ledger.verdict = null;
  changed();
  void checkLog();
}

async function check(): Promise<void> {
  try {
    const view = await api<LogView>('GET', '/ledger/checkpoint');
    noteOrigin(view.origin);
    ledger.origin = view.origin;
    ledger.log = view;
    const verdict = await judge(view, keptCheckpoint(view.origin), consistencyProof);
    ledger.verdict = verdict;
    if (verdict.ok !== null) ledger.checkedAt = Date.now();
    if (verdict.ok === true) {
      localStorage.setItem(keptStore(view.origin), JSON.stringify(verdict.checkpoint));
      await cosign(view, verdict);
    } else if (verdict.ok === false) keepEvidence(view.origin, verdict);
  } catch (err) {
    ledger.verdict = { ok: null, message: `could not read the hub's checkpoint: ${errorText(err)}` };
  }
  changed();
}

async function consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
  const r = await api<{ proof: string[] }>('GET', `/ledger/consistency?from=${from}&to=${to}`);
  return proofHashes(r.proof);
}

/** A log this browser has not seen at this address before: say so (its history starts here). */
function noteOrigin(origin: string): void {
  const before = localStorage.getItem(ORIGIN_STORE);
  if (before !== null && before !== origin) ledger.originChanged = { from: before, to: origin };
  localStorage.setItem(ORIGIN_STORE, origin);
}

function keepEvidence(origin: string, v: Extract<Verdict, { ok: false }>): void {
  // The first evidence is kept: a later, different one would not make the first less true.
  if (evidenceOf(origin) !== null) return;
  const e: Evidence = {
    origin,
    failure: v.failure,
    message: v.message,
    caught_at: new Date().toISOString(),
    kept: v.kept,
    shown: v.shown,
  };
  localStorage.setItem(evidenceStore(origin), JSON.stringify(e));
}

/** Cosign a checkpoint that held, once per key and size, when the member's key may sign. */
async function cosign(view: LogView, v: Extract<Verdict, { ok: true }>): Promise<void> {
  const key = signingKey();
  const cp = v.checkpoint;
  if (!key || cp.size === 0 || evidenceOf(view.origin) !== null) return;
  const done = { key: key.id, size: cp.size };
  const already = cp.size === view.latest.size && view.latest.cosigned_by.some((c) => c.key === key.id);
  if (already || (ledger.cosigned?.key === key.id && ledger.cosigned.size === cp.size)) {
    ledger.cosigned = done;
    return;
  }
  try {
    const signed = await api<CheckpointView>('POST', '/ledger/cosignatures', cosignature(cp, key.seed));
    ledger.cosigned = done;
    // The hub answers the checkpoint with every cosignature: it is now published (a party cosigned).
    const log = ledger.log;
    if (log && (log.published === null || log.published.size <= signed.size))
      ledger.log = { ...log, published: signed };
    ledger.cosignError = null;
  } catch (err) {
    ledger.cosignError = errorText(err);
  }
}
