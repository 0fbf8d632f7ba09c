/**
 * `deconflict witness URL --token T --key FILE --state FILE [--every S]`: a party's witness
 * (docs/transparency.md §5). Each round it
 *
 * 1. fetches the hub's latest checkpoint (GET /api/v1/ledger/checkpoint) and checks the hub's
 *    signature with the hub key current at its size — the key the hub named on the first run,
 *    pinned in the state file since (a rotation is followed only when the hub's key list shows the
 *    pinned key retired at or before the new checkpoint, and the new checkpoint extends the kept
 *    one, so the rotation's log.key entry is in a log this witness saw grow);
 * 2. checks the new checkpoint against the one it kept: the same root at the same size, else a
 *    verified consistency proof (GET /api/v1/ledger/consistency) from the kept one to it;
 * 3. cosigns it with the member key (a C2SP note signature by `member-<key id>` over the
 *    checkpoint text; POST /api/v1/ledger/cosignatures {size, root, key, signature});
 * 4. keeps it in the state file (written whole to a temporary file, then renamed; mode 0600).
 *
 * A split view (another root at the kept size, a checkpoint that does not extend the kept one, a
 * smaller tree than the kept one, another origin or an unannounced key) is proof that the hub
 * lies: nothing is cosigned, the state is left as it was, both checkpoints are printed, exit 1.
 * A hub that cannot be reached or refuses is exit 2 (in a loop: said, and tried again next round).
 *
 * The state file (`deconflict.witness-state/1`, JSON) also serves `deconflict verify
 * --checkpoints FILE`: {format, hub, origin, hub_key, checkpoint (the note), size, root,
 * cosigned (the size last cosigned, or null), at}.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { verifyConsistency } from '../ledger/merkle.ts';
import { fromBase64, openNote, signerFromPrivateKey, toBase64, verifierFromKey } from '../ledger/note.ts';
import { witnessKeyName } from '../ledger/statement.ts';
import { hubKeyIn } from '../ledger/verify.ts';
import { commandLine } from './args.ts';
import type { Io } from './io.ts';
import { type MemberKeyFile, readKeyFile } from './keys.ts';
import { CannotRun, hubRequest, type LiveCheckpoint, readCheckpointNote } from './verify.ts';

export const WITNESS_STATE_FORMAT = 'deconflict.witness-state/1';

export interface WitnessState {
  readonly format: typeof WITNESS_STATE_FORMAT;
  readonly hub: string;
  readonly origin: string;
  /** The hub verifier key pinned (the one current at the kept checkpoint's size). */
  readonly hub_key: string;
  /** The kept checkpoint: the hub's signed note. */
  readonly checkpoint: string;
  readonly size: number;
  readonly root: string;
  /** The size of the checkpoint last cosigned, or null. */
  readonly cosigned: number | null;
  readonly at: string;
}

/** The hub lied: the round's verdict, naming both checkpoints (exit 1). */
class Lie extends Error {
  override readonly name = 'Lie';
}

async function readState(path: string): Promise<WitnessState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // the first run
    throw new CannotRun(`cannot read ${path}: ${(err as Error).message}`);
  }
  let s: Partial<WitnessState>;
  try {
    s = JSON.parse(text) as Partial<WitnessState>;
  } catch (err) {
    throw new CannotRun(`${path} is not JSON: ${(err as Error).message}`);
  }
  if (
    s?.format !== WITNESS_STATE_FORMAT ||
    typeof s.origin !== 'string' ||
    typeof s.hub_key !== 'string' ||
    typeof s.checkpoint !== 'string'
  )
    throw new CannotRun(`${path} is not a ${WITNESS_STATE_FORMAT} file`);
  return s as WitnessState;
}

async function writeState(path: string, state: WitnessState): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

const named = (c: { size: number; root: string }): string => `size ${c.size}, root ${c.root}`;

