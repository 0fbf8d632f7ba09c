/**
 * `deconflict verify`: check the record without trusting the hub (docs/transparency.md §7).
 *
 *     deconflict verify --data DIR [--export FILE]     a stopped hub's data directory
 *     deconflict verify --database URL [--export FILE] a hub's PostgreSQL database (running or not)
 *     deconflict verify --file FILE                    an export written by --export
 *     deconflict verify --receipt FILE [--hub-key VKEY]  one receipt, offline
 *     deconflict verify URL --token T [--hub-key VKEY]   a live hub, as the caller's party sees it
 *
 * each with `[--checkpoints FILE] [--format text|json]`. Exit status 0: the record holds;
 * 1: it does not (the first failure is printed, `--format json` lists every finding); 2: the
 * command could not run (a bad argument, an unreadable file, a hub that does not answer).
 *
 * The data directory's database is opened read-only and never migrated: verifying must not
 * change what it verifies. A PostgreSQL database is read in one read-only transaction
 * (`store/snapshot.ts`): the instances serving it go on meanwhile, and what is verified is one
 * state of the record. Entries are streamed, so a million entries cost the tree (~64 MB), not
 * the entries.
 *
 * ## The export format: `deconflict.ledger-export/1` (JSON lines, UTF-8)
 *
 * One JSON object per line, in this order:
 *
 *     {"format":"deconflict.ledger-export/1","origin":"deconflict/0123456789abcdef"}
 *     {"kind":"entry","seq":1,"at":…,"actor":…,"party":…,"type":…,"subject":…,"payload":…,
 *      "prev_hash":…,"hash":…,"salt":…,"leaf":…}                  one per ledger entry, by seq
 *     {"kind":"checkpoint","size":…,"root":…,"at":…,"note":…}    every checkpoint the hub signed
 *     {"kind":"cosignature","size":…,"key":…,"party":…,"username":…,"signature":…,"at":…}
 *     {"kind":"member_key","id":…,"username":…,"party":…,"public_key":…,"label":…,
 *      "created_at":…,"revoked_at":…,"entry":…}
 *
 * The header's origin is null for a ledger without a log key. Entry lines come first, in seq
 * order; the other kinds follow in any order. It holds every payload and its salt (the whole
 * record, as the hub has it: keep it as the data directory is kept) and no private key. It is
 * written mode 0600, even when the record does not hold (then it is the evidence).
 *
 * ## Kept checkpoints (`--checkpoints FILE`)
 *
 * Checkpoints a party kept, to prove the log only grew since: a JSON array of signed-note
 * strings; a `deconflict witness` state file (its `checkpoint`); or the notes as text, one after
 * another, blank lines between them allowed. Each must be signed by the hub key current at its
 * size, and agree with the log: against a data directory or an export, its root must be the
 * recomputed tree's at its size; against a live hub, a consistency proof from it to the hub's
 * latest checkpoint must verify. With a receipt, only a kept checkpoint of the receipt's size is
 * compared (a receipt carries no consistency proof).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LedgerEntry } from '../domain/records.ts';
import { leafData, payloadHash } from '../ledger/leaf.ts';
import { leafHash, verifyConsistency, verifyInclusion } from '../ledger/merkle.ts';
import {
  fromBase64,
  openNote,
  parseCheckpoint,
  toBase64,
  type Verifier,
  verifierFromKey,
} from '../ledger/note.ts';
import { type Signed, verifyStatement } from '../ledger/statement.ts';
import {
  describeFinding,
  entryFromJson,
  type Finding,
  type FindingCode,
  hubKeyIn,
  LedgerVerifier,
  type ReceiptResult,
  type Sha256,
  type VerifyResult,
  verifyReceipt,
} from '../ledger/verify.ts';
import { type StoreLocation, storeLocation } from '../store/open.ts';
import { DatabaseUnreachable } from '../store/postgres-errors.ts';
import { openSnapshot, type Snapshot, SnapshotUnavailable } from '../store/snapshot.ts';
import { asksJson, commandLine } from './args.ts';
import type { Io } from './io.ts';

export const EXPORT_FORMAT = 'deconflict.ledger-export/1';

/** node:crypto's SHA-256 for the verifier: about twice @noble/hashes' speed on short inputs. */
const nodeSha256: Sha256 = (parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

type Format = 'text' | 'json';

/** A reason the command could not run (exit 2). */
export class CannotRun extends Error {
  override readonly name = 'CannotRun';
}

// --- Kept checkpoints ------------------------------------------------------------------------------

/** The signed notes of a `--checkpoints` file (see the top of this file for the forms). */
export function parseKeptCheckpoints(text: string, path: string): string[] {
  const t = text.trimStart();
  if (t.startsWith('[') || t.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new CannotRun(`${path} is not JSON: ${(err as Error).message}`);
    }
    if (Array.isArray(json) && json.every((n) => typeof n === 'string')) return json;
    if (
      typeof json === 'object' &&
      json !== null &&
      typeof (json as { checkpoint?: unknown }).checkpoint === 'string'
    )
      return [(json as { checkpoint: string }).checkpoint];
    throw new CannotRun(`${path}: expected a JSON array of signed notes, or a witness state file`);
  }
  // Notes one after another: text lines, a blank line, signature lines ("— name sig"), then
  // optionally blank lines before the next note's text.
  const notes: string[] = [];
  let lines: string[] = [];
  let inSignatures = false;
  const end = () => {
    notes.push(`${lines.join('\n')}\n`);
    lines = [];
    inSignatures = false;
  };
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (inSignatures) {
      if (line.startsWith('\u2014 ')) {
        lines.push(line);
        continue;
      }
      end();
    }
    if (line === '') {
      if (lines.length > 0) {
        lines.push('');
        inSignatures = true;
      }
    } else lines.push(line);
  }
  if (inSignatures) end();
  else if (lines.length > 0) throw new CannotRun(`${path}: the last note has no signature lines`);
  if (notes.length === 0) throw new CannotRun(`${path} holds no checkpoint`);
  return notes;
}

