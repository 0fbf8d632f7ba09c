/**
 * A party's picture for the exporters (src/formats/export): the declarations it may see, its
 * conflicts and its open alerts, each read through the feature that answers them on the API
 * (declarations.list, conflicts.list, desk.alerts), so an export shows exactly what the API
 * shows that party and nothing else — visibility is decided in views.ts, as everywhere.
 *
 * Declarations are read a page at a time (PAGE, in id order, each page its own read) while the
 * exporter writes: a 100,000-declaration export never holds them all. The pages are separate
 * reads, so a declaration changed during a long export appears as it was when its page was
 * read. Conflicts (open ones) and alerts (open ones) are bounded lists of at most 5,000 each, the
 * API's own bound.
 *
 * Filters are the declaration list's (bbox, start, end, kind, party, status). By default an
 * export holds the active declarations (the picture as it stands); `status` asks for withdrawn
 * or expired ones instead, or `all` (every status but superseded, as the declaration list). A conflict is kept when its window meets [start, end), its closest
 * points (when the party may see them) fall in the bbox, and, with kind or party, when a side
 * the party can see is of that kind or party.
 */
import type { ConflictView } from '../api/declarations.ts';
import type { Kind } from '../engine/types.ts';
import type { Picture } from '../formats/export/types.ts';
import { actingParty, type Principal } from './access.ts';
import type { DeclarationFilter } from './declarations.ts';
import type { Hub } from './hub.ts';

/** Declarations per read. */
export const PAGE = 1000;

/** The most conflicts and alerts a picture carries (the API's own bound). */
const MAX_LISTED = 5000;

export interface ExportFilter {
  readonly bbox?: readonly [number, number, number, number];
  readonly start?: number;
  readonly end?: number;
  readonly kind?: Kind;
  readonly party?: string;
  /** Default `active`; `all`: every status but superseded (as the declaration list). */
  readonly status?: 'active' | 'withdrawn' | 'expired' | 'all';
  /** At most this many declarations (the list's `limit`); default all. */
  readonly limit?: number;
}

type Sources = Pick<Hub, 'declarations' | 'conflicts' | 'desk' | 'clock'>;

/** Every declaration the filter selects, page by page. */
async function* declarations(hub: Sources, p: Principal, f: ExportFilter) {
  const { limit = Number.POSITIVE_INFINITY, status = 'active', ...filter } = f;
  let after: string | undefined;
  let left = limit;
  while (left > 0) {
    const query: DeclarationFilter = {
      ...filter,
      ...(status !== 'all' && { status }),
      limit: Math.min(PAGE, left),
      ...(after !== undefined && { after }),
    };
    const page = (await hub.declarations.list(p, query)).features;
    yield* page;
    if (page.length < Math.min(PAGE, left)) return;
    left -= page.length;
    after = page[page.length - 1]?.id;
  }
}

const inBox = (pt: readonly number[], [w, s, e, n]: readonly [number, number, number, number]) => {
  const [lon, lat] = pt as [number, number];
  const lonIn = w <= e ? lon >= w && lon <= e : lon >= w || lon <= e;
  return lonIn && lat >= s && lat <= n;
};

/** Whether a conflict belongs to a picture filtered so. */
export function conflictMatches(c: ConflictView, f: ExportFilter): boolean {
  const start = Date.parse(c.window.start);
  const end = c.window.end === null ? Number.POSITIVE_INFINITY : Date.parse(c.window.end);
  if (f.end !== undefined && start >= f.end) return false;
  if (f.start !== undefined && end <= f.start) return false;
  const box = f.bbox;
  if (box !== undefined && c.closest !== undefined && !c.closest.some((pt) => inBox(pt, box))) return false;
  const sides = [c.a, c.b];
  if (f.kind !== undefined && !sides.some((s) => 'kind' in s && s.kind === f.kind)) return false;
  if (f.party !== undefined && !sides.some((s) => s.party === f.party)) return false;
  return true;
}

/**
 * The picture of the caller's party. Checks the caller first (a hub administrator has no party:
 * `forbidden`), so that an export that cannot be made fails before anything is written.
 */
export async function pictureFor(hub: Sources, p: Principal, f: ExportFilter = {}): Promise<Picture> {
  const party = actingParty(p);
  const conflicts = (await hub.conflicts.list(p, { status: 'open', limit: MAX_LISTED })).filter((c) =>
    conflictMatches(c, f),
  );
  const alerts = await hub.desk.alerts(p, { status: 'open', limit: MAX_LISTED });
  return {
    party,
    generated_at: hub.clock.now(),
    declarations: declarations(hub, p, f),
    conflicts,
    alerts,
  };
}
