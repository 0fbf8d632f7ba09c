/**
 * Input that cannot poison others (issue #10 item 5, issue #11): every string a request carries
 * — path parameters, query parameters, JSON bodies and the declarations the engine parses — is
 * refused when it holds ill-formed Unicode (a lone surrogate), a control character, a line
 * break where the field is one line, or a bidirectional control (src/engine/text.ts), and
 * refused when longer than its field allows; and afterwards every answer every demo party
 * receives (each list it can read, its event stream over HTTP and over the WebSocket) is strict
 * JSON: UTF-8 that decodes without replacement, `JSON.parse` succeeds, and no string or member
 * name in it is ill-formed UTF-16 (no `\ud800` escaped alone).
 *
 * The routes and their fields are read from the hub's own OpenAPI document, not from a hand
 * list: a route or a field added to the API is attacked by the next run, and a string field
 * without a bound or without the text rule fails the first test.
 *
 * One real hub (the demo, SQLite, a manual clock), requests by `inject` (the server's full
 * pipeline: parsers, hooks, validation, the engine), and real WebSocket consoles on a listening
 * socket for the streams.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { parseDeclarations } from '../src/engine/declaration.ts';
import type { DeconflictError } from '../src/errors.ts';
import { errorsOf, type Res, sessions, startHub, type TestHub } from './support/hub.ts';
import { StreamConsole, streamUrl } from './support/stream.ts';

type Schema = Record<string, unknown>;
type Step = string | number;

interface Operation {
  readonly method: string;
  /** The template, `/api/v1/channels/{id}/messages`. */
  readonly template: string;
  readonly params: readonly { name: string; in: string; schema: Schema }[];
  readonly body: Schema | null;
  readonly engine: boolean;
  readonly example: unknown;
}

/** A string field of a request: where it is, its schema, and how it may break lines. */
interface Slot {
  readonly where: 'path' | 'query' | 'body';
  readonly steps: readonly Step[];
  readonly schema: Schema;
  readonly multiline: boolean;
}

/** What no field takes (the name says what it is; the value is what is sent). */
const POISON: readonly (readonly [string, string])[] = [
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', '\udc00'],
  ['a reversed pair', 'x\udc00\ud800'],
  ['half an emoji', 'go \ud83d'],
  ['NUL', 'a\u0000'],
  ['a bell', 'a\u0007'],
  ['an ANSI escape', '\u001b[31m'],
  ['a carriage return', 'a\rb'],
  ['DEL', 'a\u007f'],
  ['a C1 control (NEL)', 'a\u0085'],
  ['a line separator', 'a\u2028b'],
  ['a paragraph separator', 'a\u2029b'],
  ['a right-to-left override', 'a\u202eb'],
  ['a first-strong isolate', 'a\u2068b'],
];
/** What only prose takes. */
const LINE_BREAKS: readonly (readonly [string, string])[] = [
  ['a line feed', 'a\nb'],
  ['a tab', 'a\tb'],
];

const isSurrogate = (s: string): boolean => /[\uD800-\uDFFF]/u.test(s);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An answer as a strict JSON client reads it: its bytes decode as UTF-8 without a replacement,
 * JSON.parse succeeds, and no string or member name is ill-formed UTF-16 (JSON.parse turns an
 * escaped lone surrogate into one, so the parsed value tells exactly).
 */
function assertStrict(raw: Buffer | string, what: string): unknown {
  const text = typeof raw === 'string' ? raw : utf8.decode(raw);
  assert.ok(!isSurrogate(text), `${what}: an unpaired surrogate in the text`);
  if (text === '') return null;
  const value = JSON.parse(text) as unknown;
  const queue: unknown[] = [value];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    if (typeof v === 'string')
      assert.ok(!isSurrogate(v), `${what}: an ill-formed string ${JSON.stringify(v)}`);
    else if (Array.isArray(v)) queue.push(...v);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        assert.ok(!isSurrogate(k), `${what}: an ill-formed member name ${JSON.stringify(k)}`);
        queue.push(x);
      }
    }
  }
  return value;
}

// --- The API as its document describes it -----------------------------------------------------

