/**
 * The fuzzer's JSON: a small tree that can say what `JSON.stringify` cannot — duplicate keys, an
 * own `__proto__` key, number tokens such as `-0`, `1e300` or `1e999`, nesting deeper than a
 * recursive serializer should walk, and bytes that are not UTF-8 — rendered to the exact bytes
 * sent. And the other direction: reading an answer strictly (UTF-8 without replacement, `JSON.parse`,
 * and no string or key that is not well-formed UTF-16, i.e. no lone surrogate escaped in the text).
 */

/** Text put in the body as it is (a number token, a deep nest, deliberately broken JSON). */
export class Raw {
  constructor(
    readonly text: string,
    /** What a reader of a counterexample is told instead of the text (for long texts). */
    readonly label?: string,
  ) {}
}

/** Bytes put in the body as they are (ill-formed UTF-8 inside an otherwise valid document). */
export class Bytes {
  constructor(
    readonly bytes: Buffer,
    readonly label: string,
  ) {}
}

/** An object as a list of members: keys may repeat and may be `__proto__`. */
export class Obj {
  constructor(readonly entries: readonly (readonly [string, J])[]) {}
  get(key: string): J | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
}

export type J = null | boolean | number | string | readonly J[] | Obj | Raw | Bytes;

/** A plain JSON value as a tree (objects keep their key order). */
export function fromValue(v: unknown): J {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(fromValue);
  if (typeof v === 'object') return new Obj(Object.entries(v).map(([k, x]) => [k, fromValue(x)] as const));
  return null;
}

/** The body's bytes. Strings go through `JSON.stringify`, which escapes a lone surrogate as `\udXXX`. */
export function render(v: J): Buffer {
  const parts: (string | Buffer)[] = [];
  const walk = (x: J): void => {
    if (x instanceof Raw) parts.push(x.text);
    else if (x instanceof Bytes) parts.push(x.bytes);
    else if (x instanceof Obj) {
      parts.push('{');
      x.entries.forEach(([k, val], i) => {
        if (i > 0) parts.push(',');
        parts.push(JSON.stringify(k), ':');
        walk(val);
      });
      parts.push('}');
    } else if (Array.isArray(x)) {
      parts.push('[');
      x.forEach((val, i) => {
        if (i > 0) parts.push(',');
        walk(val);
      });
      parts.push(']');
    } else parts.push(JSON.stringify(x));
  };
  walk(v);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/** How many characters of a long text a counterexample shows. */
const SHOWN = 240;

/** A readable one-line rendering for a counterexample: long strings and raw texts abbreviated. */
export function describe(v: J): string {
  const str = (s: string): string => {
    const shown = JSON.stringify(s.length > SHOWN ? s.slice(0, SHOWN) : s);
    return s.length > SHOWN ? `${shown.slice(0, -1)}…" (${s.length.toLocaleString('en')} chars)` : shown;
  };
  if (v instanceof Raw) {
    if (v.label) return v.label;
    return v.text.length > SHOWN
      ? `${v.text.slice(0, SHOWN)}… (${v.text.length.toLocaleString('en')} chars)`
      : v.text;
  }
  if (v instanceof Bytes) return v.label;
  if (v instanceof Obj) return `{${v.entries.map(([k, x]) => `${str(k)}:${describe(x)}`).join(',')}}`;
  if (Array.isArray(v)) {
    const shown = v.slice(0, 20).map(describe).join(',');
    return v.length > 20 ? `[${shown},… (${v.length} items)]` : `[${shown}]`;
  }
  return typeof v === 'string' ? str(v) : JSON.stringify(v);
}

/** A surrogate without its other half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Well-formed UTF-16: no lone surrogate (`String.prototype.isWellFormed`, which ES2022's types lack). */
export const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

/** Every string and key of a parsed value is well-formed UTF-16 (no lone surrogate). */
export function firstIllFormed(v: unknown, at = ''): string | null {
  if (typeof v === 'string') return wellFormed(v) ? null : at || '(the value)';
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = firstIllFormed(v[i], `${at}[${i}]`);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (!wellFormed(k)) return `${at}.<key>`;
      const bad = firstIllFormed(x, `${at}.${k}`);
      if (bad !== null) return bad;
    }
  }
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * An answer's body read strictly: valid UTF-8 (no replacement), strict JSON, and well-formed
 * strings. Returns the value, or why it is not acceptable.
 */
export function readStrict(body: Buffer): { ok: true; value: unknown } | { ok: false; why: string } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, why: 'the body is not valid UTF-8' };
  }
  if (text.charCodeAt(0) === 0xfeff) return { ok: false, why: 'the body starts with a byte order mark' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, why: `the body is not JSON (${(err as Error).message})` };
  }
  const bad = firstIllFormed(value);
  if (bad !== null) return { ok: false, why: `a lone surrogate in the answer at ${bad}` };
  return { ok: true, value };
}
