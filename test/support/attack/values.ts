/**
 * Near-valid values from a JSON Schema (the route schemas of the OpenAPI document): what a
 * correct client would send — enums, lengths, ranges, patterns, required members, times the hub
 * accepts, ids that exist — so that inputs get past the schema into the hub, where one mutation
 * (see mutate.ts) then goes looking for what the schema does not catch.
 *
 * Strings are drawn by the field they fill when the field says what it holds: a party from the
 * parties that exist, a member of a party, a declaration or conflict from those the hub reported,
 * a time near the hub's clock, a webhook URL on a host that can never resolve (`.invalid`, RFC
 * 6761: the fuzzer must not make the hub contact anything real).
 */
import fc from 'fast-check';
import { type J, Obj } from './json.ts';
import type { Schema } from './openapi.ts';

/** What generators read of the hub being fuzzed; pools grow as the hub answers. */
export interface World {
  /** The hub's clock at start (the fuzz hub's clock is manual and does not move). */
  readonly t0: number;
  /** The demo parties. */
  readonly parties: readonly string[];
  /** The harness's own accounts (`hub.admin`, `<party>.<role>`). */
  readonly accounts: readonly string[];
  /** Ids the hub has reported, by pool (`declarations`, `alerts`, `members`, …). */
  pool(name: string): readonly string[];
  /**
   * The harness accounts a route has answered 2xx to so far: the fuzzer learns which roles a
   * route takes (the document does not say) and sends half of its inputs as one of them, so that
   * they get past the role check into the route.
   */
  fitting(route: string): readonly string[];
}

/** One of a pool that may still be growing (read when the value is drawn), or `fallback`. */
export function fromPool(world: World, name: string, fallback: string): fc.Arbitrary<string> {
  return fc.nat().map((i) => {
    const p = world.pool(name);
    return p.length === 0 ? fallback : (p[i % p.length] as string);
  });
}

const HOUR = 3_600_000;

/** A time near the clock, as ISO 8601 UTC or a Zulu date-time group. */
export function timeNear(world: World, spreadDays = 30): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: -2 * 24, max: spreadDays * 24 }), fc.integer({ min: 0, max: 59 }), fc.boolean())
    .map(([h, m, dtg]) => formatTime(world.t0 + h * HOUR + m * 60_000, dtg));
}

/** A window near the clock: `end` 1 hour to 6 days after `start`, each as ISO or a DTG. */
function windowNear(world: World): fc.Arbitrary<{ start: string; end: string }> {
  return fc
    .tuple(timeNear(world), fc.integer({ min: 1, max: 144 }), fc.boolean())
    .map(([start, hours, dtg]) => {
      const t = Date.parse(start) || parseDtg(start);
      return { start, end: formatTime(t + hours * HOUR, dtg) };
    });
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** A time as ISO 8601 UTC or a Zulu date-time group (`231430ZNOV26`). */
function formatTime(ms: number, dtg: boolean): string {
  const t = new Date(ms);
  if (!dtg) return t.toISOString();
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(t.getUTCDate())}${p2(t.getUTCHours())}${p2(t.getUTCMinutes())}Z${MONTHS[t.getUTCMonth()]}${p2(t.getUTCFullYear() % 100)}`;
}

/** The instant of a DTG written by formatTime. */
function parseDtg(s: string): number {
  const m = /^(\d\d)(\d\d)(\d\d)Z([A-Z]{3})(\d\d)$/.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(
    2000 + Number(m[5]),
    MONTHS.indexOf(m[4] as string),
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
  );
}

/** Ordinary text, now and then with characters from far planes (valid, unusual). */
const text = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 60) }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 20) }) },
    )
    .map((s) => (s.trim() === '' && min > 0 ? `x${s}`.slice(0, max) : s));

/** Fields whose name says what they hold (see stringForField): drawn from what exists. */
const NAMED_FIELDS = new Set([
  'party',
  'parties',
  'applies_to',
  'notify',
  'visibility',
  'username',
  'roster.username',
  'declaration',
  'url',
]);

/** A string for a field the schema leaves open, drawn by what the field's name says it holds. */
function stringForField(field: string, world: World, min: number, max: number): fc.Arbitrary<string> | null {
  switch (field) {
    case 'party':
    case 'parties':
    case 'applies_to':
    case 'notify':
    case 'visibility':
      return fc.oneof(fc.constantFrom(...world.parties), fromPool(world, 'parties', 'coalition'));
    case 'roster.username':
      // The roster takes the harness's watch and senior officers (adding a shift changes nothing
      // the harness needs).
      return fc.oneof(
        fc.constantFrom(...world.accounts.filter((a) => /\.(watch|senior)$/.test(a))),
        fromPool(world, 'members', 'coalition.nobody'),
      );
    case 'username':
      // Logins and new members are named by the fuzzer, never after a harness account: a
      // fuzzed login with a wrong password would back the harness's own name off.
      return fc.oneof(
        fromPool(world, 'members', 'coalition.nobody'),
        fc.stringMatching(/^[a-z][a-z-]{1,12}\.[a-z0-9-]{1,12}$/),
      );
    case 'password':
      return fc.oneof(fc.constant('fuzz-password-12345'), fc.string({ minLength: 12, maxLength: 40 }));
    case 'declaration':
      return fromPool(world, 'declarations', 'coalition:none');
    case 'url':
      return fc
        .tuple(fc.nat({ max: 99 }), fc.constantFrom('http', 'https'))
        .map(([n, s]) => `${s}://hook-${n}.invalid/deconflict`);
    default:
      return max < min ? null : text(min, max);
  }
}

