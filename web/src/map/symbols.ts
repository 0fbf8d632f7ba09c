/**
 * The map's images, drawn on canvases in the browser (no sprite sheet, no request): protected-site
 * emblems by category, MIL-STD-2525D symbols from milsymbol, hatch patterns and route arrows.
 * Each image has a name that says how to draw it, so the map can create it the first time a layer
 * asks for it (`styleimagemissing`):
 *
 * - `site:<category>` — a protected-site emblem (medical red cross, school, religious, the Blue
 *   Shield for cultural property, humanitarian shelter, civil-defence triangle, …);
 * - `ms:<sidc>` — a milsymbol point symbol, padded so that its anchor is the image centre;
 * - `mono:<sidc>:<#rrggbb>` — the same in one colour with a dark outline (control measures such
 *   as a strike's target are thin black lines in the standard: unreadable on a dark map);
 * - `hatch:<#rrggbb>` — a diagonal hatch of fully opaque strokes on a transparent tile, so
 *   overlapping hatched areas read as one (opaque over opaque looks the same): airspace;
 * - `xhatch:<#rrggbb>` — the same, crossed: a restricted zone;
 * - `arrow:<#rrggbb>` — a direction chevron for routes.
 */
import ms from 'milsymbol';

/** An image as MapLibre's addImage takes it. */
export interface MapImage {
  readonly data: { width: number; height: number; data: Uint8Array | Uint8ClampedArray };
  readonly pixelRatio: number;
}

const RATIO = 2;

/** A canvas of w×h CSS pixels at the images' pixel ratio, and its context scaled to match. */
function canvas(w: number, h: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const c = document.createElement('canvas');
  c.width = Math.ceil(w * RATIO);
  c.height = Math.ceil(h * RATIO);
  const ctx = c.getContext('2d') as CanvasRenderingContext2D;
  ctx.scale(RATIO, RATIO);
  return [c, ctx];
}

/** A canvas's pixels as a map image. */
function image(c: HTMLCanvasElement, pixelRatio = RATIO): MapImage {
  const ctx = c.getContext('2d') as CanvasRenderingContext2D;
  const d = ctx.getImageData(0, 0, c.width, c.height);
  return { data: { width: c.width, height: c.height, data: d.data }, pixelRatio };
}

/** The image for a name, or null when the name is not one of ours. */
export function makeImage(name: string): MapImage | null {
  const [type, arg = ''] = splitOnce(name, ':');
  if (type === 'site') return siteIcon(arg);
  if (type === 'ms') return milSymbol(arg);
  if (type === 'mono') {
    const [sidc, color] = splitOnce(arg, ':');
    return milSymbol(sidc, {
      monoColor: color,
      outlineColor: '#0a0e13',
      outlineWidth: 4,
      size: 30,
      strokeWidth: 5,
    });
  }
  if (type === 'hatch') return hatch(arg, false);
  if (type === 'xhatch') return hatch(arg, true);
  if (type === 'arrow') return arrow(arg);
  return null;
}

/** `s` split at the first `sep` (the rest is '' when there is none). */
function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

// --- Protected-site emblems -------------------------------------------------------------------

/** An emblem's size (CSS pixels), and its centre. */
const S = 30;
const m = S / 2;

/** An emblem's round background, outlined. */
function disc(ctx: CanvasRenderingContext2D, fill: string, stroke = '#fff'): void {
  ctx.beginPath();
  ctx.arc(S / 2, S / 2, S / 2 - 2, 0, Math.PI * 2);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = stroke;
  ctx.stroke();
}

