/**
 * Request validation from the routes' schemas, and its failures as coded errors.
 *
 * Two Ajv instances: query strings and path parameters arrive as text and are coerced to the
 * schema's types (`limit=10` → 10); bodies are JSON and are never coerced (`{"seq": "5"}` is an
 * error, not 5). Neither removes unknown members: schemas say `additionalProperties: false`, so a
 * misspelt field is an error naming it, never silently dropped.
 *
 * A failure becomes the API's one error shape, `{"errors": [{code, path, message}]}`: the code
 * is `invalid_request` unless the failing schema names another in `x-error` (a short password is
 * `weak_password`); the path names the field (`admin.username`, `ttl_days`); the message is the
 * field's schema `description`, which says what is expected.
 *
 * A body whose schema says `x-parsed-by: engine` (declarations) is not validated here: the engine
 * parses it once and names each problem with its own codes (see src/api/declarations.ts).
 *
 * Text: every string of a route's params, query and body obeys the rules of src/engine/text.ts
 * (keyword `x-text`: no lone surrogate, no control character, no line break but in prose). A
 * route's schemas need not say so: when a route is registered, every string schema of its input
 * that names no `x-text` is given `x-text: "line"`, so a field added tomorrow is covered without
 * anyone remembering it; prose says `x-text: "multiline"` (the `Text` helper of src/api/common.ts).
 * The check runs before the string's other keywords, so such a string is always `invalid_text`.
 *
 * JSON bodies are read by `readJson` (src/hub/body.ts): UTF-8 that decodes without a
 * replacement, nesting at most `MAX_JSON_DEPTH` deep (checked on the text, before parsing), and
 * no `__proto__` key.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { Errors } from '../api/common.ts';
import { type TextKind, textProblem } from '../engine/text.ts';
import { DeconflictError, type ErrorCode, type ErrorDetail } from '../errors.ts';
import { parseTime } from '../field/dtg.ts';

// ajv-formats is CommonJS: its default export arrives as the module object under tsx/ESM.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ??
  addFormatsModule) as unknown as AddFormats;

/** `west,south,east,north` in degrees, with south ≤ north (west > east crosses the antimeridian). */
export function parseBbox(v: string): [number, number, number, number] | null {
  const parts = v.split(',').map(Number);
  const [w, s, e, n] = parts as [number, number, number, number];
  const ok =
    parts.length === 4 &&
    parts.every(Number.isFinite) &&
    w >= -180 &&
    w <= 180 &&
    e >= -180 &&
    e <= 180 &&
    s >= -90 &&
    n <= 90 &&
    s <= n;
  return ok ? [w, s, e, n] : null;
}

function isTime(v: string): boolean {
  try {
    parseTime(v);
    return true;
  } catch {
    return false;
  }
}

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    allErrors: false,
    verbose: true,
    removeAdditional: false,
    useDefaults: false,
  });
  addFormats(ajv, ['date-time', 'uri']);
  ajv.addFormat('zulu-time', { type: 'string', validate: isTime });
  ajv.addFormat('bbox', { type: 'string', validate: (v: string) => parseBbox(v) !== null });
  ajv.addKeyword({ keyword: 'x-error', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-parsed-by', schemaType: 'string' });
  ajv.addKeyword({
    keyword: 'x-text',
    type: 'string',
    schemaType: 'string',
    // Before maxLength, pattern and format: ill-formed text is named as such, whatever else.
    before: 'maxLength',
    errors: true,
    validate: checkText,
  });
  return ajv;
}

/** The `x-text` keyword: the string obeys the text rules of its kind (src/engine/text.ts). */
function checkText(kind: TextKind, data: string): boolean {
  const problem = textProblem(data, kind);
  if (problem === null) return true;
  checkText.errors = [{ keyword: 'x-text', message: problem, params: { kind } }];
  return false;
}
checkText.errors = [] as Partial<ErrorObject>[];

/**
 * A schema with `x-text: "line"` on every string schema that names no `x-text`, at any depth
 * (copied: the API's schemas are shared between routes and with the console).
 */
export function withText<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(withText) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Schema;
  const out = Object.create(Object.getPrototypeOf(s), Object.getOwnPropertyDescriptors(s)) as Schema;
  for (const key of ['properties', 'patternProperties', '$defs']) {
    const members = s[key];
    if (typeof members === 'object' && members !== null)
      out[key] = Object.fromEntries(Object.entries(members).map(([k, v]) => [k, withText(v)]));
  }
  for (const key of ['items', 'prefixItems', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'not']) {
    if (typeof s[key] === 'object' && s[key] !== null) out[key] = withText(s[key]);
  }
  if (s.type === 'string' && s['x-text'] === undefined) out['x-text'] = 'line';
  return out as T;
}

const textAjv = makeAjv(true);
const jsonAjv = makeAjv(false);

type Schema = Record<string, unknown>;

const NoQuery = Type.Object({}, { additionalProperties: false });

/**
 * Install the validator compiler and the schema rules on an app, before its routes: a route must
 * declare its responses (it cannot be registered otherwise), and a route that declares no query
 * accepts none (an unknown parameter is an error, not silently ignored).
 */
