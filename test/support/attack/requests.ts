/**
 * Requests: one route of the OpenAPI document (now and then a path no route has, or a method the
 * route does not take), its path parameters (ids that exist, or hostile segments), its query
 * (valid for its schema, hostile, or both), who sends it (a demo account's session, no token, a
 * malformed Authorization header), its content type and its body (valid, mutated, broken,
 * absent, or far too large).
 *
 * Routes that hash a password (log in, create a party or a member) and logging out (which costs
 * the harness a new login) are drawn a tenth as often as the others: a password hash is a 32 MiB
 * scrypt, and at full weight they would spend the run's time in scrypt instead of in the routes.
 */
import fc from 'fast-check';
import { declarationBody } from './declarations.ts';
import {
  brokenBody,
  hostileAuthorization,
  hostileContentType,
  hostileQuery,
  hostileSegment,
  hostileString,
  oversizeBody,
} from './hostile.ts';
import { describe, type J, wellFormed } from './json.ts';
import { mutated } from './mutate.ts';
import { type Operation, poolOfParam } from './openapi.ts';
import { fromPool, valueFor, type World } from './values.ts';

export type Sender =
  | { readonly kind: 'account'; readonly username: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'header'; readonly value: string };

export interface FuzzRequest {
  /** The route drawn (null: a path no route has). */
  readonly op: Operation | null;
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  readonly as: Sender;
  readonly contentType: string | null;
  /** Absent: no body at all. */
  readonly body: J | undefined;
}

/** Routes drawn a tenth as often (see the module comment). */
const COSTLY = new Set([
  'POST /api/v1/session',
  'DELETE /api/v1/session',
  'POST /api/v1/parties',
  'POST /api/v1/parties/{party}/members',
]);

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

/** A path segment that names something that exists (or a plausible id), %-encoded. */
function goodSegment(op: Operation, param: string, world: World): fc.Arbitrary<string> {
  const pool = poolOfParam(op.path, param);
  return fc
    .oneof(
      { weight: 8, arbitrary: fromPool(world, pool, 'none') },
      { weight: 1, arbitrary: fc.constantFrom(...world.parties) },
      { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9:-]{1,20}$/) },
    )
    .map(encodeURIComponent);
}

function querySchemaValue(schema: Record<string, unknown>, name: string, world: World): fc.Arbitrary<string> {
  return valueFor(schema, name, world).map((v) => (typeof v === 'string' ? v : describe(v)));
}

/** A query string (without `?`) of a route's own parameters, each valid for its schema or absent. */
function goodQuery(op: Operation, world: World): fc.Arbitrary<string> {
  const params = op.params.filter((p) => p.in === 'query');
  if (params.length === 0) return fc.constant('');
  return fc
    .tuple(
      ...params.map((p) =>
        fc
          .option(querySchemaValue(p.schema, p.name, world), { freq: 2 })
          .map((v) => (v === null ? '' : `${p.name}=${encode(v)}`)),
      ),
    )
    .map((parts) => parts.filter((x) => x !== '').join('&'));
}

/** A query string with something wrong: a parameter's value hostile, or parameters no route has. */
function badQuery(op: Operation, world: World): fc.Arbitrary<string> {
  const params = op.params.filter((p) => p.in === 'query');
  const own = goodQuery(op, world);
  return fc.oneof(
    { weight: 2, arbitrary: hostileQuery },
    { weight: 1, arbitrary: fc.tuple(own, hostileQuery).map(([a, b]) => (a === '' ? b : `${a}&${b}`)) },
    ...(params.length === 0
      ? []
      : [
          {
            weight: 3,
            arbitrary: fc
              .tuple(
                fc.constantFrom(...params),
                hostileString.filter((x) => x.length < 5_000),
                own,
              )
              .map(([p, v, rest]) => `${rest === '' ? '' : `${rest}&`}${p.name}=${encode(v)}`),
          },
        ]),
  );
}

