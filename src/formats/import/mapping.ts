/**
 * Records of foreign files → declaration input features: the one place where a spreadsheet row,
 * a KML placemark's data or a GeoJSON feature's properties become the strict declaration format
 * (docs/design.md §3). The importer maps; it never guesses: a value it cannot read is a coded
 * error naming the record (row as a spreadsheet numbers it, header = row 1) and the column, and the
 * engine then parses the result exactly as any submission.
 *
 * A mapping says, for each target, which column (or property) holds it: `{"label": "Site name",
 * "latitude": "Lat"}`; a value starting with `=` is a constant for every record
 * (`{"kind": "=protected_site"}`). Without one, each target is read from the column of its own
 * name or of an alias (below), in any case: so our own CSV/XLSX export, the notification-desk
 * template and GDAL's conversions of our files read back unchanged. Columns nothing maps are
 * ignored and listed in the answer.
 *
 * Values: text as given (a leading apostrophe before `=`, `+`, `-`, `@`, tab or carriage return,
 * which our exports add so that a spreadsheet never runs a cell as a formula, is removed; nothing
 * is ever evaluated); numbers by a strict grammar (`-12.5`, `1e3`; no thousands separators, no
 * decimal comma); times ISO 8601 UTC, GDAL's `2026/11/20 06:00:00+00` (UTC only) or a Zulu DTG
 * (src/field/dtg.ts), a date alone
 * (`2026-11-23`) being 00:00Z of that day for `start` and 00:00Z of the next day (the end of that
 * day) for `end`; lists `;`-separated or a JSON array; positions from WKT, else
 * latitude/longitude in decimal degrees, else MGRS (src/field/mgrs.ts, the cell's centre).
 */
import { wktToGeoJSON } from '@terraformer/wkt';
import { formatIsoUtc, parseIsoUtc } from '../../engine/time.ts';
import { DeconflictError, type ErrorCode, type ErrorDetail } from '../../errors.ts';
import { parseTime } from '../../field/dtg.ts';
import { fromMgrs } from '../../field/mgrs.ts';

/** A value as a file gives it: text (CSV, KML), or typed (XLSX cells, GeoJSON properties). */
export type Raw = string | number | boolean | Date | null | undefined | readonly unknown[] | object;

/** A GeoJSON geometry as files carry it (2D or 3D positions). */
export interface Geometry {
  readonly type: string;
  readonly coordinates: unknown;
}

/** One record of a file: where it is, its values by column (or property) name, its geometry. */
export interface SourceRecord {
  /** `row 5`, `placemark 3`, `track 1`, `feature 2`: how a person finds it in the file. */
  readonly where: string;
  readonly values: ReadonlyMap<string, Raw>;
  /** The record's own geometry (KML, GPX, GeoJSON); CSV and XLSX take it from columns. */
  readonly geometry?: Geometry | null;
}

/** What every target may be read from, by default: its own name, then these aliases. */
export const TARGETS = {
  id: ['id'],
  party: ['party'],
  kind: ['kind'],
  label: ['label', 'name'],
  category: ['category'],
  start: ['start', 'begin', 'timestamp'],
  end: ['end'],
  buffer_m: ['buffer_m'],
  altitude: ['altitude'],
  altitude_lower_m: ['altitude_lower_m'],
  altitude_upper_m: ['altitude_upper_m'],
  altitude_reference: ['altitude_reference'],
  ground_only: ['ground_only'],
  // `visible_to` first: beside it (GDAL's conversions of our KML), a `visibility` column is KML's
  // own on/off flag (-1, 0, 1), not who may see the declaration.
  visibility: ['visible_to', 'visibility'],
  notify: ['notify', 'notified_parties'],
  applies_to: ['applies_to'],
  schedule: ['schedule'],
  notes: ['notes', 'description'],
  contact: ['contact'],
  latitude: ['latitude', 'lat'],
  longitude: ['longitude', 'lon', 'long', 'lng'],
  mgrs: ['mgrs'],
  wkt: ['wkt', 'geometry_wkt'],
} as const;

export type Target = keyof typeof TARGETS;

/** target → column name, or `=constant`. */
export type Mapping = Partial<Record<Target, string>>;

/** The largest mapping read (characters of its JSON), and the most problems reported at once. */
export const MAX_MAPPING_CHARS = 4096;
export const MAX_PROBLEMS = 100;

/** Columns our exports write that are derived from others and are not read back. */
const DERIVED = new Set(['start_dtg', 'end_dtg', 'version', 'status']);

