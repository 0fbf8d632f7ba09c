/**
 * Signed notes and checkpoints (issue #14), in the C2SP formats that existing transparency tools
 * read: c2sp.org/signed-note (the format of Go's golang.org/x/mod/sumdb/note) with Ed25519 keys,
 * and c2sp.org/tlog-checkpoint for the log's signed tree heads.
 *
 * A note is text ending in a newline, a blank line, then one line per signature:
 * "— <key name> <base64(4-byte key hash || signature)>\n", the signature over the text (with its
 * final newline, without the blank line). The key hash is the first 4 bytes of
 * SHA-256(name || 0x0A || 0x01 || public key), 0x01 being Ed25519's type; a verifier key is
 * "<name>+<8 hex digits of the key hash>+<base64(0x01 || public key)>".
 *
 * Ed25519 is @noble/curves' (audited, and it runs in the browser, where parties sign too);
 * signatures are verified as RFC 8032 and Go's crypto/ed25519 do (`zip215: false`), so a note
 * one side accepts the other does too. Interfaces are Uint8Array and string, never Buffer.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HASH_SIZE } from './merkle.ts';

/** What went wrong with a note, a key or a checkpoint, for the caller to act on (and test). */
export type NoteErrorCode =
  | 'malformed_note'
  | 'invalid_signature'
  | 'unverified_note'
  | 'malformed_key'
  | 'malformed_checkpoint';

export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Signer = {
  readonly name: string;
  /** The 4-byte key hash. */
  readonly keyHash: Uint8Array;
  sign(msg: Uint8Array): Uint8Array;
};

export type Verifier = {
  readonly name: string;
  /** The 4-byte key hash. */
  readonly keyHash: Uint8Array;
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
};

/** One signature line of an opened note; `base64` is exactly as in the note (key hash and signature). */
export type NoteSignature = {
  readonly name: string;
  readonly keyHash: Uint8Array;
  readonly base64: string;
  readonly verified: boolean;
};

const ED25519 = 0x01;
const KEY_HASH_SIZE = 4;
const PUBLIC_KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;
/** Go's sumdb/note refuses a note with more (C2SP asks at least 16 be accepted). */
const MAX_SIGNATURES = 100;
const SIG_PREFIX = '\u2014 ';

// --- Encodings ---------------------------------------------------------------------------------

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 4648 §4 base64 with padding: the only form the formats use. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * Base64 as written by the formats' producers, or null: padding required, no whitespace, and the
 * unused bits of the last character zero, so that one value has one spelling (atob alone would
 * take several).
 */
export function fromBase64(s: string): Uint8Array | null {
  if (!BASE64.test(s)) return null;
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return toBase64(bytes) === s ? bytes : null;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Text a note may carry: no ASCII control character but the newline, nothing UTF-8 cannot hold. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(s: string): string | null {
  if (CONTROL.test(s)) return 'it holds an ASCII control character other than newline';
  if (LONE_SURROGATE.test(s)) return 'it holds a lone UTF-16 surrogate, which UTF-8 cannot encode';
  return null;
}

/** A key name: non-empty, no Unicode space (White_Space, as Go's unicode.IsSpace), no '+'. */
const BAD_NAME = /[\p{White_Space}+]/u;

export function isValidKeyName(name: string): boolean {
  return name !== '' && !BAD_NAME.test(name) && textProblem(name) === null;
}

// --- Keys --------------------------------------------------------------------------------------

/** The key hash of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4]. */
export function keyHashOf(name: string, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_SIZE)
    throw new NoteError(
      'malformed_key',
      `an Ed25519 public key is ${PUBLIC_KEY_SIZE} bytes, not ${publicKey.length}`,
    );
  return sha256
    .create()
    .update(utf8.encode(name))
    .update(Uint8Array.of(0x0a, ED25519))
    .update(publicKey)
    .digest()
    .slice(0, KEY_HASH_SIZE);
}

function checkName(name: string): void {
  if (!isValidKeyName(name))
    throw new NoteError(
      'malformed_key',
      `key name ${JSON.stringify(name)} is not valid: it must be non-empty, without spaces or '+'`,
    );
}

