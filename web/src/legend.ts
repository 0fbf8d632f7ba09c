/**
 * The map's legend: what each symbol, colour and line style means — the parties' affiliations,
 * the declarations' symbols and area styles, the conflicts' severities, the dry run, the draft
 * and what is outside its window. Collapsible (key `l`), open or closed as the user left it in
 * this browser, dark and dim enough for a night watch.
 *
 * Every sample is drawn with the map's own colours (style.ts `COLORS`) and images (symbols.ts),
 * so the legend cannot drift from the map it explains.
 */
import { h } from './dom.ts';
import { COLORS, SEVERITIES } from './map/style.ts';
import { imageUrl, sidcFor } from './map/symbols.ts';
import { registerKey } from './shell.ts';

const KEY = 'deconflict.legend';
/** A line-style sample's size (CSS px). */
const W = 34;
const H = 16;

/** The legend, to float over the map (its state kept in this browser). */
export function legend(): HTMLDetailsElement {
  const el = h(
    'details.legend',
    { 'data-testid': 'legend', open: localStorage.getItem(KEY) === 'open' },
    h('summary', { title: 'What the map shows (l)' }, 'Legend'),
    h(
      'div.legend-body',
      null,
      section('Conflicts', conflicts()),
      section('Parties', parties()),
      section('Declarations', declarations()),
      section('Agreements', agreements()),
      section('Protected sites', sites(), true),
      section('Also', others()),
    ),
  );
  el.addEventListener('toggle', () => localStorage.setItem(KEY, el.open ? 'open' : 'closed'));
  registerKey('l', () => {
    el.open = !el.open;
  });
  return el;
}

/** A titled list of samples (in two columns when short). */
function section(title: string, rows: HTMLElement[], twoColumns = false): HTMLElement {
  return h('section', null, h('h4', null, title), h(twoColumns ? 'ul.legend-two' : 'ul', null, rows));
}

/** One row: a sample and what it means. */
function row(sample: HTMLElement, text: string, key?: string): HTMLElement {
  return h('li', key ? { dataset: { legend: key } } : null, h('span.legend-sample', null, sample), text);
}

/** A map image (symbols.ts name) as a sample. */
function icon(name: string): HTMLElement {
  return h('img', { src: imageUrl(name), alt: '' });
}

/** A sample drawn on a small canvas. */
function sample(draw: (ctx: CanvasRenderingContext2D) => void): HTMLCanvasElement {
  const c = h('canvas', { width: W * 2, height: H * 2 });
  c.style.width = `${W}px`;
  c.style.height = `${H}px`;
  const ctx = c.getContext('2d');
  if (ctx) {
    ctx.scale(2, 2);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    draw(ctx);
  }
  return c;
}

/** A box outline, optionally filled with a hatch or a faint colour. */
function box(
  color: string,
  o: { dash?: number[]; width?: number; hatch?: 'single' | 'cross'; fill?: number },
) {
  return sample((ctx) => {
    if (o.fill) {
      ctx.globalAlpha = o.fill;
      ctx.fillStyle = color;
      ctx.fillRect(3, 3, W - 6, H - 6);
      ctx.globalAlpha = 1;
    }
    if (o.hatch) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(3, 3, W - 6, H - 6);
      ctx.clip();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1;
      for (let x = -H; x < W + H; x += 6) {
        ctx.beginPath();
        ctx.moveTo(x, H);
        ctx.lineTo(x + H, 0);
        ctx.stroke();
        if (o.hatch === 'cross') {
          ctx.beginPath();
          ctx.moveTo(x, 0);
          ctx.lineTo(x + H, H);
          ctx.stroke();
        }
      }
      ctx.restore();
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = o.width ?? 2;
    ctx.setLineDash(o.dash ?? []);
    ctx.strokeRect(3, 3, W - 6, H - 6);
  });
}

