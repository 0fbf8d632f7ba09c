/**
 * The map: MapLibre GL with the offline style (style.ts, basemap.ts), showing what features.ts
 * makes of the store — declarations with their buffers to scale, open conflicts, the picture at
 * the time of the time bar (declarations outside their window dimmed), the Declare panel's draft
 * and dry run — and click-to-select, click-to-draw (drawing.ts), and flying to what a panel asks.
 *
 * The map fills the console under the side panel, which floats over its right-hand side: every
 * view the console chooses (the first view, a focus, a drawn geometry) is fitted into the part
 * of the map left uncovered, by padding MapLibre's fitBounds on the right by the panel's width.
 * The first view frames the party's theatre (features.ts `theatreBounds`) once the first load is
 * in, and marks the map element `data-view="theatre"`.
 */
import type { FeatureCollection } from 'geojson';
import maplibregl, { type GeoJSONSource, type MapMouseEvent } from 'maplibre-gl';
import { h } from '../dom.ts';
import { place } from '../format.ts';
import type { Pos } from '../geo/path.ts';
import { type Box, bboxOf } from '../geo/shapes.ts';
import { on, select, state } from '../store.ts';
import type { ConflictView, TermFeature } from '../wire.ts';
import { agreementDraftFeatures, agreementFeatures, termPositions } from './agreements.ts';
import type { AgreementDraft, Draft, Geometry, MapApi } from './api.ts';
import { loadBasemap } from './basemap.ts';
import { Drawer } from './drawing.ts';
import {
  boundsOf,
  declarationFeatures,
  draftFeatures,
  focusFeatures,
  type GF,
  geometryBounds,
  openConflictFeatures,
  previewFeatures,
  type Target,
  theatreBounds,
} from './features.ts';
import { loadOperatorBasemap } from './overlay-basemap.ts';
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
/** A drawn geometry smaller than this on screen (px) is brought closer when shown. */
const TOO_SMALL_PX = 24;

/** The map as the console's wiring uses it: what the panels may ask, and the first view. */
export interface ConsoleMapApi extends MapApi {
  /** Frame the party's theatre, once the first load is in (unless the user moved the map). */
  showTheatre(): void;
}

/**
 * The console's map in `el`; `covering` gives the elements floating over it (the side panel),
 * whose width on the map's right is left out of every view the console fits.
 */
export function createMap(el: HTMLElement, covering: () => readonly HTMLElement[] = () => []): ConsoleMapApi {
  return new ConsoleMap(el, covering);
}

/** Space kept around a fitted view (px), and the part of the map the side panel covers. */
export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The map and what it shows. */
class ConsoleMap implements ConsoleMapApi {
  private readonly map: maplibregl.Map;
  private readonly el: HTMLElement;
  private readonly covering: () => readonly HTMLElement[];
  private readonly scale: maplibregl.ScaleControl;
  private readonly coords = h('div.map-coords.mono', { 'data-testid': 'map-coords' });
  private readonly drawer: Drawer;
  private readonly reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  private loaded = false;
  /** The first view has been fitted to the theatre (or the user or a panel moved the map). */
  private fitted = false;
  /** The first load is in: frame the theatre as soon as the style has loaded. */
  private theatreWanted = false;
  private userMoved = false;
  private highlight: Target | null = null;
  private pending: { target: Target; until: number } | null = null;
  private draft: Draft | null = null;
  private preview: readonly ConflictView[] = [];
  private agreementDraft: AgreementDraft | null = null;

