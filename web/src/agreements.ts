/**
 * Agreements as the console holds them (docs/agreements.md): the ones this party drafted or is
 * named in, read from the hub (GET /api/v1/agreements), and what the panels, the map and the
 * names of conflicts need of them — a term found by the reference a breach names
 * (`agreement:<agreement id>/<term id>`), the words for a status and a term's kind.
 */
import { api } from './api.ts';
import { emit, state } from './store.ts';
import type { AgreementView, TermFeature } from './wire.ts';

export type { AgreementView, TermFeature };

/** The statuses an agreement moves through, in the order the panel lists them. */
export const STATUSES = ['in_force', 'signed', 'proposed', 'draft', 'withdrawn', 'expired'] as const;
export type Status = (typeof STATUSES)[number];

/** Each status as people name it. */
export const STATUS_LABEL: Record<Status, string> = {
  draft: 'Draft',
  proposed: 'Proposed',
  signed: 'Signed (not yet in force)',
  in_force: 'In force',
  withdrawn: 'Withdrawn',
  expired: 'Expired',
};

/** The kinds of term, as people name them. */
export const TERM_LABEL: Record<string, string> = {
  corridor: 'Corridor',
  pause: 'Pause',
  pull_back: 'Pull-back',
  area_of_responsibility: 'Area of responsibility',
  permission: 'Permission',
};

/** A term's kind as people name it. */
export function termLabel(kind: string): string {
  return TERM_LABEL[kind] ?? kind.replace(/_/g, ' ');
}

/** The pseudo declaration id a breach names a term by: `agreement:<id>/<term>`. */
export function parseTermRef(ref: string): { agreement: string; term: string } | null {
  const m = /^agreement:([^/]+)\/(.+)$/.exec(ref);
  return m ? { agreement: m[1] as string, term: m[2] as string } : null;
}

/** The agreement and term a breach's reference names, when held. */
export function termOf(ref: string): { agreement: AgreementView; term: TermFeature | null } | null {
  const r = parseTermRef(ref);
  if (!r) return null;
  const agreement = state.agreements.get(r.agreement);
  if (!agreement) return null;
  return {
    agreement,
    term: agreement.agreement.terms.features.find((t) => t.properties.id === r.term) ?? null,
  };
}

/** "Castello Road corridor — Corridor "Castello Road"": the agreement's name, the term's kind and label. */
export function termName(ref: string, fallback?: { name?: string; term?: string; label?: string }): string {
  const held = termOf(ref);
  const r = parseTermRef(ref);
  const name = held?.agreement.agreement.name ?? fallback?.name ?? `agreement ${r?.agreement ?? ref}`;
  const p = held?.term?.properties;
  const kind = p?.term ?? fallback?.term;
  const label = p?.label ?? fallback?.label;
  const term = kind ? termLabel(kind) : `term ${r?.term ?? ''}`.trim();
  return `${name} — ${term}${label ? ` “${label}”` : ''}`;
}

/** The last list read, as text. */
let lastRead = '';

/** Read the agreements this party drafted or is named in, replacing those held. */
export async function loadAgreements(): Promise<void> {
  const r = await api<{ agreements: AgreementView[] }>('GET', '/agreements');
  const text = JSON.stringify(r.agreements);
  // Read every half-minute: redraw only what changed (the inbox names breaches' terms by it).
  if (text === lastRead && r.agreements.length === state.agreements.size) return;
  lastRead = text;
  state.agreements = new Map(r.agreements.map((a) => [a.id, a]));
  emit('agreements');
}

/** Forget the agreements held (a new login: another party's may have been held). */
export function forgetAgreements(): void {
  lastRead = '';
  state.agreements = new Map();
}

/** Read one agreement and hold it. */
export async function loadAgreement(id: string): Promise<AgreementView> {
  const a = await api<AgreementView>('GET', `/agreements/${encodeURIComponent(id)}`);
  state.agreements.set(a.id, a);
  emit('agreements');
  return a;
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** Read the agreements again soon (one read per burst of events). */
export function agreementsChanged(after = 300): void {
  clearTimeout(timer);
  timer = setTimeout(() => void loadAgreements().catch(() => undefined), after);
}