/** The verifier key of an Ed25519 public key: "<name>+<hex key hash>+<base64(0x01 || key)>". */
export function verifierKeyOf(name: string, publicKey: Uint8Array): string {
  checkName(name);
  const typed = new Uint8Array(1 + PUBLIC_KEY_SIZE);
  typed[0] = ED25519;
  typed.set(publicKey, 1);
  return `${name}+${hex(keyHashOf(name, publicKey))}+${toBase64(typed)}`;
}

/** A signer for an Ed25519 private key (its 32-byte seed, RFC 8032 §5.1.5). */
export function signerFromPrivateKey(name: string, privateKey: Uint8Array): Signer {
  checkName(name);
  if (privateKey.length !== 32)
    throw new NoteError('malformed_key', `an Ed25519 private key is 32 bytes, not ${privateKey.length}`);
  const seed = privateKey.slice();
  const keyHash = keyHashOf(name, ed25519.getPublicKey(seed));
  return { name, keyHash, sign: (msg) => ed25519.sign(msg, seed) };
}

/** A new Ed25519 key (from the platform's CSPRNG): its signer, its verifier key, its private key. */
export function newEd25519Key(name: string): { signer: Signer; verifierKey: string; privateKey: Uint8Array } {
  const privateKey = ed25519.utils.randomSecretKey();
  return {
    signer: signerFromPrivateKey(name, privateKey),
    verifierKey: verifierKeyOf(name, ed25519.getPublicKey(privateKey)),
    privateKey,
  };
}

/** The verifier of a verifier key; refuses a key whose parts are malformed or whose hash does not match. */
export function verifierFromKey(verifierKey: string): Verifier {
  // The name and the hash hold no '+'; the base64 may.
  const [name = '', hash = '', ...rest] = verifierKey.split('+');
  const bad = (why: string) =>
    new NoteError('malformed_key', `verifier key ${JSON.stringify(verifierKey)}: ${why}`);
  if (rest.length === 0) throw bad('expected <name>+<key hash>+<key>');
  if (!isValidKeyName(name)) throw bad('the name is empty or holds a space');
  if (!/^[0-9a-f]{8}$/.test(hash)) throw bad('the key hash is not 8 lowercase hex digits');
  const typed = fromBase64(rest.join('+'));
  if (typed === null) throw bad('the key is not base64');
  if (typed[0] !== ED25519)
    throw bad(`unknown signature type ${typed[0] ?? 'none'} (only 1, Ed25519, is known)`);
  const publicKey = typed.slice(1);
  if (publicKey.length !== PUBLIC_KEY_SIZE)
    throw bad(`an Ed25519 key is ${PUBLIC_KEY_SIZE} bytes, not ${publicKey.length}`);
  if (!ed25519.utils.isValidPublicKey(publicKey, false)) throw bad('the key is not a point of Ed25519');
  const keyHash = keyHashOf(name, publicKey);
  if (hex(keyHash) !== hash) throw bad(`the key hash is ${hex(keyHash)}, not ${hash}`);
  return {
    name,
    keyHash,
    verify: (msg, sig) => {
      if (sig.length !== SIGNATURE_SIZE) return false;
      try {
        return ed25519.verify(sig, msg, publicKey, { zip215: false });
      } catch {
        return false; // a malformed signature (R not a point, S not reduced) is a false one
      }
    },
  };
}

// --- Notes -------------------------------------------------------------------------------------

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('malformed_note', 'the note text must end with a newline');
  const problem = textProblem(text);
  if (problem !== null) throw new NoteError('malformed_note', `the note text cannot be signed: ${problem}`);
}

function signatureLine(text: Uint8Array, signer: Signer): string {
  if (!isValidKeyName(signer.name))
    throw new NoteError(
      'malformed_key',
      `signer name ${JSON.stringify(signer.name)} is not a valid key name`,
    );
  if (signer.keyHash.length !== KEY_HASH_SIZE)
    throw new NoteError(
      'malformed_key',
      `a key hash is ${KEY_HASH_SIZE} bytes, not ${signer.keyHash.length}`,
    );
  const sig = signer.sign(text);
  const raw = new Uint8Array(KEY_HASH_SIZE + sig.length);
  raw.set(signer.keyHash);
  raw.set(sig, KEY_HASH_SIZE);
  return `${SIG_PREFIX}${signer.name} ${toBase64(raw)}\n`;
}

