/** The Probing panel's state, shared by its parts (panel.ts, budgets.ts, recent.ts, blind.ts). */
import type { ProbingView } from '../../wire.ts';

export interface Probing {
  readonly el: HTMLElement;
  readonly head: HTMLElement;
  readonly error: HTMLElement;
  readonly parties: HTMLElement;
  readonly recent: HTMLElement;
  /** The party's sealed declarations, and the blind checks it asked or owned (blind.ts). */
  readonly sealed: HTMLElement;
  readonly checks: HTMLElement;
  /** The hub's last answer, or null before the first. */
  view: ProbingView | null;
  /** When that answer came (ms). */
  at: number | null;
  /** Budgets being typed, by party (kept across redraws). */
  readonly drafts: Map<string, string>;
  /** Budgets being set, and why the last setting of each failed. */
  readonly busy: Set<string>;
  readonly errors: Map<string, string>;
  /** Sealed declarations being withdrawn, and why the last withdrawal of each failed. */
  readonly withdrawing: Set<string>;
  readonly withdrawErrors: Map<string, string>;
  setBudget(party: string): void;
  withdrawSealed(id: string): void;
  refresh(): void;
}
