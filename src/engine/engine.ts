/**
 * The engine's front door: check a set of declarations for conflicts. Pure — no I/O, no clock;
 * time is an argument.
 */
import { evaluatePair, type Prepared } from './rules.ts';
import { ConflictIndex, compareConflicts, prepare } from './stindex.ts';
import { type Conflict, DEFAULT_OPTIONS, type Declaration, type EngineOptions } from './types.ts';

export interface CheckOptions extends Partial<EngineOptions> {
  /** Keep only conflicts whose window contains this instant (epoch ms). */
  readonly at?: number;
}

/** True when the half-open window contains `t`. */
export function windowContains(w: Conflict['window'], t: number): boolean {
  return w.start <= t && (w.end === null || t < w.end);
}

/** Every conflict among `decls`, through the spatio-temporal index. */
export function checkDeclarations(decls: readonly Declaration[], options: CheckOptions = {}): Conflict[] {
  const { at, ...engine } = options;
  const conflicts = ConflictIndex.build(decls, engine).allConflicts();
  return at === undefined ? conflicts : conflicts.filter((c) => windowContains(c.window, at));
}

/**
 * Every conflict among `decls` by trying every pair: quadratic, used as the reference the index
 * is tested against.
 */
export function checkAllPairs(
  decls: readonly Declaration[],
  options: Partial<EngineOptions> = {},
): Conflict[] {
  const opts = { ...DEFAULT_OPTIONS, ...options };
  const prepared: Prepared[] = decls.map(prepare);
  const out: Conflict[] = [];
  for (let i = 0; i < prepared.length; i++) {
    for (let j = i + 1; j < prepared.length; j++) {
      const c = evaluatePair(prepared[i] as Prepared, prepared[j] as Prepared, opts);
      if (c !== null) out.push(c);
    }
  }
  return out.sort(compareConflicts);
}
