/** The Agreements panel's own state, and what its parts ask of the panel (panel.ts). */
import type { MapApi } from '../../map/api.ts';
import type { AgreementView } from '../../wire.ts';
import type { AgreementDraft, Problem, Purpose, TermKind } from './draft.ts';

/** The actions on an agreement's card. */
export type CardAction = 'edit' | 'propose' | 'counter' | 'sign' | 'withdraw' | 'show';

export interface Ag {
  readonly el: HTMLElement;
  readonly map: MapApi;
  readonly party: string;
  /** The agreements, by status. */
  readonly list: HTMLElement;
  /** The draft being written (new, edited or countered), when open. */
  readonly editor: HTMLElement;
  draft: AgreementDraft | null;
  purpose: Purpose;
  /** A term is being drawn on the map. */
  drawing: boolean;
  /** An action under way: 'save', or `<action>:<agreement id>`. */
  busy: string | null;
  /** The form's problems (each at the hub's path) and what it last said. */
  problems: Problem[];
  formMessage: string;
  /** Per agreement: the last action's error, or what it said. */
  readonly cardErrors: Map<string, string>;
  readonly cardMessages: Map<string, string>;
  /** The agreement whose withdrawal form is open. */
  withdrawing: string | null;
  /** The agreement last shown (from a breach, or "Show on map"). */
  focused: string | null;

  /** Open the form: a new draft. */
  startNew(): void;
  /** Draw a term on the map, or add a permission (no geometry). */
  addTerm(kind: TermKind | 'drawn', mode?: 'LineString' | 'Polygon' | 'Point'): void;
  /** Read an uploaded GeoJSON file of terms (or a whole agreement). */
  upload(file: File): void;
  /** Something typed changed: the map's draft follows (the form is not redrawn). */
  changed(): void;
  /** Redraw the form (a term added, removed, or its kind changed). */
  redrawForm(): void;
  save(): void;
  cancel(): void;
  /** An action on an agreement's card. */
  act(a: AgreementView, action: CardAction, input?: { effective: string; reason: string }): void;
  /** Open or close an agreement's withdrawal form. */
  toggleWithdraw(id: string | null): void;
}
