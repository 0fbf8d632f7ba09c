/**
 * A request body as JSON: the one reader of the API's JSON bodies, and a body kept as bytes until
 * it is read off the main thread.
 *
 * Why here and not in the server: a large declaration body is read where it is screened, in a
 * detection worker (detect-pool.ts), and the hub may not import the server. A body of 4.66 MB
 * took the main thread about 100 ms to decode, scan and parse, and four of them arriving at once
 * held `/healthz` and other parties' reads for up to a second (issue #11, finding 4); a worker
 * reads it instead, and only its coordinates, packed, come back (pack.ts).
 */
import { textProblem } from '../engine/text.ts';
import { DeconflictError } from '../errors.ts';

/**
 * A JSON body not read yet: the bytes of a declaration body larger than
 * {@link READ_IN_WORKER_ABOVE_BYTES}, handed by the server to the hub as they came. The hub reads
 * it with {@link readJson} in a detection worker, with the same checks and the same errors as on
 * the main thread.
 */
export class RawBody {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * Declaration bodies larger than this are read in a detection worker. Below it, reading costs the
 * main thread well under a millisecond (64 KiB parses in about 0.3 ms here), less than sending it.
 */
export const READ_IN_WORKER_ABOVE_BYTES = 64 * 1024;

const join = (a: string, b: string): string => (a === '' ? b : `${a}.${b}`);

/**
 * The deepest nesting a JSON body may have. The deepest body the API takes is a FeatureCollection
 * of MultiPolygons (8 levels); 64 leaves room for any honest client and keeps every walk over a
 * body (validation, the engine, a serializer) far from the stack's limit.
 */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * A JSON body as a value, or the coded error that refuses it:
 * - bytes that are not UTF-8: `invalid_json` (decoding would replace them with U+FFFD, a repair);
 * - no body at all: undefined when the route's body is optional (a POST that only acts may come
 *   bodiless with `content-type: application/json`), `invalid_json` otherwise;
 * - nesting deeper than {@link MAX_JSON_DEPTH}: `invalid_request`, found by one pass over the
 *   text before it is parsed (a body of 4 MB of `[` would otherwise cost seconds to parse);
 * - a `__proto__` member anywhere, or a `constructor` member holding `prototype`:
 *   `invalid_request` naming it. JSON.parse makes such a key an ordinary own property, but any
 *   code that later copies members with assignment (`Object.assign`, a merge) would set an
 *   object's prototype instead; no field of the API has these names, so they are refused, never
 *   silently dropped;
 * - a member name that breaks the text rules: `invalid_text` naming where.
 * Member names are walked only when the text pass saw a suspect one (escaped, not printable
 * ASCII, or one of those two names): an ordinary body is read in one pass and one JSON.parse.
 */
export function readJson(bytes: Uint8Array, optional: boolean): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new DeconflictError([
      { code: 'invalid_json', feature: null, path: '', message: 'the request body is not valid UTF-8' },
    ]);
  }
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new DeconflictError([
      {
        code: 'invalid_json',
        feature: null,
        path: '',
        message: 'the request body is empty: send a JSON object',
      },
    ]);
  }
  let depth = 0;
  let suspect = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i + 1;
      let plain = true;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c) {
          plain = false;
          i++;
        } else if (d < 0x20 || d > 0x7e) plain = false;
      }
      const len = i - start;
      const named =
        (len === 9 && text.startsWith('__proto__', start)) ||
        (len === 11 && text.startsWith('constructor', start));
      if (!plain || named) {
        let j = i + 1;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x3a) suspect = true;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH)
        throw new DeconflictError([
          {
            code: 'invalid_request',
            feature: null,
            path: '',
            message: `the request body nests deeper than ${MAX_JSON_DEPTH} levels`,
          },
        ]);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DeconflictError([
      { code: 'invalid_json', feature: null, path: '', message: 'the request body is not valid JSON' },
    ]);
  }
  if (suspect) checkMembers(value);
  return value;
}

/** The member names of a parsed body (see {@link readJson}); iterative, depth already bounded. */
function checkMembers(value: unknown): void {
  const queue: [unknown, string][] = [[value, '']];
  for (let i = 0; i < queue.length; i++) {
    const [v, at] = queue[i] as [unknown, string];
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) queue.push([x, at]);
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      const problem = textProblem(k);
      if (problem !== null)
        throw new DeconflictError([
          {
            code: 'invalid_text',
            feature: null,
            path: at,
            message: `a member name of ${at || 'the body'} ${problem}`,
          },
        ]);
      const path = join(at, k);
      const poison =
        k === '__proto__' ||
        (k === 'constructor' && typeof x === 'object' && x !== null && Object.hasOwn(x, 'prototype'));
      if (poison)
        throw new DeconflictError([
          {
            code: 'invalid_request',
            feature: null,
            path,
            message: `${path}: "${k}" is not a field of any request (a prototype key is refused)`,
          },
        ]);
      if (typeof x === 'object' && x !== null) queue.push([x, path]);
    }
  }
}
