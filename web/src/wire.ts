/**
 * The hub's records as the console receives them: the wire types of the hub's own schemas
 * (`src/api`), re-exported under the names the console uses. Types only: nothing of the schema
 * library reaches the bundle.
 */
import type { AgreementView as AgreementAnswer } from '../../src/api/agreements.ts';

export type { Session as SessionAnswer } from '../../src/api/accounts.ts';
export type { BlindCheckView, SealedView } from '../../src/api/blind.ts';
export type {
  ConflictView,
  DeclarationFeature as Feature,
  NotificationsView,
  SideView as Side,
  SubmissionResult as Submission,
} from '../../src/api/declarations.ts';
export type {
  BudgetEntry as ProbingParty,
  ProbeView as Probe,
  ProbingSummary,
  ProbingView,
} from '../../src/api/probing.ts';
export type {
  AlertView,
  ChannelView,
  EventView as StreamEvent,
  MessageView,
  RosterView,
} from '../../src/api/watch.ts';

// --- Agreements (docs/agreements.md) ------------------------------------------------------------

/**
 * A term of an agreement as the hub writes it in the text (docs/agreements.md §1): a GeoJSON
 * Feature (a permission `within` a corridor has no geometry). The wire schema stores the signed
 * text's terms as they were parsed (`unknown[]`); this is their shape.
 */
export interface TermFeature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown } | null;
  properties: {
    id: string;
    term: string;
    start?: string;
    end?: string;
    parties?: string[];
    buffer_m?: number;
    label?: string;
    rule?: 'incursion';
    of?: string;
    within?: string;
  };
}

/** An agreement's text: what every signatory signs (by its hash), its terms typed. */
export type AgreementText = Omit<AgreementAnswer['agreement'], 'terms'> & {
  terms: { type: 'FeatureCollection'; features: TermFeature[] };
};

/** An agreement as the hub answers it (GET /api/v1/agreements/{id}). */
export type AgreementView = Omit<AgreementAnswer, 'agreement'> & { agreement: AgreementText };

/** A signatory's signature of a version. */
export type SignatureView = AgreementView['signatures'][number];
