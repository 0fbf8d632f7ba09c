/**
 * Cursor-on-Target 2.0 events from the hub's wire shapes: a declaration, a conflict, an alert as
 * the viewing party may see them, and the TAK delete for one that is gone. Each function returns
 * one `<event>` on one line (xml.ts escapes line breaks), so events can be streamed newline-
 * separated, written one per `.cot` file of a data package, or sent one per TAK message.
 *
 * Declarations (docs/formats/cot.md has the table):
 * - a point (protected site, point strike) is a point event with the MIL-STD-2525 type of its
 *   kind and category in the viewer's affiliation (types.ts) and a `__milsym` SIDC;
 * - a restricted zone around a point is a circle `u-d-c-c` of radius `buffer_m`;
 * - a movement is a route `b-m-r` (waypoints `b-m-p-w`), every other line and every polygon a
 *   drawing shape `u-d-f` with one `<link point="lat,lon"/>` per vertex, the ring closed (first =
 *   last), which TAK and @tak-ps/node-cot read back as a polygon; the event point is the mean of
 *   the vertices;
 * - TAK draws one outer ring per shape: the rings it cannot draw (holes, further polygons of a
 *   MultiPolygon) travel in the `__deconflict` element, so decode.ts gives back the geometry whole.
 * The `__deconflict` detail element carries every input property of the declaration (window,
 * buffer, altitude band, visibility, notify, schedule, label, notes…) so an export imports back
 * without loss; `<remarks>` says the same for people (Zulu DTGs, distances).
 *
 * Heights: `hae` is the middle of an AMSL altitude band and `le` its half-thickness plus 110 m,
 * because AMSL is not height above the ellipsoid and the hub has no geoid (the geoid departs from
 * the ellipsoid by −106 m to +85 m): the stated error covers the whole band honestly. Without a
 * band, or for AGL (no terrain model), both are 9999999, CoT's "unknown". `ce` is 9999999 too: a
 * declaration is a statement, not a measured position.
 *
 * Conflicts: a line `u-d-f` between the closest points (on a, on b) when both are known and
 * apart — TAK draws it, labelled with the rule and distance, in the severity's colour; otherwise a
 * spot marker `b-m-p-s-m` where they touch, or at `o.at` (the caller's own side, when the other is
 * hidden). Alerts: `b-a-g`, the geofence breach alert the conventions name (TAK shows it as an
 * alert, not a 911 emergency, which would sound on every device); placed on their conflict or
 * declaration. An event with no place at all is at 0,0 with `ce` 9999999 (position unknown).
 */
import type { ConflictView, DeclarationFeature, SideView } from '../../api/declarations.ts';
import type { AlertView } from '../../api/watch.ts';
import type { Position, SiteCategory } from '../../engine/types.ts';
import { formatDtg } from '../../field/dtg.ts';
import { KIND_LABEL } from '../../field/kinds.ts';
import { formatDistance } from '../../field/units.ts';
import { empty, esc, num } from '../xml-write.ts';
import {
  affiliationOf,
  argb,
  COT_ALERT,
  COT_CIRCLE,
  COT_DELETE,
  COT_ROUTE,
  COT_SHAPE,
  COT_SPOT,
  FILL_ALPHA,
  PALETTE,
  pointSymbol,
} from './types.ts';

/** The times of an event: `time` and `start` are `now`; TAK drops it at `stale`. */
export interface EventTimes {
  readonly now: number;
  readonly stale: number;
}

/** Where to put an event whose subject carries no position of its own (a conflict with a hidden side). */
export interface Placed extends EventTimes {
  readonly at?: Position;
}

/** CoT's value for an unknown height or error. */
export const UNKNOWN = 9999999;

/** How long an open-ended declaration or conflict stays on a TAK map without a refresh. */
export const DEFAULT_STALE_MS = 24 * 3_600_000;

/** Extra vertical error for AMSL read as HAE: the geoid's largest departure, rounded up. */
const GEOID_ALLOWANCE_M = 110;

