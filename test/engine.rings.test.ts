/**
 * The parser's ring checks (a ring that crosses or touches itself; rings of one polygon that
 * cross or touch each other) test only the pairs of edges a spatial index puts near each other.
 * Here they are held, through the public parser, to a brute-force reference — a copy of the loops
 * they replaced, which test every pair — on random polygons: star-shaped rings, with a spike or a
 * crossing, touching or nearly touching themselves at a vertex, with holes inside, touching,
 * nearly touching or crossing the shell and each other; in ordinary places, near the poles and
 * across the antimeridian; from edges of millimetres (about DISTANCE_TOLERANCE_M) to edges near
 * the longest accepted. Same outcome, same error detail, the same first offending pair.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { MAX_EDGE_M, parseDeclarations } from '../src/engine/declaration.ts';
import { DeconflictError, type ErrorDetail } from '../src/engine/errors.ts';
import { DISTANCE_TOLERANCE_M, edgeEdge, pointEdge } from '../src/engine/geodesy/distance.ts';
import { type Edge, lineEdges } from '../src/engine/geodesy/shape.ts';
import { inverse, lowerBoundDistance } from '../src/engine/geodesy/wgs84.ts';
import type { Position } from '../src/engine/types.ts';
import { direct } from './support/arbitraries.ts';
import { circleRing } from './support/attack-heavy.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

// --- The reference: the ring checks as they were, every pair of edges ----------------------

function refEdgesTouch(e: Edge, f: Edge): boolean {
  if (lowerBoundDistance(e.mid, f.mid) - e.len / 2 - f.len / 2 > DISTANCE_TOLERANCE_M) return false;
  return edgeEdge(e, f).d <= DISTANCE_TOLERANCE_M;
}

function refSelfIntersection(edges: readonly Edge[]): [number, number] | null {
  const n = edges.length;
  for (let i = 0; i < n; i++) {
    const e = edges[i] as Edge;
    const next = edges[(i + 1) % n] as Edge;
    if (pointEdge(next.b, e).d <= DISTANCE_TOLERANCE_M || pointEdge(e.a, next).d <= DISTANCE_TOLERANCE_M) {
      return [i, (i + 1) % n];
    }
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      if (refEdgesTouch(e, edges[j] as Edge)) return [i, j];
    }
  }
  return null;
}

/** The detail the parser must give for a polygon of these rings, or null when it must accept it. */
function reference(rings: readonly Position[][]): ErrorDetail | null {
  const refused = (r: number, message: string): ErrorDetail => ({
    code: 'ring_self_intersection',
    feature: { index: 0, id: 'zone' },
    path: `geometry.coordinates[${r}]`,
    message,
  });
  const ringEdges = rings.map((ring) => lineEdges(ring));
  for (let r = 0; r < ringEdges.length; r++) {
    const hit = refSelfIntersection(ringEdges[r] as Edge[]);
    if (hit !== null) return refused(r, `edges ${hit[0]} and ${hit[1]} of the ring cross or touch`);
  }
  for (let r = 0; r < ringEdges.length; r++) {
    for (let s = r + 1; s < ringEdges.length; s++) {
      for (const e of ringEdges[r] as Edge[]) {
        for (const f of ringEdges[s] as Edge[]) {
          if (refEdgesTouch(e, f)) return refused(s, `ring ${s} crosses or touches ring ${r}`);
        }
      }
    }
  }
  return null;
}

// --- The parser ------------------------------------------------------------------------------

/** A restricted zone whose geometry is the polygon of these rings, as a GeoJSON Feature. */
function zone(rings: readonly Position[][]): unknown {
  return {
    type: 'Feature',
    geometry: { type: 'Polygon', coordinates: rings },
    properties: { id: 'zone', kind: 'restricted_zone', party: 'alpha', start: '2026-11-23T06:00:00Z' },
  };
}

/** The parser's error details for the polygon: none when it accepts it. */
function parserDetails(rings: readonly Position[][]): readonly ErrorDetail[] {
  try {
    const [d] = parseDeclarations(zone(rings));
    assert.deepEqual(d?.geometry, { type: 'Polygon', coordinates: rings });
    return [];
  } catch (err) {
    if (!(err instanceof DeconflictError)) throw err;
    return err.details as readonly ErrorDetail[];
  }
}

/**
 * Rings that get past the checks before the ring checks (closed, four positions or more, no
 * repeated consecutive position, no vertex at a pole, no edge too long or over a pole), so that
 * the outcome is the ring checks' alone. Random rings at the largest scales or right at a pole
 * sometimes fail these; they are skipped.
 */
