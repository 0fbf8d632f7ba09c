/**
 * Cursor-on-Target events back to declaration input features (the GeoJSON a party submits), for
 * imports. The importer maps; the engine still parses every feature strictly afterwards.
 *
 * Read: one `<event>`, an `<events>` document, or newline-separated events (the hub's `.cot`
 * export), each optionally with its own `<?xml?>` declaration, through the hub's one hardened XML
 * parser (src/formats/safe/xml.ts: no DTD, no entities). At most {@link MAX_EVENTS} events.
 *
 * Mapped:
 * - an event carrying the hub's `__deconflict` element (encode.ts): every property from it, the
 *   geometry from the event point, its `<link point>` vertices and the `<ring>`s TAK does not draw —
 *   exactly what was exported (numbers are written as their shortest round-trip decimals);
 * - without it, only a type whose meaning is a declaration beyond doubt (types.ts `kindOfType`):
 *   a hospital, school or house-of-worship marker becomes a protected site of that category at the
 *   event point, a route `b-m-r` a movement along its waypoints; the window is the event's
 *   `start` to its `stale`, the label its callsign, the notes its remarks, the id its uid when
 *   that is a valid local id (else the hub assigns one).
 * Skipped: the hub's own conflict and alert events and TAK deletes (`t-x-d-d`): conflicts are
 * recomputed by the engine on import, never taken from a file.
 * Refused, all problems at once and nothing imported: any other type (a drawn shape, a unit, a
 * marker without the hub's element) with `cot_unmapped`; a missing or non-numeric coordinate,
 * time or number with `import_bad_value`; each names the event (index and uid) and the attribute.
 */
import type { Static } from 'typebox';
import type { SubmissionBody } from '../../api/declarations.ts';
import { DEFAULT_LIMITS } from '../../engine/declaration.ts';
import { LOCAL_ID_PATTERN } from '../../engine/text.ts';
import type { Position } from '../../engine/types.ts';
import { DeconflictError, type ErrorCode, type ErrorDetail } from '../../errors.ts';
import { fileError, parseXml } from '../safe/xml.ts';
import { COT_DELETE, kindOfType } from './types.ts';

/** One declaration as a party writes it (the body of a submission's Feature). */
export type InputFeature = Extract<Static<typeof SubmissionBody>, { type: 'Feature' }>;
type Props = InputFeature['properties'];
type Coords = InputFeature['geometry']['coordinates'];

/** As many events as one submission may carry features. */
export const MAX_EVENTS = DEFAULT_LIMITS.maxFeatures;

const LOCAL_ID = new RegExp(LOCAL_ID_PATTERN);
const GEOMETRY_TYPES = ['Point', 'LineString', 'Polygon', 'MultiPolygon'] as const;
type GeometryType = (typeof GEOMETRY_TYPES)[number];

/** Problems of one event, collected: every problem of the file is reported at once. */
class Problems {
  readonly all: ErrorDetail[] = [];
  add(code: ErrorCode, index: number, uid: string, path: string, message: string): void {
    this.all.push({
      code,
      feature: { index, ...(uid && { id: uid }) },
      path,
      message: `event ${index}${uid ? ` (${uid})` : ''}: ${message}`,
    });
  }
}

function children(el: Element, name?: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (name === undefined || (n as Element).nodeName === name)) out.push(n as Element);
  }
  return out;
}

const attr = (el: Element | undefined, name: string): string | undefined =>
  el?.hasAttribute(name) ? (el.getAttribute(name) ?? undefined) : undefined;

/** The events of the text, in order (see the header for the layouts read). */
function eventsOf(xml: string, what: string): Element[] {
  const text = xml.replace(/^\uFEFF/, '').replace(/<\?xml\s[^>]*\?>/g, '');
  const root = parseXml(`<cot>${text}</cot>`, what).documentElement as Element;
  const events: Element[] = [];
  for (const el of children(root)) {
    if (el.nodeName === 'event') events.push(el);
    else if (el.nodeName === 'events') events.push(...children(el, 'event'));
    else throw fileError('invalid_file', what, `<${el.nodeName}> is not a CoT <event>`);
    if (events.length > MAX_EVENTS)
      throw new DeconflictError([
        {
          code: 'too_many_features',
          feature: null,
          path: '',
          message: `${what}: more than ${MAX_EVENTS} events`,
        },
      ]);
  }
  if (events.length === 0) throw fileError('invalid_file', what, 'no CoT <event> in the file');
  return events;
}