function operations(doc: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  const out: Operation[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const content = (op.requestBody as { content?: Record<string, Schema> } | undefined)?.content;
      const media = content?.['application/json'] ?? Object.values(content ?? {})[0];
      const body = (media?.schema as Schema | undefined) ?? null;
      out.push({
        method: method.toUpperCase(),
        template,
        params: (op.parameters ?? []) as Operation['params'],
        body,
        engine: body?.['x-parsed-by'] === 'engine',
        example: media?.example ?? (body?.examples as unknown[] | undefined)?.[0],
      });
    }
  }
  return out;
}

/** The first branch of a union that is not `null`: what a sample takes. */
function branch(s: Schema): Schema {
  const options = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  return options ? (options.find((o) => o.type !== 'null') ?? s) : s;
}

/** A value its schema accepts (a sample; a valid request but for the field under attack). */
/**
 * A valid string for a string schema: "aaa" (as long as `minLength` asks) when that is valid, else
 * one drawn from its pattern (fast-check, a fixed seed: the same every run), so that a field with
 * a form of its own (a key id, a base64 signature) is valid while another field is under attack.
 */
function stringSample(s: Schema): string {
  const min = Number(s.minLength ?? 0);
  const max = typeof s.maxLength === 'number' ? s.maxLength : Number.POSITIVE_INFINITY;
  const plain = 'a'.repeat(Math.max(3, min));
  const pattern = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : null;
  if (pattern === null || pattern.test(plain)) return plain;
  const drawn = fc.sample(
    fc.stringMatching(pattern).filter((x) => x.length >= min && x.length <= max),
    { numRuns: 1, seed: 1 },
  );
  return drawn[0] as string;
}

function sample(schema: Schema): unknown {
  const s = branch(schema);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  switch (s.type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = (s.required ?? []) as string[];
      return Object.fromEntries(required.map((k) => [k, sample(props[k] as Schema)]));
    }
    case 'array':
      return Number(s.minItems ?? 0) > 0 ? [sample(s.items as Schema)] : [];
    case 'integer':
    case 'number':
      return Number(s.minimum ?? 1);
    case 'boolean':
      return false;
    case 'string':
      if (s.format === 'zulu-time' || s.format === 'date-time') return '2026-11-25T10:00:00Z';
      if (s.format === 'uri') return 'https://hooks.example.invalid/in';
      if (s.format === 'bbox') return '30,-32,32,-30';
      return stringSample(s);
    default:
      return null;
  }
}

/**
 * Every string field of a body schema, at any depth (a union: its first non-null branch). A
 * string that must be one of a list (`enum`, `const`) is not free text: whatever is not on the
 * list is refused as such, so it is not a field under attack here.
 */
function bodySlots(schema: Schema, steps: Step[] = []): Slot[] {
  const s = branch(schema);
  if (s.type === 'string' && s.enum === undefined && s.const === undefined)
    return [{ where: 'body', steps, schema: s, multiline: s['x-text'] === 'multiline' }];
  if (s.type === 'array' && typeof s.items === 'object') return bodySlots(s.items as Schema, [...steps, 0]);
  if (s.type === 'object')
    return Object.entries((s.properties ?? {}) as Record<string, Schema>).flatMap(([k, v]) =>
      bodySlots(v, [...steps, k]),
    );
  return [];
}

/** The string fields of a declaration's `properties`, as the engine reads them. */
function engineSlots(schema: Schema): Slot[] {
  const queue: Schema[] = [schema];
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i] as Schema;
    const props = s.properties as Record<string, Schema> | undefined;
    if (props?.geometry && props.properties)
      return bodySlots(props.properties).map((x) => ({ ...x, steps: ['properties', ...x.steps] }));
    for (const k of ['anyOf', 'oneOf']) if (Array.isArray(s[k])) queue.push(...(s[k] as Schema[]));
    if (props) queue.push(...Object.values(props));
    if (typeof s.items === 'object') queue.push(s.items as Schema);
  }
  return [];
}

function slotsOf(op: Operation): Slot[] {
  const params = op.params
    .filter((p) => p.in === 'path' || p.in === 'query')
    .filter((p) => p.schema.type === 'string' && p.schema.enum === undefined)
    .map(
      (p): Slot => ({
        where: p.in as 'path' | 'query',
        steps: [p.name],
        schema: p.schema,
        multiline: p.schema['x-text'] === 'multiline',
      }),
    );
  const body =
    op.body === null
      ? []
      : isAgreementText(op)
        ? agreementSlots(op.body)
        : op.engine
          ? engineSlots(op.body)
          : bodySlots(op.body);
  return [...params, ...body];
}

