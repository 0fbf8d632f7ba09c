/**
 * Passwords and tokens. Passwords are hashed with scrypt (memory-hard: 32 MiB and ~0.1 s per
 * hash with the parameters below), salted, compared in constant time. Tokens (bearer tokens and
 * device tokens) are 256 random bits; only their SHA-256 is stored, so a copy of the database
 * yields no usable token.
 *
 * scrypt runs on libuv's thread pool; how many run at once is bounded by the login gate
 * (`server/login-gate.ts`), and {@link hashCounters} says how many ran and how many at most at
 * once (for the operator, and for the tests of that bound).
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
/** scrypt needs 128 · N · r bytes; allow it with some headroom. */
const MAX_MEM = 128 * N * R * 2;

export const MIN_PASSWORD_LENGTH = 12;

const counters = { computed: 0, running: 0, peak: 0 };

/** Password hashes computed since the process started, running now, and the most at once. */
export function hashCounters(): { computed: number; running: number; peak: number } {
  return { ...counters };
}

/** Start counting the most hashes at once afresh (from those running now). */
export function resetHashPeak(): void {
  counters.peak = counters.running;
}

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  counters.running += 1;
  counters.peak = Math.max(counters.peak, counters.running);
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password,
      salt,
      KEY_LENGTH,
      { N: n, r, p, maxmem: Math.max(MAX_MEM, 128 * n * r * 2) },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  }).finally(() => {
    counters.running -= 1;
    counters.computed += 1;
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4] as string, 'base64url');
  const expected = Buffer.from(parts[5] as string, 'base64url');
  const key = await scryptAsync(password, salt, n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash to compare against when the user does not exist, so that timing does not tell. */
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword('not a password of anyone');
  return dummyHash;
}

/** A new bearer token: the secret to hand out once, and the hash to store. */
export function newToken(): { secret: string; hash: string; id: string } {
  const secret = `dcf_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: tokenHash(secret), id: `tok_${randomBytes(9).toString('base64url')}` };
}

/**
 * A new device token (docs/security.md): the secret the device keeps, the hash to store, and the
 * id by which its member sees and revokes it. `dcd_` tells it apart from a bearer token (`dcf_`).
 */
export function newDeviceToken(): { secret: string; hash: string; id: string } {
  const secret = `dcd_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: tokenHash(secret), id: `dev_${randomBytes(9).toString('base64url')}` };
}

export function tokenHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A random id with a prefix, for records the hub names itself. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('base64url')}`;
}
