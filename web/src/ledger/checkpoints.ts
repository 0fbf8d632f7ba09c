/**
 * The console as a witness of the hub's log (docs/transparency.md §5), the part that decides:
 * given the hub's latest checkpoint and the one this browser kept, does the new one hold — signed
 * by the hub's key for its size, and an extension of the kept one (RFC 9162 consistency)? And the
 * cosignature a member's key gives a checkpoint that holds.
 *
 * What counts as the hub showing a different history (the red banner, and no cosignature):
 * - the checkpoint's signature does not verify with the hub key current at its size;
 * - a checkpoint of the kept size with another root (a split view, caught directly);
 * - a larger one the consistency proof does not link to the kept one;
 * - a smaller one than kept (entries the hub signed for are gone);
 * - the hub keys of the kept history changed (a key that signed what was kept, replaced).
 * A proof the hub would not give, or a hub out of reach, is not proof of anything: "not checked".
 *
 * The hub's JSON fields are never trusted over its signed note: size and root are read from the
 * note's text, and must agree with the fields. No DOM and no storage: runs under Node for tests.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import type { CosignBody, LogView } from '../../../src/api/ledger.ts';
import { verifyConsistency } from '../../../src/ledger/merkle.ts';
import {
  formatCheckpoint,
  fromBase64,
  openNote,
  parseCheckpoint,
  signerFromPrivateKey,
  toBase64,
  verifierFromKey,
} from '../../../src/ledger/note.ts';
import { keyId, witnessKeyName } from '../../../src/ledger/statement.ts';

type HubKey = LogView['hub_keys'][number];

/** A checkpoint whose hub signature verified: what the witness keeps and compares. */
export interface Seen {
  readonly origin: string;
  readonly size: number;
  /** The root, base64 (as in the note). */
  readonly root: string;
  /** The signed note, as the hub gave it: evidence if the hub later shows another history. */
  readonly note: string;
  /** When this browser last saw it hold (ISO 8601 UTC). */
  readonly seen_at: string;
  /** The hub keys of the log as they were then (the history of keys must not change). */
  readonly hub_keys: readonly HubKey[];
}

export type Failure = 'bad_signature' | 'split_view' | 'inconsistent' | 'rolled_back' | 'key_history';

export type Verdict =
  | { readonly ok: true; readonly checkpoint: Seen; readonly grew: boolean; readonly first: boolean }
  | {
      readonly ok: false;
      readonly failure: Failure;
      readonly message: string;
      /** The kept checkpoint, and the sizes shown (for the banner and the evidence). */
      readonly kept: Seen | null;
      readonly shown: { readonly size: number; readonly root: string; readonly note: string };
    }
  | { readonly ok: null; readonly message: string };

/** The hub key that signs checkpoints of `size` entries: the last `log.key` among the first `size`. */
export function hubKeyAt(keys: readonly HubKey[], size: number): HubKey | null {
  // The latest that started by then, should a list name overlapping spans (as `deconflict verify`).
  let best: HubKey | null = null;
  for (const k of keys)
    if (
      k.from_seq <= size &&
      (k.until_seq === null || size < k.until_seq) &&
      (best === null || k.from_seq > best.from_seq)
    )
      best = k;
  return best;
}

/** A checkpoint refused, and why: `judge` turns it into its verdict. */
class Refused extends Error {
  constructor(
    readonly failure: Failure,
    message: string,
  ) {
    super(message);
  }
}

/** The latest checkpoint of a log view, its hub signature verified; throws Refused. */
export function openCheckpoint(view: LogView, now = new Date()): Seen {
  const cp = view.latest;
  const key = hubKeyAt(view.hub_keys, cp.size);
  if (key === null) throw new Refused('bad_signature', `no hub key is named for size ${cp.size}`);
  let text: string;
  try {
    text = openNote(cp.note, [verifierFromKey(key.verifier_key)]).text;
  } catch (err) {
    throw new Refused(
      'bad_signature',
      `the checkpoint of size ${cp.size} is not signed by the hub's key (${(err as Error).message})`,
    );
  }
  let parsed: ReturnType<typeof parseCheckpoint>;
  try {
    parsed = parseCheckpoint(text, view.origin);
  } catch (err) {
    throw new Refused('bad_signature', (err as Error).message);
  }
  const root = toBase64(parsed.root);
  if (parsed.size !== cp.size || root !== cp.root || cp.origin !== view.origin)
    throw new Refused(
      'bad_signature',
      `the hub's fields (size ${cp.size}) disagree with its signed checkpoint (size ${parsed.size})`,
    );
  return {
    origin: view.origin,
    size: parsed.size,
    root,
    note: cp.note,
    seen_at: now.toISOString(),
    hub_keys: view.hub_keys,
  };
}