  /** Create the MapLibre map in `el` and follow the store. */
  constructor(el: HTMLElement, covering: () => readonly HTMLElement[]) {
    this.el = el;
    this.covering = covering;
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

  /**
   * Bring a geometry (with its buffer, and other points to show with it) into the uncovered
   * part of the map: the view moves when some of it is outside, or when it is too small to see.
   */
  bringIntoView(g: Geometry, buffer_m: number, also: readonly Pos[] = []): void {
    const b = geometryBounds(g, buffer_m, also);
    if (!b || !this.loaded) return;
    this.userMoved = true;
    this.fitted = true;
    if (this.shownWell(b)) return;
    this.fly(b, 15);
  }

  /** Show the Agreements panel's draft. */
  setAgreementDraft(d: AgreementDraft | null): void {
    this.agreementDraft = d;
    this.renderAgreements();
  }

  /** Bring terms into the uncovered part of the map (unless shown well already). */
  showTerms(terms: readonly TermFeature[]): void {
    const b = bboxOf(termPositions(terms));
    if (!b || !this.loaded) return;
    this.userMoved = true;
    this.fitted = true;
    if (!this.shownWell(b)) this.fly(b, 15);
  }

  /** Frame the party's theatre, now or once the style has loaded. */
  showTheatre(): void {
    this.theatreWanted = true;
    this.frameTheatre();
  }

  /** Load, images, pointer and clicks. */
  private listenToMap(): void {
    const map = this.map;
    map.on('styleimagemissing', (e: { id: string }) => this.addImage(e.id));
    map.on('load', () => {
      this.loaded = true;
      for (const c of [COLORS.own, COLORS.other])
        for (const p of ['hatch', 'xhatch']) this.addImage(`${p}:${c}`);
      void loadBasemap(map);
      // The operator's own base map, if the hub serves one (overlay-basemap.ts).
      void loadOperatorBasemap(map);
      this.renderAll();
      this.frameTheatre();
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
    on('agreements', () => {
      this.renderAgreements();
      // A breach's term is drawn glowing once its agreement is held.
      this.renderConflicts();
    });
    on('time', () => {
      this.renderAgreements();
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
        this.renderAgreements();
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
    this.renderAgreements();
    this.renderDeclarations();
    this.renderConflicts();
    this.renderPreview();
    this.put('draft', draftFeatures(this.draft));
    this.renderFocus();
    this.drawer.redraw();
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

  /** The agreements in force, proposed or signed, and the one being drafted. */
  private renderAgreements(): void {
    if (this.loaded)
      this.put('agr', [...agreementFeatures(), ...agreementDraftFeatures(this.agreementDraft)]);
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

  /**
   * The padding that keeps a fitted view in the uncovered part of the map: a margin all round,
   * and on the right the width of whatever floats over the map there (the side panel).
   */
  private padding(margin: number): Padding {
    const m = this.el.getBoundingClientRect();
    let right = 0;
    for (const c of this.covering()) {
      const r = c.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.left >= m.right || r.bottom <= m.top || r.top >= m.bottom)
        continue;
      right = Math.max(right, m.right - Math.max(r.left, m.left));
    }
    // Never pad away the whole map (a narrow window): keep at least a third of it.
    right = Math.min(right, Math.max(0, m.width - 2 * margin - m.width / 3));
    return { top: margin, bottom: margin, left: margin, right: right + margin };
  }

  /** A margin around fitted views: up to `max` px, less on a small map. */
  private margin(max: number, share: number): number {
    return Math.min(max, Math.floor(Math.min(this.el.clientWidth, this.el.clientHeight) / share));
  }

  /** Whether a box is inside the uncovered part of the map and large enough to see. */
  private shownWell(b: Box): boolean {
    const pad = this.padding(0);
    const sw = this.map.project([b[0], b[1]]);
    const ne = this.map.project([b[2], b[3]]);
    const [w, h] = [this.el.clientWidth, this.el.clientHeight];
    const inside = sw.x >= 0 && ne.x <= w - pad.right && ne.y >= 0 && sw.y <= h;
    return inside && Math.max(ne.x - sw.x, sw.y - ne.y) >= TOO_SMALL_PX;
  }

  /** Move the map to a box, animated unless the user prefers reduced motion. */
  private fly(b: Box, maxZoom = 15): void {
    this.map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: this.padding(this.margin(80, 6)), maxZoom, duration: this.reduced ? 0 : 700 },
    );
  }

  /** The first view: the party's theatre, once asked for and loaded (unless the user moved). */
  private frameTheatre(): void {
    if (!this.theatreWanted || !this.loaded || this.fitted) return;
    this.fitted = true;
    const b = theatreBounds();
    if (b && !this.userMoved) {
      this.map.fitBounds(
        [
          [b[0], b[1]],
          [b[2], b[3]],
        ],
        { padding: this.padding(this.margin(40, 8)), maxZoom: 14, duration: 0 },
      );
    }
    this.el.dataset.view = 'theatre';
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
  // Top left: the side panel floats over the right-hand side.
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  const w = window as unknown as { deconflict?: Record<string, unknown> };
  w.deconflict = { ...w.deconflict, map };
  return map;
}
