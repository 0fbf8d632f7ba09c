/**
 * Mapbox Vector Tiles (MVT 2.1) written by hand, for tests only: enough of the protobuf encoding
 * (varints, zigzag, length-delimited fields, packed repeated fields) and of the geometry commands
 * (MoveTo, LineTo, ClosePath, with zigzag deltas) to turn a GeoJSON FeatureCollection into the
 * tiles of a small archive. Features are not clipped to their tile: a feature goes into every
 * tile its box touches, whole, which MVT allows (coordinates may lie outside the extent) and
 * which a city's few features keep small. Read back by an independent decoder
 * (@mapbox/vector-tile) and by MapLibre in the browser tests.
 *
 * Properties: strings, finite numbers (integers as sint64, others as double) and booleans; the
 * GeoJSON property `layer` names the tile layer the feature goes into and is not written.
 */
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';

/** The tile's coordinate space: 4096 units a side, as most producers write. */
export const EXTENT = 4096;

/** A growing protobuf message. */
class Writer {
  private bytes: number[] = [];
  varint(v: number): this {
    let n = v;
    while (n >= 0x80) {
      this.bytes.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.bytes.push(n);
    return this;
  }
  /** A field's key: its number and wire type. */
  key(field: number, wire: 0 | 1 | 2): this {
    return this.varint(field * 8 + wire);
  }
  uint(field: number, v: number): this {
    return this.key(field, 0).varint(v);
  }
  message(field: number, body: Uint8Array): this {
    this.key(field, 2).varint(body.length);
    for (const b of body) this.bytes.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.message(field, new TextEncoder().encode(s));
  }
  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  packed(field: number, values: readonly number[]): this {
    const w = new Writer();
    for (const v of values) w.varint(v);
    return this.message(field, w.done());
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);
const command = (id: 1 | 2 | 7, count: number): number => (id & 0x7) | (count << 3);

/** Web Mercator: a lon/lat as fractional tile coordinates at zoom z. */
export function project([lon, lat]: Position, z: number): [number, number] {
  const n = 2 ** z;
  const phi = ((lat as number) * Math.PI) / 180;
  return [
    (((lon as number) + 180) / 360) * n,
    ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n,
  ];
}

/** The tiles [x, y] at zoom z that a box [w, s, e, n] touches. */
export function tilesOf(box: readonly number[], z: number): [number, number][] {
  const [x0, y0] = project([box[0] as number, box[3] as number], z).map(Math.floor) as [number, number];
  const [x1, y1] = project([box[2] as number, box[1] as number], z).map(Math.floor) as [number, number];
  const out: [number, number][] = [];
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) out.push([x, y]);
  return out;
}

/** The box [w, s, e, n] of a geometry. */
export function boxOf(g: Geometry): [number, number, number, number] {
  const b: [number, number, number, number] = [180, 90, -180, -90];
  const visit = (c: unknown): void => {
    if (typeof (c as number[])[0] === 'number') {
      const [x, y] = c as [number, number];
      b[0] = Math.min(b[0], x);
      b[1] = Math.min(b[1], y);
      b[2] = Math.max(b[2], x);
      b[3] = Math.max(b[3], y);
    } else for (const d of c as unknown[]) visit(d);
  };
  if (g.type !== 'GeometryCollection') visit(g.coordinates);
  return b;
}

/** A geometry's commands in the tile (z, x, y): its MVT type and command integers. */
function geometry(g: Geometry, z: number, x: number, y: number): { type: 1 | 2 | 3; cmds: number[] } {
  const at = (p: Position): [number, number] => {
    const [px, py] = project(p, z);
    return [Math.round((px - x) * EXTENT), Math.round((py - y) * EXTENT)];
  };
  const cmds: number[] = [];
  let cx = 0;
  let cy = 0;
  const path = (points: [number, number][], close: boolean) => {
    points.forEach(([px, py], i) => {
      if (i === 0) cmds.push(command(1, 1));
      else if (i === 1) cmds.push(command(2, points.length - 1));
      cmds.push(zigzag(px - cx), zigzag(py - cy));
      cx = px;
      cy = py;
    });
    if (close) cmds.push(command(7, 1));
  };
  switch (g.type) {
    case 'Point':
      path([at(g.coordinates)], false);
      return { type: 1, cmds };
    case 'LineString':
      path(g.coordinates.map(at), false);
      return { type: 2, cmds };
    case 'Polygon':
      for (const [i, ring] of g.coordinates.entries()) {
        // The closing vertex is implied by ClosePath; the outer ring winds with positive area in
        // tile coordinates (clockwise on screen), holes the other way (MVT 2.1 §4.3.4.4).
        let pts = ring.slice(0, -1).map(at);
        const area = pts.reduce((a, [px, py], k) => {
          const [qx, qy] = pts[(k + 1) % pts.length] as [number, number];
          return a + px * qy - qx * py;
        }, 0);
        if ((i === 0) !== area > 0) pts = pts.reverse();
        path(pts, true);
      }
      return { type: 3, cmds };
    default:
      throw new Error(`mvt: ${g.type} is not written`);
  }
}

/** One tile (z, x, y) of the features, in layers named by their `layer` property. */
export function encodeTile(fc: FeatureCollection, z: number, x: number, y: number): Uint8Array {
  const byLayer = new Map<string, Feature[]>();
  for (const f of fc.features) {
    if (!f.geometry) continue;
    const [w, s, e, n] = boxOf(f.geometry);
    const [x0, y0] = project([w, n], z);
    const [x1, y1] = project([e, s], z);
    if (x1 < x || x0 >= x + 1 || y1 < y || y0 >= y + 1) continue;
    const name = String(f.properties?.layer);
    byLayer.set(name, [...(byLayer.get(name) ?? []), f]);
  }
  const tile = new Writer();
  for (const [name, features] of byLayer) {
    const keys: string[] = [];
    const values: string[] = [];
    const encodedValues: Uint8Array[] = [];
    const layer = new Writer().uint(15, 2).string(1, name);
    features.forEach((f, i) => {
      const tags: number[] = [];
      for (const [k, v] of Object.entries(f.properties ?? {})) {
        if (k === 'layer' || v === null || v === undefined) continue;
        let ki = keys.indexOf(k);
        if (ki < 0) ki = keys.push(k) - 1;
        const id = `${typeof v}:${String(v)}`;
        let vi = values.indexOf(id);
        if (vi < 0) {
          vi = values.push(id) - 1;
          const w = new Writer();
          if (typeof v === 'string') w.string(1, v);
          else if (typeof v === 'boolean') w.uint(7, v ? 1 : 0);
          else if (Number.isInteger(v)) w.uint(6, zigzag(v as number));
          else w.double(3, v as number);
          encodedValues.push(w.done());
        }
        tags.push(ki, vi);
      }
      const { type, cmds } = geometry(f.geometry as Geometry, z, x, y);
      const feature = new Writer()
        .uint(1, i + 1)
        .packed(2, tags)
        .uint(3, type)
        .packed(4, cmds);
      layer.message(2, feature.done());
    });
    for (const k of keys) layer.string(3, k);
    for (const v of encodedValues) layer.message(4, v);
    layer.uint(5, EXTENT);
    tile.message(3, layer.done());
  }
  return tile.done();
}