// --- A data directory ----------------------------------------------------------------------------

interface ExportWriter {
  line(value: unknown): void;
  close(): void;
}

/** Lines written through a 1 MiB buffer to a new file, mode 0600 (it holds payloads and salts). */
function exportWriter(path: string): ExportWriter {
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o600);
  } catch (err) {
    throw new CannotRun(`cannot write ${path}: ${(err as Error).message}`);
  }
  let buffer: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (buffer.length > 0) writeSync(fd, buffer.join(''));
    buffer = [];
    bytes = 0;
  };
  return {
    line(value) {
      const s = `${JSON.stringify(value)}\n`;
      buffer.push(s);
      bytes += s.length;
      if (bytes >= 1 << 20) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}

const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * Verify (and with `exportPath`, export) the ledger of a hub's database — a data directory, or a
 * PostgreSQL database — read as one snapshot, read-only.
 */
export async function verifyDatabase(
  where: StoreLocation,
  kept: readonly string[],
  exportPath?: string,
): Promise<VerifyResult> {
  let db: Snapshot;
  try {
    db = await openSnapshot(where);
  } catch (err) {
    if (err instanceof SnapshotUnavailable || err instanceof DatabaseUnreachable)
      throw new CannotRun(err.message);
    throw err;
  }
  let out: ExportWriter | null = null;
  try {
    const { tables } = db;
    if (!tables.has('ledger')) throw new CannotRun(`${db.label} has no ledger: not a deconflict database`);
    const columns = await db.columns('ledger');
    // A directory from before the transparency log (schema < 5) has no salt and no stored leaf.
    const saltLeaf = columns.has('salt') && columns.has('leaf') ? 'salt, leaf' : "'' AS salt, NULL AS leaf";
    let origin: string | null = null;
    if (tables.has('log_keys'))
      for await (const r of db.rows('SELECT name FROM log_keys ORDER BY seq LIMIT 1'))
        origin = strOrNull(r.name);
    if (exportPath !== undefined) {
      out = exportWriter(exportPath);
      out.line({ format: EXPORT_FORMAT, origin });
    }
    const v = new LedgerVerifier({ sha256: nodeSha256 });
    for await (const r of db.rows(
      `SELECT seq, at, actor, party, type, subject, payload, prev_hash, hash, ${saltLeaf} FROM ledger ORDER BY seq`,
    )) {
      const seq = Number(r.seq);
      let payload: unknown;
      try {
        payload = JSON.parse(str(r.payload));
      } catch {
        v.malformed(seq, 'payload is not JSON', strOrNull(r.leaf));
        out?.line({ kind: 'entry', seq, payload_text: str(r.payload) });
        continue;
      }
      const e: LedgerEntry = {
        seq,
        at: Number(r.at),
        actor: strOrNull(r.actor),
        party: strOrNull(r.party),
        type: str(r.type),
        subject: str(r.subject),
        payload,
        prev_hash: str(r.prev_hash),
        hash: str(r.hash),
        salt: str(r.salt),
        leaf: strOrNull(r.leaf),
      };
      v.add(e);
      out?.line({ kind: 'entry', ...e });
    }
    if (tables.has('checkpoints'))
      for await (const r of db.rows('SELECT size, root, at, note FROM checkpoints ORDER BY size')) {
        const c = { size: Number(r.size), root: str(r.root), at: Number(r.at), note: str(r.note) };
        v.checkpoint(c);
        out?.line({ kind: 'checkpoint', ...c });
      }
    if (tables.has('cosignatures'))
      for await (const r of db.rows(
        'SELECT size, key, party, username, signature, at FROM cosignatures ORDER BY size, key',
      )) {
        const c = {
          size: Number(r.size),
          key: str(r.key),
          party: str(r.party),
          username: str(r.username),
          signature: str(r.signature),
          at: Number(r.at),
        };
        v.cosignature(c);
        out?.line({ kind: 'cosignature', ...c });
      }
    if (tables.has('member_keys'))
      for await (const r of db.rows(
        'SELECT id, username, party, public_key, label, created_at, revoked_at, entry FROM member_keys ORDER BY entry, id',
      )) {
        const k = {
          id: str(r.id),
          username: str(r.username),
          party: str(r.party),
          public_key: str(r.public_key),
          label: str(r.label),
          created_at: Number(r.created_at),
          revoked_at: r.revoked_at === null ? null : Number(r.revoked_at),
          entry: Number(r.entry),
        };
        v.memberKeyRow(k);
        out?.line({ kind: 'member_key', ...k });
      }
    // The hub's own keys: public halves checked against the ledger; never exported (private).
    if (tables.has('log_keys'))
      for await (const r of db.rows('SELECT seq, name, public_key FROM log_keys ORDER BY seq'))
        v.logKeyRow({ seq: Number(r.seq), name: str(r.name), public_key: str(r.public_key) });
    kept.forEach((note, i) => {
      v.kept(note, `#${i + 1}`);
    });
    return v.result();
  } finally {
    out?.close();
    await db.close();
  }
}

// --- An export -------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Verify an export file (see the top of this file), streaming it line by line. */
export async function verifyExport(path: string, kept: readonly string[]): Promise<VerifyResult> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new CannotRun(`cannot read ${path}: ${(err as Error).message}`);
  }
  const v = new LedgerVerifier({ sha256: nodeSha256 });
  let n = 0;
  let entriesDone = false;
  let origin: string | null | undefined;
  const lineError = (why: string) => new CannotRun(`${path} line ${n}: ${why}`);
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      n++;
      if (line === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (err) {
        throw lineError(`not JSON: ${(err as Error).message}`);
      }
      if (!isObject(json)) throw lineError('not a JSON object');
      if (n === 1) {
        if (json.format !== EXPORT_FORMAT) throw lineError(`not a ${EXPORT_FORMAT} header`);
        origin = typeof json.origin === 'string' ? json.origin : null;
        continue;
      }
      switch (json.kind) {
        case 'entry': {
          if (entriesDone) throw lineError('an entry after the checkpoints and keys');
          if (typeof json.payload_text === 'string' && Number.isSafeInteger(json.seq)) {
            v.malformed(json.seq as number, 'payload is not JSON');
            break;
          }
          const e = entryFromJson(json);
          if (typeof e === 'string') {
            if (!Number.isSafeInteger(json.seq)) throw lineError(`not an entry: ${e}`);
            v.malformed(json.seq as number, `not an entry: ${e}`);
          } else v.add(e);
          break;
        }
        case 'checkpoint':
          entriesDone = true;
          if (
            !Number.isSafeInteger(json.size) ||
            typeof json.root !== 'string' ||
            typeof json.note !== 'string'
          )
            throw lineError('not a checkpoint {size, root, note}');
          v.checkpoint({ size: json.size as number, root: json.root, note: json.note });
          break;
        case 'cosignature':
          entriesDone = true;
          if (
            !Number.isSafeInteger(json.size) ||
            typeof json.key !== 'string' ||
            typeof json.signature !== 'string'
          )
            throw lineError('not a cosignature {size, key, signature}');
          v.cosignature({
            size: json.size as number,
            key: json.key,
            signature: json.signature,
            ...(typeof json.party === 'string' && { party: json.party }),
            ...(typeof json.username === 'string' && { username: json.username }),
            ...(typeof json.at === 'number' && { at: json.at }),
          });
          break;
        case 'member_key':
          entriesDone = true;
          if (
            typeof json.id !== 'string' ||
            typeof json.username !== 'string' ||
            typeof json.party !== 'string' ||
            typeof json.public_key !== 'string' ||
            !Number.isSafeInteger(json.entry)
          )
            throw lineError('not a member key');
          v.memberKeyRow({
            id: json.id,
            username: json.username,
            party: json.party,
            public_key: json.public_key,
            entry: json.entry as number,
            revoked_at: typeof json.revoked_at === 'number' ? json.revoked_at : null,
          });
          break;
        default:
          throw lineError(`unknown kind ${JSON.stringify(json.kind)}`);
      }
    }
  } catch (err) {
    if (err instanceof CannotRun) throw err;
    throw new CannotRun(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (origin === undefined) throw new CannotRun(`${path} is empty: not a ${EXPORT_FORMAT} file`);
  kept.forEach((note, i) => {
    v.kept(note, `#${i + 1}`);
  });
  const result = v.result();
  if (origin !== null && result.origin !== null && origin !== result.origin) {
    const f: Finding = {
      code: 'log_key',
      reason: `the export's header names origin ${origin}, its log.key entries ${result.origin}`,
    };
    return {
      ...result,
      ok: false,
      failure: result.failure ?? f,
      findings: [...result.findings, f],
      findingsTotal: result.findingsTotal + 1,
    };
  }
  return result;
}

// --- A live hub --------------------------------------------------------------------------------------

/** GET a hub's JSON with a bearer token; a refusal or a network fault cannot be verified (exit 2). */
export async function hubRequest(
  base: string,
  path: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<unknown> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new CannotRun(`${init.method ?? 'GET'} ${url}: ${cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok)
    throw new CannotRun(
      `${init.method ?? 'GET'} ${url}: ${res.status} ${res.statusText} ${text.slice(0, 300)}`.trim(),
    );
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    throw new CannotRun(`${init.method ?? 'GET'} ${url}: the answer is not JSON`);
  }
}

/** A checkpoint as the hub gives it (CheckpointView), its note's text read and size/root checked. */
export interface LiveCheckpoint {
  readonly size: number;
  readonly root: string;
  readonly rootBytes: Uint8Array;
  readonly note: string;
  readonly text: string;
  readonly origin: string;
}

export function readCheckpointNote(note: string, origin?: string): LiveCheckpoint {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0) throw new Error('not a signed note (no blank line before the signatures)');
  const text = note.slice(0, cut + 1);
  const cp = parseCheckpoint(text, origin);
  return { size: cp.size, root: toBase64(cp.root), rootBytes: cp.root, note, text, origin: cp.origin };
}

/** The outcome of verifying a live hub. */
export interface LiveResult {
  readonly ok: boolean;
  readonly origin: string;
  /** The hub's latest checkpoint. */
  readonly size: number;
  readonly root: string;
  readonly hub_key: string | null;
  readonly published: { readonly size: number; readonly root: string } | null;
  /** Entries the caller may see, read. */
  readonly entries: number;
  /** Of them, proved in the latest checkpoint. */
  readonly included: number;
  /** Of them, appended after the latest checkpoint (not provable yet). */
  readonly after: number;
  /** Entries whose payload was given and matched its hash. */
  readonly payloads: number;
  readonly signed: number;
  /** Signed statements whose key's key.added entry the caller may not see (not checked). */
  readonly signed_unchecked: number;
  readonly kept: number;
  readonly failure: Finding | null;
  readonly findings: readonly Finding[];
}

function proofBytes(v: unknown): Uint8Array[] | null {
  const proof = isObject(v) ? v.proof : null;
  if (!Array.isArray(proof)) return null;
  const out: Uint8Array[] = [];
  for (const h of proof) {
    const b = typeof h === 'string' ? fromBase64(h) : null;
    if (b === null || b.length !== 32) return null;
    out.push(b);
  }
  return out;
}

/** Verify what a live hub shows the caller (see the top of this file). */
export async function verifyLive(
  base: string,
  token: string,
  kept: readonly string[],
  pinnedHubKey?: string,
): Promise<LiveResult> {
  const findings: Finding[] = [];
  const find = (f: Finding) => {
    if (findings.length < 1000) findings.push(f);
  };
  const log = await hubRequest(base, '/api/v1/ledger/checkpoint', token);
  if (!isObject(log) || typeof log.origin !== 'string' || !isObject(log.latest))
    throw new CannotRun(`${base}: GET /api/v1/ledger/checkpoint did not answer a log view`);
  const origin = log.origin;
  const hubKeyAt = (size: number): string | null => pinnedHubKey ?? hubKeyIn(log.hub_keys, size);
  /** Read a CheckpointView and check its hub signature; null (with a finding) when it does not hold. */
  const signedCheckpoint = (view: unknown, what: string): LiveCheckpoint | null => {
    if (!isObject(view) || typeof view.note !== 'string') {
      find({ code: 'checkpoint_malformed', reason: `${what}: no note` });
      return null;
    }
    let cp: LiveCheckpoint;
    try {
      cp = readCheckpointNote(view.note, origin);
    } catch (err) {
      find({ code: 'checkpoint_malformed', reason: `${what}: ${(err as Error).message}` });
      return null;
    }
    if (view.size !== cp.size || view.root !== cp.root)
      find({
        size: cp.size,
        code: 'checkpoint_malformed',
        reason: `${what}: its size and root are not its note's`,
      });
    const key = hubKeyAt(cp.size);
    if (key === null) {
      find({ size: cp.size, code: 'hub_key', reason: `${what}: the hub names no key current at its size` });
      return null;
    }
    try {
      openNote(cp.note, [verifierFromKey(key)]);
    } catch (err) {
      find({
        size: cp.size,
        code: 'checkpoint_signature',
        reason: `${what}: not signed by hub key ${key}: ${(err as Error).message}`,
      });
      return null;
    }
    return cp;
  };
  /** Whether `from` is a prefix of `to` (same root, or a verified consistency proof); finding if not. */
  const consistent = async (from: LiveCheckpoint, to: LiveCheckpoint, what: string): Promise<boolean> => {
    if (from.size > to.size) {
      find({
        size: from.size,
        code: 'truncated',
        reason: `${what} (size ${from.size}, root ${from.root}) is larger than the hub's latest (size ${to.size}, root ${to.root}): the log was cut back`,
      });
      return false;
    }
    if (from.size === to.size || from.size === 0) {
      if (from.size === to.size && from.root !== to.root) {
        find({
          size: from.size,
          code: 'split_view',
          reason: `split view: ${what} has root ${from.root}, the hub's latest of the same size has root ${to.root}`,
        });
        return false;
      }
      return true;
    }
    const proof = proofBytes(
      await hubRequest(base, `/api/v1/ledger/consistency?from=${from.size}&to=${to.size}`, token),
    );
    if (proof === null || !verifyConsistency(from.size, to.size, from.rootBytes, to.rootBytes, proof)) {
      find({
        size: from.size,
        code: 'rewritten',
        reason: `${what} (size ${from.size}, root ${from.root}) is not a prefix of the hub's latest (size ${to.size}, root ${to.root}): the log was rewritten`,
      });
      return false;
    }
    return true;
  };

  const latest = signedCheckpoint(log.latest, "the hub's latest checkpoint");
  if (latest === null) {
    const first = findings[0] as Finding;
    return {
      ok: false,
      origin,
      size: 0,
      root: '',
      hub_key: null,
      published: null,
      entries: 0,
      included: 0,
      after: 0,
      payloads: 0,
      signed: 0,
      signed_unchecked: 0,
      kept: 0,
      failure: first,
      findings,
    };
  }
  let published: LiveCheckpoint | null = null;
  if (log.published !== null && log.published !== undefined) {
    published = signedCheckpoint(log.published, "the hub's published checkpoint");
    if (published !== null) await consistent(published, latest, "the hub's published checkpoint");
  }

  // The entries the caller may see, each proved in the latest checkpoint.
  const counts = { entries: 0, included: 0, after: 0, payloads: 0, signed: 0, unchecked: 0 };
  const keys = new Map<string, { publicKey: string; revokedSeq: number | null }>();
  let lastSeq = 0;
  for (let from: number | null = 1; from !== null; ) {
    const page = await hubRequest(base, `/api/v1/ledger/entries?from=${from}&limit=1000`, token);
    if (!isObject(page) || !Array.isArray(page.entries))
      throw new CannotRun(`${base}: GET /api/v1/ledger/entries did not answer a page of entries`);
    for (const raw of page.entries) {
      counts.entries++;
      if (!isObject(raw) || !Number.isSafeInteger(raw.seq) || typeof raw.payload_sha256 !== 'string') {
        find({ code: 'malformed_entry', reason: `an entry of the page from ${from} is not an entry view` });
        continue;
      }
      const seq = raw.seq as number;
      const bad = (code: FindingCode, reason: string) => find({ seq, code, reason });
      if (seq <= lastSeq) bad('out_of_order', `entry ${seq} comes after entry ${lastSeq}`);
      lastSeq = seq;
      const header = {
        seq,
        at: Number(raw.at),
        actor: (raw.actor ?? null) as string | null,
        party: (raw.party ?? null) as string | null,
        type: String(raw.type),
        subject: String(raw.subject),
      };
      if ('payload' in raw) {
        if (typeof raw.salt !== 'string') bad('malformed_entry', 'the payload is given without its salt');
        else if (payloadHash(raw.payload, raw.salt) !== raw.payload_sha256)
          bad('payload_hash', 'the payload does not match payload_sha256');
        else counts.payloads++;
      }
      if (seq > latest.size) counts.after++;
      else {
        const proof = proofBytes(
          await hubRequest(base, `/api/v1/ledger/inclusion?seq=${seq}&size=${latest.size}`, token),
        );
        const leaf = leafHash(leafData(header, raw.payload_sha256));
        if (proof === null || !verifyInclusion(leaf, seq - 1, latest.size, proof, latest.rootBytes))
          bad(
            'inclusion',
            `not in the hub's checkpoint of size ${latest.size}: the inclusion proof does not verify`,
          );
        else counts.included++;
      }
      // Keys and signed statements, as far as the caller sees their entries.
      const p = raw.payload;
      if (isObject(p)) {
        if (header.type === 'key.added' && typeof p.key === 'string' && typeof p.public_key === 'string')
          keys.set(p.key, { publicKey: p.public_key, revokedSeq: null });
        if (header.type === 'key.revoked' && typeof p.key === 'string') {
          const k = keys.get(p.key);
          if (k !== undefined) k.revokedSeq = seq;
        }
        const signed = p.signed as Signed | null | undefined;
        if (isObject(signed) && isObject(signed.statement) && typeof signed.key === 'string') {
          counts.signed++;
          const k = keys.get(signed.key);
          if (k === undefined) counts.unchecked++;
          else if (k.revokedSeq !== null && k.revokedSeq < seq)
            bad('statement', `signed with key ${signed.key}, revoked at entry ${k.revokedSeq}`);
          else if (!verifyStatement(signed, k.publicKey))
            bad('signature', `signed statement does not verify with key ${signed.key}`);
          else if (signed.statement.by !== header.actor || signed.statement.party !== header.party)
            bad('statement', `statement is by ${signed.statement.by}, the entry by ${header.actor}`);
        }
      }
    }
    const next: unknown = page.next;
    from = Number.isSafeInteger(next) && (next as number) > (from as number) ? (next as number) : null;
  }

  // Kept checkpoints: each a prefix of the hub's latest.
  for (const [i, note] of kept.entries()) {
    let cp: LiveCheckpoint;
    try {
      cp = readCheckpointNote(note, origin);
    } catch (err) {
      find({ code: 'kept_checkpoint', reason: `kept checkpoint #${i + 1}: ${(err as Error).message}` });
      continue;
    }
    const key = hubKeyAt(cp.size);
    let verifier: Verifier | null = null;
    try {
      if (key !== null) verifier = verifierFromKey(key);
      if (verifier !== null) openNote(note, [verifier]);
    } catch (err) {
      verifier = null;
      find({
        size: cp.size,
        code: 'kept_checkpoint',
        reason: `kept checkpoint #${i + 1}: not signed by the hub key current at its size: ${(err as Error).message}`,
      });
      continue;
    }
    if (verifier === null) {
      find({
        size: cp.size,
        code: 'kept_checkpoint',
        reason: `kept checkpoint #${i + 1}: the hub names no key at its size`,
      });
      continue;
    }
    await consistent(cp, latest, `kept checkpoint #${i + 1}`);
  }
  return {
    ok: findings.length === 0,
    origin,
    size: latest.size,
    root: latest.root,
    hub_key: hubKeyAt(latest.size),
    published: published === null ? null : { size: published.size, root: published.root },
    entries: counts.entries,
    included: counts.included,
    after: counts.after,
    payloads: counts.payloads,
    signed: counts.signed,
    signed_unchecked: counts.unchecked,
    kept: kept.length,
    failure: findings[0] ?? null,
    findings,
  };
}