function pathsPass(rings: readonly Position[][]): boolean {
  return rings.every((ring) => {
    if (ring.length < 4) return false;
    for (let i = 0; i + 1 < ring.length; i++) {
      const p = ring[i] as Position;
      const q = ring[i + 1] as Position;
      if (Math.abs(p[1]) === 90 || (p[0] === q[0] && p[1] === q[1])) return false;
    }
    return lineEdges(ring).every((e) => e.len <= MAX_EDGE_M && Math.abs(e.dlon) < 179.999999);
  });
}

type Outcome = 'accepted' | 'self' | 'rings';

/** Parses the polygon, checks it against the reference and says how it went. */
function compare(rings: readonly Position[][]): Outcome {
  const expected = reference(rings);
  assert.deepEqual(parserDetails(rings), expected === null ? [] : [expected]);
  if (expected === null) return 'accepted';
  return expected.message.startsWith('edges') ? 'self' : 'rings';
}

// --- Random polygons -------------------------------------------------------------------------

const close = (open: readonly Position[]): Position[] => [...open, open[0] as Position];

/** The point `g` metres from `p` in direction `azi`; `p` itself (the same numbers) when g is 0. */
const offset = (p: Position, azi: number, g: number): Position => (g === 0 ? p : direct(p, azi, g));

interface Place {
  readonly centre: Position;
  /** The ring's largest radius (m). */
  readonly radius: number;
}

/**
 * A number spread evenly over [lo, hi) (fc.double draws evenly over the representable doubles,
 * which crowd towards zero: a gap of "0 to 4 mm" would almost always be far below 1 mm).
 */
const uniform = (lo: number, hi: number) =>
  fc.integer({ min: 0, max: 2 ** 30 - 1 }).map((i) => lo + ((hi - lo) * i) / 2 ** 30);

const arbAzi = uniform(0, 360);
const logUniform = (lo: number, hi: number) => uniform(Math.log10(lo), Math.log10(hi)).map((x) => 10 ** x);

/**
 * Radii: tiny (edges of millimetres to a few metres), ordinary, and large (with few vertices,
 * edges up to about the longest accepted).
 */
const arbRadius = fc.oneof(logUniform(0.05, 20), logUniform(100, 50_000), logUniform(1_000_000, 5_500_000));

/** Mid-latitudes; 85°–89.9° from a pole (some rings wind around it); across the antimeridian. */
const arbPlace: fc.Arbitrary<Place> = fc.oneof(
  fc
    .record({
      lon: uniform(-180, 180),
      lat: uniform(-60, 60),
      radius: arbRadius,
    })
    .map(({ lon, lat, radius }) => ({ centre: [lon, lat] as Position, radius })),
  fc
    .record({
      lon: uniform(-180, 180),
      lat: uniform(85, 89.9),
      south: fc.boolean(),
      radius: arbRadius,
    })
    .map(({ lon, lat, south, radius }) => ({ centre: [lon, south ? -lat : lat] as Position, radius })),
  fc
    .record({
      lat: uniform(-70, 70),
      east: fc.boolean(),
      frac: uniform(0, 0.9),
      radius: arbRadius,
    })
    // A centre closer to the antimeridian than the radius, so that the ring crosses it.
    .map(({ lat, east, frac, radius }) => ({
      centre: direct([180, lat], east ? 90 : 270, frac * radius),
      radius,
    })),
);

/** How to draw a star-shaped ring: vertex count, angular gaps and radii (fractions), turning. */
interface Star {
  readonly gaps: readonly number[];
  readonly radii: readonly number[];
  readonly rotation: number;
  readonly clockwise: boolean;
}

/** Star rings of 3 to 63 vertices, or 64 to `maxVertices` (a deeper index). */
const arbStar = (maxVertices = 200): fc.Arbitrary<Star> =>
  fc.oneof(fc.integer({ min: 3, max: 63 }), fc.integer({ min: 64, max: maxVertices })).chain((n) =>
    fc.record({
      gaps: fc.array(uniform(0.2, 1), { minLength: n, maxLength: n }),
      radii: fc.array(uniform(0.5, 1), { minLength: n, maxLength: n }),
      rotation: arbAzi,
      clockwise: fc.boolean(),
    }),
  );

/** The open vertex list (no closing position) of a star ring around `c` of largest radius `r`. */
function starVertices(c: Position, r: number, s: Star): Position[] {
  const total = s.gaps.reduce((a, b) => a + b, 0);
  const out: Position[] = [];
  let at = 0;
  for (let i = 0; i < s.gaps.length; i++) {
    const azi = s.rotation + ((s.clockwise ? 1 : -1) * 360 * at) / total;
    out.push(direct(c, azi, r * (s.radii[i] as number)));
    at += s.gaps[i] as number;
  }
  return out;
}

