/**
 * The rules every string that enters the hub obeys — free text, names and ids alike — and the
 * alphabet and lengths of ids. One definition, used by the engine's parser (declarations), the
 * API's schemas (`x-text`, src/server/validation.ts; ids in src/api/common.ts) and the tests.
 *
 * Text is refused, never repaired (docs/security.md, "Input"):
 * - ill-formed UTF-16 (a lone surrogate, `"\ud800"`): it has no UTF-8 form, so what is stored
 *   and hashed would differ from what was sent, and it makes every answer that carries it
 *   unreadable for strict JSON clients of every party that can see it;
 * - control characters (Unicode `Cc`: C0, DEL, C1): they rewrite terminals and log lines, and no
 *   field holds them — except a line feed and a tab in multi-line prose (hotline messages,
 *   replies, reasons, notes). A carriage return is refused there too: a line break is `\n`;
 * - U+2028 and U+2029 (line and paragraph separators): line breaks that one-line fields must not
 *   hold and that some JavaScript and log readers take for the end of a line;
 * - bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make
 *   text display in another order than it is stored ("Trojan Source", CVE-2021-42574), so one
 *   party could show another a label that reads differently from what the hub holds. The marks
 *   U+200E/U+200F, which only nudge neutral characters, stay allowed.
 */

/** How a field may use line breaks: `line` (names, ids, labels) or `multiline` (prose). */
export type TextKind = 'line' | 'multiline';

const FORBIDDEN_LINE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/u;
const FORBIDDEN_MULTILINE =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/u;

const hex = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * What is wrong with a string for a field of this kind, in words (naming the character by its
 * code point, never echoing it), or null when it is acceptable. In a `u` regular expression a
 * surrogate range matches only unpaired surrogates: a well-formed pair is one code point above
 * U+FFFF.
 */
export function textProblem(s: string, kind: TextKind = 'line'): string | null {
  const m = (kind === 'line' ? FORBIDDEN_LINE : FORBIDDEN_MULTILINE).exec(s);
  if (m === null) return null;
  const c = m[0].charCodeAt(0);
  const at = `at character ${m.index + 1}`;
  if (c >= 0xd800 && c <= 0xdfff)
    return `contains an unpaired surrogate ${hex(c)} ${at}: not well-formed Unicode`;
  if (c === 0x0a || c === 0x09 || c === 0x0d || c === 0x2028 || c === 0x2029)
    return kind === 'line'
      ? `contains a line break or tab (${hex(c)}) ${at}: this field is one line`
      : `contains ${hex(c)} ${at}: a line break is U+000A (\\n) alone`;
  if (c >= 0x202a && c <= 0x2069)
    return `contains a bidirectional control ${hex(c)} ${at}: text must display as it is stored`;
  return `contains the control character ${hex(c)} ${at}`;
}

/** The same text with every unpaired surrogate and control character replaced by U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(/[\p{Cc}\uD800-\uDFFF]/gu, '\uFFFD');
}

// --- Ids ------------------------------------------------------------------------------------------

/**
 * The characters of a local id (the part a party chooses, after `<party>:`): RFC 3986's
 * unreserved characters, which a URL path carries as they are. So every id can be named in a URL
 * (`/api/v1/declarations/<id>`) without escapes that would change its length or its bytes.
 */
export const LOCAL_ID_CHARS = 'A-Za-z0-9._~-';
/** The longest local id. */
export const MAX_LOCAL_ID_LENGTH = 128;
/** The longest party id (a party id has no colon, so `<party>:<local>` splits at the first). */
export const MAX_PARTY_ID_LENGTH = 64;
/** A party id (src/domain/limits.ts has the same for the hub): a letter or digit, then letters, digits, "-", "_", ".". */
const PARTY_ID = `[A-Za-z0-9][A-Za-z0-9_.-]{0,${MAX_PARTY_ID_LENGTH - 1}}`;
/**
 * The longest record id the hub has: a declaration's full id `<party>:<local>`. Every path
 * parameter that names a record takes ids up to this length, so any id the parser accepts can be
 * read, amended and withdrawn.
 */
export const MAX_ID_LENGTH = MAX_PARTY_ID_LENGTH + 1 + MAX_LOCAL_ID_LENGTH;
/** A local id: 1–128 unreserved characters. */
export const LOCAL_ID_PATTERN = `^[${LOCAL_ID_CHARS}]{1,${MAX_LOCAL_ID_LENGTH}}$`;
/** A declaration id as written in a file: a local id, or `<party>:<local id>`. */
export const DECLARATION_ID_PATTERN = `^(?:${PARTY_ID}:)?[${LOCAL_ID_CHARS}]{1,${MAX_LOCAL_ID_LENGTH}}$`;
/**
 * A record id in a URL: a declaration's `<party>:<local>` or an id the hub drew (`cf-…`, `al-…`):
 * unreserved characters and the colon, at most {@link MAX_ID_LENGTH}.
 */
export const RECORD_ID_PATTERN = `^[:${LOCAL_ID_CHARS}]{1,${MAX_ID_LENGTH}}$`;