export const uidOfDeclaration = (id: string): string => `deconflict.${id}`;
export const uidOfConflict = (id: string): string => `deconflict.conflict.${id}`;
export const uidOfAlert = (id: string): string => `deconflict.alert.${id}`;
/** The delete event's own uid: `#` is in no id, so it never names a declaration. */
export const uidOfRemoval = (uid: string): string => `${uid}#delete`;

/** End of a declaration's window, or now + the default for an open-ended one. */
export function declarationStale(f: DeclarationFeature, now: number, fallback = DEFAULT_STALE_MS): number {
  return f.properties.end === null ? now + fallback : Date.parse(f.properties.end);
}

/** End of a conflict's window (now when resolved), or now + the default when open-ended. */
export function conflictStale(c: ConflictView, now: number, fallback = DEFAULT_STALE_MS): number {
  if (c.status === 'resolved') return now;
  return c.window.end === null ? now + fallback : Date.parse(c.window.end);
}

/**
 * The acknowledgement deadline of an open alert (now + the default once it has passed, so an
 * overdue alert stays on the map); now for an acknowledged or closed one, which TAK then drops.
 */
export function alertStale(a: AlertView, now: number, fallback = DEFAULT_STALE_MS): number {
  if (a.status !== 'open') return now;
  const due = a.due_at === null ? null : Date.parse(a.due_at);
  return due !== null && due > now ? due : now + fallback;
}

// --- geometry --------------------------------------------------------------------------------------

type Geometry = DeclarationFeature['geometry'];

/** The rings of a polygonal geometry, polygon by polygon. */
function polygonsOf(g: Geometry): Position[][][] {
  if (g.type === 'Polygon') return [g.coordinates as Position[][]];
  if (g.type === 'MultiPolygon') return g.coordinates as Position[][][];
  return [];
}

/** The vertices TAK draws: the first polygon's outer ring, a line's vertices, or the point. */
function drawnVertices(g: Geometry): Position[] {
  if (g.type === 'Point') return [g.coordinates as unknown as Position];
  if (g.type === 'LineString') return g.coordinates as Position[];
  return polygonsOf(g)[0]?.[0] ?? [];
}

/**
 * The mean of distinct vertices (a closed ring's last is its first), longitudes unwrapped about
 * the first so a shape across the antimeridian is centred on it, not on the other side of the earth.
 */
export function centreOf(vertices: readonly Position[]): Position {
  const first = vertices[0];
  if (!first) return [0, 0];
  const last = vertices[vertices.length - 1] as Position;
  const n =
    vertices.length > 1 && last[0] === first[0] && last[1] === first[1]
      ? vertices.length - 1
      : vertices.length;
  let dlon = 0;
  let lat = 0;
  for (let i = 0; i < n; i++) {
    const [x, y] = vertices[i] as Position;
    dlon += ((x - first[0] + 540) % 360) - 180;
    lat += y;
  }
  // Offsets from the first vertex: a point, or a shape not across the antimeridian, stays exact.
  const lon = first[0] + dlon / n;
  return [lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon, lat / n];
}

/** A declaration's centre (its point, or the mean of the vertices TAK draws). */
export function declarationCentre(f: DeclarationFeature): Position {
  return centreOf(drawnVertices(f.geometry));
}

const latLon = (p: Position): string => `${num(p[1])},${num(p[0])}`;

function pointXml(p: Position, hae = UNKNOWN, le = UNKNOWN, ce = UNKNOWN): string {
  return empty('point', { lat: p[1], lon: p[0], hae, ce, le });
}

function eventOpen(uid: string, type: string, o: EventTimes, how = 'h-e'): string {
  const t = cotTime(o.now);
  return `<event version="2.0" uid="${esc(uid)}" type="${esc(type)}" how="${how}" time="${t}" start="${t}" stale="${cotTime(o.stale)}">`;
}

// --- declarations ----------------------------------------------------------------------------------

const dtg = (iso: string): string => formatDtg(Date.parse(iso));
const list = (xs: readonly string[] | undefined): string | undefined => xs?.join(' ');

/** The window for people: `231000ZNOV26 – 231100ZNOV26`, or `from 231000ZNOV26`. */
function windowText(start: string, end: string | null): string {
  return end === null ? `from ${dtg(start)}` : `${dtg(start)} – ${dtg(end)}`;
}

