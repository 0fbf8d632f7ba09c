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
    .map(([h, m, dtg]) => {
      const t = new Date(world.t0 + h * HOUR + m * 60_000);
      if (!dtg) return t.toISOString();
      const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
      const p2 = (n: number) => String(n).padStart(2, '0');
      return `${p2(t.getUTCDate())}${p2(t.getUTCHours())}${p2(t.getUTCMinutes())}Z${months[t.getUTCMonth()]}${p2(t.getUTCFullYear() % 100)}`;
    });
}

/** Ordinary text, now and then with characters from far planes (valid, unusual). */
const text = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 60) }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 20) }) },
    )
    .map((s) => (s.trim() === '' && min > 0 ? `x${s}`.slice(0, max) : s));

/** A string for a field the schema leaves open, drawn by what the field's name says it holds. */
function stringForField(field: string, world: World, min: number, max: number): fc.Arbitrary<string> | null {
  switch (field) {
    case 'party':
    case 'parties':
    case 'applies_to':
    case 'notify':
    case 'visibility':
      return fc.oneof(fc.constantFrom(...world.parties), fromPool(world, 'parties', 'coalition'));
    case 'username':
      // A member of a party: the roster takes the harness's watch and senior officers; logins
      // and new members are named by the fuzzer (never a harness account: a fuzzed login must
      // not lock the harness out, and a fuzzed PATCH must not disable it).
      return fc.oneof(
        fc.constantFrom(...world.accounts.filter((a) => /\.(watch|senior)$/.test(a))),
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
      const members = Object.entries(props).map(([k, s]) => {
        const v = valueFor(s, k, world, depth + 1);
        // An optional member is present about two times in three.
        return required.has(k)
          ? v.map((x) => [[k, x] as const])
          : fc.option(v, { freq: 3 }).map((x) => (x === null ? [] : [[k, x] as const]));
      });
      return members.length === 0
        ? fc.constant(new Obj([]))
        : fc.tuple(...members).map((parts) => new Obj(parts.flat()));
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
      if (typeof schema.pattern === 'string' && schema.pattern !== '\\S') {
        return fc
          .stringMatching(new RegExp(schema.pattern as string))
          .filter((s) => s.length >= min && s.length <= max);
      }
      return stringForField(field, world, min, max) ?? fc.constant('x');
    }
    case 'integer': {
      const min = (schema.minimum as number | undefined) ?? -1000;
      const max = (schema.maximum as number | undefined) ?? 1_000_000;
      return fc.oneof(
        fc.integer({ min: Math.max(min, -1000), max: Math.min(max, Math.max(min, -1000) + 1000) }),
        fc.constantFrom(min, max),
        fc.maxSafeInteger().filter((n) => n >= min && n <= max),
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