/** Whether every hub key of the kept history is still named, from the same entry. */
function keysKept(kept: Seen, keys: readonly HubKey[]): boolean {
  return kept.hub_keys
    .filter((k) => k.from_seq <= kept.size)
    .every((k) => keys.some((n) => n.verifier_key === k.verifier_key && n.from_seq === k.from_seq));
}

/**
 * Judge the hub's latest checkpoint against the one kept (null: none yet, trusted on first
 * sight). `proof(from, to)` fetches a consistency proof; it is asked only when the log grew.
 */
export async function judge(
  view: LogView,
  kept: Seen | null,
  proof: (from: number, to: number) => Promise<Uint8Array[]>,
  now = new Date(),
): Promise<Verdict> {
  const shown = { size: view.latest.size, root: view.latest.root, note: view.latest.note };
  const refuse = (failure: Failure, message: string): Verdict => ({
    ok: false,
    failure,
    message,
    kept,
    shown,
  });
  // An empty log has no entry to sign its key: nothing to check, unless entries were kept before.
  if (view.latest.size === 0)
    return kept !== null && kept.origin === view.origin && kept.size > 0
      ? refuse('rolled_back', `it now shows 0 entries, after showing ${kept.size}`)
      : { ok: null, message: 'the record is empty' };
  let cp: Seen;
  try {
    cp = openCheckpoint(view, now);
  } catch (err) {
    if (err instanceof Refused) return refuse(err.failure, err.message);
    throw err;
  }
  if (kept === null || kept.origin !== cp.origin)
    return { ok: true, checkpoint: cp, grew: true, first: true };
  if (!keysKept(kept, view.hub_keys))
    return refuse('key_history', `the hub keys that signed the first ${kept.size} entries were replaced`);
  if (cp.size < kept.size)
    return refuse('rolled_back', `it now shows ${cp.size} entries, after showing ${kept.size}`);
  if (cp.size === kept.size) {
    if (cp.root === kept.root) return { ok: true, checkpoint: cp, grew: false, first: false };
    return refuse('split_view', `two checkpoints of ${cp.size} entries with different roots`);
  }
  // The empty tree is a prefix of every tree: there is nothing to prove.
  if (kept.size > 0) {
    let hashes: Uint8Array[];
    try {
      hashes = await proof(kept.size, cp.size);
    } catch (err) {
      return {
        ok: null,
        message: `could not read the proof from ${kept.size} to ${cp.size}: ${(err as Error).message}`,
      };
    }
    const from = fromBase64(kept.root);
    const to = fromBase64(cp.root);
    if (from === null || to === null || !verifyConsistency(kept.size, cp.size, from, to, hashes))
      return refuse(
        'inconsistent',
        `the checkpoint of ${cp.size} entries does not extend the one of ${kept.size}`,
      );
  }
  return { ok: true, checkpoint: cp, grew: true, first: false };
}

/** A proof as the hub sends it (base64 hashes), as bytes; throws on anything else. */
export function proofHashes(proof: readonly string[]): Uint8Array[] {
  return proof.map((p) => {
    const b = fromBase64(p);
    if (b === null || b.length !== 32)
      throw new Error('the proof holds something that is not a SHA-256 hash');
    return b;
  });
}

/**
 * A member key's cosignature of a checkpoint: the Ed25519 signature, as a C2SP note signature by
 * key name `member-<key id>`, over the checkpoint's text (the body of
 * POST /api/v1/ledger/cosignatures). `seed` is the key's 32-byte private seed.
 */
export function cosignature(
  cp: { origin: string; size: number; root: string },
  seed: Uint8Array,
): CosignBody {
  const root = fromBase64(cp.root);
  if (root === null) throw new TypeError('the root is not base64');
  const id = keyId(ed25519.getPublicKey(seed));
  const text = formatCheckpoint({ origin: cp.origin, size: cp.size, root });
  // A note signature line carries the 4-byte key hash, then the signature: the hub takes the
  // signature alone and rebuilds the line from the key it registered.
  const signer = signerFromPrivateKey(witnessKeyName(id), seed);
  return {
    size: cp.size,
    root: cp.root,
    key: id,
    signature: toBase64(signer.sign(new TextEncoder().encode(text))),
  };
}