/** An agreement's text (docs/agreements.md), parsed by the engine like a declaration. */
const isAgreementText = (op: Operation): boolean => op.engine && op.template.startsWith('/api/v1/agreements');

/**
 * The string fields of an agreement's text as the engine reads them: its name, start and end,
 * and every string property of its first term (`terms.features[0].properties.label`).
 */
function agreementSlots(schema: Schema): Slot[] {
  const props = schema.properties as Record<string, Schema>;
  const top = bodySlots({
    type: 'object',
    properties: { name: props.name, start: props.start, end: props.end },
  });
  const terms = (props.terms as Schema).properties as Record<string, Schema>;
  const term = (terms.features as Schema).items as Schema;
  const termProps = (term.properties as Record<string, Schema>).properties as Schema;
  return [
    ...top,
    ...bodySlots(termProps).map((x) => ({ ...x, steps: ['terms', 'features', 0, 'properties', ...x.steps] })),
  ];
}

/** A valid agreement's text between two demo parties: one corridor. */
const AGREEMENT = {
  name: 'Attack corridor',
  parties: ['coalition', 'northern-forces'],
  start: '2026-11-25T00:00:00Z',
  end: '2026-11-26T00:00:00Z',
  terms: {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [31.5, -31.5],
            [31.6, -31.5],
          ],
        },
        properties: { id: 'corridor', term: 'corridor', buffer_m: 500, label: 'the road' },
      },
    ],
  },
};

/** The field's name as errors give it: an array element is named by its array (validation.ts). */
const fieldPath = (slot: Slot): string => slot.steps.filter((s) => typeof s === 'string').join('.');
/** The engine names array elements by index: `properties.notify[0]`. */
const enginePath = (slot: Slot): string =>
  slot.steps.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

/**
 * `target` with `value` at `steps`; a member or element on the way that is absent is made from
 * its schema (an optional object such as a message's `ref` gets its required fields).
 */
function setAt(target: unknown, schema: Schema | undefined, steps: readonly Step[], value: unknown): unknown {
  if (steps.length === 0) return value;
  const [head, ...rest] = steps as [Step, ...Step[]];
  const s = schema && branch(schema);
  if (typeof head === 'number') {
    const items = s?.items as Schema | undefined;
    const list = Array.isArray(target) ? [...target] : [];
    list[head] = setAt(list[head] ?? (items && sample(items)), items, rest, value);
    return list;
  }
  const sub = (s?.properties as Record<string, Schema> | undefined)?.[head];
  const o = (typeof target === 'object' && target !== null && !Array.isArray(target) ? target : {}) as Record<
    string,
    unknown
  >;
  return { ...o, [head]: setAt(o[head] ?? (sub && sample(sub)), sub, rest, value) };
}

// --- The hub under attack -----------------------------------------------------------------------

const PARTIES = ['coalition', 'northern-forces', 'relief-agency', 'city-police'] as const;
/** A declaration coalition holds (amendments parse the body before anything else). */
const OWN = 'coalition:attack-input-base';
const FEATURE = {
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [31.5, -31.5] },
  properties: { kind: 'strike', start: '2026-11-25T10:00:00Z', end: '2026-11-25T12:00:00Z' },
};

let h: TestHub;
let doc: { paths: Record<string, Record<string, Schema>> };
const { as } = sessions(() => h);

/** Send one request as coalition's admin (validation comes before roles: any token reaches it). */
async function send(app: FastifyInstance, method: string, url: string, body?: unknown): Promise<Res> {
  const token = await as('coalition.admin');
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // JSON.stringify writes a lone surrogate as the escape `\ud800`: the attack arrives as a client
  // that builds JSON from a JavaScript string would send it.
  return app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
}