/** %-encode a value for a URL; a lone surrogate (which `encodeURIComponent` refuses) as its UTF-8 bytes. */
export function encode(s: string): string {
  if (wellFormed(s)) return encodeURIComponent(s);
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out +=
      ch.length === 1 && c >= 0xd800 && c <= 0xdfff
        ? `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`
        : encodeURIComponent(ch);
  }
  return out;
}

/** A body a correct client would send (none for a route that takes none). */
function goodBody(op: Operation, world: World): fc.Arbitrary<J | undefined> {
  if (!op.body) return fc.constant(undefined);
  return op.body.parsedByEngine ? declarationBody(world) : valueFor(op.body.schema, '', world);
}

/** A body with something wrong: mutated from a good one, broken as a document, absent, or too large. */
function badBody(op: Operation, world: World): fc.Arbitrary<J | undefined> {
  if (!op.body) return brokenBody;
  return fc.oneof(
    { weight: 600, arbitrary: mutated(goodBody(op, world) as fc.Arbitrary<J>) },
    { weight: 200, arbitrary: brokenBody },
    { weight: 99, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: oversizeBody },
  );
}

/** A harness account: any, or (half the time) one the route has answered 2xx to before. */
const account = (world: World, route?: string): fc.Arbitrary<Sender> =>
  fc.tuple(fc.constantFrom(...world.accounts), fc.nat(), fc.boolean()).map(([any, i, learnt]): Sender => {
    const fit = route === undefined ? [] : world.fitting(route);
    const username = learnt && fit.length > 0 ? (fit[i % fit.length] as string) : any;
    return { kind: 'account', username };
  });

const badSender: fc.Arbitrary<Sender> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Sender>({ kind: 'none' }) },
  { weight: 2, arbitrary: hostileAuthorization.map((value): Sender => ({ kind: 'header', value })) },
);

/** What of a request is wrong: nothing, one part, or everything at once. */
type Wrong = 'nothing' | 'path' | 'query' | 'sender' | 'method' | 'type' | 'body' | 'all';

const WRONG: fc.Arbitrary<Wrong> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Wrong>('nothing') },
  { weight: 2, arbitrary: fc.constant<Wrong>('path') },
  { weight: 1, arbitrary: fc.constant<Wrong>('query') },
  { weight: 1, arbitrary: fc.constant<Wrong>('sender') },
  { weight: 1, arbitrary: fc.constant<Wrong>('method') },
  { weight: 1, arbitrary: fc.constant<Wrong>('type') },
  { weight: 6, arbitrary: fc.constant<Wrong>('body') },
  { weight: 2, arbitrary: fc.constant<Wrong>('all') },
);

/**
 * A request to one route. Mostly one thing is wrong and the rest is what a correct client sends
 * (so the wrong thing gets as deep into the hub as it can); sometimes nothing is wrong (valid
 * inputs, which build up the state the next inputs act on); sometimes everything is.
 */
export function requestTo(op: Operation, world: World): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const path = (bad: boolean) =>
    fc
      .tuple(
        ...pathParams.map((p) =>
          bad ? fc.oneof(goodSegment(op, p.name, world), hostileSegment) : goodSegment(op, p.name, world),
        ),
      )
      .map((segments) =>
        pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, segments[i] as string), op.path),
      );
  const types = op.body ? op.body.types : ['application/json'];
  const goodType = op.body ? fc.constantFrom<string | null>(...types) : fc.constant<string | null>(null);
  return WRONG.chain((wrong) => {
    const all = wrong === 'all';
    return fc.record({
      path: path(all || (wrong === 'path' && pathParams.length > 0)),
      query: all || wrong === 'query' ? badQuery(op, world) : goodQuery(op, world),
      as: all || wrong === 'sender' ? fc.oneof(account(world), badSender) : account(world, op.route),
      method: wrong === 'method' ? fc.constantFrom(...OTHER_METHODS) : fc.constant(op.method),
      body: all || wrong === 'body' ? badBody(op, world) : goodBody(op, world),
      contentType: all || wrong === 'type' ? hostileContentType : goodType,
      align: fc.boolean(),
    });
  }).map(
    (r): FuzzRequest => ({
      op,
      method: r.method,
      path: r.query === '' ? r.path : `${r.path}?${r.query}`,
      as: r.align ? alignedSender(r.as, r.path, world) : r.as,
      // No body: no content type, except as a case of its own (a bodiless POST that says JSON).
      contentType: r.body === undefined && r.contentType !== 'application/json' ? null : r.contentType,
      body: r.body,
    }),
  );
}

