/**
 * Canonical JSON (RFC 8785), the bytes every hash and signature of the ledger covers: the hub's
 * chain and tree, the parties' signed statements. No platform dependency (no node:crypto, no
 * Buffer): the console signs and verifies with the very same code in the browser.
 */
import { DeconflictError } from '../engine/errors.ts';

/**
 * A lone UTF-16 surrogate cannot be stored as UTF-8: SQLite (and PostgreSQL) would keep U+FFFD
 * instead, the entry read back would differ from the one hashed, and the chain would break there
 * for ever — indistinguishable from tampering. Such text is refused before anything is written.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function jsonString(s: string, where: string): string {
  if (LONE_SURROGATE.test(s))
    throw new DeconflictError([
      {
        code: 'invalid_text',
        feature: null,
        path: where,
        message: 'text with a lone UTF-16 surrogate cannot be recorded (it does not round-trip as UTF-8)',
      },
    ]);
  return JSON.stringify(s);
}

/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object keys sorted by UTF-16 code units at
 * every level, no whitespace, strings and numbers serialized as ECMAScript's JSON.stringify does
 * (which is what JCS specifies), members whose value is undefined left out. The same value always
 * gives the same text, and only text that survives UTF-8 storage is accepted (see above).
 */
export function canonicalJson(value: unknown, where = ''): string {
  if (typeof value === 'string') return jsonString(value, where);
  if (typeof value === 'number' && !Number.isFinite(value))
    // RFC 8785 §3.2.2.3: NaN and ±Infinity have no JSON form. JSON.stringify would write null, so
    // a NaN and a null would hash the same. No request can carry one (JSON has no such number), so
    // this is a defect in the caller, never a user's error: refuse loudly rather than record it.
    throw new TypeError(`canonicalJson: ${value} at ${where || '(root)'} has no JSON form`);
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${where}[${i}]`)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${jsonString(k, where)}:${canonicalJson(obj[k], where ? `${where}.${k}` : k)}`).join(',')}}`;
}
