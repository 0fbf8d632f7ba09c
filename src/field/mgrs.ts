/**
 * MGRS grid references for people (`33T WN 12345 67890`), through the `mgrs` package. That
 * package covers the UTM part of MGRS only, 80° S to 84° N: {@link toMgrs} returns `''` beyond
 * (callers fall back to latitude/longitude), and polar (UPS) references are rejected by
 * {@link fromMgrs}.
 */
import mgrs from 'mgrs';
import { DeconflictError } from '../errors.ts';

// `mgrs` is a CommonJS (UMD) bundle whose exports Node cannot name statically, so
// `import { forward } from 'mgrs'` fails at run time; the default import is its module object.
const { forward, toPoint } = mgrs;

/** Southern limit of the UTM part of MGRS (degrees). */
export const MGRS_MIN_LAT = -80;
/** Northern limit of the UTM part of MGRS (degrees). */
export const MGRS_MAX_LAT = 84;

function invalidArgument(message: string): DeconflictError {
  return new DeconflictError([{ code: 'invalid_argument', feature: null, path: '', message }]);
}

/**
 * The MGRS reference of `[lon, lat]` with `digits` digits per coordinate (5 = 1 m, 4 = 10 m, …,
 * 0 = the 100 km square), grouped with spaces: `33T WN 12345 67890`, `33T WN` for 0 digits.
 * Digits are truncated, not rounded, so the reference names the cell containing the point.
 * Returns `''` north of 84° N or south of 80° S, where MGRS uses the polar (UPS) grid, which
 * this module does not support. Throws `invalid_argument` for a longitude outside [-180, 180],
 * a latitude outside [-90, 90], or `digits` not an integer 0–5.
 */
export function toMgrs(lon: number, lat: number, digits = 5): string {
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw invalidArgument(`longitude out of range [-180, 180]: ${lon}`);
  }
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw invalidArgument(`latitude out of range [-90, 90]: ${lat}`);
  }
  if (!Number.isInteger(digits) || digits < 0 || digits > 5) {
    throw invalidArgument(`MGRS digits must be an integer from 0 to 5: ${digits}`);
  }
  if (lat > MGRS_MAX_LAT || lat < MGRS_MIN_LAT) return '';
  // The library computes the zone as floor((lon + 180) / 6) + 1, which rounds to the
  // non-existent zone 61 for longitudes a few ulps below 180°; those points are 180° itself.
  const compact = forward([Math.floor((lon + 180) / 6) >= 60 ? 180 : lon, lat], digits);
  const m = /^(\d{1,2}[C-X])([A-Z]{2})(\d*)$/.exec(compact);
  if (!m || Number.parseInt(m[1] as string, 10) > 60 || (m[3] as string).length !== 2 * digits) {
    // Not expected from the library; better an error than a wrong grid reference.
    throw invalidArgument(`cannot convert ${lon},${lat} to MGRS (got ${JSON.stringify(compact)})`);
  }
  const numbers = m[3] as string;
  const parts = [m[1] as string, m[2] as string];
  if (digits > 0) parts.push(numbers.slice(0, digits), numbers.slice(digits));
  return parts.join(' ');
}

// Latitude bands C–X (no I, O), 8° each from 80° S, X being 12° (72°–84° N).
const BANDS = 'CDEFGHJKLMNPQRSTUVWX';
// 100 km column letters by zone set (zone mod 3) and row letters; I and O are never used.
const COLUMN_SETS = ['STUVWXYZ', 'ABCDEFGH', 'JKLMNPQR'] as const;
const ROWS = 'ABCDEFGHJKLMNPQRSTUV';

const MGRS_RE = /^(\d{1,2}) *([A-Z]) *([A-Z])([A-Z]) *(\d*)(?: +(\d+))?$/;

/**
 * The centre `[lon, lat]` of the cell an MGRS reference names, e.g. `33T WN 12345 67890`,
 * `33TWN1234567890` or `33twn 123 678` (spaces and case are free; 0 to 5 digits per
 * coordinate). Throws `invalid_argument` on anything that is not a UTM-area MGRS reference:
 * bad syntax, zone outside 1–60, a band, column or row letter that does not exist (or, for
 * the column, does not belong to the zone), an odd number of digits, polar (UPS) references,
 * and references whose cell lies far outside their zone or latitude band.
 */
export function fromMgrs(s: string): [lon: number, lat: number] {
  if (typeof s !== 'string') throw invalidArgument(`not an MGRS reference: ${String(s)}`);
  const bad = (why: string) => invalidArgument(`not an MGRS reference (${why}): ${JSON.stringify(s)}`);
  const m = MGRS_RE.exec(s.trim().toUpperCase());
  if (!m) throw bad('expected e.g. 33T WN 12345 67890');
  const [, zoneText, band, column, row, first, second] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const zone = Number(zoneText);
  if (zone < 1 || zone > 60) throw bad('zone must be 1 to 60');
  const bandIndex = BANDS.indexOf(band);
  if (bandIndex < 0) throw bad(`no latitude band ${band}; polar references are not supported`);
  if (!(COLUMN_SETS[zone % 3] as string).includes(column)) {
    throw bad(`column letter ${column} is not used in zone ${zone}`);
  }
  if (!ROWS.includes(row)) throw bad(`no row letter ${row}`);
  let easting: string;
  let northing: string;
  if (second === undefined) {
    if (first.length % 2 !== 0) throw bad('easting and northing need the same number of digits');
    easting = first.slice(0, first.length / 2);
    northing = first.slice(first.length / 2);
  } else {
    if (first.length !== second.length) {
      throw bad('easting and northing need the same number of digits');
    }
    easting = first;
    northing = second;
  }
  if (easting.length > 5) throw bad('at most 5 digits per coordinate');

  let point: [number, number];
  try {
    point = toPoint(`${zone}${band}${column}${row}${easting}${northing}`);
  } catch {
    throw bad('no such grid square');
  }
  let [lon, lat] = point;
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) throw bad('no such grid square');

  // The cell must lie in (or, for a partial 100 km square, next to) its band and zone.
  // Tolerance: one 100 km square, about 1° of latitude.
  const south = MGRS_MIN_LAT + 8 * bandIndex;
  const north = band === 'X' ? MGRS_MAX_LAT : south + 8;
  if (lat < south - 1 || lat > north + 1) throw bad(`the cell is outside latitude band ${band}`);
  const centralMeridian = 6 * zone - 183;
  // Zones 31–37 are widened in bands V and X (Norway, Svalbard) to up to 6° from the meridian.
  const halfWidth = (band === 'V' || band === 'X') && zone >= 31 && zone <= 37 ? 6 : 3;
  const slack = 100_000 / (111_320 * Math.max(Math.cos((lat * Math.PI) / 180), 0.01));
  if (Math.abs(lon - centralMeridian) > halfWidth + slack) {
    throw bad(`the cell is outside zone ${zone}`);
  }
  // Partial squares at the antimeridian: keep the longitude in [-180, 180].
  if (lon > 180) lon -= 360;
  else if (lon < -180) lon += 360;
  return [lon, lat];
}