/** `text` (ending in a newline) signed by each of `signers`, as a note. */
export function signNote(text: string, ...signers: Signer[]): string {
  checkText(text);
  if (signers.length === 0) throw new NoteError('malformed_note', 'a note needs at least one signature');
  const bytes = utf8.encode(text);
  return `${text}\n${signers.map((s) => signatureLine(bytes, s)).join('')}`;
}

type ParsedSignature = {
  name: string;
  keyHash: Uint8Array;
  signature: Uint8Array;
  base64: string;
  line: string;
};

/** The text and signature lines of a note, checked for form only (no signature is verified). */
function parseNote(note: string | Uint8Array): { text: string; sigs: ParsedSignature[] } {
  let s: string;
  if (typeof note === 'string') s = note;
  else {
    try {
      s = strictUtf8.decode(note);
    } catch {
      throw new NoteError('malformed_note', 'the note is not valid UTF-8');
    }
  }
  const problem = textProblem(s);
  if (problem !== null) throw new NoteError('malformed_note', `malformed note: ${problem}`);
  // The text ends at the last blank line (it may hold blank lines itself).
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed_note', 'malformed note: no blank line before the signatures');
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (block === '')
    throw new NoteError('malformed_note', 'malformed note: no signature after the blank line');
  if (!block.endsWith('\n'))
    throw new NoteError(
      'malformed_note',
      'malformed note: the last signature line does not end with a newline',
    );
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES)
    throw new NoteError('malformed_note', `malformed note: more than ${MAX_SIGNATURES} signatures`);
  const sigs = lines.map((line, i): ParsedSignature => {
    const bad = (why: string) =>
      new NoteError('malformed_note', `malformed note: signature line ${i + 1} ${why}`);
    if (!line.startsWith(SIG_PREFIX)) throw bad("does not start with an em dash and a space ('\u2014 ')");
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const base64 = space < 0 ? '' : rest.slice(space + 1);
    if (!isValidKeyName(name)) throw bad(`has no valid key name (${JSON.stringify(name)})`);
    const raw = fromBase64(base64);
    if (raw === null || raw.length <= KEY_HASH_SIZE) throw bad('has no base64 key hash and signature');
    return {
      name,
      keyHash: raw.slice(0, KEY_HASH_SIZE),
      signature: raw.slice(KEY_HASH_SIZE),
      base64,
      line,
    };
  });
  return { text, sigs };
}

const keyId = (name: string, keyHash: Uint8Array): string => `${name}+${hex(keyHash)}`;

/**
 * Open a note: its text and each signature, verified where a verifier of that name and key hash
 * is given, reported unverified otherwise (an unknown key is ignored, as C2SP requires). Refused
 * (NoteError): a malformed note, a signature by a known key that does not verify, a note that no
 * known key signed. Repeated signatures by one key, and repeated identical unknown lines, count once.
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly Verifier[],
): { text: string; sigs: NoteSignature[] } {
  const { text, sigs } = parseNote(note);
  // Two different verifiers of one name and key hash cannot both be trusted: whoever made the
  // list is confused or hostile. As in Go, that is an error only when a signature names them.
  const known = new Map<string, Verifier | 'ambiguous'>();
  for (const v of verifiers) {
    const id = keyId(v.name, v.keyHash);
    const other = known.get(id);
    known.set(id, other === undefined || other === v ? v : 'ambiguous');
  }
  const bytes = utf8.encode(text);
  const seen = new Set<string>();
  const out: NoteSignature[] = [];
  for (const sig of sigs) {
    const id = keyId(sig.name, sig.keyHash);
    const verifier = known.get(id);
    if (verifier === 'ambiguous')
      throw new NoteError('malformed_key', `two different verifiers are given for key ${id}`);
    const once = verifier === undefined ? sig.line : id;
    if (seen.has(once)) continue;
    seen.add(once);
    if (verifier !== undefined && !verifier.verify(bytes, sig.signature))
      throw new NoteError('invalid_signature', `the signature by key ${id} does not verify`);
    out.push({ name: sig.name, keyHash: sig.keyHash, base64: sig.base64, verified: verifier !== undefined });
  }
  if (!out.some((s) => s.verified)) {
    const names = out.map((s) => keyId(s.name, s.keyHash)).join(', ');
    throw new NoteError('unverified_note', `no known key signed the note (signed by ${names})`);
  }
  return { text, sigs: out };
}

/**
 * The note with the signatures of `signers` added after those it has (cosigning). A signature
 * already there by the same key name and hash as a new signer is replaced. Nothing is verified:
 * open the note with the signer's trusted verifiers first.
 */
