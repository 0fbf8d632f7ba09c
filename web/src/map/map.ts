/**
 * The map: MapLibre GL with the offline style (style.ts, basemap.ts), showing what features.ts
 * makes of the store — declarations with their buffers to scale, open conflicts, the picture at
 * the time of the time bar (declarations outside their window dimmed), the Declare panel's draft
 * and dry run — and click-to-select, click-to-draw (drawing.ts), and flying to what a panel asks.
 */
import type { FeatureCollection } from 'geojson';
import maplibregl, { type GeoJSONSource, type MapMouseEvent } from 'maplibre-gl';
import { h } from '../dom.ts';
import { place } from '../format.ts';
import type { Pos } from '../geo/path.ts';
import type { Box } from '../geo/shapes.ts';
import { on, select, state } from '../store.ts';
import type { ConflictView } from '../wire.ts';
import type { Draft, Geometry, MapApi } from './api.ts';
import { loadBasemap } from './basemap.ts';
import { Drawer } from './drawing.ts';
import {
  boundsOf,
  declarationFeatures,
  draftFeatures,
  focusFeatures,
  type GF,
  openConflictFeatures,
  pictureBounds,
  previewFeatures,
  type Target,
} from './features.ts';
import { hovering, pick } from './pick.ts';
import { COLORS, type SourceId, style } from './style.ts';
import { makeImage } from './symbols.ts';

/** The demo scenario's area (Arad, Romania): where the map opens before anything is loaded. */
const DEMO_BOUNDS: [Pos, Pos] = [
  [21.2, 46.1],
  [21.4, 46.25],
];
/** How long a focus waits for its target to arrive (a conflict just announced, say). */
const FOCUS_WAIT_MS = 15_000;

/** The console's map in `el`. */
export function createMap(el: HTMLElement): MapApi {
  return new ConsoleMap(el);
}

/** The map and what it shows. */
class ConsoleMap implements MapApi {
  private readonly map: maplibregl.Map;
  private readonly el: HTMLElement;
  private readonly scale: maplibregl.ScaleControl;
  private readonly coords = h('div.map-coords.mono', { 'data-testid': 'map-coords' });
  private readonly drawer: Drawer;
  private readonly reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  private loaded = false;
  /** The first view has been fitted to the picture (or the user or a panel moved the map). */
  private fitted = false;
  private userMoved = false;
  private highlight: Target | null = null;
  private pending: { target: Target; until: number } | null = null;
  private draft: Draft | null = null;
  private preview: readonly ConflictView[] = [];

  /** Create the MapLibre map in `el` and follow the store. */
  constructor(el: HTMLElement) {
    this.el = el;
    this.map = newMapLibre(el);
    this.scale = new maplibregl.ScaleControl({ maxWidth: 120, unit: state.settings.units });
    this.map.addControl(this.scale, 'bottom-left');
    const hint = h('div.map-hint', { hidden: true, role: 'status' });
    el.append(this.coords, hint);
    this.drawer = new Drawer(this.map, el, hint, (f) => this.put('drawing', f));
    this.listenToMap();
    this.followStore();
    new ResizeObserver(() => this.map.resize()).observe(el);
  }

  /** Fly to a declaration or a conflict and highlight it, once it is held (within 15 s). */
  focus(target: Target): void {
    this.pending = { target, until: Date.now() + FOCUS_WAIT_MS };
    this.userMoved = true;
    this.retryFocus();
  }

  /** Let the user draw a geometry. */
  draw(mode: Geometry['type']): Promise<Geometry | null> {
    return this.drawer.start(mode);
  }

  /** Show the Declare panel's draft. */
  setDraft(d: Draft | null): void {
    this.draft = d;
    this.put('draft', draftFeatures(d));
  }

  /** Show a dry run's conflicts. */
  setPreview(conflicts: readonly ConflictView[]): void {
    this.preview = conflicts;
    this.renderPreview();
  }

  /** Load, images, pointer and clicks. */
  private listenToMap(): void {
    const map = this.map;
    map.on('styleimagemissing', (e: { id: string }) => this.addImage(e.id));
    map.on('load', () => {
      this.loaded = true;
      for (const c of [COLORS.own, COLORS.other, COLORS.restricted]) this.addImage(`hatch:${c}`);
      void loadBasemap(map);
      this.renderAll();
    });
    map.on('dragstart', () => {
      this.userMoved = true;
    });
    map.on('wheel', () => {
      this.userMoved = true;
    });
    map.on('click', (e) => this.clicked(e));
    map.on('mousemove', (e) => this.moved(e));
    map.on('mouseout', () => {
      this.coords.textContent = '';
    });
  }

  /** Redraw what each change of the store touches. */
  private followStore(): void {
    on('declarations', () => this.renderAll());
    on('conflicts', () => {
      this.renderConflicts();
      this.renderFocus();
      this.retryFocus();
    });
    on('time', () => {
      this.renderDeclarations();
      this.renderConflicts();
      this.renderPreview();
    });
    on('settings', () => {
      this.scale.setUnit(state.settings.units);
      this.renderAll();
    });
    on('selection', () => this.selected());
    // "Now" moves with the clock: re-evaluate which declarations are live.
    setInterval(() => {
      if (state.time === null) {
        this.renderDeclarations();
        this.renderConflicts();
      }
    }, 30_000);
  }