/**
 * A value that satisfies `schema` (as far as a schema says), for the field named `field`.
 * `depth` bounds open-ended (`{}`) values.
 */
export function valueFor(schema: Schema, field: string, world: World, depth = 0): fc.Arbitrary<J> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as J[]));
  if ('const' in schema) return fc.constant(schema.const as J);
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const options = (schema.anyOf ?? schema.oneOf) as Schema[];
    return fc.oneof(...options.map((s) => valueFor(s, field, world, depth)));
  }
  const type = Array.isArray(schema.type) ? (schema.type[0] as string) : (schema.type as string | undefined);
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      // A roster shift names a member of the caller's party (the one object with a `role`).
      const roster = 'role' in props && 'username' in props;
      // A window (`start` and `end` both times): drawn together, end after start, so that it
      // gets past the check that it is one.
      const isTime = (x: Schema | undefined) => x?.format === 'zulu-time' || x?.format === 'date-time';
      const window = isTime(props.start) && isTime(props.end);
      const members = Object.entries(props).map(([k, s]) => {
        // The window's two ends are filled in below, together.
        if (window && (k === 'start' || k === 'end')) return fc.constant([[k, null] as const]);
        const v = valueFor(s, roster && k === 'username' ? 'roster.username' : k, world, depth + 1);
        // An optional member is present about two times in three.
        return required.has(k)
          ? v.map((x) => [[k, x] as const])
          : fc.option(v, { freq: 3 }).map((x) => (x === null ? [] : [[k, x] as const]));
      });
      if (members.length === 0) return fc.constant(new Obj([]));
      return fc
        .tuple(windowNear(world), fc.tuple(...members))
        .map(
          ([w, parts]) =>
            new Obj(
              parts
                .flat()
                .map(([k, x]) => (window && (k === 'start' || k === 'end') ? ([k, w[k]] as const) : [k, x])),
            ),
        );
    }
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      const minLength = (schema.minItems as number | undefined) ?? 0;
      const maxLength = Math.max(minLength, Math.min((schema.maxItems as number | undefined) ?? 4, 4));
      const item = valueFor(items, field, world, depth + 1);
      return schema.uniqueItems
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (x) => JSON.stringify(x) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'string': {
      const min = (schema.minLength as number | undefined) ?? 0;
      const max = (schema.maxLength as number | undefined) ?? 200;
      if (schema.format === 'zulu-time' || schema.format === 'date-time') return timeNear(world);
      if (schema.format === 'uri') return stringForField('url', world, min, max) as fc.Arbitrary<string>;
      if (schema.format === 'bbox')
        return fc
          .tuple(
            fc.double({ min: -180, max: 180, noNaN: true }),
            fc.double({ min: -90, max: 0, noNaN: true }),
            fc.double({ min: -180, max: 180, noNaN: true }),
            fc.double({ min: 0, max: 90, noNaN: true }),
          )
          .map((b) => b.map((x) => x.toFixed(3)).join(','));
      const hinted = NAMED_FIELDS.has(field) ? stringForField(field, world, min, max) : null;
      if (typeof schema.pattern === 'string' && schema.pattern !== '\\S') {
        const matching = fc
          .stringMatching(new RegExp(schema.pattern as string))
          .filter((s) => s.length >= min && s.length <= max);
        // A field that names something (a party, a member) mostly names one that exists.
        return hinted
          ? fc.oneof({ weight: 4, arbitrary: hinted }, { weight: 1, arbitrary: matching })
          : matching;
      }
      return stringForField(field, world, min, max) ?? fc.constant('x');
    }
    case 'integer': {
      const min = (schema.minimum as number | undefined) ?? -1000;
      const max = (schema.maximum as number | undefined) ?? 1_000_000;
      return fc.oneof(
        fc.integer({ min: Math.max(min, -1000), max: Math.min(max, Math.max(min, -1000) + 1000) }),
        fc.constantFrom(min, max),
        // Any safe integer, where the range is wide enough for most to land in it (a filter on a
        // narrow range, such as an H3 resolution 0–15 or a slot index, would reject nearly every
        // draw: a hang).
        ...(max - min >= 2 ** 52 ? [fc.maxSafeInteger().filter((n) => n >= min && n <= max)] : []),
      );
    }
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? -1e6;
      const max = (schema.maximum as number | undefined) ?? 1e6;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      // An open value (`{}`): anything small.
      return depth > 3
        ? fc.constantFrom<J>(null, 0, 'x')
        : fc.oneof(
            fc.constantFrom<J>(null, true, 0, 'x'),
            fc.array(fc.double({ noNaN: true }), { maxLength: 3 }),
          );
  }
}