/** The request for an operation with `value` in `slot` (everything else valid). */
function requestFor(op: Operation, slot: Slot, value: string): { url: string; body?: unknown } {
  const encode = (v: string) =>
    // A lone surrogate has no UTF-8: a client can only send the bytes of its CESU-8 form.
    isSurrogate(v)
      ? [...v].map((c) => (isSurrogate(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('')
      : encodeURIComponent(v);
  let url = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (slot.where === 'path' && slot.steps[0] === name) return encode(value);
    if (op.template.startsWith('/api/v1/declarations/')) return OWN;
    if (name === 'party') return 'coalition';
    return 'attack-id';
  });
  if (slot.where === 'query') url += `?${String(slot.steps[0])}=${encode(value)}`;
  if (op.body === null) return { url };
  const base = isAgreementText(op)
    ? { ...structuredClone(AGREEMENT), ...(op.template.endsWith('/counter') && { version: 1 }) }
    : op.engine
      ? structuredClone(FEATURE)
      : sample(op.body);
  const schema = op.engine ? undefined : op.body;
  return { url, body: slot.where === 'body' ? setAt(base, schema, slot.steps, value) : base };
}

before(async () => {
  h = await startHub();
  doc = (await h.app.inject({ url: '/api/v1/openapi.json' })).json();
  const r = await send(h.app, 'POST', '/api/v1/declarations', {
    ...FEATURE,
    properties: { ...FEATURE.properties, id: 'attack-input-base' },
  });
  assert.equal(r.statusCode, 201, r.body);
});
after(async () => {
  await h?.close();
});

describe('input that cannot poison others', () => {
  it('every string field of every request is bounded and carries the text rule (x-text)', () => {
    const ops = operations(doc);
    assert.ok(ops.length >= 40, `${ops.length} operations`);
    const fields = ops.flatMap((op) =>
      op.engine ? [] : slotsOf(op).map((s) => ({ op: `${op.method} ${op.template}`, s })),
    );
    assert.ok(fields.length >= 30, `only ${fields.length} string fields`);
    for (const { op, s } of fields) {
      const what = `${op} ${s.where} ${fieldPath(s)}`;
      assert.ok(s.schema['x-text'] === 'line' || s.schema['x-text'] === 'multiline', `${what}: no x-text`);
      assert.ok(
        typeof s.schema.maxLength === 'number' || typeof s.schema.pattern === 'string',
        `${what}: neither maxLength nor a pattern bounds it`,
      );
    }
    // The declarations the engine parses: their string fields are documented too.
    const submit = ops.find((o) => o.method === 'POST' && o.template === '/api/v1/declarations');
    assert.ok(submit?.engine);
    const names = engineSlots(submit.body as Schema).map(fieldPath);
    for (const k of ['properties.id', 'properties.label', 'properties.notes', 'properties.notify'])
      assert.ok(names.includes(k), `the submission documents ${k}`);
  });

  const answers: { what: string; r: Res }[] = [];
  let heads: string;
  const state = async () => {
    const ledger = await h.store.read((tx) => tx.ledger.head());
    const events = await Promise.all(PARTIES.map((p) => h.store.read((tx) => tx.events.head(p))));
    const last = ledger && (await h.store.read((tx) => tx.ledger.range(ledger.seq, ledger.seq)));
    return JSON.stringify({ ledger: ledger?.seq ?? 0, last, events });
  };

  it('text that is well-formed is taken and read back as sent: scripts, marks, emoji, lines in prose', async () => {
    const name = 'دير الزور\u200f ⇄ Deir ez-Zor 🚁';
    const ch = await send(h.app, 'POST', '/api/v1/channels', { name, parties: ['northern-forces'] });
    assert.equal(ch.statusCode, 201, ch.body);
    const id = (ch.json() as { id: string; name: string }).id;
    assert.equal((ch.json() as { name: string }).name, name);
    const nf = await h.login('northern-forces.admin');
    const acc = await h.app.inject({
      method: 'POST',
      url: `/api/v1/channels/${id}/accept`,
      headers: { authorization: `Bearer ${nf}` },
    });
    assert.equal(acc.statusCode, 200, acc.body);
    const text = 'Convoy at the bridge 1000Z.\nHold fire on grid 37S.\tConfirm.';
    const m = await send(h.app, 'POST', `/api/v1/channels/${id}/messages`, { text, precedence: 'flash' });
    assert.equal(m.statusCode, 201, m.body);
    assert.equal((m.json() as { text: string }).text, text);
    const d = await send(h.app, 'POST', '/api/v1/declarations', {
      ...FEATURE,
      properties: {
        ...FEATURE.properties,
        id: 'attack-input-well-formed',
        label: 'Depot 🛢 — مستودع',
        notes: 'two lines\n\tand a tab',
      },
    });
    assert.equal(d.statusCode, 201, d.body);
  });

  it('prose (x-text: multiline) takes a line feed and a tab: never invalid_text', async () => {
    let prose = 0;
    for (const op of operations(doc)) {
      for (const slot of slotsOf(op).filter((x) => x.multiline)) {
        for (const [about, value] of LINE_BREAKS) {
          const { url, body } = requestFor(op, slot, value);
          const r = await send(h.app, op.method, url, body);
          prose++;
          answers.push({ what: `${op.method} ${url} (${about} in prose)`, r });
          assert.ok(
            !errorsOf(r).some((e) => e.code === 'invalid_text'),
            `${about} refused in prose: ${r.body}`,
          );
        }
      }
    }
    // Messages, replies to alerts and messages, reasons, a declaration's notes.
    assert.ok(prose >= 2 * 5, `only ${prose / 2} prose fields`);
  });

  it('every string field of every route refuses ill-formed text: invalid_text naming it, nothing stored', async () => {
    heads = await state();
    let sent = 0;
    for (const op of operations(doc)) {
      for (const slot of slotsOf(op)) {
        const cases = slot.multiline ? POISON : [...POISON, ...LINE_BREAKS];
        for (const [about, value] of cases) {
          const { url, body } = requestFor(op, slot, value);
          const r = await send(h.app, op.method, url, body);
          sent++;
          const what = `${op.method} ${url} (${slot.where} ${fieldPath(slot)}: ${about})`;
          answers.push({ what, r });
          assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${what}: ${r.statusCode} ${r.body}`);
          const errors = errorsOf(r);
          assert.ok(errors.length > 0, `${what}: not the error shape: ${r.body}`);
          // A lone surrogate cannot be %-escaped as UTF-8 in a URL: its bytes are a bad escape.
          if (slot.where !== 'body' && isSurrogate(value)) continue;
          const path = op.engine ? enginePath(slot) : fieldPath(slot);
          // An amendment's properties.id is compared with the path's id by the hub before the
          // engine parses the body: refused there, naming it (the quoted value is made printable).
          const amendedId = op.method === 'PUT' && path === 'properties.id';
          assert.deepEqual(
            errors.map((e) => [amendedId && e.code === 'invalid_request' ? 'invalid_text' : e.code, e.path]),
            [['invalid_text', path]],
            `${what}: ${r.body}`,
          );
        }
      }
    }
    assert.ok(sent >= 500, `only ${sent} requests`);
  });

  it('every string field refuses a value longer than it allows, naming it', async () => {
    for (const op of operations(doc)) {
      for (const slot of slotsOf(op)) {
        const max = slot.schema.maxLength;
        const value = 'a'.repeat(typeof max === 'number' ? max + 1 : 10_000);
        const { url, body } = requestFor(op, slot, value);
        const r = await send(h.app, op.method, url, body);
        const what = `${op.method} ${op.template} (${slot.where} ${fieldPath(slot)}: ${value.length} characters)`;
        answers.push({ what, r });
        assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${what}: ${r.statusCode} ${r.body}`);
        const paths = errorsOf(r).map((e) => e.path);
        if (slot.where === 'path' && value.length > 579) {
          assert.deepEqual(
            errorsOf(r).map((e) => e.code),
            ['uri_too_long'],
            what,
          );
          continue;
        }
        // The engine names a list by its own path when the list is wrong as a whole.
        const path = op.engine ? enginePath(slot).replace(/\[0\]$/, '') : fieldPath(slot);
        assert.ok(
          paths.some((p) => p === path || p.startsWith(`${path}[`)),
          `${what}: ${r.body}`,
        );
      }
    }
  });

  it('a request refused changed nothing: not the ledger, not any party’s events', async () => {
    assert.deepEqual(JSON.parse(await state()), JSON.parse(heads));
  });

  it('every refusal is strict JSON that quotes nothing ill-formed', () => {
    assert.ok(answers.length >= 500);
    for (const { what, r } of answers) assertStrict(r.rawPayload, what);
  });

  it('every answer every demo party then receives over HTTP is strict JSON', async () => {
    const lists = operations(doc).filter(
      (o) => o.method === 'GET' && !o.template.includes('{') && /^\/(api\/v1\/|healthz)/.test(o.template),
    );
    assert.ok(lists.length >= 8, `${lists.length} lists`);
    let read = 0;
    for (const party of PARTIES) {
      for (const role of ['admin', 'watch', 'operator']) {
        const token = await h.login(`${party}.${role}`);
        const get = async (url: string) => {
          const r = await h.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
          read++;
          return assertStrict(r.rawPayload, `${party}.${role} GET ${url}`);
        };
        for (const op of lists) {
          const query = op.params.some((p) => p.name === 'limit') ? '?limit=1000' : '';
          await get(`${op.template}${query}`);
        }
        const channels = ((await get('/api/v1/channels')) as { channels?: { id: string }[] }).channels ?? [];
        for (const c of channels) await get(`/api/v1/channels/${c.id}/messages?limit=1000`);
        await get(`/api/v1/parties/${party}/members`);
        let after = 0;
        for (;;) {
          const page = (await get(`/api/v1/events?after=${after}&limit=1000`)) as {
            head?: number;
            events?: { seq: number }[];
          };
          const last = page.events?.at(-1)?.seq;
          if (last === undefined || last >= (page.head ?? 0)) break;
          after = last;
        }
      }
    }
    assert.ok(read >= PARTIES.length * 3 * 10, `${read} answers read`);
  });

  it('every frame every demo party’s stream replays is strict JSON', async () => {
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    for (const party of PARTIES) {
      const token = await h.login(`${party}.watch`);
      const c = await StreamConsole.connect(streamUrl(base, 0), { bearer: token });
      try {
        const hello = (await c.waitFor((f) => f.type === 'hello', 'hello')).frame;
        const head = Number(hello.head);
        if (head > 0) await c.waitForSeq(head, 10_000);
        assert.equal(c.events.length, head, `${party}: every event replayed`);
        for (const r of c.received) assertStrict(r.raw, `${party} stream frame`);
      } finally {
        await c.close();
      }
    }
  });
});

describe('ids that a URL can always name', () => {
  /** A party with a long id (57 characters: its admin `<party>.admin` is a username of 63). */
  const PARTY = `p${'-long'.repeat(11)}x`;
  let admin: string;
  const call = (method: string, url: string, body?: unknown) =>
    h.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });
  const feature = (id: string) => ({ ...FEATURE, properties: { ...FEATURE.properties, id } });

  before(async () => {
    const hubAdmin = await h.login('hub.admin');
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/parties',
      headers: { authorization: `Bearer ${hubAdmin}`, 'content-type': 'application/json' },
      payload: JSON.stringify({
        id: PARTY,
        name: 'A party with a long id',
        admin: { username: `${PARTY}.admin`, password: 'a long enough passphrase' },
      }),
    });
    assert.equal(r.statusCode, 201, r.body);
    admin = await h.login(`${PARTY}.admin`, 'a long enough passphrase');
  });

  it('the longest local id of a long party is read, amended and withdrawn by its URL', async () => {
    const local = 'x'.repeat(128);
    const full = `${PARTY}:${local}`;
    assert.equal((await call('POST', '/api/v1/declarations', feature(local))).statusCode, 201);
    // As a browser writes it (encodeURIComponent escapes the colon) and as curl does (it does not).
    for (const path of [encodeURIComponent(full), full]) {
      const got = await call('GET', `/api/v1/declarations/${path}`);
      assert.equal(got.statusCode, 200, got.body);
    }
    const amended = await call('PUT', `/api/v1/declarations/${encodeURIComponent(full)}`, feature(local));
    assert.equal(amended.statusCode, 200, amended.body);
    const withdrawn = await call('POST', `/api/v1/declarations/${encodeURIComponent(full)}/withdraw`, {});
    assert.equal(withdrawn.statusCode, 200, withdrawn.body);
  });

  it('an id is taken only if its URL names it: otherwise refused at submission, naming properties.id', async () => {
    const candidates = [
      'x'.repeat(129),
      `${PARTY}:${'x'.repeat(129)}`,
      'é'.repeat(128),
      'école',
      'a b',
      'a/b',
      'a?b',
      'a#b',
      'a%2Fb',
      'a:b',
      '',
      'ok.id_with~all-marks',
      `${PARTY}:prefixed`,
    ];
    const taken: string[] = [];
    for (const id of candidates) {
      const r = await call('POST', '/api/v1/declarations', feature(id));
      if (r.statusCode === 201) {
        const full = (r.json() as { declarations: { id: string }[] }).declarations[0]?.id as string;
        taken.push(full);
        for (const path of [encodeURIComponent(full), full]) {
          const got = await call('GET', `/api/v1/declarations/${path}`);
          assert.equal(
            got.statusCode,
            200,
            `${JSON.stringify(id)} is stored as ${full} but GET ${path}: ${got.body}`,
          );
        }
        const gone = await call('POST', `/api/v1/declarations/${encodeURIComponent(full)}/withdraw`, {});
        assert.equal(gone.statusCode, 200, gone.body);
      } else {
        // `a:b` has a prefix that is not the party's: party_mismatch; the rest break the alphabet.
        assertErrorAt(
          r,
          id === 'a:b' ? 'party_mismatch' : 'invalid_property',
          'properties.id',
          JSON.stringify(id),
        );
      }
    }
    assert.deepEqual(taken, [`${PARTY}:ok.id_with~all-marks`, `${PARTY}:prefixed`]);
  });
});