function remarksOf(f: DeclarationFeature): string {
  const p = f.properties;
  const lines = [
    `${KIND_LABEL[p.kind]}${p.category ? ` (${p.category.replace(/_/g, ' ')})` : ''} of ${p.party}, version ${p.version}, ${p.status}`,
    `Window ${windowText(p.start, p.end)}`,
  ];
  if (p.buffer_m > 0) lines.push(`Buffer ${formatDistance(p.buffer_m)}`);
  if (p.altitude)
    lines.push(`Altitude ${p.altitude.lower_m}–${p.altitude.upper_m} m ${p.altitude.reference}`);
  if (p.applies_to) lines.push(`Applies to ${p.applies_to.join(', ')}`);
  if (p.notes) lines.push('', p.notes);
  return lines.join('\n');
}

/** `<__deconflict …>`: every input property, and the rings TAK does not draw. */
function deconflictDetail(f: DeclarationFeature): string {
  const p = f.properties;
  const vis = p.visibility;
  const head = empty('__deconflict', {
    id: p.id,
    kind: p.kind,
    party: p.party,
    version: p.version,
    status: p.status,
    geometry: f.geometry.type,
    start: p.start,
    end: p.end ?? undefined,
    buffer_m: p.buffer_m,
    category: p.category,
    ground_only: p.ground_only,
    alt_lower_m: p.altitude?.lower_m,
    alt_upper_m: p.altitude?.upper_m,
    alt_reference: p.altitude?.reference,
    visibility: typeof vis === 'string' ? vis : 'parties',
    visible_to: typeof vis === 'string' ? undefined : list(vis),
    notify: list(p.notify),
    applies_to: list(p.applies_to),
    schedule: list(p.schedule),
    label: p.label,
    notes: p.notes,
  });
  const rings: string[] = [];
  polygonsOf(f.geometry).forEach((polygon, i) => {
    polygon.forEach((ring, j) => {
      if (i === 0 && j === 0) return;
      rings.push(empty('ring', { polygon: i, index: j, points: ring.map(latLon).join(' ') }));
    });
  });
  return rings.length === 0 ? head : `${head.slice(0, -2)}>${rings.join('')}</__deconflict>`;
}

/** `hae`, `le` of an altitude band (see the header). */
function heightOf(f: DeclarationFeature): [hae: number, le: number] {
  const a = f.properties.altitude;
  if (a?.reference !== 'AMSL') return [UNKNOWN, UNKNOWN];
  return [(a.lower_m + a.upper_m) / 2, (a.upper_m - a.lower_m) / 2 + GEOID_ALLOWANCE_M];
}

function styleXml(hex: string, filled: boolean, weight = 3): string {
  return (
    empty('strokeColor', { value: argb(hex) }) +
    empty('strokeWeight', { value: weight }) +
    (filled ? empty('fillColor', { value: argb(hex, FILL_ALPHA) }) : '') +
    empty('labels_on', { value: true })
  );
}

/**
 * One declaration as a CoT event, in `o.viewer`'s frame (its own party friend, others neutral;
 * without a viewer every party is neutral).
 */
