/**
 * The two Cursor-on-Target exporters of the registry (src/formats/export/registry.ts), both
 * written from one party's picture, in its frame (its own declarations friend, others neutral):
 * - `cot`: newline-separated `<event>`s, one per line (UTF-8, no XML declaration, no wrapper) —
 *   the framing of a TAK stream, which TAK tools, `nc` and line readers take one message at a
 *   time and which @tak-ps/node-cot parses line by line. Not one XML document: a reader that
 *   wants one wraps the lines in `<events>…</events>` (decode.ts reads either);
 * - `takpkg`: a TAK data package (datapackage.ts), for offline use.
 * Declarations come first, then conflicts, then alerts. A conflict or alert whose subject has no
 * position of its own (a side hidden from the viewer) is placed at the centre of the side the
 * viewer sees, remembered while the declarations stream by (one position per declaration);
 * failing that it is left out: CoT has no event without a place, and 0,0 would mislead a map.
 * `time` and `start` are the picture's instant; stale times are encode.ts's rules.
 */
import type { ConflictView } from '../../api/declarations.ts';
import type { Position } from '../../engine/types.ts';
import type { Exporter, Picture } from '../export/types.ts';
import { writePackage } from './datapackage.ts';
import {
  alertEvent,
  alertStale,
  conflictEvent,
  conflictStale,
  declarationCentre,
  declarationEvent,
  declarationStale,
  uidOfAlert,
  uidOfConflict,
  uidOfDeclaration,
} from './encode.ts';

/** One event of a picture: its uid, the name people see, its XML (one line). */
export interface PictureEvent {
  readonly uid: string;
  readonly name: string;
  readonly xml: string;
}

function locate(c: ConflictView, centres: ReadonlyMap<string, Position>): Position | undefined {
  if (c.closest) return c.closest[0];
  for (const s of [c.a, c.b]) {
    const at = 'id' in s ? centres.get(s.id) : undefined;
    if (at) return at;
  }
  return undefined;
}

/** Every event of the picture, declarations streamed. */
export async function* pictureEvents(p: Picture): AsyncIterable<PictureEvent> {
  const now = p.generated_at;
  const centres = new Map<string, Position>();
  for await (const f of p.declarations) {
    centres.set(f.properties.id, declarationCentre(f));
    yield {
      uid: uidOfDeclaration(f.properties.id),
      name: f.properties.label ?? f.properties.id,
      xml: declarationEvent(f, { now, stale: declarationStale(f, now), viewer: p.party }),
    };
  }
  for (const c of p.conflicts) {
    const at = locate(c, centres);
    if (!at) continue;
    yield {
      uid: uidOfConflict(c.id),
      name: `conflict ${c.rule} ${c.id}`,
      xml: conflictEvent(c, { now, stale: conflictStale(c, now), at }),
    };
  }
  for (const a of p.alerts) {
    const c = a.summary.conflict;
    const at = c
      ? locate(c, centres)
      : a.summary.declaration
        ? declarationCentre(a.summary.declaration)
        : undefined;
    if (!at) continue;
    yield {
      uid: uidOfAlert(a.id),
      name: `alert ${a.id}`,
      xml: alertEvent(a, { now, stale: alertStale(a, now), at }),
    };
  }
}

async function* writeCot(p: Picture): AsyncIterable<string> {
  for await (const e of pictureEvents(p)) yield `${e.xml}\n`;
}

export const cotExporter: Exporter = {
  format: 'cot',
  mediaType: 'application/cot+xml',
  extension: 'cot',
  write: writeCot,
};

export const takPackageExporter: Exporter = {
  format: 'takpkg',
  mediaType: 'application/zip',
  extension: 'zip',
  write: (p) => writePackage(p, pictureEvents(p)),
};
