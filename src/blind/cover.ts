/**
 * The H3 cover of a geometry widened by a reach: a superset of every H3 cell at a resolution
 * that the geometry, widened by `reach_m` metres (geodesic, WGS 84; a polygon's inside included,
 * its holes not), touches. Blind matching relies on it: if two declarations are within the sum
 * of their reaches, some point m of the geodesic between their closest points is within each
 * one's reach, the cell of m is touched by both widened shapes, and so it is in both covers.
 *
 * Method: a flood fill over the H3 grid. Seeds: the cell of every vertex of the geometry (every
 * part: the point, each line, each ring of each polygon). From each cell in the cover, each
 * neighbour (`gridDisk(c, 1)`) not yet tested is tested once and joins the cover when
 *
 *     dist(centre of the cell, shape) ≤ reach_m + R_c,
 *
 * with the engine's geodesic distance (GeographicLib; 0 inside a polygon, holes outside), and
 * R_c = 1.02 × (the largest WGS 84 geodesic distance from the cell's centre to its boundary
 * vertices, `cellToBoundary`) + 1 m ({@link cellRadius}).
 *
 * Why R_c bounds the distance from the centre to every point of the cell. An H3 cell is, in
 * latitude/longitude read as spherical coordinates, a spherical polygon with great-circle edges
 * (straight lines in the gnomonic projection of an icosahedron face; a cell across two faces is
 * two such pieces, and `cellToBoundary` lists the vertices of both, including where its edges
 * meet the face edge). Each piece is geodesically convex and small, and the spherical distance
 * from a point has no interior maximum along a great-circle arc, so over the cell it is greatest
 * at a vertex. The WGS 84 metric, ds² = M² dφ² + N² cos²φ dλ², and the sphere's, R² (dφ² +
 * cos²φ dλ²), differ at each point by a factor between M/R and N/R, and M/N lies in [1 − e², 1]:
 * the factor varies with direction and latitude (across a cell) by less than 1.01. So for any
 * point p of the cell and its farthest vertex v (spherically), dist(c, p) ≤ k_max σ(c, p) ≤
 * k_max σ(c, v) ≤ (k_max / k_min) dist(c, v) < 1.01 max_v dist(c, v); the factor 1.02 and the
 * extra metre leave room for that, for the rounding of H3's vertices and for the engine's
 * 0.1 mm (its distances are between actual points, found to 0.1 mm of the closest ones).
 *
 * Why the flood fill finds every touched cell. (1) A touched cell passes the test: if m is a
 * point of cell C within reach of the shape, dist(c, shape) ≤ dist(c, m) + dist(m, shape) ≤
 * R_c + reach. (2) The cells touched by one part of the geometry widened by the reach form an
 * edge-connected set: the widened part W is connected (a connected part, and each point within
 * reach joined to it by a geodesic inside W); the cells are closed and tile the sphere; if the
 * touched cells split into two groups with no cell of one sharing a point with a cell of the
 * other, the two unions would be disjoint closed sets covering W, each meeting it, which a
 * connected W does not allow. And two H3 cells that share a point share an edge (exactly three
 * cells meet at each vertex of the grid, pentagons included, each two of them along an edge),
 * that is, they are `gridDisk(·, 1)` neighbours. (3) The seed (the cell of one of the part's
 * vertices) is touched. So the fill, which walks from the seed through every cell that passes,
 * reaches every touched cell of every part. (Were a vertex a few nanometres outside the cell
 * `latLngToCell` gives it, the same holds for W widened by a centimetre, which the extra metre
 * of R_c absorbs.) Seeds are put in the cover without the test: they are touched.
 *
 * Over-report: every cell of the cover (seeds too) has its centre within reach + R_c of the
 * shape, so two covers (reaches rA, rB) that share a cell c mean the shapes are at most
 * rA + rB + 2 R_c apart. At resolution 8, R_c is 0.5–0.6 km (the largest seen in the tests: 594 m).
 *
 * Cost: one point-to-shape distance per cell tested, that is the cells of the shape widened by
 * reach + R_c and one ring around them; R_c is computed once per cell per call. A cover larger
 * than `maxCells` is refused (RangeError) rather than built.
 *
 * The antimeridian and the poles need nothing special: H3's grid has no seam and the engine's
 * distances are global.
 *
 * Platform-free: imports only the engine and h3-js.
 */