/** One round: fetch, check, cosign, keep. Resolves to what to print; throws Lie or CannotRun. */
export async function witnessRound(
  url: string,
  token: string,
  key: MemberKeyFile,
  statePath: string,
): Promise<string> {
  const state = await readState(statePath);
  const log = await hubRequest(url, '/api/v1/ledger/checkpoint', token);
  const view = (log as { latest?: { note?: unknown } } | null)?.latest;
  const origin = (log as { origin?: unknown } | null)?.origin;
  if (typeof origin !== 'string' || typeof view?.note !== 'string')
    throw new CannotRun(`${url}: GET /api/v1/ledger/checkpoint did not answer a log view`);
  if (state !== null && origin !== state.origin)
    throw new Lie(
      `the hub now names origin ${origin}, the kept checkpoint is of ${state.origin}: another log`,
    );
  let latest: LiveCheckpoint;
  try {
    latest = readCheckpointNote(view.note, origin);
  } catch (err) {
    throw new Lie(`the hub's latest checkpoint does not read: ${(err as Error).message}`);
  }
  const hubKeys = (log as { hub_keys?: unknown }).hub_keys;
  const current = hubKeyIn(hubKeys, latest.size);
  if (current === null) throw new Lie(`the hub names no key current at size ${latest.size}`);
  let rotated = false;
  if (state !== null && current !== state.hub_key) {
    // Followed only if the hub's own list retires the pinned key at or before this checkpoint.
    const retired =
      Array.isArray(hubKeys) &&
      hubKeys.some(
        (k: { verifier_key?: unknown; until_seq?: unknown }) =>
          k.verifier_key === state.hub_key && typeof k.until_seq === 'number' && k.until_seq <= latest.size,
      );
    if (!retired)
      throw new Lie(`the hub signs size ${latest.size} with key ${current}, not the pinned ${state.hub_key}`);
    rotated = true;
  }
  try {
    openNote(latest.note, [verifierFromKey(current)]);
  } catch (err) {
    throw new Lie(
      `the hub's checkpoint (${named(latest)}) is not signed by its key: ${(err as Error).message}`,
    );
  }
  if (state !== null) {
    const kept = readCheckpointNote(state.checkpoint, state.origin);
    const both = `kept checkpoint (${named(kept)}), hub's checkpoint (${named(latest)})`;
    if (kept.size > latest.size) throw new Lie(`the hub shows a smaller tree than the one kept: ${both}`);
    if (kept.size === latest.size && kept.root !== latest.root) throw new Lie(`split view: ${both}`);
    if (kept.size < latest.size) {
      const answer = await hubRequest(
        url,
        `/api/v1/ledger/consistency?from=${kept.size}&to=${latest.size}`,
        token,
      );
      const raw = (answer as { proof?: unknown } | null)?.proof;
      const proof = Array.isArray(raw)
        ? raw.map((h) => (typeof h === 'string' ? fromBase64(h) : null))
        : null;
      if (
        proof === null ||
        proof.some((h) => h === null) ||
        !verifyConsistency(kept.size, latest.size, kept.rootBytes, latest.rootBytes, proof as Uint8Array[])
      )
        throw new Lie(`inconsistent: the hub's checkpoint does not extend the kept one: ${both}`);
    }
  }
  const already = state !== null && state.cosigned === latest.size && state.root === latest.root;
  if (!already) {
    const signer = signerFromPrivateKey(witnessKeyName(key.id), fromBase64(key.private_key) as Uint8Array);
    const signature = toBase64(signer.sign(new TextEncoder().encode(latest.text)));
    await hubRequest(url, '/api/v1/ledger/cosignatures', token, {
      method: 'POST',
      body: { size: latest.size, root: latest.root, key: key.id, signature },
    });
  }
  await writeState(statePath, {
    format: WITNESS_STATE_FORMAT,
    hub: url,
    origin,
    hub_key: current,
    checkpoint: latest.note,
    size: latest.size,
    root: latest.root,
    cosigned: latest.size,
    at: new Date().toISOString(),
  });
  const from = state === null ? 'first checkpoint kept' : `consistent with the kept size ${state.size}`;
  return `${already ? 'already cosigned' : 'cosigned'} checkpoint of ${named(latest)} (${from}${rotated ? `; hub key rotated to ${current}` : ''})\n`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function witnessCommand(args: readonly string[], io: Io): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`deconflict witness: ${message}\n`);
    return 2;
  };
  const parsed = commandLine(args, {
    token: { type: 'string' },
    key: { type: 'string' },
    state: { type: 'string' },
    every: { type: 'string' },
  });
  if ('error' in parsed) return fail(parsed.error);
  const positionals = parsed.positionals;
  const values = parsed.values as Record<string, string | undefined>;
  const [url, ...extra] = positionals;
  if (url === undefined || extra.length > 0 || !/^https?:\/\//.test(url))
    return fail('give the hub URL (http:// or https://) once');
  for (const required of ['token', 'key', 'state'])
    if (values[required] === undefined) return fail(`--${required} is required`);
  let every: number | null = null;
  if (values.every !== undefined) {
    every = Number(values.every);
    if (!Number.isFinite(every) || every < 1)
      return fail(`--every must be seconds ≥ 1, got "${values.every}"`);
  }
  let key: MemberKeyFile;
  try {
    key = await readKeyFile(values.key as string);
  } catch (err) {
    return fail((err as Error).message);
  }
  for (;;) {
    try {
      io.stdout(await witnessRound(url, values.token as string, key, values.state as string));
      if (every === null) return 0;
    } catch (err) {
      if (err instanceof Lie) {
        io.stdout(`the hub lies: ${err.message}; not cosigned\n`);
        return 1;
      }
      if (!(err instanceof CannotRun)) throw err;
      // A hub that does not answer now may next round; once, it is the command failing.
      if (every === null) return fail(err.message);
      io.stderr(`deconflict witness: ${err.message} (trying again in ${every} s)\n`);
    }
    await sleep((every as number) * 1000);
  }
}