export function installValidation(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as Schema;
    if (route.method !== 'HEAD' && schema.response === undefined)
      throw new Error(`route ${String(route.method)} ${route.url} declares no response schema`);
    const input: Schema = { ...schema, querystring: schema.querystring ?? NoQuery };
    for (const part of ['params', 'querystring', 'body']) {
      const s = input[part] as Schema | undefined;
      if (s !== undefined && s['x-parsed-by'] !== 'engine') input[part] = withText(s);
    }
    route.schema = input;
  });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if ((schema as Schema)['x-parsed-by'] === 'engine') return () => true;
    if (httpPart === 'body') return jsonAjv.compile(schema as Schema);
    return finiteOnly(textAjv.compile(schema as Schema), schema as Schema);
  });
}

/**
 * A validator of text (query, path) that also refuses a number coerced from `Infinity`,
 * `-Infinity` or `1e400`. Ajv (8.20) coerces such text to a non-finite number, then checks
 * neither the integer type again nor `minimum`/`maximum` (it compares finite numbers only), so
 * `limit=Infinity` passed a 1–1000 limit and `limit=-Infinity` reached the store (found by the
 * fuzzer's long form: a 500). The refusal names the parameter as any other type error does.
 */
function finiteOnly(validate: ValidateFunction, schema: Schema): ValidateFunction {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const wrapped = ((data: unknown) => {
    if (!validate(data)) {
      wrapped.errors = validate.errors;
      return false;
    }
    if (typeof data === 'object' && data !== null) {
      for (const [name, value] of Object.entries(data)) {
        const values: unknown[] = Array.isArray(value) ? value : [value];
        if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
          wrapped.errors = [
            {
              instancePath: `/${name}`,
              schemaPath: `#/properties/${name}/type`,
              keyword: 'type',
              params: { type: 'number' },
              message: 'must be a finite number',
              parentSchema: properties[name] ?? {},
            },
          ];
          return false;
        }
      }
    }
    wrapped.errors = null;
    return true;
  }) as ValidateFunction;
  return wrapped;
}

/** A JSON pointer as a dotted field path; an array element is named by its array (`roles`). */
const dotted = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .filter((s) => !/^\d+$/.test(s))
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

const join = (a: string, b: string): string => (a === '' ? b : `${a}.${b}`);

/** The coded error for the first problem the validator found. */
export function validationError(errors: readonly ErrorObject[], context: string): DeconflictError {
  const e = errors[0] as ErrorObject;
  const at = dotted(e.instancePath);
  if (e.keyword === 'x-text') {
    const message = `${at === '' ? 'the value' : at} ${e.message ?? 'is not acceptable text'}`;
    return new DeconflictError([{ code: 'invalid_text', feature: null, path: at, message }]);
  }
  let path = at;
  let target = (e.parentSchema ?? {}) as Schema;
  let what: string | undefined;
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    path = join(at, missing);
    target = ((e.parentSchema as Schema)?.properties as Record<string, Schema>)?.[missing] ?? {};
    what = `required; ${String(target.description ?? 'missing')}`;
  } else if (e.keyword === 'additionalProperties') {
    const extra = String((e.params as { additionalProperty: string }).additionalProperty);
    path = join(at, extra);
    target = {};
    what = context === 'querystring' ? 'not a parameter of this request' : 'not a field of this request';
  }
  const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
  const description =
    what ??
    (target.description as string | undefined) ??
    (e.keyword === 'enum' && allowed ? `one of ${allowed.join(', ')}` : (e.message ?? 'malformed'));
  const code = (target['x-error'] as ErrorCode | undefined) ?? 'invalid_request';
  const message =
    path === ''
      ? context === 'body'
        ? `expected a JSON object: ${description}`
        : description
      : `${path}: ${description}`;
  const detail: ErrorDetail = { code, feature: null, path, message };
  return new DeconflictError([detail]);
}

const responseAjv = makeAjv(false);
const compiled = new WeakMap<object, ValidateFunction>();

function validatorOf(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = responseAjv.compile(schema as Schema);
    compiled.set(schema, v);
  }
  return v;
}

/** The schema a route declares for a status (exact, then `4xx`/`5xx`, then `default`). */
export function responseSchemaFor(
  responses: Record<string, unknown> | undefined,
  status: number,
): object | null {
  if (responses === undefined) return null;
  const s = responses[String(status)] ?? responses[`${String(status)[0]}xx`] ?? responses.default;
  return (s as object | undefined) ?? null;
}

/**
 * The schema of one media type when a status declares several (`{content: {type: {schema}}}`, as
 * the declaration list does: its JSON, or a file by content negotiation): the answer's own type's.
 */
function forMediaType(s: object | null, contentType: unknown): object | null {
  const content = (s as { content?: Record<string, { schema?: object }> } | null)?.content;
  if (content === undefined) return s;
  const type = String(contentType ?? 'application/json')
    .split(';')[0]
    ?.trim();
  return content[type ?? '']?.schema ?? null;
}

/**
 * Check every answer against its route's declared schema before it is serialized (tests turn it
 * on): an answer with no schema for its status, or one that does not match, throws, so the
 * suite fails on any drift between what the API says and what it does.
 */
export function installResponseCheck(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, reply, payload) => {
    const responses = req.routeOptions.schema?.response as Record<string, unknown> | undefined;
    const schema =
      req.routeOptions.url === undefined
        ? Errors
        : forMediaType(responseSchemaFor(responses, reply.statusCode), reply.getHeader('content-type'));
    if (schema === null)
      throw new Error(
        `response check: ${req.method} ${req.routeOptions.url} has no schema for ${reply.statusCode}`,
      );
    const validate = validatorOf(schema);
    if (!validate(payload)) {
      throw new Error(
        `response check: ${req.method} ${req.routeOptions.url} ${reply.statusCode} does not match its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`,
      );
    }
    return payload;
  });
}