import { cellToBoundary, cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import { shapeDistanceWithin } from '../engine/geodesy/distance.ts';
import { type Shape, toShape } from '../engine/geodesy/shape.ts';
import { distance } from '../engine/geodesy/wgs84.ts';
import type { Geometry, Position } from '../engine/types.ts';

/** Factor on the largest centre-to-vertex distance (ellipsoid versus H3's sphere, with room). */
const RADIUS_FACTOR = 1.02;
/** Metres added to every cell radius (rounding, the engine's 0.1 mm, a vertex on a cell edge). */
const RADIUS_MARGIN_M = 1;

/** The centre of a cell as a position ([lon, lat]). */
function centreOf(cell: string): Position {
  const [lat, lng] = cellToLatLng(cell);
  return [lng, lat];
}

/**
 * R_c: a bound on the WGS 84 geodesic distance from the cell's centre to any point of the cell:
 * 1.02 × the largest distance from the centre to a boundary vertex, + 1 m (see the module
 * comment for why).
 */
export function cellRadius(cell: string): number {
  const c = centreOf(cell);
  let far = 0;
  for (const [lat, lng] of cellToBoundary(cell)) far = Math.max(far, distance(c, [lng, lat]));
  return RADIUS_FACTOR * far + RADIUS_MARGIN_M;
}

/** The largest {@link cellRadius} of `cells` (0 for none). */
export function maxCellRadius(cells: Iterable<string>): number {
  let r = 0;
  for (const cell of cells) r = Math.max(r, cellRadius(cell));
  return r;
}

/** Every vertex of every part of the geometry: the seeds of the fill. */
function vertices(g: Geometry): readonly Position[] {
  switch (g.type) {
    case 'Point':
      return [g.coordinates];
    case 'LineString':
      return g.coordinates;
    case 'Polygon':
      return g.coordinates.flat();
    case 'MultiPolygon':
      return g.coordinates.flat(2);
  }
}

/**
 * A superset of the H3 cells at `resolution` that `geometry` widened by `reach_m` metres touches
 * (geodesic, WGS 84), sorted. Throws a RangeError when the cover would hold more than
 * `maxCells` cells.
 */
export function coverCells(
  geometry: Geometry,
  reach_m: number,
  resolution: number,
  maxCells = 100_000,
): string[] {
  if (!(Number.isFinite(reach_m) && reach_m >= 0)) {
    throw new RangeError(`reach must be a finite number of metres ≥ 0, got ${reach_m}`);
  }
  if (!(Number.isInteger(resolution) && resolution >= 0 && resolution <= 15)) {
    throw new RangeError(`H3 resolution must be a whole number from 0 to 15, got ${resolution}`);
  }
  if (!(Number.isInteger(maxCells) && maxCells >= 1)) {
    throw new RangeError(`maxCells must be a whole number ≥ 1, got ${maxCells}`);
  }
  const shape: Shape = toShape(geometry);
  const tested = new Set<string>();
  const cover: string[] = [];
  const stack: string[] = [];
  const tooLarge = (): RangeError =>
    new RangeError(
      `the cover is too large: more than ${maxCells} H3 cells at resolution ${resolution} ` +
        `for this geometry widened by ${reach_m} m`,
    );
  const add = (cell: string): void => {
    cover.push(cell);
    stack.push(cell);
    if (cover.length > maxCells) throw tooLarge();
  };
  const passes = (cell: string): boolean => {
    const limit = reach_m + cellRadius(cell);
    const centre = toShape({ type: 'Point', coordinates: centreOf(cell) });
    return shapeDistanceWithin(centre, shape, limit) !== null;
  };

  for (const [lng, lat] of vertices(geometry)) {
    const seed = latLngToCell(lat, lng, resolution);
    if (tested.has(seed)) continue;
    tested.add(seed);
    add(seed);
  }
  while (stack.length > 0) {
    const cell = stack.pop() as string;
    for (const n of gridDisk(cell, 1)) {
      if (tested.has(n)) continue;
      tested.add(n);
      if (passes(n)) add(n);
    }
  }
  return cover.sort();
}