/** A line across the sample, with a glow and end points when asked. */
function line(
  color: string,
  o: { width?: number; dash?: number[]; glow?: number; ends?: boolean; arrows?: boolean },
) {
  return sample((ctx) => {
    const y = H / 2;
    if (o.glow) {
      ctx.strokeStyle = color;
      ctx.globalAlpha = 0.45;
      ctx.lineWidth = o.glow;
      ctx.filter = 'blur(2px)';
      ctx.beginPath();
      ctx.moveTo(5, y);
      ctx.lineTo(W - 5, y);
      ctx.stroke();
      ctx.filter = 'none';
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = o.width ?? 2;
    ctx.setLineDash(o.dash ?? []);
    ctx.beginPath();
    ctx.moveTo(5, y);
    ctx.lineTo(W - 5, y);
    ctx.stroke();
    ctx.setLineDash([]);
    if (o.arrows) {
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(W / 2 - 3, y - 4);
      ctx.lineTo(W / 2 + 2, y);
      ctx.lineTo(W / 2 - 3, y + 4);
      ctx.stroke();
    }
    if (o.ends) {
      ctx.fillStyle = color;
      for (const x of [5, W - 5]) {
        ctx.beginPath();
        ctx.arc(x, y, 3.5, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  });
}

/** Own and other parties: the affiliation frames and colours. */
function parties(): HTMLElement[] {
  return [
    row(icon(`ms:${sidcFor('protected_site', true, 'own_forces')}`), 'Your party (friend, blue)', 'own'),
    row(
      icon(`ms:${sidcFor('protected_site', false, 'own_forces')}`),
      'Other parties (neutral, green)',
      'other',
    ),
  ];
}

/** The kinds of declaration, in your party's colour (other parties' are the same in green). */
function declarations(): HTMLElement[] {
  const c = COLORS.own;
  return [
    row(icon(`mono:${sidcFor('strike', true)}:${c}`), 'Strike: target, danger area dashed', 'strike'),
    row(icon(`ms:${sidcFor('air_operation', true)}`), 'Air operation', 'air_operation'),
    row(box(c, { dash: [4, 2], hatch: 'single' }), 'Airspace of an air operation: dashed, hatched'),
    row(icon(`ms:${sidcFor('movement', true)}`), 'Movement (convoy)', 'movement'),
    row(line(c, { width: 3, arrows: true }), 'Route, with its direction'),
    row(box(c, { width: 2.5, fill: 0.12 }), 'Area of responsibility: solid border', 'area_of_responsibility'),
    row(
      box(c, { width: 2.5, hatch: 'cross' }),
      'Restricted zone: solid border, cross-hatched',
      'restricted_zone',
    ),
    row(box(c, { width: 1, fill: 0.15 }), 'Buffer (drawn to scale)'),
  ];
}

/** Agreements' terms (map/agreements.ts): in force, and dimmer and dashed while only proposed. */
function agreements(): HTMLElement[] {
  const c = COLORS.agreement;
  return [
    row(
      sample((ctx) => {
        ctx.globalAlpha = 0.3;
        ctx.fillStyle = c;
        ctx.fillRect(3, 3, W - 6, H - 6);
        ctx.globalAlpha = 1;
        ctx.strokeStyle = c;
        ctx.lineWidth = 1.5;
        ctx.strokeRect(3, 3, W - 6, H - 6);
        ctx.setLineDash([3, 2]);
        ctx.beginPath();
        ctx.moveTo(5, H / 2);
        ctx.lineTo(W - 5, H / 2);
        ctx.stroke();
      }),
      'Corridor: its band to scale',
      'agreement-corridor',
    ),
    row(box(c, { hatch: 'single' }), 'Pause: hatched', 'agreement-pause'),
    row(box(c, { hatch: 'cross', dash: [4, 2] }), 'Pull-back: cross-hatched, dashed', 'agreement-pull-back'),
    row(box(c, { width: 3.5, fill: 0.07 }), 'Area of responsibility agreed', 'agreement-aor'),
    row(
      sample((ctx) => {
        ctx.globalAlpha = 0.55;
        ctx.strokeStyle = c;
        ctx.lineWidth = 1.8;
        ctx.setLineDash([4, 2]);
        ctx.strokeRect(3, 3, W - 6, H - 6);
      }),
      'Proposed or signed, not yet in force: dimmer, dashed',
      'agreement-proposed',
    ),
  ];
}

/** Protected sites by category (their emblems, not the parties' colours). */
function sites(): HTMLElement[] {
  const names: [string, string][] = [
    ['medical', 'Medical (red cross)'],
    ['school', 'School'],
    ['religious', 'Place of worship'],
    ['cultural', 'Cultural (Blue Shield)'],
    ['humanitarian', 'Humanitarian'],
    ['civilian_infrastructure', 'Infrastructure'],
    ['diplomatic', 'Diplomatic'],
    ['detention', 'Detention'],
    ['other', 'Other'],
  ];
  return names.map(([cat, text]) => row(icon(`site:${cat}`), text, `site-${cat}`));
}

/** The conflicts' severities and how a conflict is drawn. */
function conflicts(): HTMLElement[] {
  const words: Record<(typeof SEVERITIES)[number], string> = {
    critical: 'Critical: drawn above everything',
    high: 'High',
    medium: 'Medium',
    low: 'Low',
  };
  return [
    ...SEVERITIES.map((s) =>
      row(
        line(COLORS.severity[s], {
          width: s === 'critical' ? 3 : 2,
          dash: [4, 2],
          glow: s === 'critical' ? 12 : 8,
          ends: true,
        }),
        words[s],
        `severity-${s}`,
      ),
    ),
    h(
      'li.legend-note',
      null,
      'Both sides glow in the severity’s colour; the dashed line joins their closest points, labelled with the distance. Red, orange, yellow and violet mean conflicts only.',
    ),
  ];
}

/** The dry run, the draft, the selection, and the time shown. */
function others(): HTMLElement[] {
  return [
    row(line(COLORS.preview, { dash: [4, 2], glow: 8, ends: true }), 'Conflict of a dry run', 'preview'),
    row(line(COLORS.draft, { dash: [3, 2] }), 'Declaration being drawn or prepared', 'draft'),
    row(line(COLORS.focus, { glow: 7, width: 1.5 }), 'Selected'),
    row(
      sample((ctx) => {
        ctx.globalAlpha = 0.35;
        ctx.strokeStyle = COLORS.own;
        ctx.lineWidth = 2;
        ctx.strokeRect(3, 3, W - 6, H - 6);
      }),
      'Dimmed: outside its window at the time shown',
      'dimmed',
    ),
  ];
}
