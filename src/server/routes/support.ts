/**
 * What every route module shares: the typed app, the standard error answers, and reading the
 * caller. A route declares its whole contract in `schema` — params, query, body and every status
 * it answers — and nothing else checks its input.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { Errors } from '../../api/common.ts';
import type { Hub, Principal } from '../../hub/hub.ts';
import { coded } from '../errors.ts';

/** The app as routes see it: schemas are TypeBox, so handlers' inputs and answers are typed. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A module of routes: registers its routes on the app, calling the hub's features. */
export type Routes = (app: App, hub: Hub) => void;

/** Every route may answer a coded error (docs/errors.md). */
export const ERRORS = { '4xx': Errors, '5xx': Errors } as const;

/** Routes that need a bearer token say so in the description. */
export const BEARER = [{ bearer: [] }];

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw coded('unauthorized', 'send "Authorization: Bearer <token>"');
  return req.principal;
}

/** An optional reply: absent, null or empty is none. */
export const replyText = (b: { reply?: string | null } | undefined): string | null =>
  b?.reply ? b.reply : null;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** No token needed (login, the API description, health, the console). */
    public?: boolean;
    /** The WebSocket stream may authenticate in its first frame instead of a header. */
    authInFirstFrame?: boolean;
    /** An absent body is read as `{}` (a POST that only acts, with optional fields). */
    optionalBody?: boolean;
  }
}
