/**
 * Cursor-on-Target types, MIL-STD-2525D symbol codes and colours for declarations: the one table
 * both directions read (encode.ts writes it, decode.ts reads it back).
 *
 * Every type and SIDC below is the one ../shared field conventions name (FIELD-CONVENTIONS.md,
 * "MIL-STD-2525D / APP-6D point symbols" and "Cursor on Target"):
 * - hospital `a-.-G-I-X-H`, school `a-.-G-I-c-sch`, religious `a-.-G-I-c-rel`, ground unit
 *   `a-.-G-U`, spot marker `b-m-p-s-m`, route `b-m-r`, drawn polygon or line `u-d-f`, circle
 *   `u-d-c-c`, geofence breach alert `b-a-g`;
 * - SIDCs: Medical Treatment Facility `10042000001207020000`, School `10042000001204020000`,
 *   Religious Institution `10042000001210040000`, civilian organisation + NGO
 *   `10041100001104001400`, land unit `10031000000000000000`, Point or Single Target
 *   `10062500002406010000`.
 * Categories the conventions give no installation type for (cultural, civilian infrastructure,
 * diplomatic, detention, other) take the generic installation `a-.-G-I`, the parent of the
 * hospital, school and religious types in the CoT type tree.
 *
 * Affiliation follows the viewer, as the console does: the caller's own declarations are friend
 * (`a-f-…`, SIDC identity 3), every other party's neutral (`a-n-…`, identity 4) — never hostile
 * by default, this is a deconfliction tool. A strike is a fire, not a unit: it is a spot marker
 * carrying the Point or Single Target SIDC (in the viewer's identity) for clients that draw
 * `__milsym`.
 *
 * Colours are CoT's signed 32-bit ARGB integers, the console's palette (web/src/map/style.ts):
 * own blue, others green, conflicts alone in the severity colours, so red always means a conflict.
 */
import type { Kind, SiteCategory } from '../../engine/types.ts';

/** CoT affiliation letter: friend or neutral (the hub never draws a party as hostile). */
export type Affiliation = 'f' | 'n';

/** The viewer's frame: its own party friend, every other neutral. */
export function affiliationOf(owner: string, viewer: string): Affiliation {
  return owner === viewer ? 'f' : 'n';
}

/** SIDC with its standard identity digit (the 4th) set for the affiliation. */
function sidc(code: string, a: Affiliation): string {
  return `${code.slice(0, 3)}${a === 'f' ? '3' : '4'}${code.slice(4)}`;
}

/** The CoT type of an installation (protected site shown as a point) of a category. */
const SITE_TYPES: Partial<Record<SiteCategory, string>> = {
  medical: 'G-I-X-H',
  school: 'G-I-c-sch',
  religious: 'G-I-c-rel',
  own_forces: 'G-U',
};

const SITE_SIDCS: Partial<Record<SiteCategory, string>> = {
  medical: '10042000001207020000',
  school: '10042000001204020000',
  religious: '10042000001210040000',
  humanitarian: '10041100001104001400',
  own_forces: '10031000000000000000',
};

const STRIKE_SIDC = '10062500002406010000';

/** Shape types (drawn by TAK from `<link point>` vertices; a circle from `<shape><ellipse>`). */
export const COT_ROUTE = 'b-m-r';
export const COT_SHAPE = 'u-d-f';
export const COT_CIRCLE = 'u-d-c-c';
export const COT_SPOT = 'b-m-p-s-m';
export const COT_ALERT = 'b-a-g';
export const COT_DELETE = 't-x-d-d';

/** The CoT type and SIDC of a declaration drawn as a point. */
export function pointSymbol(
  kind: Kind,
  category: SiteCategory | undefined,
  a: Affiliation,
): { type: string; sidc?: string } {
  if (kind === 'protected_site') {
    const t = (category && SITE_TYPES[category]) ?? 'G-I';
    const code = category && SITE_SIDCS[category];
    return { type: `a-${a}-${t}`, ...(code && { sidc: sidc(code, a) }) };
  }
  if (kind === 'strike') return { type: COT_SPOT, sidc: sidc(STRIKE_SIDC, a) };
  // A restricted zone around a point is drawn as its circle (encode.ts); no point symbol.
  return { type: COT_SPOT };
}

/**
 * What a CoT type means without the hub's own detail element: only types whose meaning is a
 * declaration beyond doubt. A hospital, school or house of worship marker is a protected site of
 * that category; a route is a movement. Anything else (a drawn shape, a generic marker, a unit)
 * is not a declaration the importer may guess: decode.ts refuses it as `cot_unmapped`.
 */
export function kindOfType(type: string): { kind: Kind; category?: SiteCategory } | null {
  if (type === COT_ROUTE) return { kind: 'movement' };
  const m = /^a-[a-z]-(G-I-X-H|G-I-c-sch|G-I-c-rel)$/.exec(type);
  if (!m) return null;
  const category = (Object.keys(SITE_TYPES) as SiteCategory[]).find((c) => SITE_TYPES[c] === m[1]);
  return category ? { kind: 'protected_site', category } : null;
}

/** An ARGB colour as CoT writes it: a signed 32-bit integer. */
export function argb(hex: string, alpha = 0xff): number {
  return (alpha << 24) | Number.parseInt(hex.slice(1), 16) | 0;
}

/** The console's colours (web/src/map/style.ts COLORS). */
export const PALETTE = {
  own: '#4ea1ff',
  other: '#5ccf7f',
  severity: { critical: '#ff3b3b', high: '#ff9f1a', medium: '#f2d024', low: '#b98cff' },
} as const;

/** Fill opacity of areas: a quarter, so the map under them still reads. */
export const FILL_ALPHA = 0x40;
