/** Durations in milliseconds, and times as the hub writes them. */

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** An epoch-ms time in ISO 8601 UTC, with milliseconds: how the hub writes the times it sets. */
export const iso = (t: number): string => new Date(t).toISOString();