/** How to draw each category's emblem on an S×S canvas (centre m). */
const EMBLEMS: Record<string, (ctx: CanvasRenderingContext2D) => void> = {
  /** The red cross on white (Geneva Conventions emblem). */
  medical: (ctx) => {
    disc(ctx, '#ffffff', '#d71920');
    ctx.fillStyle = '#d71920';
    ctx.fillRect(m - 3.5, m - 10, 7, 20);
    ctx.fillRect(m - 10, m - 3.5, 20, 7);
  },
  /** A shelter (tent) on relief blue. */
  humanitarian: (ctx) => {
    disc(ctx, '#1a7fd1');
    ctx.fillStyle = '#fff';
    ctx.beginPath();
    ctx.moveTo(m, m - 9);
    ctx.lineTo(m + 10, m + 7);
    ctx.lineTo(m - 10, m + 7);
    ctx.closePath();
    ctx.fill();
    ctx.fillStyle = '#1a7fd1';
    ctx.beginPath();
    ctx.moveTo(m, m - 1);
    ctx.lineTo(m + 3.5, m + 7);
    ctx.lineTo(m - 3.5, m + 7);
    ctx.closePath();
    ctx.fill();
  },
  /** An open book on school-crossing yellow. */
  school: (ctx) => {
    disc(ctx, '#f4c20d', '#222');
    ctx.strokeStyle = '#222';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = 1.5;
    for (const side of [-1, 1]) {
      ctx.beginPath();
      ctx.moveTo(m, m - 5);
      ctx.quadraticCurveTo(m + side * 5, m - 8, m + side * 10, m - 6);
      ctx.lineTo(m + side * 10, m + 6);
      ctx.quadraticCurveTo(m + side * 5, m + 4, m, m + 7);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
    }
  },
  /** A place of worship: a domed building with a spire, on violet. */
  religious: (ctx) => {
    disc(ctx, '#7a4fc4');
    ctx.fillStyle = '#fff';
    ctx.fillRect(m - 8, m + 1, 16, 7);
    ctx.beginPath();
    ctx.arc(m, m + 1, 6, Math.PI, 0);
    ctx.fill();
    ctx.fillRect(m - 0.75, m - 10, 1.5, 6);
    ctx.fillRect(m - 2.5, m - 8.5, 5, 1.5);
    ctx.fillStyle = '#7a4fc4';
    ctx.fillRect(m - 1.5, m + 3, 3, 5);
  },
  /** The Blue Shield (1954 Hague Convention emblem for cultural property). */
  cultural: (ctx) => {
    const top = 4;
    const bottom = S - 3;
    const left = 6;
    const right = S - 6;
    const shield = new Path2D();
    shield.moveTo(left, top);
    shield.lineTo(right, top);
    shield.lineTo(right, m + 2);
    shield.quadraticCurveTo(right, bottom - 4, m, bottom);
    shield.quadraticCurveTo(left, bottom - 4, left, m + 2);
    shield.closePath();
    ctx.fillStyle = '#fff';
    ctx.fill(shield);
    ctx.save();
    ctx.clip(shield);
    ctx.fillStyle = '#1c3f94';
    // Blue square standing on a corner, and the blue triangle above it.
    ctx.beginPath();
    ctx.moveTo(m, m - 3);
    ctx.lineTo(right + 2, m + 6);
    ctx.lineTo(m, bottom + 2);
    ctx.lineTo(left - 2, m + 6);
    ctx.closePath();
    ctx.fill();
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(right, top);
    ctx.lineTo(m, m - 6);
    ctx.closePath();
    ctx.fill();
    ctx.restore();
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 1.5;
    ctx.stroke(shield);
  },
  /** Civil defence: a blue equilateral triangle on orange. */
  civilian_infrastructure: (ctx) => {
    disc(ctx, '#f58220');
    ctx.fillStyle = '#1c3f94';
    ctx.beginPath();
    ctx.moveTo(m, m - 9);
    ctx.lineTo(m + 9, m + 7);
    ctx.lineTo(m - 9, m + 7);
    ctx.closePath();
    ctx.fill();
  },
  /** A flag on green. */
  diplomatic: (ctx) => {
    disc(ctx, '#1f7a4d');
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = 1.8;
    ctx.beginPath();
    ctx.moveTo(m - 6, m + 9);
    ctx.lineTo(m - 6, m - 9);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(m - 6, m - 9);
    ctx.lineTo(m + 8, m - 5.5);
    ctx.lineTo(m - 6, m - 1);
    ctx.closePath();
    ctx.fill();
  },
  /** Bars on grey. */
  detention: (ctx) => {
    disc(ctx, '#5b6470');
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.strokeRect(m - 8, m - 8, 16, 16);
    for (const x of [-3, 2.5]) {
      ctx.beginPath();
      ctx.moveTo(m + x, m - 8);
      ctx.lineTo(m + x, m + 8);
      ctx.stroke();
    }
  },
  /** Other: a white diamond with an exclamation mark. */
  other: (ctx) => {
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(m, 2);
    ctx.lineTo(S - 2, m);
    ctx.lineTo(m, S - 2);
    ctx.lineTo(2, m);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = '#222';
    ctx.fillRect(m - 1.5, m - 8, 3, 10);
    ctx.fillRect(m - 1.5, m + 4, 3, 3);
  },
};

/** A protected site's emblem: its category's, own forces as a friendly unit, else "other". */
function siteIcon(category: string): MapImage | null {
  if (category === 'own_forces') return milSymbol('10031000000000000000');
  const [c, ctx] = canvas(S, S);
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  (EMBLEMS[category] ?? EMBLEMS.other)?.(ctx);
  return image(c);
}

