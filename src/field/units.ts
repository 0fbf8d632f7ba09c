/**
 * Distances for people: `0 m`, `0.3 m`, `850 m`, `1.25 km`, `12.4 km`, `1,234 km`. The precision
 * falls with the magnitude; a non-zero distance never reads as `0 m`.
 */

/** Groups the digits of a non-negative integer by thousands with `,`: `1234567` → `1,234,567`. */
export function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Formats a distance in metres:
 * - `0 m` for exactly zero;
 * - below 1 m, one decimal (`0.3 m`), and `< 0.1 m` for anything under 0.05 m, so that a
 *   non-zero distance is never shown as zero;
 * - below 1 km, whole metres (`850 m`);
 * - below 10 km, km with 2 decimals (`1.25 km`);
 * - below 100 km, km with 1 decimal (`12.4 km`);
 * - from 100 km, whole km grouped by thousands (`1,234 km`).
 * The unit is chosen after rounding, so 999.7 m reads `1.00 km`, not `1000 m`. Throws a
 * RangeError for a negative or non-finite distance.
 */
export function formatDistance(m: number): string {
  if (!Number.isFinite(m) || m < 0) throw new RangeError(`not a distance in metres: ${m}`);
  if (m === 0) return '0 m';
  const decimetres = Math.round(m * 10);
  if (decimetres < 10) return decimetres === 0 ? '< 0.1 m' : `0.${decimetres} m`;
  const metres = Math.round(m);
  if (metres < 1000) return `${metres} m`;
  const tens = Math.round(m / 10);
  if (tens < 1000) return `${Math.floor(tens / 100)}.${String(tens % 100).padStart(2, '0')} km`;
  const hundreds = Math.round(m / 100);
  if (hundreds < 1000) return `${Math.floor(hundreds / 10)}.${hundreds % 10} km`;
  return `${groupThousands(Math.round(m / 1000))} km`;
}