/**
 * The sender moved to the party its path names (`/parties/coalition/members`,
 * `/declarations/coalition%3Ax`), keeping its role: a party's own records are where most writes
 * succeed, and where a route's deeper checks run.
 */
function alignedSender(as: Sender, path: string, world: World): Sender {
  if (as.kind !== 'account' || !as.username.includes('.') || as.username === 'hub.admin') return as;
  const segments = path.split('/').map((x) => {
    try {
      return decodeURIComponent(x);
    } catch {
      return x;
    }
  });
  const party = world.parties.find((p) => segments.some((x) => x === p || x.startsWith(`${p}:`)));
  if (!party) return as;
  const role = as.username.slice(as.username.lastIndexOf('.') + 1);
  const username = `${party}.${role}`;
  return world.accounts.includes(username) ? { kind: 'account', username } : as;
}

function sender(world: World): fc.Arbitrary<Sender> {
  return fc.oneof({ weight: 8, arbitrary: account(world) }, { weight: 1, arbitrary: badSender });
}

/** A path under /api/v1 that no route has. */
function unknownPath(world: World): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      path: fc.oneof(
        fc.constantFrom(
          '/api/v1/',
          '/api/v1',
          '/api/v1/ledger',
          '/api/v1/declarations/',
          '/api/v1//declarations',
          '/api/v1/declarations/%zz/versions',
          '/api/v1/./status',
          '/api/v1/../healthz',
          '/api/v2/declarations',
          '/api/v1/alerts/x/ack/y',
          `/api/v1/${'a'.repeat(10_000)}`,
          '/api/v1/%ed%a0%80',
        ),
        hostileSegment.map((s) => `/api/v1/${s}`),
      ),
      method: fc.constantFrom(...OTHER_METHODS),
      as: sender(world),
      body: fc.option(brokenBody, { freq: 4 }),
    })
    .map((r) => ({
      op: null,
      method: r.method,
      path: r.path,
      as: r.as,
      contentType: r.body === null ? null : 'application/json',
      body: r.body ?? undefined,
    }));
}

/** Any request to the hub: a route by weight (see COSTLY), or now and then a path with no route. */
export function anyRequest(ops: readonly Operation[], world: World): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    ...ops.map((op) => ({ weight: COSTLY.has(op.route) ? 1 : 10, arbitrary: requestTo(op, world) })),
    { weight: 5, arbitrary: unknownPath(world) },
  );
}

/** A request as a person reads it in a counterexample. */
export function describeRequest(r: FuzzRequest): string {
  const path = r.path.length > 300 ? `${r.path.slice(0, 300)}… (${r.path.length} chars)` : r.path;
  const who =
    r.as.kind === 'account'
      ? `as ${r.as.username}`
      : r.as.kind === 'none'
        ? 'without a token'
        : `with Authorization: ${r.as.value.length > 60 ? `${r.as.value.slice(0, 60)}… (${r.as.value.length} chars)` : r.as.value}`;
  const lines = [`${r.method} ${path} ${who}`];
  if (r.contentType !== null)
    lines.push(
      `  content-type: ${r.contentType.length > 80 ? `${r.contentType.slice(0, 80)}…` : r.contentType}`,
    );
  lines.push(r.body === undefined ? '  (no body)' : `  body: ${describe(r.body)}`);
  return lines.join('\n');
}
