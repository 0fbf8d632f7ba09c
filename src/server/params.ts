/**
 * Reading request parameters: each reader answers a coded `invalid_request` naming the parameter.
 */
import type { FastifyRequest } from 'fastify';
import { parseTime } from '../field/dtg.ts';
import type { Principal } from '../hub/hub.ts';
import { coded } from './errors.ts';

export type Query = Record<string, string | undefined>;

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw coded('unauthorized', 'send "Authorization: Bearer <token>"');
  return req.principal;
}

export function timeParam(q: Query, name: string): number | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  try {
    return parseTime(v);
  } catch {
    throw coded('invalid_request', `${name}: an ISO 8601 UTC time or a date-time group`, name);
  }
}

export function intParam(q: Query, name: string, max: number): number | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw coded('invalid_request', `${name}: a whole number from 1 to ${max}`, name);
  return n;
}

export function bboxParam(q: Query): [number, number, number, number] | undefined {
  const v = q.bbox;
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  const [w, s, e, n] = parts as [number, number, number, number];
  const ok =
    parts.length === 4 &&
    parts.every(Number.isFinite) &&
    w >= -180 &&
    e <= 180 &&
    w <= 180 &&
    e >= -180 &&
    s >= -90 &&
    n <= 90 &&
    s <= n;
  if (!ok) throw coded('invalid_request', 'bbox: west,south,east,north in degrees', 'bbox');
  return [w, s, e, n];
}

export function oneOf<T extends string>(q: Query, name: string, values: readonly T[]): T | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) throw coded('invalid_request', `${name}: one of ${values.join(', ')}`, name);
  return v as T;
}

export const bodyObject = (req: FastifyRequest): Record<string, unknown> => {
  const b = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw coded('invalid_request', 'expected a JSON object');
  return b as Record<string, unknown>;
};

/** A sequence number to read after: a whole number from 0. */
export function afterParam(q: Query, name: string): number {
  const v = q[name];
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw coded('invalid_request', `${name}: a whole number from 0`, name);
  return n;
}

/** The body of a request whose body is optional (an empty POST). */
export const optionalBody = (req: FastifyRequest): Record<string, unknown> =>
  req.body === undefined || req.body === null ? {} : bodyObject(req);