// --- Output ------------------------------------------------------------------------------------------

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function failureLine(failure: Finding, total: number): string {
  const more = total > 1 ? ` (${plural(total, 'finding')} in all; --format json lists them)` : '';
  return `${describeFinding(failure)}${more}\n`;
}

export function formatLedgerResult(r: VerifyResult): string {
  if (!r.ok && r.failure !== null) return failureLine(r.failure, r.findingsTotal);
  const parts = [
    `record holds: ${plural(r.entries, 'entry', 'entries')}, tree size ${r.size.toLocaleString('en-US')}, root ${r.root}`,
    `checkpoints ${r.checkpoints.toLocaleString('en-US')} (${plural(r.cosignatures, 'cosignature')})`,
    `${plural(r.signed, 'signed statement')}`,
  ];
  if (r.kept > 0) parts.push(`${plural(r.kept, 'kept checkpoint')} consistent`);
  if (r.unsalted > 0) parts.push(`${plural(r.unsalted, 'unsalted entry', 'unsalted entries')}`);
  return `${parts.join(', ')}\n`;
}

function formatReceiptResult(r: ReceiptResult): string {
  const first = r.findings[0];
  if (!r.ok && first !== undefined) return failureLine(first, r.findings.length);
  const parts = [
    `receipt holds: entry ${r.seq} (${r.type}) in the checkpoint of size ${r.size}, root ${r.root}`,
    r.published
      ? `published (cosigned by ${r.cosigned_by.join(', ')})`
      : 'not published (no witness cosigned it)',
    r.signed_by === null
      ? 'unsigned'
      : `signed by ${r.signed_by.username} with key ${r.signed_by.key} (registered at entry ${r.signed_by.entry})`,
    r.payload === 'verified' ? 'payload verified' : 'payload omitted',
  ];
  return `${parts.join(', ')}\n`;
}