/** Events for the map only, never declarations: the hub's conflicts and alerts, deletes. */
function skipped(ev: Element, detail: Element | undefined): boolean {
  if (attr(ev, 'type') === COT_DELETE) return true;
  return (
    detail !== undefined && children(detail).some((c) => /^__deconflict_(conflict|alert)$/.test(c.nodeName))
  );
}

/**
 * Declaration input features of every event that is one (see the header); throws a
 * {@link DeconflictError} listing every event that cannot be mapped.
 */
export function cotToFeatures(xml: string, what = 'CoT'): InputFeature[] {
  const problems = new Problems();
  const features: InputFeature[] = [];
  eventsOf(xml, what).forEach((ev, index) => {
    const detail = children(ev, 'detail')[0];
    if (skipped(ev, detail)) return;
    const f = mapEvent(ev, detail, index, problems);
    if (f) features.push(f);
  });
  if (problems.all.length > 0) throw new DeconflictError(problems.all);
  return features;
}

function mapEvent(
  ev: Element,
  detail: Element | undefined,
  index: number,
  problems: Problems,
): InputFeature | null {
  const uid = attr(ev, 'uid') ?? '';
  const type = attr(ev, 'type') ?? '';
  const before = problems.all.length;
  const bad = (path: string, message: string) => problems.add('import_bad_value', index, uid, path, message);
  const number = (el: Element | undefined, name: string, path: string): number => {
    const s = attr(el, name);
    const n = s === undefined || s.trim() === '' ? Number.NaN : Number(s);
    if (!Number.isFinite(n))
      bad(`${path}.${name}`, `${name} must be a number, got ${JSON.stringify(s ?? null)}`);
    return n;
  };
  const point = children(ev, 'point')[0];
  const at = (): Position => [number(point, 'lon', 'event.point'), number(point, 'lat', 'event.point')];
  const parsePoints = (text: string, path: string): Position[] =>
    text
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map((s, i) => {
        const [lat, lon] = s.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
        if (!Number.isFinite(lat) || !Number.isFinite(lon)) {
          bad(`${path}[${i}]`, `"${s}" is not "lat,lon"`);
          return [0, 0] as Position;
        }
        return [lon as number, lat as number] as Position;
      });
  const links = (): Position[] =>
    (detail ? children(detail, 'link') : [])
      .filter((l) => l.hasAttribute('point'))
      .flatMap((l, i) => parsePoints(attr(l, 'point') ?? '', `event.detail.link[${i}].point`));

  if (!point) bad('event.point', 'no <point>');
  const own = detail ? children(detail, '__deconflict')[0] : undefined;
  let feature: InputFeature | null;
  if (own) feature = fromOwn(own, at, links, parsePoints, bad);
  else {
    const mapped = kindOfType(type);
    if (!mapped) {
      problems.add(
        'cot_unmapped',
        index,
        uid,
        'event.type',
        `type "${type}" is no declaration kind the hub maps without its __deconflict detail (a hospital, school or religious site marker, or a b-m-r route)`,
      );
      return null;
    }
    const props: Record<string, unknown> = { kind: mapped.kind };
    if (LOCAL_ID.test(uid)) props.id = uid;
    if (mapped.category) props.category = mapped.category;
    const start = attr(ev, 'start') ?? attr(ev, 'time');
    const stale = attr(ev, 'stale');
    if (start === undefined) bad('event.start', 'no start or time');
    else props.start = start;
    if (stale !== undefined) props.end = stale;
    const callsign = attr(detail ? children(detail, 'contact')[0] : undefined, 'callsign');
    if (callsign) props.label = callsign;
    const remarks = detail ? children(detail, 'remarks')[0]?.textContent?.trim() : undefined;
    if (remarks) props.notes = remarks;
    const geometry =
      mapped.kind === 'movement'
        ? { type: 'LineString' as const, coordinates: links() as Coords }
        : { type: 'Point' as const, coordinates: at() as unknown as Coords };
    feature = { type: 'Feature', geometry, properties: props as Props };
  }
  return problems.all.length === before ? feature : null;
}