export function declarationEvent(
  f: DeclarationFeature,
  o: EventTimes & { readonly viewer?: string },
): string {
  const p = f.properties;
  const uid = uidOfDeclaration(p.id);
  const aff = o.viewer === undefined ? 'n' : affiliationOf(p.party, o.viewer);
  const colour = aff === 'f' ? PALETTE.own : PALETTE.other;
  const [hae, le] = heightOf(f);
  const g = f.geometry;
  const common = `${empty('contact', { callsign: p.label ?? p.id })}<remarks>${esc(remarksOf(f))}</remarks>${deconflictDetail(f)}`;

  if (g.type === 'Point') {
    const at = g.coordinates as unknown as Position;
    if (p.kind === 'restricted_zone') {
      const r = p.buffer_m;
      return `${eventOpen(uid, COT_CIRCLE, o)}${pointXml(at, hae, le)}<detail>${common}<shape>${empty('ellipse', { major: r, minor: r, angle: 360 })}</shape>${styleXml(colour, true)}</detail></event>`;
    }
    const sym = pointSymbol(p.kind, p.category as SiteCategory | undefined, aff);
    const marker =
      sym.type === COT_SPOT
        ? empty('usericon', { iconsetpath: `COT_MAPPING_SPOTMAP/${COT_SPOT}/${argb(colour)}` }) +
          empty('color', { argb: argb(colour) })
        : '';
    const milsym = sym.sidc ? empty('__milsym', { id: sym.sidc }) : '';
    return `${eventOpen(uid, sym.type, o)}${pointXml(at, hae, le)}<detail>${common}${milsym}${marker}</detail></event>`;
  }

  const vertices = drawnVertices(g);
  const centre = centreOf(vertices);
  if (g.type === 'LineString' && p.kind === 'movement') {
    const links = vertices
      .map((v, i) =>
        empty('link', {
          uid: `${uid}#${i}`,
          callsign: i === 0 ? 'SP' : i === vertices.length - 1 ? 'RP' : `CP${i}`,
          type: 'b-m-p-w',
          point: latLon(v),
          relation: 'c',
        }),
      )
      .join('');
    const route = empty('link_attr', {
      color: argb(colour),
      method: 'Driving',
      prefix: 'CP',
      type: 'Vehicle',
      routetype: 'Primary',
      direction: 'Infil',
      planningmethod: 'Infil',
      order: 'Ascending Check Points',
    });
    return `${eventOpen(uid, COT_ROUTE, o)}${pointXml(centre, hae, le)}<detail>${common}${links}${route}${styleXml(colour, false)}</detail></event>`;
  }
  const links = vertices.map((v) => empty('link', { point: latLon(v) })).join('');
  return `${eventOpen(uid, COT_SHAPE, o)}${pointXml(centre, hae, le)}<detail>${common}${links}${styleXml(colour, g.type !== 'LineString')}</detail></event>`;
}

// --- conflicts and alerts --------------------------------------------------------------------------

/** A side as the viewer may see it: `coalition strike "Depot" (coalition:coa-strike-depot)`. */
function sideText(s: SideView): string {
  if ('hidden' in s) return `${s.party} (hidden${s.sealed ? ', sealed' : ''})`;
  if (s.kind === 'agreement_term') return `${s.party} agreement term ${s.agreement}/${s.term}`;
  return `${s.party} ${s.kind.replace(/_/g, ' ')}${s.label ? ` "${s.label}"` : ''} (${s.id})`;
}

const sideRef = (s: SideView): string => ('hidden' in s ? `${s.party} hidden` : `${s.party} ${s.id}`);

function conflictTitle(c: ConflictView): string {
  const d = c.distance_m === undefined ? '' : ` ${formatDistance(c.distance_m)}`;
  return `${c.severity.toUpperCase()} ${c.rule.replace(/_/g, ' ')}${d}`;
}

function conflictRemarks(c: ConflictView): string {
  const lines = [
    `Conflict ${c.id}: ${c.rule}, ${c.severity}, ${c.status}${c.resolution ? ` (${c.resolution})` : ''}`,
    `A: ${sideText(c.a)}`,
    `B: ${sideText(c.b)}`,
    `Window ${windowText(c.window.start, c.window.end)}`,
  ];
  if (c.distance_m !== undefined) lines.push(`Distance ${formatDistance(c.distance_m)}`);
  return lines.join('\n');
}

function conflictDetail(c: ConflictView): string {
  return empty('__deconflict_conflict', {
    id: c.id,
    rule: c.rule,
    severity: c.severity,
    status: c.status,
    a: sideRef(c.a),
    b: sideRef(c.b),
    start: c.window.start,
    end: c.window.end ?? undefined,
    distance_m: c.distance_m,
  });
}

