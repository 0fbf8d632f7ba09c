/** A declaration's id at the hub: a party's local id, qualified with the party. */
export const own = (party: string, id: string): string => `${party}:${id}`;

/**
 * A conflict's side as tests read it (`src/api` SideView: a declaration in clear, or only its
 * party when hidden), with every field but the party optional so a test can compare either form.
 */
export type AnySide = {
  readonly party: string;
  readonly id?: string;
  readonly version?: number;
  readonly kind?: string;
  readonly label?: string;
  readonly hidden?: true;
};
