/** What the person logged in may do here, by their roles (the hub checks again on every request). */
import { state } from './store.ts';

/** Whether the person holds one of these roles. */
const holds = (roles: readonly string[]): boolean => (state.me?.roles ?? []).some((r) => roles.includes(r));

/** Submit, amend and withdraw declarations. */
export const canDeclare = (): boolean => holds(['operator', 'party_admin']);

/** Acknowledge alerts and messages. */
export const canAcknowledge = (): boolean => holds(['watch_officer', 'senior_officer', 'party_admin']);

/** Open channels and answer invitations for the party. */
export const isPartyAdmin = (): boolean => holds(['party_admin']);

/** Release a conflict withheld from another party past its probing budget. */
export const canRelease = canAcknowledge;

/** Sign or withdraw an agreement for the party (docs/agreements.md §2). */
export const canSignAgreements = (): boolean => holds(['party_admin', 'senior_officer']);