export function addSignatures(note: string, ...signers: Signer[]): string {
  const { text, sigs } = parseNote(note);
  const replaced = new Set(signers.map((s) => keyId(s.name, s.keyHash)));
  const bytes = utf8.encode(text);
  const kept = sigs.filter((s) => !replaced.has(keyId(s.name, s.keyHash))).map((s) => `${s.line}\n`);
  return `${text}\n${kept.join('')}${signers.map((s) => signatureLine(bytes, s)).join('')}`;
}

// --- Checkpoints -------------------------------------------------------------------------------

export type Checkpoint = {
  /** The log's identity, e.g. "hub.example/deconflict" (the hub's key name should be the same). */
  readonly origin: string;
  /** The number of leaves. */
  readonly size: number;
  /** The root hash at that size. */
  readonly root: Uint8Array;
  /** Opaque further lines (C2SP advises against them: monitors cannot audit them). */
  readonly extensions?: readonly string[];
};

function badCheckpoint(why: string): NoteError {
  return new NoteError('malformed_checkpoint', `malformed checkpoint: ${why}`);
}

/** The note text of a checkpoint (c2sp.org/tlog-checkpoint): origin, size, base64 root, extensions. */
export function formatCheckpoint({ origin, size, root, extensions = [] }: Checkpoint): string {
  // C2SP asks only a non-empty line; a key name (no space, no '+') is advised, so that the log's
  // key can be named after it, but Go's own "go.sum database tree" is not one.
  if (origin === '' || origin.includes('\n') || textProblem(origin) !== null)
    throw badCheckpoint(`origin ${JSON.stringify(origin)} is empty or not one line of text`);
  if (!Number.isSafeInteger(size) || size < 0) throw badCheckpoint(`size ${size} is not a whole number`);
  if (root.length !== HASH_SIZE) throw badCheckpoint(`the root is ${root.length} bytes, not ${HASH_SIZE}`);
  for (const line of extensions)
    if (line === '' || line.includes('\n') || textProblem(line) !== null)
      throw badCheckpoint(`extension line ${JSON.stringify(line)} is empty or not one line of text`);
  return [origin, String(size), toBase64(root), ...extensions].map((l) => `${l}\n`).join('');
}

/**
 * A checkpoint's note text read back. Refused: fewer than three lines, an empty origin or
 * extension line, an origin other than `origin` when given, a size that is not decimal without
 * leading zeros (or beyond 2^53 − 1), a root that is not 32 bytes of base64.
 */
export function parseCheckpoint(text: string, origin?: string): Checkpoint {
  if (!text.endsWith('\n')) throw badCheckpoint('the text does not end with a newline');
  const problem = textProblem(text);
  if (problem !== null) throw badCheckpoint(problem);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw badCheckpoint('fewer than three lines (origin, size, root)');
  const [first, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (first === '') throw badCheckpoint('the origin line is empty');
  if (origin !== undefined && first !== origin)
    throw badCheckpoint(`origin ${JSON.stringify(first)} is not this log's (${JSON.stringify(origin)})`);
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine)))
    throw badCheckpoint(
      `size ${JSON.stringify(sizeLine)} is not a decimal number without leading zeros, below 2^53`,
    );
  const root = fromBase64(rootLine);
  if (root === null || root.length !== HASH_SIZE)
    throw badCheckpoint(`root ${JSON.stringify(rootLine)} is not ${HASH_SIZE} bytes of base64`);
  if (extensions.includes('')) throw badCheckpoint('an empty extension line');
  return { origin: first, size: Number(sizeLine), root, extensions };
}