/** A change to a ring's vertex list that may make it cross or touch itself. */
type Mutation =
  | { readonly kind: 'none' }
  /** Out from vertex k along `azi` and back to a point of that edge (t of the way; 0: vertex k). */
  | {
      readonly kind: 'spike';
      readonly at: number;
      readonly azi: number;
      readonly length: number;
      readonly t: number;
    }
  /** Reverse the vertices between two positions (a 2-opt move: most often a crossing). */
  | { readonly kind: 'crossing'; readonly at: number; readonly span: number }
  /** After vertex m, visit vertex k again, or a point `gap` metres from it. */
  | {
      readonly kind: 'revisit';
      readonly at: number;
      readonly span: number;
      readonly azi: number;
      readonly gap: number;
    };

/** Gaps from 0 to a few DISTANCE_TOLERANCE_M, often exactly 0. */
const arbGap = fc.oneof(fc.constant(0), uniform(0, 4 * DISTANCE_TOLERANCE_M));
const arbFraction = uniform(0, 1);

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('spike' as const),
    at: arbFraction,
    azi: arbAzi,
    length: uniform(0.05, 1),
    t: fc.oneof(fc.constant(0), uniform(0.05, 0.95)),
  }),
  fc.record({ kind: fc.constant('crossing' as const), at: arbFraction, span: arbFraction }),
  fc.record({
    kind: fc.constant('revisit' as const),
    at: arbFraction,
    span: arbFraction,
    azi: arbAzi,
    gap: arbGap,
  }),
);

function mutate(v: readonly Position[], m: Mutation, radius: number): Position[] {
  const n = v.length;
  const out = [...v];
  switch (m.kind) {
    case 'none':
      return out;
    case 'spike': {
      const k = Math.floor(m.at * n);
      const p = v[k] as Position;
      const q = direct(p, m.azi, m.length * radius);
      out.splice(k + 1, 0, q, m.t === 0 ? p : direct(p, m.azi, m.t * m.length * radius));
      return out;
    }
    case 'crossing': {
      const i = Math.floor(m.at * n);
      const j = Math.min(n, i + 2 + Math.floor(m.span * (n - 1)));
      return [...v.slice(0, i), ...v.slice(i, j).reverse(), ...v.slice(j)];
    }
    case 'revisit': {
      const k = Math.floor(m.at * n);
      const at = (k + 2 + Math.floor(m.span * Math.max(1, n - 3))) % n;
      out.splice(at + 1, 0, offset(v[k] as Position, m.azi, m.gap));
      return out;
    }
  }
}

/**
 * A figure-of-eight: two lobes, circles of the place's radius on either side of a pinch vertex P
 * (east and west of it), drawn P → east lobe → P′ → west lobe → P, where P′ is P itself (the
 * ring touches itself there) or a point `gap` metres from it. The ring leaves P northwards on
 * both sides and comes back to P′ from the south: P′ north of P makes the lobes cross; south,
 * east or west of it, the ring passes P about `gap` away (accepted beyond DISTANCE_TOLERANCE_M).
 */
interface Pinch {
  readonly east: number;
  readonly west: number;
  readonly azi: number;
  readonly gap: number;
}

const arbPinch: fc.Arbitrary<Pinch> = fc.record({
  east: fc.oneof(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 41, max: 150 })),
  west: fc.oneof(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 41, max: 150 })),
  // North, east, south or west of P, give or take 40°.
  azi: fc.tuple(fc.constantFrom(0, 90, 180, 270), uniform(-40, 40)).map(([side, jitter]) => side + jitter),
  gap: arbGap,
});

function pinchVertices(place: Place, k: Pinch): Position[] {
  const p = place.centre;
  const lobe = (side: number, n: number): Position[] => {
    const c = direct(p, side, place.radius);
    // From P (at azimuth side + 180 seen from the lobe's centre) clockwise round to P again.
    return Array.from({ length: n }, (_, j) =>
      direct(c, side + 180 + (360 * (j + 1)) / (n + 1), place.radius),
    );
  };
  return [p, ...lobe(90, k.east), offset(p, k.azi, k.gap), ...lobe(270, k.west)];
}