function formatLiveResult(r: LiveResult): string {
  if (!r.ok && r.failure !== null) return failureLine(r.failure, r.findings.length);
  const parts = [
    `record holds: checkpoint of size ${r.size.toLocaleString('en-US')}, root ${r.root}, signed by the hub`,
    r.published === null
      ? 'none published'
      : `published size ${r.published.size.toLocaleString('en-US')} consistent`,
    `${plural(r.entries, 'entry', 'entries')} visible to you, ${r.included.toLocaleString('en-US')} proved in it${r.after > 0 ? `, ${r.after.toLocaleString('en-US')} after it` : ''}`,
    `${plural(r.signed, 'signed statement')}${r.signed_unchecked > 0 ? ` (${r.signed_unchecked.toLocaleString('en-US')} by keys you may not see, not checked)` : ''}`,
  ];
  if (r.kept > 0) parts.push(`${plural(r.kept, 'kept checkpoint')} consistent`);
  return `${parts.join(', ')}\n`;
}

// --- The command -------------------------------------------------------------------------------------

function usageError(io: Io, format: Format, message: string): number {
  if (format === 'json')
    io.stdout(
      `${JSON.stringify({ errors: [{ code: 'invalid_argument', feature: null, path: '', message }] })}\n`,
    );
  else io.stderr(`deconflict verify: ${message}\n`);
  return 2;
}

