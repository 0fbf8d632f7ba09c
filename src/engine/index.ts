/**
 * The conflict engine (docs/design.md §3, §4): declaration parsing, WGS 84 geodesy, the nine rules and
 * the spatio-temporal index, and agreements (docs/agreements.md). Pure: no I/O, no clock, no imports
 * from the server or the CLI.
 */

export {
  AGREEMENT_LIMITS,
  type Agreement,
  type AgreementParseOptions,
  BREACH_RULE,
  boundParties,
  boundUntil,
  breachesOf,
  incursionAllowedBy,
  PERMISSION_SAMPLE_SPACING_M,
  parseAgreement,
  permits,
  TERM_KINDS,
  type Term,
  type TermKind,
  termRef,
} from './agreements.ts';
export {
  DEFAULT_LIMITS,
  MAX_EDGE_M,
  type ParseLimits,
  type ParseOptions,
  parseDeclarations,
} from './declaration.ts';
export { type CheckOptions, checkAllPairs, checkDeclarations, windowContains } from './engine.ts';
export { DISTANCE_TOLERANCE_M } from './geodesy/distance.ts';
export { evaluatePair, overlap, type Prepared, reachOf } from './rules.ts';
export { ConflictIndex, compareConflicts, prepare } from './stindex.ts';
export { formatIsoUtc, parseIsoUtc } from './time.ts';
export * from './types.ts';
