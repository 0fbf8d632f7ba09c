/**
 * A member's signing key at rest in the browser (docs/transparency.md §4): the Ed25519 private
 * key (its 32-byte seed) encrypted under a passphrase, as a JSON file the member can export and
 * import back.
 *
 *     key   = PBKDF2-HMAC-SHA-256(passphrase, salt, iterations ≥ 600,000) → AES-256
 *     file  = AES-GCM(key, iv, seed, additional data = canonical JSON of who and which key)
 *
 * PBKDF2 and AES-GCM are the browser's own (WebCrypto); no cipher or KDF is written here. 600,000
 * iterations is OWASP's figure for PBKDF2-SHA-256: each guess at a stolen file's passphrase costs
 * that many HMACs. The salt (16 bytes) and the IV (12 bytes) are random per file, so two files of
 * one passphrase share nothing. The additional data binds the file's clear fields — the key id,
 * its public half, the member, the party, the label — to the ciphertext: a file whose public key
 * or owner was edited does not open, so an unlocked key is always the one the file names.
 *
 * No DOM and no storage here: the module runs unchanged under Node for the tests.
 */
import { canonicalJson } from '../../../src/ledger/canonical.ts';
import { fromBase64, toBase64 } from '../../../src/ledger/note.ts';
import { keyId, publicKeyOf } from '../../../src/ledger/statement.ts';

export const VAULT_FORMAT = 'deconflict.member-key/1';
/** OWASP's minimum for PBKDF2-HMAC-SHA-256 (2023): a file asking fewer is refused. */
export const MIN_ITERATIONS = 600_000;
/** A file asking more would hold the page for minutes: refused as malformed. */
const MAX_ITERATIONS = 10_000_000;
/** The shortest passphrase accepted when a key is sealed. */
export const MIN_PASSPHRASE = 10;

/** A sealed key, as kept in localStorage and exported. */
export interface SealedKey {
  readonly format: typeof VAULT_FORMAT;
  /** The key id (first 8 bytes of SHA-256 of the public key, hex). */
  readonly id: string;
  /** The public half, base64. */
  readonly public_key: string;
  /** The member it belongs to, and their party: the hub takes its signatures from them only. */
  readonly username: string;
  readonly party: string;
  /** Where the key is kept, as registered ("watch desk console"). */
  readonly label: string;
  readonly created_at: string;
  readonly kdf: {
    readonly name: 'PBKDF2';
    readonly hash: 'SHA-256';
    readonly iterations: number;
    readonly salt: string;
  };
  readonly cipher: { readonly name: 'AES-GCM'; readonly iv: string };
  /** AES-GCM of the 32-byte seed, with its 16-byte tag, base64. */
  readonly ciphertext: string;
}

/** Why a key did not seal or open, in words for the member. */
export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    readonly code: 'wrong_passphrase' | 'malformed_file' | 'weak_passphrase',
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextEncoder();

/** The clear fields the ciphertext is bound to. */
function boundFields(k: Omit<SealedKey, 'kdf' | 'cipher' | 'ciphertext'>): Uint8Array {
  const { format, id, public_key, username, party, label, created_at } = k;
  return utf8.encode(canonicalJson({ format, id, public_key, username, party, label, created_at }));
}

/** WebCrypto takes ArrayBuffer-backed views; a fresh copy is one whatever the input. */
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

async function aesKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', buf(utf8.encode(passphrase)), 'PBKDF2', false, [
    'deriveKey',
  ]);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Seal a private key (base64 seed) under a passphrase, for `username` of `party`. */
