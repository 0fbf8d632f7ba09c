/** A declaration's id at the hub: a party's local id, qualified with the party. */
export const own = (party: string, id: string): string => `${party}:${id}`;
