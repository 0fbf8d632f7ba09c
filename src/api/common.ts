/**
 * The API's shared schemas (TypeBox, i.e. JSON Schema with static types): errors, times, ids,
 * enumerations. Every route's params, query, body and responses are built from these and the
 * feature modules beside this one; the server validates and serializes with them, the OpenAPI
 * description at `/api/v1/openapi.json` is generated from them, and the console and the tests
 * import their static types. One definition each: nothing here is written twice.
 *
 * Conventions: times are ISO 8601 UTC strings on the wire (inputs also take a Zulu date-time
 * group, format `zulu-time`); distances are metres; ids are strings. Bodies and queries refuse
 * unknown members (`additionalProperties: false`), so a typo is an error, never ignored.
 *
 * Text: every string a request carries obeys src/engine/text.ts (keyword `x-text`: `line`
 * unless a field says `multiline`; the server adds `line` to any string schema of a request that
 * names none, see src/server/validation.ts). Ids in a URL are of {@link RECORD_ID_PATTERN}.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { MAX_ID_LENGTH, RECORD_ID_PATTERN, type TextKind } from '../engine/text.ts';
import { ERROR_CODES } from '../errors.ts';

/** A value or null. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** An instant on the wire: ISO 8601 UTC (the hub always answers with `Z`). */
export const Instant = Type.String({ format: 'date-time', description: 'ISO 8601 UTC' });

/** An instant typed by a person or a client: ISO 8601 UTC or a Zulu date-time group. */
export const TimeInput = Type.String({
  format: 'zulu-time',
  maxLength: 64,
  description: 'an ISO 8601 UTC time or a date-time group (DDHHMMZMONYY)',
  examples: ['2026-11-23T10:00:00Z', '231000ZNOV26'],
});

/**
 * A record id (the hub's, or a declaration's `<party>:<local id>`): RFC 3986 unreserved
 * characters and `:`, so it stands in a URL as it is; at most as long as the longest declaration
 * id the engine accepts (src/engine/text.ts), so every id the hub holds can be named in a path.
 */
export const RecordId = (description: string) =>
  Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, pattern: RECORD_ID_PATTERN, description });

/** A record id in a path (the hub's or a party's). */
export const IdParams = Type.Object(
  {
    id: RecordId(
      `the record id: letters, digits, ".", "_", "~", "-", ":"; at most ${MAX_ID_LENGTH} characters`,
    ),
  },
  { additionalProperties: false },
);
export type IdParams = Static<typeof IdParams>;

export const PRECEDENCE_VALUES = ['flash', 'immediate', 'priority', 'routine'] as const;
export const Precedence = Type.Enum(PRECEDENCE_VALUES, {
  description: 'one of flash, immediate, priority, routine (most urgent first)',
});

export const PARTY_ROLE_VALUES = ['operator', 'watch_officer', 'senior_officer', 'party_admin'] as const;
export const PartyRole = Type.Enum(PARTY_ROLE_VALUES, {
  description: 'one of operator, watch_officer, senior_officer, party_admin',
});
export const Role = Type.Enum([...PARTY_ROLE_VALUES, 'hub_admin'] as const);

/** A page size: a whole number from 1 to `max`. */
export const Limit = (max: number, dflt: number) =>
  Type.Integer({ minimum: 1, maximum: max, description: `1–${max}, default ${dflt}` });

/** A sequence number to read after (0 = from the start). */
export const After = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'the last sequence number seen; 0 or absent from the start',
});

/** One coded problem: the same details the CLI prints (docs/errors.md). */
export const ErrorDetail = Type.Object(
  {
    code: Type.Enum(Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[], {
      description: 'a code of docs/errors.md',
    }),
    feature: Nullable(
      Type.Object(
        { index: Type.Integer(), id: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    path: Type.String({ description: 'the offending field, e.g. `properties.end` or `ttl_days`' }),
    message: Type.String(),
  },
  { additionalProperties: false },
);

/** Every error answer: `{"errors": [...]}` (the status is in docs/errors.md). */
export const Errors = Type.Object(
  { errors: Type.Array(ErrorDetail, { minItems: 1 }) },
  {
    additionalProperties: false,
    title: 'Errors',
    examples: [
      {
        errors: [
          {
            code: 'invalid_request',
            feature: null,
            path: 'ttl_days',
            message: 'ttl_days: a whole number of days from 1 to 3650',
          },
        ],
      },
    ],
  },
);
export type Errors = Static<typeof Errors>;

/** A request body that must be an object with no members (e.g. a POST that only acts). */
export const EmptyBody = Type.Object({}, { additionalProperties: false });

/** No content (204). */
export const NoContent = Type.Null({ description: 'no content' });

/**
 * Free text typed by a person: bounded, at least one visible character when required, one line
 * unless `kind` is `multiline` (prose: messages, replies, reasons, which may hold `\n` and `\t`).
 */
export const Text = (max: number, description: string, min = 0, kind: TextKind = 'line') =>
  Type.String({
    minLength: min,
    maxLength: max,
    description,
    'x-text': kind,
    ...(min > 0 && { pattern: '\\S' }),
  });
