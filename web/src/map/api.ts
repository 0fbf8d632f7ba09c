/** What the panels may ask of the map (implemented in map.ts). */
import type { Pos } from '../geo/path.ts';
import type { ConflictView, TermFeature } from '../wire.ts';

/** A geometry the console can draw or type. */
export interface Geometry {
  type: 'Point' | 'LineString' | 'Polygon';
  coordinates: unknown;
}

/** A declaration being prepared in the Declare panel: drawn dashed, with its buffer to scale. */
export interface Draft {
  geometry: Geometry;
  kind: string;
  buffer_m: number;
}

/** An agreement being drafted in the Agreements panel: its terms, drawn dashed in white. */
export interface AgreementDraft {
  terms: readonly TermFeature[];
  /** The agreement's window: a term without its own window has this one. */
  start: string;
  end: string;
}

/** The map, as the panels use it. */
export interface MapApi {
  /** Fly to a declaration or a conflict and highlight it. */
  focus(target: { type: 'declaration' | 'conflict'; id: string }): void;
  /** Let the user draw a geometry; resolves with it, or null when cancelled (Escape). */
  draw(mode: Geometry['type']): Promise<Geometry | null>;
  /** Draw the declaration being prepared (null: none). */
  setDraft(d: Draft | null): void;
  /** Conflicts of a dry run, drawn until cleared with []. */
  setPreview(conflicts: readonly ConflictView[]): void;
  /**
   * Bring a geometry with its buffer (and other points to show with it) into the part of the map
   * the side panel leaves uncovered, unless it is in view already and large enough to see.
   */
  bringIntoView(g: Geometry, buffer_m: number, also?: readonly Pos[]): void;
  /** Draw the agreement being drafted (null: none). */
  setAgreementDraft(d: AgreementDraft | null): void;
  /** Bring terms (with their bands) into the uncovered part of the map. */
  showTerms(terms: readonly TermFeature[]): void;
}