/** A feature from the hub's own `__deconflict` element. */
function fromOwn(
  d: Element,
  at: () => Position,
  links: () => Position[],
  parsePoints: (text: string, path: string) => Position[],
  bad: (path: string, message: string) => void,
): InputFeature | null {
  const path = 'event.detail.__deconflict';
  const get = (name: string) => attr(d, name);
  const words = (name: string): string[] | undefined =>
    get(name)
      ?.split(' ')
      .filter((w) => w !== '');
  const num = (name: string): number | undefined => {
    const s = get(name);
    if (s === undefined) return undefined;
    const n = s.trim() === '' ? Number.NaN : Number(s);
    if (!Number.isFinite(n)) bad(`${path}.${name}`, `${name} must be a number, got ${JSON.stringify(s)}`);
    return n;
  };

  const gtype = get('geometry') as GeometryType | undefined;
  if (!gtype || !GEOMETRY_TYPES.includes(gtype)) {
    bad(
      `${path}.geometry`,
      `geometry must be one of ${GEOMETRY_TYPES.join(', ')}, got ${JSON.stringify(gtype ?? null)}`,
    );
    return null;
  }
  let coordinates: Coords;
  if (gtype === 'Point') coordinates = at() as unknown as Coords;
  else if (gtype === 'LineString') coordinates = links() as Coords;
  else {
    const polygons: Position[][][] = [[links()]];
    children(d, 'ring').forEach((r, k) => {
      const pi = Number(attr(r, 'polygon'));
      const ri = Number(attr(r, 'index'));
      if (
        !Number.isInteger(pi) ||
        pi < 0 ||
        !Number.isInteger(ri) ||
        ri < 0 ||
        pi > MAX_EVENTS ||
        ri > MAX_EVENTS
      ) {
        bad(`${path}.ring[${k}]`, 'polygon and index must be non-negative integers');
        return;
      }
      if (polygons[pi] === undefined) polygons[pi] = [];
      (polygons[pi] as Position[][])[ri] = parsePoints(attr(r, 'points') ?? '', `${path}.ring[${k}].points`);
    });
    // Dense arrays only: a missing ring is a gap the engine would not see.
    const dense = (xs: readonly unknown[]) => Array.from(xs, (x) => x !== undefined).every(Boolean);
    if (!dense(polygons) || !polygons.every(dense)) {
      bad(`${path}.ring`, 'the rings are not numbered from 0 without gaps');
      return null;
    }
    coordinates = (gtype === 'Polygon' ? polygons[0] : polygons) as Coords;
  }

  const props: Record<string, unknown> = {};
  for (const k of ['id', 'kind', 'party', 'start', 'category', 'label', 'notes'] as const) {
    const v = get(k);
    if (v !== undefined) props[k] = v;
  }
  const end = get('end');
  if (end !== undefined) props.end = end;
  const buffer = num('buffer_m');
  if (buffer !== undefined) props.buffer_m = buffer;
  const ground = get('ground_only');
  if (ground !== undefined) {
    if (ground !== 'true' && ground !== 'false')
      bad(`${path}.ground_only`, `ground_only must be true or false, got "${ground}"`);
    props.ground_only = ground === 'true';
  }
  const lower = num('alt_lower_m');
  const upper = num('alt_upper_m');
  const reference = get('alt_reference');
  if (lower !== undefined || upper !== undefined || reference !== undefined)
    props.altitude = { lower_m: lower, upper_m: upper, reference };
  const vis = get('visibility');
  if (vis === 'parties') props.visibility = words('visible_to') ?? [];
  else if (vis !== undefined) props.visibility = vis;
  for (const k of ['notify', 'applies_to', 'schedule'] as const) {
    const w = words(k);
    if (w !== undefined) props[k] = w;
  }
  return { type: 'Feature', geometry: { type: gtype, coordinates }, properties: props as Props };
}