/** A hole: inside the shell, at one of its vertices (touching or a gap away), or across it. */
type Hole =
  | {
      readonly kind: 'inside';
      /** Its centre: `distance` of the shell's radius from the shell's centre, along `azi`. */
      readonly azi: number;
      readonly distance: number;
      readonly scale: number;
      readonly star: Star;
    }
  | {
      readonly kind: 'touching';
      readonly at: number;
      readonly azi: number;
      readonly gap: number;
      readonly size: number;
    }
  | { readonly kind: 'across'; readonly at: number; readonly scale: number; readonly star: Star }
  /** A copy of the previous ring moved a little: it crosses or touches that ring. */
  | { readonly kind: 'shifted'; readonly azi: number; readonly by: number };

const arbHole = (maxVertices: number): fc.Arbitrary<Hole> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('inside' as const),
      azi: arbAzi,
      distance: uniform(0, 0.3),
      scale: uniform(0.05, 0.4),
      star: arbStar(maxVertices),
    }),
    fc.record({
      kind: fc.constant('touching' as const),
      at: arbFraction,
      azi: arbAzi,
      gap: arbGap,
      size: uniform(0.05, 0.3),
    }),
    fc.record({
      kind: fc.constant('across' as const),
      at: arbFraction,
      scale: uniform(0.05, 0.3),
      star: arbStar(maxVertices),
    }),
    fc.record({
      kind: fc.constant('shifted' as const),
      azi: arbAzi,
      by: logUniform(1e-4, 0.05),
    }),
  );

/** The open vertex list of a hole in the shell `shell` (open) around `place`, after `previous`. */
function holeVertices(
  h: Hole,
  place: Place,
  shell: readonly Position[],
  previous: readonly Position[],
): Position[] {
  switch (h.kind) {
    case 'inside':
      return starVertices(
        direct(place.centre, h.azi, h.distance * place.radius),
        h.scale * place.radius,
        h.star,
      );
    case 'touching': {
      // A triangle pointing from the shell's vertex k towards the centre, its tip on the vertex
      // or a gap of millimetres away.
      const p = shell[Math.floor(h.at * shell.length)] as Position;
      const { s12, azi1 } = inverse(p, place.centre);
      const d = Math.max(h.size * s12, 0.01);
      return [offset(p, h.azi, h.gap), direct(p, azi1 - 20, d), direct(p, azi1 + 20, d)];
    }
    case 'across':
      return starVertices(shell[Math.floor(h.at * shell.length)] as Position, h.scale * place.radius, h.star);
    case 'shifted':
      return previous.map((p) => direct(p, h.azi, h.by * place.radius));
  }
}

interface Drawing {
  readonly place: Place;
  readonly shell: Star;
  readonly mutation: Mutation;
  readonly holes: readonly Hole[];
}

function draw(d: Drawing): Position[][] {
  const shell = mutate(starVertices(d.place.centre, d.place.radius, d.shell), d.mutation, d.place.radius);
  const rings = [shell];
  for (const h of d.holes) rings.push(holeVertices(h, d.place, shell, rings[rings.length - 1] as Position[]));
  return rings.map(close);
}

/** Runs the comparison on random polygons; reports and returns how often each outcome came. */
function checkAll(t: TestContext, arb: fc.Arbitrary<Position[][]>): Record<Outcome, number> {
  const seen: Record<Outcome, number> = { accepted: 0, self: 0, rings: 0 };
  fc.assert(
    fc.property(arb, (rings) => {
      fc.pre(pathsPass(rings));
      seen[compare(rings)]++;
    }),
    { numRuns: RUNS },
  );
  t.diagnostic(`outcomes: ${JSON.stringify(seen)}`);
  return seen;
}