  /** A named canvas image (symbols.ts), added the first time a layer asks for it. */
  private addImage(name: string): void {
    if (this.map.hasImage(name)) return;
    const img = makeImage(name);
    if (img) this.map.addImage(name, img.data, { pixelRatio: img.pixelRatio });
  }

  /** A click: a vertex while drawing, else select what is under it. */
  private clicked(e: MapMouseEvent): void {
    if (this.drawer.click(e)) return;
    const t = pick(this.map, e);
    if (!t) return;
    this.highlight = t;
    this.renderFocus();
    select(t.type, t.id);
  }

  /** The pointer moved: its position in the user's notation, and a hand over what a click selects. */
  private moved(e: MapMouseEvent): void {
    this.coords.textContent = place(e.lngLat.lng, e.lngLat.lat);
    if (this.drawer.move(e)) return;
    this.map.getCanvas().style.cursor = hovering(this.map, e) ? 'pointer' : '';
  }

  /** Something was selected elsewhere: highlight it (an alert: its conflict or declaration). */
  private selected(): void {
    const s = state.selection;
    if (!s) return;
    if (s.type === 'alert') {
      const a = state.alerts.get(s.id);
      if (a?.subject_type === 'conflict') this.highlight = { type: 'conflict', id: a.subject };
      else if (a?.subject_type === 'notification') this.highlight = { type: 'declaration', id: a.subject };
    } else this.highlight = { type: s.type, id: s.id };
    this.renderFocus();
  }

  /** Put features into a source, once the style has loaded. */
  private put(id: SourceId, features: GF[]): void {
    if (!this.loaded) return;
    const source = this.map.getSource(id) as GeoJSONSource | undefined;
    source?.setData({ type: 'FeatureCollection', features } as FeatureCollection);
  }

  /** Everything, then the first view and a focus still waiting. */
  private renderAll(): void {
    this.renderDeclarations();
    this.renderConflicts();
    this.renderPreview();
    this.put('draft', draftFeatures(this.draft));
    this.renderFocus();
    this.drawer.redraw();
    this.initialFit();
    this.retryFocus();
  }

  /** The declarations: geometries, buffers, symbols. */
  private renderDeclarations(): void {
    if (!this.loaded) return;
    const { decl, buffer, sym } = declarationFeatures();
    this.put('decl', decl);
    this.put('buffer', buffer);
    this.put('sym', sym);
  }

  /** The open conflicts. */
  private renderConflicts(): void {
    if (this.loaded) this.put('cf', openConflictFeatures());
  }

  /** The dry run's conflicts. */
  private renderPreview(): void {
    if (this.loaded) this.put('preview', previewFeatures(this.preview));
  }

  /** The highlight. */
  private renderFocus(): void {
    if (this.loaded)
      this.put(
        'focus',
        focusFeatures(this.highlight, (id) => this.conflictById(id)),
      );
  }

  /** A conflict held, or one of the dry run's. */
  private conflictById(id: string): ConflictView | undefined {
    return state.conflicts.get(id) ?? this.preview.find((c) => c.id === id);
  }

  /** Move the map to a box, animated unless the user prefers reduced motion. */
  private fly(b: Box, maxZoom = 15): void {
    const pad = Math.min(80, Math.floor(Math.min(this.el.clientWidth, this.el.clientHeight) / 6));
    this.map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: pad, maxZoom, duration: this.reduced ? 0 : 700 },
    );
  }

  /** The first view: the party's own declarations, once some are held (unless the user moved). */
  private initialFit(): void {
    if (this.fitted || this.userMoved || state.declarations.size === 0) return;
    this.fitted = true;
    const b = pictureBounds();
    if (!b) return;
    const pad = Math.min(40, Math.floor(Math.min(this.el.clientWidth, this.el.clientHeight) / 8));
    this.map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: pad, maxZoom: 14, duration: 0 },
    );
  }

  /** Fly to the focus asked for, if its target is held by now (forgotten after 15 s). */
  private retryFocus(): void {
    const p = this.pending;
    if (!p || !this.loaded) return;
    if (Date.now() > p.until) {
      this.pending = null;
      return;
    }
    const b = boundsOf(p.target, (id) => this.conflictById(id));
    if (!b) return;
    this.highlight = p.target;
    this.pending = null;
    this.fitted = true;
    this.renderFocus();
    this.fly(b);
  }
}

/** The MapLibre map: the offline style, no rotation or pitch, zoom buttons; exposed for the tests. */
function newMapLibre(el: HTMLElement): maplibregl.Map {
  const map = new maplibregl.Map({
    container: el,
    style: style(),
    bounds: DEMO_BOUNDS,
    fitBoundsOptions: { padding: 30 },
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  const w = window as unknown as { deconflict?: Record<string, unknown> };
  w.deconflict = { ...w.deconflict, map };
  return map;
}