/** Problems of one import, reported all at once (the first {@link MAX_PROBLEMS}); then nothing is imported. */
export class ImportProblems {
  readonly list: ErrorDetail[] = [];
  private more = 0;
  add(code: ErrorCode, where: string, column: string | null, message: string): void {
    if (this.list.length >= MAX_PROBLEMS) {
      this.more++;
      return;
    }
    const at = column === null ? where : `${where}, column ${JSON.stringify(column)}`;
    this.list.push({ code, feature: null, path: at, message: `${at}: ${message}` });
  }
  get count(): number {
    return this.list.length + this.more;
  }
  /** Throws every problem found (with a last line counting those left out), if any. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const list =
      this.more === 0
        ? this.list
        : [
            ...this.list,
            {
              code: this.list[this.list.length - 1]?.code ?? 'import_bad_value',
              feature: null,
              path: '',
              message: `${this.more} more problems not listed (the first ${MAX_PROBLEMS} are)`,
            } satisfies ErrorDetail,
          ];
    throw new DeconflictError(list);
  }
}

/** A declaration input feature and where it came from (to name the record in engine errors). */
export interface Mapped {
  readonly feature: { type: 'Feature'; geometry: Geometry | null; properties: Record<string, unknown> };
  readonly where: string;
  /** Declaration property (first segment: `label`, `altitude`, `geometry`) → the column(s) it came from. */
  readonly columns: ReadonlyMap<string, string>;
}

/** A mapping from the request: a JSON object of known targets to column names or `=constants`. */
export function parseMapping(text: string): Mapping {
  const bad = (why: string): DeconflictError =>
    new DeconflictError([
      { code: 'invalid_request', feature: null, path: 'mapping', message: `mapping: ${why}` },
    ]);
  if (text.length > MAX_MAPPING_CHARS) throw bad(`longer than ${MAX_MAPPING_CHARS} characters`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('not JSON (an object of target → column name, e.g. {"label":"Site name"})');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('not a JSON object');
  const out: Mapping = {};
  for (const [k, v] of Object.entries(json)) {
    if (!Object.hasOwn(TARGETS, k))
      throw bad(`${JSON.stringify(k.slice(0, 60))} is not a target (${Object.keys(TARGETS).join(', ')})`);
    if (typeof v !== 'string' || v.length === 0 || v.length > 200)
      throw bad(`${k}: a column name or =constant of 1 to 200 characters`);
    out[k as Target] = v;
  }
  return out;
}

/**
 * How the columns of a file are read: each target → the column that holds it (or a constant),
 * the columns nothing reads (ignored), from the header (CSV, XLSX) or the union of property names
 * (KML, GeoJSON). A column the explicit mapping names but the file lacks is
 * `import_missing_column`.
 */
export interface Resolved {
  readonly column: ReadonlyMap<Target, string>;
  readonly constant: ReadonlyMap<Target, string>;
  readonly ignored: readonly string[];
}

export function resolveMapping(
  names: readonly string[],
  mapping: Mapping | undefined,
  problems: ImportProblems,
  what: string,
): Resolved {
  const byLower = new Map<string, string>();
  for (const n of names) if (!byLower.has(n.trim().toLowerCase())) byLower.set(n.trim().toLowerCase(), n);
  const column = new Map<Target, string>();
  const constant = new Map<Target, string>();
  for (const target of Object.keys(TARGETS) as Target[]) {
    const given = mapping?.[target];
    if (given !== undefined) {
      if (given.startsWith('=')) constant.set(target, given.slice(1));
      else {
        const found = byLower.get(given.trim().toLowerCase());
        if (found === undefined)
          problems.add(
            'import_missing_column',
            what,
            given,
            `the mapping reads ${target} from a column the file does not have`,
          );
        else column.set(target, found);
      }
      continue;
    }
    for (const alias of TARGETS[target]) {
      const found = byLower.get(alias);
      if (found !== undefined && ![...column.values()].includes(found)) {
        column.set(target, found);
        break;
      }
    }
  }
  const used = new Set(column.values());
  const ignored = names.filter((n) => !used.has(n) && !DERIVED.has(n.trim().toLowerCase()));
  return { column, constant, ignored };
}

/** What a format module hands on: the features, the columns ignored, the records skipped. */
export interface Imported {
  readonly mapped: readonly Mapped[];
  readonly ignored: readonly string[];
  readonly skipped: readonly string[];
}

/** Map records whose names are known up front (KML, GeoJSON, GPX): all, or every problem. */
export function mapAll(
  records: readonly SourceRecord[],
  mapping: Mapping | undefined,
  what: string,
  skipped: readonly string[] = [],
): Imported {
  const problems = new ImportProblems();
  const names = [...new Set(records.flatMap((r) => [...r.values.keys()]))];
  const m = resolveMapping(names, mapping, problems, what);
  problems.throwIfAny();
  const mapped: Mapped[] = [];
  for (const r of records) {
    const x = mapRecord(r, m, problems);
    if (x) mapped.push(x);
  }
  problems.throwIfAny();
  return { mapped, ignored: m.ignored, skipped };
}

/** The declaration input feature of a record, or null when its problems were added. */
export function mapRecord(r: SourceRecord, m: Resolved, problems: ImportProblems): Mapped | null {
  const before = problems.count;
  const columns = new Map<string, string>();
  const props: Record<string, unknown> = {};
  /** The raw value of a target and the column it came from (null when absent or empty). */
  const get = (t: Target): { v: Raw; col: string } | null => {
    const k = m.constant.get(t);
    if (k !== undefined) return { v: k, col: `=${k}` };
    const col = m.column.get(t);
    if (col === undefined) return null;
    const v = r.values.get(col);
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return null;
    return { v, col };
  };
  const fail = (col: string, message: string): void =>
    problems.add('import_bad_value', r.where, col === '' ? null : col, message);
  const put = (target: Target, prop: string, read: (v: Raw) => unknown, kind: string): void => {
    const g = get(target);
    if (!g) return;
    const out = read(g.v);
    if (out instanceof Refusal)
      fail(g.col, `${kind} expected, found ${show(g.v)}${out.why ? ` (${out.why})` : ''}`);
    else {
      props[prop] = out;
      columns.set(prop, g.col);
    }
  };
  put('id', 'id', text, 'an id');
  put('kind', 'kind', text, 'a declaration kind');
  put('party', 'party', text, 'a party id');
  put('label', 'label', text, 'text');
  put('category', 'category', text, 'a site category');
  put('start', 'start', (v) => time(v, 'start'), 'an ISO 8601 UTC time, a date-time group or a date');
  put('end', 'end', (v) => time(v, 'end'), 'an ISO 8601 UTC time, a date-time group or a date');
  put('buffer_m', 'buffer_m', number, 'a number of metres');
  put('ground_only', 'ground_only', boolean, 'true or false');
  put('visibility', 'visibility', visibility, '"all" or parties separated by ";"');
  put('notify', 'notify', list, 'parties separated by ";"');
  put('applies_to', 'applies_to', list, 'parties separated by ";"');
  put('schedule', 'schedule', (v) => timeList(v), 'times separated by ";"');
  notes(get('notes'), get('contact'), props, columns, fail);
  altitude(get, props, columns, fail);
  const g = geometry(r, get, fail);
  if (g) columns.set('geometry', g.col);
  if (problems.count > before) return null;
  return {
    feature: { type: 'Feature', geometry: g?.geometry ?? null, properties: props },
    where: r.where,
    columns: interned(m, columns),
  };
}

/**
 * The records of one file are read through the same few columns: one map per distinct set is
 * shared by all of them (of 100,000 rows, each with a map of its own, these were a third of what
 * the mapped rows held). At most {@link MAX_SHARED} sets per file are kept; past them, a record
 * keeps its own.
 */
const shared = new WeakMap<Resolved, Map<string, ReadonlyMap<string, string>>>();
const MAX_SHARED = 1000;

function interned(m: Resolved, columns: Map<string, string>): ReadonlyMap<string, string> {
  let maps = shared.get(m);
  if (maps === undefined) {
    maps = new Map();
    shared.set(m, maps);
  }
  const key = JSON.stringify([...columns]);
  const known = maps.get(key);
  if (known !== undefined) return known;
  if (maps.size < MAX_SHARED) maps.set(key, columns);
  return columns;
}

/** A value that cannot be read, and why (when there is more to say than the expected form). */
class Refusal {
  constructor(readonly why = '') {}
}

/** A value as a message quotes it: JSON, at most 60 characters. */
function show(v: Raw): string {
  const s = v instanceof Date ? v.toISOString() : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Our exports write `'` before a leading `=`, `+`, `-`, `@`, tab or CR (export/cells.ts). */
const NEUTRALISED = /^'[=+\-@\t\r]/;

function text(v: Raw): string | Refusal {
  if (typeof v === 'string') return NEUTRALISED.test(v) ? v.slice(1) : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return new Refusal();
}

/** Decimal numbers: an optional sign, digits with an optional fraction, an optional exponent. */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function number(v: Raw): number | Refusal {
  if (typeof v === 'number') return Number.isFinite(v) ? v : new Refusal();
  if (typeof v !== 'string') return new Refusal();
  const s = v.trim();
  if (!NUMBER.test(s)) return new Refusal(s.includes(',') ? 'no thousands separator or decimal comma' : '');
  const n = Number(s);
  return Number.isFinite(n) ? n : new Refusal();
}

function boolean(v: Raw): boolean | Refusal {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v !== 'string') return new Refusal();
  // true/false, or GDAL's 1/0 (its KML writers and CSV driver write booleans so).
  const s = v.trim().toLowerCase();
  return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : new Refusal();
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** GDAL's date-time text (its CSV and GeoJSON drivers write `2026/11/20 06:00:00+00`): UTC only. */
const GDAL_TIME = /^(\d{4})\/(\d{2})\/(\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(?:\+00(?::?00)?|Z)$/;
const DAY_MS = 86_400_000;

/** An instant as ISO 8601 UTC text (the engine parses it again: one time grammar). */
function time(v: Raw, which: 'start' | 'end'): string | Refusal {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? formatIsoUtc(v.getTime()) : new Refusal();
  if (typeof v !== 'string') return new Refusal();
  const s = v.trim();
  const date = DATE_ONLY.exec(s);
  if (date) {
    const t = parseIsoUtc(`${s}T00:00:00Z`);
    if (t === null) return new Refusal('no such date');
    return formatIsoUtc(which === 'end' ? t + DAY_MS : t);
  }
  const gdal = GDAL_TIME.exec(s);
  try {
    return formatIsoUtc(parseTime(gdal ? `${gdal[1]}-${gdal[2]}-${gdal[3]}T${gdal[4]}Z` : s));
  } catch (err) {
    return new Refusal(err instanceof DeconflictError ? (err.details[0]?.message ?? '') : '');
  }
}

/** OGR's text of a string list, as GDAL's KML writers put one: `(2:coalition,city-police)`. */
const OGR_LIST = /^\((\d{1,6}):(.*)\)$/s;

/**
 * A list: a JSON array of strings, OGR's `(n:a,b)` when it holds exactly n items (ids and times
 * hold no comma), or text separated by `;` (blank items dropped).
 */
function list(v: Raw): string[] | Refusal {
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? (v as string[]) : new Refusal();
  if (typeof v !== 'string') return new Refusal();
  const s = v.trim();
  const ogr = OGR_LIST.exec(s);
  if (ogr) {
    const items = (ogr[2] as string).split(',').map((x) => x.trim());
    if (items.length === Number(ogr[1]) && items.every((x) => x !== ''))
      return items.map((x) => text(x) as string);
  }
  if (s.startsWith('[')) {
    try {
      const a = JSON.parse(s) as unknown;
      if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return a;
    } catch {
      // not JSON: read as `;`-separated text below
    }
  }
  return s
    .split(';')
    .map((x) => text(x.trim()) as string)
    .filter((x) => x !== '');
}

function timeList(v: Raw): string[] | Refusal {
  const items = list(v);
  if (items instanceof Refusal) return items;
  const out: string[] = [];
  for (const [i, x] of items.entries()) {
    const t = time(x, 'start');
    if (t instanceof Refusal || DATE_ONLY.test(x.trim())) return new Refusal(`item ${i + 1} is not a time`);
    out.push(t);
  }
  return out;
}

/** `all`, or parties; a list of the one item `all` (GDAL's text lists of mixed columns) is `all`. */
function visibility(v: Raw): 'all' | string[] | Refusal {
  if (typeof v === 'string' && v.trim().toLowerCase() === 'all') return 'all';
  const parties = list(v);
  return Array.isArray(parties) && parties.length === 1 && parties[0] === 'all' ? 'all' : parties;
}

/** `notes`, with a `contact` column appended as its last line (the template's contact). */
function notes(
  n: { v: Raw; col: string } | null,
  c: { v: Raw; col: string } | null,
  props: Record<string, unknown>,
  columns: Map<string, string>,
  fail: (col: string, m: string) => void,
): void {
  const parts: string[] = [];
  const cols: string[] = [];
  for (const [g, prefix] of [
    [n, ''],
    [c, 'Contact: '],
  ] as const) {
    if (!g) continue;
    const t = text(g.v);
    if (t instanceof Refusal) fail(g.col, `text expected, found ${show(g.v)}`);
    else {
      parts.push(`${prefix}${t}`);
      cols.push(g.col);
    }
  }
  if (parts.length > 0) {
    props.notes = parts.join('\n');
    columns.set('notes', cols.join(', '));
  }
}

/** The altitude band: one `altitude` object (GeoJSON, JSON text) or its three columns. */
function altitude(
  get: (t: Target) => { v: Raw; col: string } | null,
  props: Record<string, unknown>,
  columns: Map<string, string>,
  fail: (col: string, m: string) => void,
): void {
  const whole = get('altitude');
  if (whole) {
    let v: unknown = whole.v;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        fail(
          whole.col,
          `an altitude band {"lower_m", "upper_m", "reference"} expected, found ${show(whole.v)}`,
        );
        return;
      }
    }
    props.altitude = v;
    columns.set('altitude', whole.col);
    return;
  }
  const lower = get('altitude_lower_m');
  const upper = get('altitude_upper_m');
  const ref = get('altitude_reference');
  if (!lower && !upper && !ref) return;
  const cols = [lower, upper, ref].filter((x) => x !== null).map((x) => x.col);
  if (!lower || !upper || !ref) {
    fail(cols.join(', '), 'an altitude band needs altitude_lower_m, altitude_upper_m and altitude_reference');
    return;
  }
  const lo = number(lower.v);
  const up = number(upper.v);
  const r = text(ref.v);
  if (lo instanceof Refusal) fail(lower.col, `a number of metres expected, found ${show(lower.v)}`);
  if (up instanceof Refusal) fail(upper.col, `a number of metres expected, found ${show(upper.v)}`);
  if (r instanceof Refusal) fail(ref.col, `AMSL or AGL expected, found ${show(ref.v)}`);
  if (lo instanceof Refusal || up instanceof Refusal || r instanceof Refusal) return;
  props.altitude = { lower_m: lo, upper_m: up, reference: r.trim().toUpperCase() };
  columns.set('altitude', cols.join(', '));
}

/** The record's geometry, else WKT, else latitude/longitude, else MGRS; positions made 2D. */
function geometry(
  r: SourceRecord,
  get: (t: Target) => { v: Raw; col: string } | null,
  fail: (col: string, m: string) => void,
): { geometry: Geometry; col: string } | null {
  if (r.geometry) return { geometry: flat(r.geometry), col: 'geometry' };
  const wkt = get('wkt');
  if (wkt) {
    if (typeof wkt.v !== 'string') {
      fail(wkt.col, `WKT expected, found ${show(wkt.v)}`);
      return null;
    }
    try {
      return { geometry: flat(wktToGeoJSON(wkt.v) as Geometry), col: wkt.col };
    } catch {
      fail(wkt.col, `not WKT: ${show(wkt.v)}`);
      return null;
    }
  }
  const lat = get('latitude');
  const lon = get('longitude');
  if (lat || lon) {
    if (!lat || !lon) {
      fail((lat ?? lon)?.col ?? '', 'a position needs both latitude and longitude');
      return null;
    }
    const y = number(lat.v);
    const x = number(lon.v);
    if (y instanceof Refusal) fail(lat.col, `a latitude in decimal degrees expected, found ${show(lat.v)}`);
    if (x instanceof Refusal) fail(lon.col, `a longitude in decimal degrees expected, found ${show(lon.v)}`);
    if (x instanceof Refusal || y instanceof Refusal) return null;
    return { geometry: { type: 'Point', coordinates: [x, y] }, col: `${lat.col}, ${lon.col}` };
  }
  const mgrs = get('mgrs');
  if (mgrs) {
    try {
      if (typeof mgrs.v !== 'string') throw new Error();
      return { geometry: { type: 'Point', coordinates: fromMgrs(mgrs.v) }, col: mgrs.col };
    } catch (err) {
      const why = err instanceof DeconflictError ? (err.details[0]?.message ?? '') : '';
      fail(mgrs.col, why || `an MGRS reference expected, found ${show(mgrs.v)}`);
      return null;
    }
  }
  fail('', 'no position: give wkt, latitude and longitude, or mgrs');
  return null;
}

/** Positions without their altitude (KML and GPX write one; a declaration's height is its band). */
function flat(g: Geometry): Geometry {
  const strip = (c: unknown): unknown =>
    Array.isArray(c) && typeof c[0] === 'number' ? c.slice(0, 2) : Array.isArray(c) ? c.map(strip) : c;
  return { type: g.type, coordinates: strip(g.coordinates) };
}
