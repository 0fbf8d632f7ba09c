/**
 * What every answer must be, whatever was sent:
 *
 * - an answer at all (no dropped connection, no hang past the timeout);
 * - never 5xx: a hostile input is the client's fault and gets a coded 4xx that changes nothing;
 * - never 1xx or 3xx (the API redirects nowhere);
 * - 2xx: strict JSON (UTF-8, `JSON.parse`, no lone surrogate) unless the route declares another
 *   media type (the console's files); 204 empty;
 * - 4xx: `application/json`, exactly `{"errors": [{code, feature, path, message}, ...]}`, each
 *   code in the registry (src/errors.ts), and the status the registry's codes give
 *   (src/server/errors.ts: the highest of its codes' statuses) — the documented contract of
 *   docs/errors.md.
 *
 * A failure is named by a short signature (route, status, kind) so that the thousand inputs
 * that trip the same bug count as one finding, shrunk once.
 */
import { ERROR_CODES } from '../../../src/errors.ts';
import { SMALL_BODY_LIMIT } from '../../../src/server/app.ts';
import { HTTP_STATUS } from '../../../src/server/errors.ts';
import type { Answer, NoAnswer } from './http.ts';
import { readStrict } from './json.ts';
import { declaredNotJson } from './openapi.ts';
import type { FuzzRequest } from './requests.ts';

export interface Verdict {
  /** `POST /api/v1/channels/{id}/read → 500 io_error` */
  readonly signature: string;
  /** What is wrong, in a sentence. */
  readonly why: string;
}

const CODES = new Set(Object.keys(ERROR_CODES));
const statusOf = HTTP_STATUS as Record<string, number>;

/** The route part of a signature: the route drawn, or the path when no route has it. */
function where(r: FuzzRequest): string {
  if (r.op) return `${r.method} ${r.op.path}${r.method === r.op.method ? '' : ` (a ${r.op.method} route)`}`;
  return `${r.method} <no route>`;
}

/** The shape of an error body, or what is wrong with it. */
export function errorShapeProblem(value: unknown, status: number): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'the error body is not an object';
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'errors') return `the error body has members ${JSON.stringify(keys)}`;
  const errors = (value as { errors: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return '"errors" is not a non-empty list';
  let highest = 0;
  for (const e of errors as unknown[]) {
    if (e === null || typeof e !== 'object') return 'an error is not an object';
    const k = Object.keys(e).sort().join(',');
    if (k !== 'code,feature,message,path') return `an error has members ${k}`;
    const { code, feature, path, message } = e as Record<string, unknown>;
    if (typeof code !== 'string' || !CODES.has(code))
      return `code ${JSON.stringify(code)} is not in the registry`;
    if (typeof path !== 'string') return 'path is not a string';
    if (typeof message !== 'string' || message === '') return 'message is not a non-empty string';
    if (feature !== null && (typeof feature !== 'object' || Array.isArray(feature)))
      return 'feature is neither null nor an object';
    highest = Math.max(highest, statusOf[code] ?? 0);
  }
  if (highest !== status) return `status ${status} but its codes give ${highest}`;
  return null;
}

/** Fastify's default error body (`{statusCode, error, message[, code]}`), not the hub's. */
function isFrameworkBody(v: unknown): boolean {
  return v !== null && typeof v === 'object' && 'statusCode' in v && 'message' in v && !('errors' in v);
}

/** The codes of an error body, for a signature (`io_error`), or '' when it has none. */
function codesOf(value: unknown): string {
  const errors = (value as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return '';
  return [...new Set(errors.map((e) => String((e as { code?: unknown })?.code)))].join(',');
}

/**
 * The hub's body limits: 5 MiB for declarations, SMALL_BODY_LIMIT (64 KiB) for every other
 * route. A body past its route's limit may be cut off by the hub before it is all sent: the hub
 * answers 413 and closes the connection, and a client still writing sees EPIPE or a reset
 * instead of the answer. Refusing to read it is the protection working, not a failure. A
 * request no route takes (an unknown path, another method: 404 or 405) is read up to the hub's
 * whole limit before it is answered.
 */
const BODY_LIMIT = 5 * 1024 * 1024;
const limitOf = (r: FuzzRequest): number =>
  r.op !== null && r.method === r.op.method && r.op.body?.parsedByEngine !== true
    ? SMALL_BODY_LIMIT
    : BODY_LIMIT;

/** Judge one answer (to a request whose body was `sentBytes` long): null when acceptable, else the failure. */
export function judge(r: FuzzRequest, a: Answer | NoAnswer, sentBytes = 0): Verdict | null {
  const at = where(r);
  if (!('status' in a)) {
    if (a.error.startsWith('client refused')) return null;
    if (sentBytes > limitOf(r) && /EPIPE|ECONNRESET|socket hang up/.test(a.error)) return null;
    return { signature: `${at} → no answer`, why: a.error };
  }
  const { status } = a;
  const ct = String(a.headers['content-type'] ?? '');
  if (r.method === 'HEAD') {
    return status >= 500 ? { signature: `${at} → ${status}`, why: `HEAD answered ${status}` } : null;
  }
  if (status >= 500) {
    const read = readStrict(a.body);
    const codes = read.ok ? codesOf(read.value) : 'not JSON';
    return { signature: `${at} → ${status} ${codes}`, why: `a server error (${status})` };
  }
  if (status < 200 || (status >= 300 && status < 400)) {
    return { signature: `${at} → ${status}`, why: `an unexpected status ${status}` };
  }
  if (status < 300) {
    if (declaredNotJson(r.op ?? undefined, status)) return null;
    if (status === 204) {
      return a.body.length === 0 ? null : { signature: `${at} → 204 with a body`, why: '204 with a body' };
    }
    if (!/^application\/(.+\+)?json\b/.test(ct))
      return { signature: `${at} → ${status} not JSON`, why: `content-type ${JSON.stringify(ct)}` };
    const read = readStrict(a.body);
    if (!read.ok) return { signature: `${at} → ${status} ill-formed`, why: read.why };
    return null;
  }
  // 4xx: the documented error shape.
  if (!/^application\/json\b/.test(ct))
    return {
      signature: `${at} → ${status} not the error shape (content-type)`,
      why: `content-type ${JSON.stringify(ct)}, ${a.body.length} bytes`,
    };
  const read = readStrict(a.body);
  if (!read.ok) return { signature: `${at} → ${status} ill-formed`, why: read.why };
  const problem = errorShapeProblem(read.value, status);
  const message = String((read.value as { message?: unknown } | null)?.message ?? '');
  if (problem !== null && message.startsWith('response check:')) {
    // The fuzz hub checks every answer against its route's schema: this answer had none.
    return { signature: `${at} → ${status} breaks its declared responses`, why: message };
  }
  if (problem !== null && isFrameworkBody(read.value)) {
    // Fastify's or Node's own answer, before any route ran (a bad URL, a URL or header too
    // long): one finding at the edge, whichever route the path was aimed at.
    const v = read.value as { code?: unknown; error?: unknown };
    return {
      signature: `(edge, any route) → ${status} ${String(v.code ?? v.error)} not the error shape`,
      why: problem,
    };
  }
  if (problem !== null) {
    const kind = problem.includes('registry')
      ? `unknown code ${codesOf(read.value)}`
      : problem.startsWith('status')
        ? `status does not match ${codesOf(read.value)}`
        : 'not the error shape';
    return { signature: `${at} → ${status} ${kind}`, why: problem };
  }
  return null;
}
