/**
 * One step from valid: a near-valid body with one thing wrong — a member replaced by a hostile
 * value (wrong type, extreme number, deep nest, huge or ill-formed string), ill-formed text put
 * inside a string that is otherwise fine, a required member removed, an unknown or prototype member added, a member repeated with another value, a string
 * whose bytes are not UTF-8. Applied once or a few times; each is a separate input because a
 * validator that stops at the first problem must still stop safely at every one.
 */
import fc from 'fast-check';
import { badUtf8String, hostileKey, hostileValue, illFormedStrings } from './hostile.ts';
import { type J, Obj, Raw } from './json.ts';

type Step = readonly (string | number)[];

/** Paths to every node of a tree (the root is `[]`), containers and leaves alike. */
function nodes(v: J, at: Step = [], out: Step[] = []): Step[] {
  out.push(at);
  if (v instanceof Obj) v.entries.forEach(([, x], i) => void nodes(x, [...at, i], out));
  else if (Array.isArray(v)) v.forEach((x, i) => void nodes(x, [...at, i], out));
  return out;
}

/** The tree with the node at `path` replaced by what `f` makes of it. */
function update(v: J, path: Step, f: (x: J) => J): J {
  if (path.length === 0) return f(v);
  const [i, ...rest] = path as [number, ...number[]];
  if (v instanceof Obj)
    return new Obj(v.entries.map(([k, x], j) => (j === i ? ([k, update(x, rest, f)] as const) : [k, x])));
  if (Array.isArray(v)) return v.map((x, j) => (j === i ? update(x, rest, f) : x));
  return v;
}

function at(v: J, path: Step): J {
  let x: J = v;
  for (const i of path as number[]) {
    if (x instanceof Obj) x = (x.entries[i] as readonly [string, J])[1];
    else if (Array.isArray(x)) x = x[i] as J;
  }
  return x;
}

type Mutation =
  | { readonly op: 'replace'; readonly pick: number; readonly value: J }
  | { readonly op: 'delete'; readonly pick: number; readonly member: number }
  | { readonly op: 'add'; readonly pick: number; readonly key: string; readonly value: J }
  | { readonly op: 'repeat'; readonly pick: number; readonly member: number; readonly value: J }
  | { readonly op: 'poison'; readonly pick: number; readonly at: number; readonly bad: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: hostileValue }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: badUtf8String }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat(), member: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      pick: fc.nat(),
      key: hostileKey,
      value: hostileValue,
    }),
  },
  {
    // Ill-formed text inside a string the hub would otherwise take (a name, a label, a reply):
    // the kind of input that is stored, hashed into the ledger and shown to other parties.
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('poison' as const),
      pick: fc.nat(),
      at: fc.nat(),
      bad: fc.constantFrom(...illFormedStrings),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('repeat' as const),
      pick: fc.nat(),
      member: fc.nat(),
      value: hostileValue,
    }),
  },
);

/** Apply one mutation; a step that finds nothing to act on (no object to delete from) is a replace. */
function apply(v: J, m: Mutation): J {
  const all = nodes(v);
  if (m.op === 'replace') return update(v, all[m.pick % all.length] as Step, () => m.value);
  if (m.op === 'poison') {
    const strings = all.filter((p) => typeof at(v, p) === 'string');
    if (strings.length === 0) return update(v, all[m.pick % all.length] as Step, () => m.bad);
    return update(v, strings[m.pick % strings.length] as Step, (x) => {
      const s = x as string;
      const i = m.at % (s.length + 1);
      return `${s.slice(0, i)}${m.bad}${s.slice(i)}`;
    });
  }
  const objects = all.filter((p) => at(v, p) instanceof Obj);
  if (objects.length === 0) return update(v, all[m.pick % all.length] as Step, () => new Raw('{}'));
  const target = objects[m.pick % objects.length] as Step;
  return update(v, target, (o) => {
    const entries = (o as Obj).entries;
    switch (m.op) {
      case 'delete':
        return entries.length === 0 ? o : new Obj(entries.filter((_, j) => j !== m.member % entries.length));
      case 'add':
        return new Obj([...entries, [m.key, m.value]]);
      case 'repeat': {
        if (entries.length === 0) return new Obj([['a', m.value]]);
        const [k] = entries[m.member % entries.length] as readonly [string, J];
        return new Obj([...entries, [k, m.value]]);
      }
    }
  });
}

/** `base` with one to three mutations. */
export function mutated(base: fc.Arbitrary<J>): fc.Arbitrary<J> {
  return fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([v, ms]) => ms.reduce<J>(apply, v));
}