/** A refusal whose errors name `path` with `code` (among others the feature may have). */
function assertErrorAt(r: Res, code: string, path: string, what: string): void {
  assert.ok(r.statusCode === 422 || r.statusCode === 403, `${what}: ${r.body}`);
  assert.ok(
    errorsOf(r).some((e) => e.code === code && e.path === path),
    `${what}: ${r.body}`,
  );
}

describe('the engine refuses ill-formed text itself (deconflict check reads files without the API)', () => {
  it('names the feature and the path of every string it reads; nothing later quotes the text', () => {
    const feature = (properties: Record<string, unknown>, geometryType = 'Point') => ({
      type: 'Feature',
      geometry: { type: geometryType, coordinates: [31.5, -31.5] },
      properties: {
        id: 'f',
        kind: 'strike',
        party: 'coalition',
        start: '2026-11-25T10:00:00Z',
        ...properties,
      },
    });
    const cases: [unknown, string][] = [
      [feature({ id: 'f\ud800' }), 'properties.id'],
      [feature({ party: 'coalition\u0000' }), 'properties.party'],
      [feature({ label: 'a\nb' }), 'properties.label'],
      [feature({ notes: 'a\r\nb' }), 'properties.notes'],
      [feature({ notify: ['northern-forces', 'x\u202e'] }), 'properties.notify[1]'],
      [feature({ start: '2026-11-25T10:00:00Z\u0085' }), 'properties.start'],
      [
        feature({ altitude: { lower_m: 0, upper_m: 1, reference: 'AMSL\udfff' } }),
        'properties.altitude.reference',
      ],
      [feature({ 'x\u0007': 1 }), 'properties'],
      [feature({}, 'Point\u2028'), 'geometry.type'],
    ];
    for (const [input, path] of cases) {
      const err = (() => {
        try {
          parseDeclarations({ type: 'FeatureCollection', features: [feature({ id: 'ok' }), input] });
        } catch (e) {
          return e as DeconflictError;
        }
        assert.fail(`${path}: accepted`);
      })();
      assert.deepEqual(
        err.details.map((d) => [d.code, d.path, d.feature?.index]),
        [['invalid_text', path, 1]],
        path,
      );
      for (const d of err.details) assert.doesNotMatch(d.message, /[\p{Cc}\uD800-\uDFFF\u2028\u202e]/u, path);
    }
    // Prose keeps its lines; scripts, marks and emoji are text like any other.
    const [d] = parseDeclarations(feature({ label: 'مستودع\u200f 🛢', notes: 'one\n\ttwo' }));
    assert.equal(d?.notes, 'one\n\ttwo');
  });
});
