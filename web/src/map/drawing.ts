/**
 * Click-to-draw on the map, for the Declare panel: a click places a point or adds a vertex; a
 * double-click or Enter finishes a line or polygon; Backspace undoes a vertex; Escape cancels.
 * The map passes its clicks and pointer moves here first (`click`, `move`) while a drawing is
 * under way, so that they do not select anything.
 */
import type { Map as MapLibre, MapMouseEvent } from 'maplibre-gl';
import type { Pos } from '../geo/path.ts';
import type { Geometry } from './api.ts';
import { drawingFeatures, type GF } from './features.ts';

/** A drawing under way. */
interface Drawing {
  mode: Geometry['type'];
  pts: Pos[];
  cursor: Pos | null;
  resolve: (g: Geometry | null) => void;
}

/** Positions to a micro-degree (about 10 cm): what a click can mean. */
const round = (p: Pos): Pos => [Math.round(p[0] * 1e6) / 1e6, Math.round(p[1] * 1e6) / 1e6];

/** The drawing interaction of one map. */
export class Drawer {
  private drawing: Drawing | null = null;
  private readonly map: MapLibre;
  private readonly el: HTMLElement;
  private readonly hint: HTMLElement;
  private readonly render: (features: GF[]) => void;

  /** Draw on `map` (in `el`), telling the user what to do in `hint`; `render` shows the shape. */
  constructor(map: MapLibre, el: HTMLElement, hint: HTMLElement, render: (features: GF[]) => void) {
    this.map = map;
    this.el = el;
    this.hint = hint;
    this.render = render;
    map.on('dblclick', (e: MapMouseEvent) => {
      if (!this.drawing) return;
      e.preventDefault();
      this.finish();
    });
    window.addEventListener('keydown', (e) => this.key(e), true);
  }

  /** Let the user draw a geometry; resolves with it, or null when cancelled. */
  start(mode: Geometry['type']): Promise<Geometry | null> {
    if (this.drawing) this.end(null);
    return new Promise<Geometry | null>((resolve) => {
      this.drawing = { mode, pts: [], cursor: null, resolve };
      this.map.doubleClickZoom.disable();
      this.map.getCanvas().style.cursor = 'crosshair';
      this.el.classList.add('drawing');
      this.showHint();
      this.redraw();
    });
  }

  /** A click on the map: a vertex while drawing (true), else not ours (false). */
  click(e: MapMouseEvent): boolean {
    if (!this.drawing) return false;
    this.addVertex(e);
    return true;
  }

  /** The pointer moved: the shape follows it while drawing (true), else not ours (false). */
  move(e: MapMouseEvent): boolean {
    if (!this.drawing) return false;
    this.drawing.cursor = [e.lngLat.lng, e.lngLat.lat];
    this.redraw();
    return true;
  }

  /** Show the shape drawn so far (nothing when not drawing). */
  redraw(): void {
    const d = this.drawing;
    this.render(d ? drawingFeatures(d.mode, d.pts, d.cursor) : []);
  }

  /** Add the clicked position, unless it is the second click of a double-click. */
  private addVertex(e: MapMouseEvent): void {
    const d = this.drawing;
    if (!d) return;
    const last = d.pts[d.pts.length - 1];
    if (last) {
      const a = this.map.project(last);
      if (Math.hypot(a.x - e.point.x, a.y - e.point.y) < 4) return;
    }
    d.pts.push(round([e.lngLat.lng, e.lngLat.lat]));
    if (d.mode === 'Point') {
      this.finish();
      return;
    }
    this.showHint();
    this.redraw();
  }

  /** What to do next, over the map (hidden when not drawing). */
  private showHint(): void {
    const d = this.drawing;
    this.hint.hidden = !d;
    if (!d) return;
    const n = d.pts.length;
    const need = d.mode === 'Polygon' ? 3 : 2;
    this.hint.textContent =
      d.mode === 'Point'
        ? 'Click the map to place the point · Esc cancels'
        : `${d.mode === 'Polygon' ? 'Polygon' : 'Line'}: click to add vertices (${n}${n < need ? ` of at least ${need}` : ''}) · double-click or Enter to finish · Backspace undoes · Esc cancels`;
  }

  /** Stop drawing, resolving with the geometry (null: cancelled). */
  private end(g: Geometry | null): void {
    const d = this.drawing;
    if (!d) return;
    this.drawing = null;
    this.map.doubleClickZoom.enable();
    this.map.getCanvas().style.cursor = '';
    this.el.classList.remove('drawing');
    this.showHint();
    this.redraw();
    d.resolve(g);
  }

  /** Finish the geometry, if it has enough vertices for its type. */
  private finish(): void {
    const d = this.drawing;
    if (!d) return;
    const pts = d.pts;
    if (d.mode === 'Point') {
      if (pts[0]) this.end({ type: 'Point', coordinates: pts[0] });
    } else if (d.mode === 'LineString') {
      if (pts.length >= 2) this.end({ type: 'LineString', coordinates: pts });
    } else if (pts.length >= 3) this.end({ type: 'Polygon', coordinates: [[...pts, pts[0] as Pos]] });
  }

  /** Escape cancels; Enter finishes and Backspace or Delete undoes, unless typing in a field. */
  private key(e: KeyboardEvent): void {
    const d = this.drawing;
    if (!d) return;
    const t = e.target as HTMLElement | null;
    const typing = !!t?.closest('input, textarea, select, [contenteditable]');
    if (e.key === 'Escape') this.end(null);
    else if (e.key === 'Enter' && !typing) this.finish();
    else if ((e.key === 'Backspace' || e.key === 'Delete') && !typing) {
      d.pts.pop();
      this.showHint();
      this.redraw();
    } else return;
    e.preventDefault();
    e.stopPropagation();
  }
}