// --- MIL-STD-2525D via milsymbol --------------------------------------------------------------

/**
 * Symbols per FIELD-CONVENTIONS.md: a party's own declarations are drawn as friend (standard
 * identity 3), everyone else's as neutral (4) — never hostile: this is a deconfliction tool.
 */
export function sidcFor(kind: string, own: boolean, category?: string): string | null {
  const id = own ? '3' : '4';
  switch (kind) {
    case 'strike':
      return `100${id}2500002406010000`; // Point or Single Target
    case 'air_operation':
      return `100${id}0100001101000000`; // Military fixed-wing
    case 'movement':
      return `100${id}1000001636000000`; // Transportation unit (stand-in for a convoy)
    case 'protected_site':
      return category === 'own_forces' ? `100${id}1000000000000000` : null;
    default:
      return null;
  }
}

/** A milsymbol symbol, padded so that its anchor is the image centre (null for an invalid SIDC). */
function milSymbol(sidc: string, options: Record<string, unknown> = {}): MapImage | null {
  const sym = new ms.Symbol(sidc, {
    size: 22,
    outlineWidth: 2,
    outlineColor: 'rgba(10,14,19,0.9)',
    standard: 'APP6',
    ...options,
  });
  if (!sym.isValid()) return null;
  const src = sym.asCanvas(RATIO);
  const a = sym.getAnchor();
  const sz = sym.getSize();
  // Pad so that the symbol's anchor (its centre of reference) is the image centre.
  const w = 2 * Math.max(a.x, sz.width - a.x);
  const h = 2 * Math.max(a.y, sz.height - a.y);
  const [c, ctx] = canvas(w, h);
  if (typeof options.monoColor === 'string') {
    // A target marker: a dark disc ringed in the party's colour behind the standard's cross.
    ctx.beginPath();
    ctx.arc(w / 2, h / 2, Math.min(w, h) / 2 - 4, 0, Math.PI * 2);
    ctx.fillStyle = 'rgba(10,14,19,0.8)';
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = options.monoColor;
    ctx.stroke();
  }
  ctx.drawImage(src, w / 2 - a.x, h / 2 - a.y, sz.width, sz.height);
  return image(c);
}

// --- Patterns ---------------------------------------------------------------------------------

/** A 12-pixel tile of diagonal hatching in `color`, crossed by the other diagonal when asked. */
function hatch(color: string, crossed: boolean): MapImage {
  const T = 12;
  const c = document.createElement('canvas');
  c.width = c.height = T;
  const ctx = c.getContext('2d') as CanvasRenderingContext2D;
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = color;
  // One diagonal per tile, fully opaque pixels, wrapping at the edges.
  for (let y = 0; y < T; y++) {
    const x = T - 1 - y;
    ctx.fillRect(x, y, 1, 1);
    ctx.fillRect((x + 1) % T, y, 1, 1);
    if (crossed) {
      ctx.fillRect(y, y, 1, 1);
      ctx.fillRect((y + 1) % T, y, 1, 1);
    }
  }
  return image(c, 1);
}

/** A direction chevron in `color` with a dark outline. */
function arrow(color: string): MapImage {
  const [c, ctx] = canvas(12, 12);
  ctx.strokeStyle = '#0b0f14';
  ctx.lineWidth = 4;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const path = () => {
    ctx.beginPath();
    ctx.moveTo(3, 2);
    ctx.lineTo(9, 6);
    ctx.lineTo(3, 10);
  };
  path();
  ctx.stroke();
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  path();
  ctx.stroke();
  return image(c);
}

/** A site emblem as a data URL, for the detail panel. */
export function siteIconUrl(category: string): string {
  return dataUrl(siteIcon(category));
}

/** A named map image (see the names above) as a data URL, for the legend; '' for none. */
export function imageUrl(name: string): string {
  return dataUrl(makeImage(name));
}

/** An image as a PNG data URL at its pixel ratio's full resolution ('' for none). */
function dataUrl(img: MapImage | null): string {
  if (!img) return '';
  const c = document.createElement('canvas');
  c.width = img.data.width;
  c.height = img.data.height;
  const ctx = c.getContext('2d') as CanvasRenderingContext2D;
  ctx.putImageData(
    new ImageData(new Uint8ClampedArray(img.data.data), img.data.width, img.data.height),
    0,
    0,
  );
  return c.toDataURL();
}