/** One conflict as a CoT event (see the header for its shape and place). */
export function conflictEvent(c: ConflictView, o: Placed): string {
  const uid = uidOfConflict(c.id);
  const colour = PALETTE.severity[c.severity];
  const weight = c.severity === 'critical' ? 5 : 3;
  const common = `${empty('contact', { callsign: conflictTitle(c) })}<remarks>${esc(conflictRemarks(c))}</remarks>${conflictDetail(c)}`;
  const [pa, pb] = c.closest ?? [];
  if (pa && pb && (pa[0] !== pb[0] || pa[1] !== pb[1])) {
    const links = empty('link', { point: latLon(pa) }) + empty('link', { point: latLon(pb) });
    return `${eventOpen(uid, COT_SHAPE, o, 'm-g')}${pointXml(centreOf([pa, pb]))}<detail>${common}${links}${styleXml(colour, false, weight)}</detail></event>`;
  }
  const at = pa ?? o.at;
  const marker =
    empty('usericon', { iconsetpath: `COT_MAPPING_SPOTMAP/${COT_SPOT}/${argb(colour)}` }) +
    empty('color', { argb: argb(colour) });
  return `${eventOpen(uid, COT_SPOT, o, 'm-g')}${pointXml(at ?? [0, 0])}<detail>${common}${marker}</detail></event>`;
}

/** Where an alert is: on its conflict's closest point, its declaration's centre, or `o.at`. */
function alertPlace(a: AlertView, o: Placed): Position | undefined {
  const c = a.summary.conflict;
  if (c?.closest) return c.closest[0];
  if (a.summary.declaration) return declarationCentre(a.summary.declaration);
  return o.at;
}

/** One alert as a CoT `b-a-g` event. */
export function alertEvent(a: AlertView, o: Placed): string {
  const what = a.summary.conflict
    ? conflictTitle(a.summary.conflict)
    : a.summary.declaration
      ? (a.summary.declaration.properties.label ?? a.summary.declaration.properties.id)
      : `${a.subject_type.replace(/_/g, ' ')} ${a.subject}`;
  const lines = [
    `Alert ${a.id} (${a.precedence}): ${a.subject_type.replace(/_/g, ' ')} ${a.subject}`,
    `Status ${a.status}, level ${a.level.replace(/_/g, ' ')}${a.escalated ? ', escalated' : ''}`,
  ];
  if (a.due_at) lines.push(`Acknowledge by ${formatDtg(Date.parse(a.due_at))}`);
  if (a.starts_at) lines.push(`Activity starts ${formatDtg(Date.parse(a.starts_at))}`);
  if (a.summary.conflict) lines.push(conflictRemarks(a.summary.conflict));
  const detail = empty('__deconflict_alert', {
    id: a.id,
    subject_type: a.subject_type,
    subject: a.subject,
    precedence: a.precedence,
    status: a.status,
    level: a.level,
    due_at: a.due_at ?? undefined,
  });
  const colour = a.summary.conflict ? PALETTE.severity[a.summary.conflict.severity] : PALETTE.severity.high;
  return `${eventOpen(uidOfAlert(a.id), COT_ALERT, o, 'm-g')}${pointXml(alertPlace(a, o) ?? [0, 0])}<detail>${empty('contact', { callsign: `ALERT ${a.precedence.toUpperCase()}: ${what}` })}<remarks>${esc(lines.join('\n'))}</remarks>${detail}${empty('color', { argb: argb(colour) })}</detail></event>`;
}

/** TAK's delete of a map item that is gone (`t-x-d-d` with a link to its uid, force-deleted). */
export function removalEvent(uid: string, now: number): string {
  return `${eventOpen(uidOfRemoval(uid), COT_DELETE, { now, stale: now + 60_000 }, 'h-g-i-g-o')}${pointXml([0, 0])}<detail>${empty('link', { uid, relation: 'none', type: 'none' })}<__forcedelete/></detail></event>`;
}

/** CoT time: ISO 8601 UTC with milliseconds, as TAK writes it. */
export function cotTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The answer to a client's `t-x-c-t` ping (TAK's keep-alive): a `t-x-c-t-r` pong, stale in a
 * minute, at no position.
 */
export function pongEvent(now: number): string {
  const t = cotTime(now);
  return `<event version="2.0" uid="takPong" type="t-x-c-t-r" how="h-g-i-g-o" time="${t}" start="${t}" stale="${cotTime(now + 60_000)}">${empty('point', { lat: 0, lon: 0, hae: 9999999, ce: 9999999, le: 9999999 })}<detail/></event>`;
}