export async function verifyCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = commandLine(args, {
    data: { type: 'string' },
    database: { type: 'string' },
    export: { type: 'string' },
    file: { type: 'string' },
    receipt: { type: 'string' },
    'hub-key': { type: 'string' },
    token: { type: 'string' },
    checkpoints: { type: 'string' },
    format: { type: 'string', default: 'text' },
  });
  if ('error' in parsed) return usageError(io, asksJson(args) ? 'json' : 'text', parsed.error);
  const { values, positionals } = parsed;
  const format = values.format as string;
  if (format !== 'text' && format !== 'json')
    return usageError(io, 'text', `--format must be text or json, got "${format}"`);
  const say = (m: string) => usageError(io, format, m);
  const data = values.data as string | undefined;
  const database = values.database as string | undefined;
  const file = values.file as string | undefined;
  const receipt = values.receipt as string | undefined;
  const exportPath = values.export as string | undefined;
  const hubKey = values['hub-key'] as string | undefined;
  const token = values.token as string | undefined;
  const url = positionals[0];
  if (positionals.length > 1) return say('verify takes at most one URL');
  const sources = [data, database, file, receipt, url].filter((s) => s !== undefined).length;
  if (sources !== 1)
    return say('give one of --data DIR, --database URL, --file FILE, --receipt FILE or a hub URL');
  if (exportPath !== undefined && data === undefined && database === undefined)
    return say('--export is for --data DIR or --database URL');
  let where: StoreLocation | undefined;
  try {
    if (database !== undefined) where = storeLocation({ database });
    else if (data !== undefined) where = { dialect: 'sqlite', dir: data };
  } catch (err) {
    return say((err as Error).message);
  }
  if (url !== undefined && !/^https?:\/\//.test(url))
    return say(`the hub URL must be http:// or https://, got "${url}"`);
  if (url !== undefined && token === undefined)
    return say('a hub URL needs --token T (a bearer token of your account)');
  if (url === undefined && token !== undefined) return say('--token is for a hub URL');
  if (hubKey !== undefined) {
    if (receipt === undefined && url === undefined) return say('--hub-key is for --receipt or a hub URL');
    try {
      verifierFromKey(hubKey);
    } catch (err) {
      return say(`--hub-key: ${(err as Error).message}`);
    }
  }

  const emit = (json: unknown, text: string, ok: boolean): number => {
    io.stdout(format === 'json' ? `${JSON.stringify(json)}\n` : text);
    return ok ? 0 : 1;
  };
  try {
    let kept: string[] = [];
    const keptPath = values.checkpoints as string | undefined;
    if (keptPath !== undefined) {
      let text: string;
      try {
        text = await io.read(keptPath);
      } catch (err) {
        throw new CannotRun(`cannot read ${keptPath}: ${(err as Error).message}`);
      }
      kept = parseKeptCheckpoints(text, keptPath);
    }
    if (where !== undefined) {
      const r = await verifyDatabase(where, kept, exportPath);
      return emit(r, formatLedgerResult(r), r.ok);
    }
    if (file !== undefined) {
      const r = await verifyExport(file, kept);
      return emit(r, formatLedgerResult(r), r.ok);
    }
    if (receipt !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(await io.read(receipt));
      } catch (err) {
        throw new CannotRun(`cannot read ${receipt} as JSON: ${(err as Error).message}`);
      }
      const r = verifyReceipt(json, hubKey === undefined ? {} : { hubKey });
      const findings = [...r.findings, ...keptAgainstReceipt(r, kept)];
      const result = { ...r, ok: findings.length === 0, findings };
      return emit(result, formatReceiptResult(result), result.ok);
    }
    const r = await verifyLive(url as string, token as string, kept, hubKey);
    return emit(r, formatLiveResult(r), r.ok);
  } catch (err) {
    if (err instanceof CannotRun) return say(err.message);
    throw err;
  }
}

/** A kept checkpoint of the receipt's size must have its root (a receipt has no consistency proof). */
function keptAgainstReceipt(r: ReceiptResult, kept: readonly string[]): Finding[] {
  const out: Finding[] = [];
  kept.forEach((note, i) => {
    try {
      const cp = readCheckpointNote(note);
      if (r.size !== null && cp.size === r.size && cp.root !== r.root)
        out.push({
          size: cp.size,
          code: 'split_view',
          reason: `split view: kept checkpoint #${i + 1} has root ${cp.root}, the receipt's checkpoint of the same size has root ${r.root}`,
        });
    } catch (err) {
      out.push({ code: 'kept_checkpoint', reason: `kept checkpoint #${i + 1}: ${(err as Error).message}` });
    }
  });
  return out;
}