describe('ring checks against every pair', () => {
  it('star rings, with a spike, a crossing or a revisited vertex: same first offending pair', (t) => {
    const seen = checkAll(
      t,
      fc
        .record({ place: arbPlace, shell: arbStar(), mutation: arbMutation, holes: fc.constant([]) })
        .map(draw),
    );
    assert.ok(seen.accepted > 0 && seen.self > 0, JSON.stringify(seen));
  });

  it('figures of eight that touch themselves at a vertex, cross there or pass within millimetres', (t) => {
    const seen = checkAll(
      t,
      fc
        .record({
          // Lobes of every scale, and lobes of at most 5 m (edges of millimetres to metres).
          place: fc.oneof(
            arbPlace,
            arbPlace.map((p) => ({ ...p, radius: Math.min(p.radius, 5) })),
          ),
          pinch: arbPinch,
        })
        .map(({ place, pinch }) => [close(pinchVertices(place, pinch))]),
    );
    assert.ok(seen.accepted > 0 && seen.self > 0, JSON.stringify(seen));
  });

  it('polygons with holes inside, touching, nearly touching or crossing the shell and each other', (t) => {
    const seen = checkAll(
      t,
      fc
        .record({
          place: arbPlace,
          shell: arbStar(),
          mutation: fc.oneof(
            { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
            { weight: 1, arbitrary: arbMutation },
          ),
          holes: fc.array(arbHole(80), { minLength: 1, maxLength: 3 }),
        })
        .map(draw),
    );
    assert.ok(seen.accepted > 0 && seen.rings > 0, JSON.stringify(seen));
  });

  it('valid polygons with up to six holes of 80 vertices: all accepted, as by every pair', (t) => {
    // A circular shell; holes on a circle at 0.6 of its radius, each 0.12 of it: apart from
    // each other and from the shell.
    const circle = (n: number): Star => ({
      gaps: Array(n).fill(1),
      radii: Array(n).fill(1),
      rotation: 0,
      clockwise: true,
    });
    const seen = checkAll(
      t,
      fc
        .record({
          // Not tiny: a hole's edges there would be within DISTANCE_TOLERANCE_M of the next edge.
          place: arbPlace.filter((p) => p.radius >= 10),
          shell: fc.integer({ min: 64, max: 200 }).map((n) => circle(n)),
          mutation: fc.constant({ kind: 'none' as const }),
          holes: fc.integer({ min: 1, max: 6 }).map((k): Hole[] =>
            Array.from({ length: k }, (_, i) => ({
              kind: 'inside',
              azi: (360 * i) / k,
              distance: 0.6,
              scale: 0.12,
              star: circle(80),
            })),
          ),
        })
        .map(draw),
    );
    assert.deepEqual(seen, { accepted: RUNS, self: 0, rings: 0 });
  });
});

describe('ring checks where a vertex is at the widest longitude of a long edge’s reach', () => {
  // Edges leaving b due west and due east have b at the point of widest longitude of their
  // bounding balls (the ball's boundary runs along b's meridian there): the boxes must widen
  // the longitude by the cosine of the highest latitude the ball reaches, not the centre's.
  // Short edges meeting b are then found only if the long edges' boxes really hold b.
  const cases = [45, 60, 75, 85].flatMap((lat) =>
    [500_000, 2_000_000, 4_000_000].flatMap((len) => [0, 180].map((lon) => ({ lat, len, lon }))),
  );

  it('a ring that comes back to such a vertex: refused at the same pair as every pair', () => {
    for (const { lat, len, lon } of cases) {
      const b: Position = [lon, lat];
      const ring = [
        direct(b, 270, len),
        b,
        direct(b, 90, len),
        direct(b, 30, 10_000),
        b,
        direct(b, 330, 10_000),
      ];
      const rings = [close(ring)];
      assert.ok(pathsPass(rings));
      assert.equal(compare(rings), 'self', JSON.stringify({ lat, len, lon }));
    }
  });

  it('a hole that touches the shell at such a vertex: refused as every pair refuses it', () => {
    for (const { lat, len, lon } of cases) {
      const b: Position = [lon, lat];
      const shell = [direct(b, 270, len), b, direct(b, 90, len), direct(b, 180, len)];
      const hole = [b, direct(b, 30, 10_000), direct(b, 330, 10_000)];
      const rings = [close(shell), close(hole)];
      assert.ok(pathsPass(rings));
      assert.equal(compare(rings), 'rings', JSON.stringify({ lat, len, lon }));
    }
  });
});

/** circleRing's positions (GeographicLib Direct around the centre), typed. */
const circlePositions = (c: readonly [number, number], r: number, n: number): Position[] =>
  circleRing(c, r, n).map((p): Position => [p[0] as number, p[1] as number]);

describe('ring checks at the vertex limit', () => {
  it('accept a 10,000-vertex circle ring', () => {
    const ring = circlePositions([21.1, 46.1], 20_000, 10_000);
    assert.equal(ring.length, 10_000);
    assert.deepEqual(parserDetails([ring]), []);
  });

  it('refuse a 10,000-vertex circle across the antimeridian with two vertices swapped, as every pair does', () => {
    const ring = circlePositions([179.99, -16.5], 20_000, 10_000);
    const swapped = [...ring];
    [swapped[40], swapped[41]] = [ring[41] as Position, ring[40] as Position];
    const expected = reference([swapped]);
    assert.equal(expected?.message, 'edges 39 and 41 of the ring cross or touch');
    assert.deepEqual(parserDetails([swapped]), [expected]);
  });
});
