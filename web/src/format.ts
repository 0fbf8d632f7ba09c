/**
 * Times and places as the field writes them: Zulu date-time groups beside local time, MGRS or
 * lat/lon as the user chooses, distances in metres/kilometres or nautical miles. The DTG and MGRS
 * code is the hub's own (src/field), bundled: one implementation, tested once.
 */
import { formatDtg, parseTime } from '../../src/field/dtg.ts';
import { fromMgrs, toMgrs } from '../../src/field/mgrs.ts';
import { groupThousands } from '../../src/field/units.ts';
import { state } from './store.ts';
import type { ConflictView } from './wire.ts';

export { parseTime };

/** A Zulu date-time group ("231030ZNOV26"), or "—" for none. */
export function dtg(iso: string | number | null): string {
  if (iso === null) return '—';
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  return formatDtg(t);
}

/** Local wall time, for the reader's own clock ("16:30 local"). */
export function local(iso: string | number | null): string {
  if (iso === null) return '';
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  return new Date(t).toLocaleString(undefined, {
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

/**
 * The MGRS reference, or '' where there is none: beyond its UTM part (polar), or a longitude the
 * map gives past ±180° (a pointer on a wrapped copy of the world).
 */
function mgrsOrBlank(lon: number, lat: number, digits: number): string {
  try {
    return toMgrs(wrap(lon), lat, digits);
  } catch {
    return '';
  }
}

/** A longitude within [-180, 180). */
const wrap = (lon: number): number => ((((lon + 180) % 360) + 360) % 360) - 180;

/** Lat/lon with hemispheres, to `decimals`. */
function latLon(lon: number, lat: number, decimals: number): string {
  const x = wrap(lon);
  return `${Math.abs(lat).toFixed(decimals)}°${lat >= 0 ? 'N' : 'S'} ${Math.abs(x).toFixed(decimals)}°${x >= 0 ? 'E' : 'W'}`;
}

/** A position in the user's chosen notation. */
export function place(lon: number, lat: number): string {
  if (state.settings.coords === 'mgrs') {
    const grid = mgrsOrBlank(lon, lat, 5);
    if (grid !== '') return grid;
  }
  return latLon(lon, lat, 5);
}

/**
 * A place in a name, to 10 m: MGRS with four digits per coordinate (`34T ES 2313 1111`), or
 * lat/lon to four decimals, as the user chose. Precise enough to tell two declarations apart,
 * short enough for a line of the inbox.
 */
export function placeShort(lon: number, lat: number): string {
  if (state.settings.coords === 'mgrs') {
    const grid = mgrsOrBlank(lon, lat, 4);
    if (grid !== '') return grid;
  }
  return latLon(lon, lat, 4);
}

/**
 * A window as DTGs, the second shortened to what differs from the first when month and year
 * are the same (`071000Z–071100ZDEC26`); `071000ZDEC26–open end` when it has no end.
 */
export function dtgWindow(start: string | number, end: string | number | null): string {
  const a = dtg(start);
  if (end === null) return `${a}–open end`;
  const b = dtg(end);
  const tail = a.slice(7);
  return tail === b.slice(7) && a.length === b.length ? `${a.slice(0, 7)}–${b}` : `${a}–${b}`;
}

/**
 * Read a position typed by a person: MGRS (`34TER 45678 12345`), or `lat, lon` in decimal
 * degrees (`46.153, 21.303`), or with hemispheres (`46.153N 21.303E`). Returns [lon, lat].
 */
export function readPlace(text: string): [number, number] {
  const s = text.trim();
  const hemi = /^(\d+(?:\.\d+)?)\s*°?\s*([NS])[\s,]+(\d+(?:\.\d+)?)\s*°?\s*([EW])$/i.exec(s);
  if (hemi) {
    const lat = Number(hemi[1]) * (hemi[2]?.toUpperCase() === 'S' ? -1 : 1);
    const lon = Number(hemi[3]) * (hemi[4]?.toUpperCase() === 'W' ? -1 : 1);
    return check(lon, lat);
  }
  const dec = /^(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)$/.exec(s);
  if (dec) return check(Number(dec[2]), Number(dec[1]));
  return fromMgrs(s);
}

/** [lon, lat] when both are in range, else the reason. */
function check(lon: number, lat: number): [number, number] {
  if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180))
    throw new Error('latitude within ±90, longitude within ±180');
  return [lon, lat];
}

const NM = 1852;

/** A distance in the user's units: m / km, or nautical miles. */
export function distance(m: number): string {
  if (state.settings.units === 'nautical') return `${(m / NM).toFixed(m < 10 * NM ? 2 : 1)} NM`;
  if (m < 1000) return `${Math.round(m)} m`;
  return `${(m / 1000).toFixed(m < 10_000 ? 2 : 1)} km`;
}

/** "4:59" — minutes and seconds left to a deadline ("-0:12" once passed). */
export function countdown(dueIso: string | null, now = Date.now()): string {
  if (dueIso === null) return '';
  const left = Math.round((Date.parse(dueIso) - now) / 1000);
  const a = Math.abs(left);
  const hms =
    a >= 3600
      ? `${Math.floor(a / 3600)}:${pad(Math.floor((a % 3600) / 60))}:${pad(a % 60)}`
      : `${Math.floor(a / 60)}:${pad(a % 60)}`;
  return left < 0 ? `-${hms}` : hms;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An altitude band as people read it: metres, or feet when the user chose nautical units. */
export function altitudeText(a: { lower_m: number; upper_m: number; reference?: string }): string {
  const ref = a.reference ?? 'AMSL';
  if (state.settings.units === 'nautical') {
    const ft = (m: number) => groupThousands(Math.round(m / 0.3048 / 10) * 10);
    return `${ft(a.lower_m)}–${ft(a.upper_m)} ft ${ref}`;
  }
  return `${groupThousands(Math.round(a.lower_m))}–${groupThousands(Math.round(a.upper_m))} m ${ref}`;
}

/**
 * Whether the hub gave a conflict's window to the hour: it does whenever the other side is hidden
 * from this party, so the window does not tell when the hidden declaration starts or ends.
 */
export function toTheHour(c: Pick<ConflictView, 'a' | 'b'>): boolean {
  return 'hidden' in c.a || 'hidden' in c.b;
}

/** A conflict's line under its rule: its distance (`(overlap)` at 0 m, none when hidden) and window. */
export function conflictReach(c: Pick<ConflictView, 'a' | 'b' | 'window' | 'distance_m'>): string {
  const apart =
    c.distance_m !== undefined ? `${distance(c.distance_m)}${c.distance_m === 0 ? ' (overlap)' : ''} · ` : '';
  return `${apart}${conflictWindow(c)}`;
}

/** A conflict's window as DTGs ("open end" when it has none), marked when given to the hour. */
export function conflictWindow(c: Pick<ConflictView, 'a' | 'b' | 'window'>): string {
  const w = `${dtg(c.window.start)}–${c.window.end === null ? 'open end' : dtg(c.window.end)}`;
  return toTheHour(c) ? `${w} (to the hour)` : w;
}
