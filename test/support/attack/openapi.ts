/**
 * The hub's routes as the fuzzer sees them, read from the hub's own OpenAPI document
 * (`GET /api/v1/openapi.json`): method, path template, path and query parameters with their
 * schemas, the body's schema and media types, whether a token is needed, and what each status
 * answers (JSON or not). Nothing here is a hand list that could fall behind the routes: a route
 * added to the hub is fuzzed by the next run.
 */

export type Schema = Readonly<Record<string, unknown>>;

export interface Param {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly schema: Schema;
}

export interface Operation {
  /** `POST /api/v1/channels/{id}/read` */
  readonly route: string;
  readonly method: string;
  /** The template with `{name}` placeholders. */
  readonly path: string;
  readonly params: readonly Param[];
  readonly body: {
    readonly required: boolean;
    readonly types: readonly string[];
    readonly schema: Schema;
    /** The engine parses it (declarations): its schema documents, it does not constrain. */
    readonly parsedByEngine: boolean;
  } | null;
  /** No token needed. */
  readonly public: boolean;
  /** Statuses whose answer is JSON (`application/json` or `+json`), and those that are not. */
  readonly jsonStatuses: ReadonlySet<string>;
  readonly otherStatuses: ReadonlySet<string>;
}

interface OpenApiDoc {
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
}

interface OpenApiOperation {
  readonly security?: unknown[];
  readonly parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  readonly requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  readonly responses?: Record<string, { content?: Record<string, unknown> }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const isJsonType = (t: string): boolean => /^application\/(.+\+)?json\b/.test(t);

/** Every operation of the document, in its order. */
export function operationsOf(doc: unknown): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries((doc as OpenApiDoc).paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (!METHODS.includes(m)) continue;
      const method = m.toUpperCase();
      const params: Param[] = (op.parameters ?? [])
        .filter((p) => p.in === 'path' || p.in === 'query')
        .map((p) => ({
          name: p.name,
          in: p.in as 'path' | 'query',
          required: p.required === true || p.in === 'path',
          schema: p.schema ?? {},
        }));
      const content = op.requestBody?.content;
      const first = content ? Object.values(content)[0]?.schema : undefined;
      const jsonStatuses = new Set<string>();
      const otherStatuses = new Set<string>();
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        const types = Object.keys(r.content ?? {});
        // A status that may also answer a file (an export: GeoJSON or KML, ...) is not JSON-only.
        if (types.length === 0 || types.every(isJsonType)) jsonStatuses.add(status);
        else otherStatuses.add(status);
      }
      ops.push({
        route: `${method} ${path}`,
        method,
        path,
        params,
        body:
          content && first
            ? {
                required: op.requestBody?.required === true,
                types: Object.keys(content),
                schema: first,
                parsedByEngine: JSON.stringify(first).includes('"x-parsed-by":"engine"'),
              }
            : null,
        public: op.security === undefined || op.security.length === 0,
        jsonStatuses,
        otherStatuses,
      });
    }
  }
  return ops;
}

/** Whether an answer with this status is declared as something other than JSON (the console's files). */
export function declaredNotJson(op: Operation | undefined, status: number): boolean {
  if (!op) return false;
  const s = String(status);
  const klass = `${s[0]}xx`;
  if (op.otherStatuses.has(s)) return true;
  return !op.jsonStatuses.has(s) && op.otherStatuses.has(klass);
}

/**
 * The pool of ids a path parameter takes: named by the parameter when it says what it is
 * (`party`, `username`), otherwise by the collection before it (`/alerts/{id}` → `alerts`).
 */
export function poolOfParam(path: string, param: string): string {
  if (param === 'party') return 'parties';
  if (param === 'username') return 'members';
  const segments = path.split('/');
  const i = segments.indexOf(`{${param}}`);
  return segments[i - 1] ?? param;
}

/** Action segments that end a route after an id: the pool of what a route returns is before them. */
const ACTIONS = new Set([
  'ack',
  'accept',
  'decline',
  'read',
  'withdraw',
  'resolve',
  'release',
  'versions',
  'deliveries',
]);

/**
 * The pool of ids an answer of this route carries: its last collection segment
 * (`POST /api/v1/channels/{id}/messages` → `messages`, `GET /api/v1/alerts/{id}` → `alerts`).
 */
export function poolOfRoute(path: string): string | null {
  const literal = path
    .split('/')
    .filter((s) => s !== '' && !s.startsWith('{') && !ACTIONS.has(s) && s !== 'api' && s !== 'v1');
  const last = literal[literal.length - 1];
  if (last === 'budgets' || last === 'probing' || last === 'session' || last === 'openapi.json') return null;
  return last ?? null;
}
