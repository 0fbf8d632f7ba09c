/**
 * A party's stream as the merge of its own rows and the shared feed (docs/watch.md, "The shared
 * feed").
 *
 * A change every party may see is written once, to the shared feed, numbered `useq` = 1, 2, 3...
 * without gaps; a change for some parties only is written as one row per party, numbered `seq`
 * in that party's stream, and records `pub`: how many shared rows existed when it was written.
 * Commit order is the merge rule: shared row u comes before own row r iff `u.useq <= r.pub`. So
 * the party's own rows up to and including r number `r.seq - r.pub`, and shared row u is number
 * `u.useq + (own rows before it)` in the party's stream: contiguous per party, with no write per
 * party for a shared change. The sequence a party sees counts its own rows and the shared rows,
 * which every party sees: it tells nothing of changes it may not see, and the hub-wide count of
 * changes (own rows of every party) is never shown.
 *
 * Reading stays indexed: the head is the party's last own row plus the feed's last number; from a
 * cursor c, the party's last own row at or before c says how many own rows (k) come before it, so
 * the shared rows after it are those above c - k. A party created later finds the shared history
 * at the start of its stream (declarations it may list anyway). Rows written before the feed
 * existed have `pub` 0: every shared row comes after them.
 *
 * Pure: the store reads the two lists from the cursor, this merges them.
 */
import type { EventRecord } from '../domain/records.ts';
import type { SharedEventRecord } from './ports.ts';

/** A party's own stream row as stored. */
export interface OwnRow {
  readonly seq: number;
  /** Shared rows that existed when it was written (all of them come before it). */
  readonly pub: number;
  readonly at: number;
  readonly type: string;
  readonly data: unknown;
}

/** The party's own rows up to and including `r` (0 when there is none). */
export const ownCount = (r: Pick<OwnRow, 'seq' | 'pub'> | undefined): number =>
  r === undefined ? 0 : r.seq - r.pub;

/**
 * The first shared row after a cursor: `after` events of the party's stream are `k` own rows
 * (k = {@link ownCount} of its last own row at or before the cursor) and `after - k` shared rows.
 */
export const sharedAfter = (after: number, k: number): number => after - k;

/**
 * Merge, in commit order, a party's own rows after the cursor and the shared rows after it, both
 * ascending and each read up to `limit`; `k` own rows come at or before the cursor.
 */
export function mergeStream(
  party: string,
  k: number,
  own: readonly OwnRow[],
  shared: readonly SharedEventRecord[],
  limit: number,
): EventRecord[] {
  const out: EventRecord[] = [];
  let mine = k;
  let i = 0;
  let j = 0;
  while (out.length < limit) {
    const r = own[i];
    const u = shared[j];
    if (u !== undefined && (r === undefined || u.useq <= r.pub)) {
      out.push({ party, seq: u.useq + mine, at: u.at, type: u.type, data: u.data });
      j++;
    } else if (r !== undefined) {
      out.push({ party, seq: r.seq, at: r.at, type: r.type, data: r.data });
      mine = ownCount(r);
      i++;
    } else break;
  }
  return out;
}