export async function sealKey(
  privateKey: string,
  passphrase: string,
  owner: { username: string; party: string; label: string },
  iterations = MIN_ITERATIONS,
): Promise<SealedKey> {
  if (passphrase.length < MIN_PASSPHRASE)
    throw new VaultError('weak_passphrase', `the passphrase must be at least ${MIN_PASSPHRASE} characters`);
  if (iterations < MIN_ITERATIONS) throw new RangeError(`at least ${MIN_ITERATIONS} iterations`);
  const seed = fromBase64(privateKey);
  const pub = publicKeyOf(privateKey);
  if (seed === null || pub === null) throw new TypeError('not an Ed25519 private key (32 bytes, base64)');
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const clear = {
    format: VAULT_FORMAT,
    id: keyId(fromBase64(pub) as Uint8Array),
    public_key: pub,
    username: owner.username,
    party: owner.party,
    label: owner.label,
    created_at: new Date().toISOString(),
  } as const;
  const key = await aesKey(passphrase, salt, iterations);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: buf(boundFields(clear)) },
    key,
    buf(seed),
  );
  return {
    ...clear,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toBase64(salt) },
    cipher: { name: 'AES-GCM', iv: toBase64(iv) },
    ciphertext: toBase64(new Uint8Array(sealed)),
  };
}

/**
 * The private key (32-byte seed) of a sealed key. Refused: a wrong passphrase or an altered file
 * (AES-GCM's tag does not check: the two cannot be told apart, by design), and a seed whose
 * public half is not the one the file names.
 */
export async function openKey(k: SealedKey, passphrase: string): Promise<Uint8Array> {
  const file = parseSealedKey(k);
  const salt = fromBase64(file.kdf.salt) as Uint8Array;
  const iv = fromBase64(file.cipher.iv) as Uint8Array;
  const key = await aesKey(passphrase, salt, file.kdf.iterations);
  let seed: Uint8Array;
  try {
    seed = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: buf(iv), additionalData: buf(boundFields(file)) },
        key,
        buf(fromBase64(file.ciphertext) as Uint8Array),
      ),
    );
  } catch {
    throw new VaultError('wrong_passphrase', 'wrong passphrase (or the key file was altered)');
  }
  if (seed.length !== 32 || publicKeyOf(toBase64(seed)) !== file.public_key)
    throw new VaultError('malformed_file', 'the key file holds a different key than it names');
  return seed;
}

const isString = (v: unknown, max = 200): v is string => typeof v === 'string' && v.length <= max;
const isBytes = (v: unknown, n: number): boolean => isString(v) && fromBase64(v)?.length === n;

/**
 * A sealed key read from storage or an imported file, checked for form: every field present and
 * of its type, the id that of the public key, the KDF and cipher the ones this console uses.
 */
export function parseSealedKey(value: unknown): SealedKey {
  const bad = (why: string) => new VaultError('malformed_file', `not a deconflict key file: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const k = value as Record<string, unknown>;
  if (k.format !== VAULT_FORMAT) throw bad(`its format is not ${VAULT_FORMAT}`);
  if (!isBytes(k.public_key, 32)) throw bad('public_key is not 32 bytes of base64');
  if (k.id !== keyId(fromBase64(k.public_key as string) as Uint8Array))
    throw bad('id is not the public key’s');
  for (const f of ['username', 'party', 'label', 'created_at'] as const)
    if (!isString(k[f]) || k[f] === '') throw bad(`${f} is missing`);
  const kdf = k.kdf as Record<string, unknown> | null | undefined;
  const iterations = kdf?.iterations;
  if (kdf?.name !== 'PBKDF2' || kdf.hash !== 'SHA-256') throw bad('its key derivation is not PBKDF2-SHA-256');
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations > MAX_ITERATIONS)
    throw bad('kdf.iterations is not a whole number');
  if (iterations < MIN_ITERATIONS) throw bad(`fewer than ${MIN_ITERATIONS} PBKDF2 iterations`);
  if (!isBytes(kdf.salt, 16)) throw bad('kdf.salt is not 16 bytes of base64');
  const cipher = k.cipher as Record<string, unknown> | null | undefined;
  if (cipher?.name !== 'AES-GCM' || !isBytes(cipher.iv, 12))
    throw bad('its cipher is not AES-GCM with a 12-byte IV');
  if (!isBytes(k.ciphertext, 48)) throw bad('ciphertext is not a sealed 32-byte key');
  return k as unknown as SealedKey;
}
