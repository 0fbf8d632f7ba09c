/**
 * Screening a submission: parse it (the party taken from the token) and find its conflicts with
 * the live index and within its own batch. One definition, run in two places: inline on the
 * main thread for light submissions, and in a detection worker (detect-worker.ts) for heavy
 * ones. Both run these functions on the same engine code, so they find exactly the same
 * conflicts in the same order (test/attack.heavy.test.ts checks it on random declarations).
 *
 * The result keeps apart, per declaration of the batch, its conflicts with the live index and
 * those with the declarations before it in the batch: a screening done outside the write lock
 * is brought up to date under it by re-checking only the declarations of the index that changed
 * in between (detect-pool.ts), and that touches only the first part.
 */
import { type ParseLimits, parseDeclarations } from '../engine/declaration.ts';
import type { Prepared } from '../engine/rules.ts';
import { ConflictIndex, compareConflicts } from '../engine/stindex.ts';
import { textProblem } from '../engine/text.ts';
import type { Conflict, Declaration } from '../engine/types.ts';
import { fail } from './access.ts';
import { newId } from './secrets.ts';

/** The id the hub gives a declaration submitted without one: in its party's namespace, random. */
export function assignedId(party: string): string {
  return `${party}:${newId('d')}`;
}

/** What a screening needs to parse a submission (all of it can cross to a worker thread). */
export interface ParseRequest {
  /** The raw body: one Feature or a FeatureCollection. */
  readonly input: unknown;
  /** The caller's party (from the token). */
  readonly party: string;
  /** Give an id to a feature that has none (submissions; an amendment's id is the path's). */
  readonly assign: boolean;
  /** An amendment of this declaration: the body must be one Feature, its id is this one. */
  readonly amend?: string;
  readonly limits: Partial<ParseLimits>;
}

/** The hub's limit on features per submission (the engine's own is for `deconflict check`). */
export const HUB_MAX_FEATURES = 1000;

export function parseRequest(r: ParseRequest): Declaration[] {
  const input = r.amend === undefined ? r.input : withId(r.input, r.amend, r.party);
  return parseDeclarations(input, {
    party: r.party,
    partyIds: true,
    ...(r.assign && { assignId: () => assignedId(r.party) }),
    limits: { maxFeatures: HUB_MAX_FEATURES, ...r.limits },
  });
}

/**
 * The body of an amendment must be one Feature; its id is the path's (the body may repeat it, in
 * full or as the local part).
 */
function withId(input: unknown, id: string, party: string): unknown {
  if (typeof input !== 'object' || input === null || (input as { type?: unknown }).type !== 'Feature') {
    fail('invalid_request', 'an amendment is one GeoJSON Feature');
  }
  const f = input as { properties?: unknown };
  // Properties that are not an object (a string, an array, null) are the engine's to name, as in
  // a submission: spreading a string of a million characters would make a million members
  // (found by the fuzzer's long form: 3 s and 100,000 errors for 100 KB, a 500 for 1 MB).
  if (
    f.properties !== undefined &&
    (typeof f.properties !== 'object' || f.properties === null || Array.isArray(f.properties))
  )
    return f;
  const props = (f.properties ?? {}) as Record<string, unknown>;
  // An id with ill-formed text is left to the engine, which names it (`invalid_text`).
  if (typeof props.id === 'string' && textProblem(props.id) !== null) return f;
  if (props.id !== undefined && props.id !== id && `${party}:${String(props.id)}` !== id)
    fail('invalid_request', `properties.id "${String(props.id)}" differs from ${id}`, 'properties.id');
  return { ...f, properties: { ...props, id } };
}

/** Per declaration of a batch: its conflicts with the live index, and with those before it in the batch. */
export interface Screening {
  /** Sorted by a, b, rule; without conflicts with `exclude`. */
  readonly indexed: Conflict[][];
  readonly batch: Conflict[][];
}

/** The other side of a conflict of `id`. */
export const otherSide = (c: Conflict, id: string): string => (c.a === id ? c.b : c.a);

/**
 * Conflicts of `decls` (checked in order) against `index` and against each other; conflicts
 * with `exclude` (the declaration an amendment replaces) are left out.
 */
export function screen(
  index: ConflictIndex,
  decls: readonly Declaration[],
  prepared: readonly Prepared[],
  exclude?: string,
): Screening {
  const indexed = decls.map((d, i) =>
    index.check(d, prepared[i] as Prepared).filter((c) => otherSide(c, d.id) !== exclude),
  );
  // The rest of the batch goes in an index of its own, so a batch of n costs n checks, not n²:
  // built whole in one bulk load, then walked from the last declaration to the first, each
  // withdrawn before it is checked, so that it meets exactly those before it (the same pairs, in
  // the same order of arguments, as adding them one by one). Adding 100,000 one by one rebuilt
  // the tree every 2,048 additions (seconds, and hundreds of MiB of discarded trees); withdrawals
  // rebuild it only each time a quarter is gone.
  const batch = new Array<Conflict[]>(decls.length);
  const own = decls.length > 1 ? ConflictIndex.build(decls, index.options) : new ConflictIndex(index.options);
  for (let i = decls.length - 1; i >= 0; i--) {
    const d = decls[i] as Declaration;
    own.withdraw(d.id);
    batch[i] = own.check(d, prepared[i] as Prepared);
  }
  return { indexed, batch };
}

/**
 * Conflicts of `decls` with declarations of the index that changed since a screening (`changed`,
 * as they are now), each list sorted like {@link ConflictIndex.check}: checked through an index
 * of their own, so each pair is evaluated exactly as the live index would (same candidates, same
 * order of arguments).
 */
export function rescreen(
  index: ConflictIndex,
  decls: readonly Declaration[],
  prepared: readonly Prepared[],
  changed: readonly string[],
  exclude?: string,
): Conflict[][] {
  const now: Declaration[] = [];
  for (const id of changed) {
    const d = index.get(id);
    if (d !== undefined) now.push(d);
  }
  const sub = ConflictIndex.build(now, index.options);
  return decls.map((d, i) =>
    sub.check(d, prepared[i] as Prepared).filter((c) => otherSide(c, d.id) !== exclude),
  );
}

/**
 * Bring per-declaration index conflicts up to date: drop those with a changed declaration, add
 * those found against the changed declarations as they are now, and sort as the index does.
 */
export function patch(
  decls: readonly Declaration[],
  indexed: readonly Conflict[][],
  changed: ReadonlySet<string>,
  fresh: readonly Conflict[][],
): Conflict[][] {
  return decls.map((d, i) =>
    (indexed[i] ?? [])
      .filter((c) => !changed.has(otherSide(c, d.id)))
      .concat(fresh[i] ?? [])
      .sort(compareConflicts),
  );
}

/** Every conflict of a screening, in the order the hub records them: per declaration, index then batch. */
export function flatten(s: Screening): Conflict[] {
  const out: Conflict[] = [];
  s.indexed.forEach((list, i) => {
    out.push(...list, ...(s.batch[i] ?? []));
  });
  return out;
}
