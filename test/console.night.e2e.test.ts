/**
 * The console at 3 a.m., in a real browser (Debian's chromium through playwright-core) at
 * 1366×768, against a real hub process started with the demo (`deconflict serve --demo`, a
 * temporary data directory, port 0). Every page may reach the hub and nothing else.
 *
 * - The first view frames the party's theatre (its declarations, where its conflicts are) in the
 *   part of the map the side panel leaves uncovered, with the panel open.
 * - Labels overlap neither the declarations' symbols nor each other, at the first view and closer
 *   in (found by querying what MapLibre placed, down to single pixels); the critical conflict is
 *   drawn above everything, wider than any other; the severity colours are the conflicts' alone.
 * - The legend: collapsed, opened (and with `l`), kept as left, every severity and both
 *   affiliations explained, readable at night (contrast).
 * - The time bar: a typed Zulu DTG shows that moment, a bad one says why and changes nothing;
 *   "Next conflict" steps through the party's open conflicts by the start of their windows.
 * - Declare: a dry run and a submission bring the drawn geometry into the uncovered view.
 * - An unlabelled declaration of another party is named in the inbox by kind, grid reference and
 *   window, never by its raw id.
 *
 * Screenshots (theatre.png, legend.png) only when SCREENSHOTS names a folder
 * (`SCREENSHOTS=docs/screenshots` refreshes the README's).
 *
 * Run: node --import tsx --test test/console.night.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { formatDtg } from '../src/field/dtg.ts';
import { toMgrs } from '../src/field/mgrs.ts';
import { COLORS, CRITICAL_LAYERS } from '../web/src/map/style.ts';
import {
  APPEAR,
  assertClean,
  closeDemoConsole,
  jumpTo,
  LOAD,
  logIn,
  mapIdle,
  mapPixel,
  openDemoConsole,
  type Person,
  person,
  screenshot,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { api, demoTokens, type Served } from './support/serve.ts';
import { DAY, HOUR } from './support/time.ts';

type Pos = [number, number];
interface Geometry {
  type: string;
  coordinates: unknown;
}
interface Decl {
  id: string;
  geometry: Geometry;
  properties: { party: string; kind: string; label?: string };
}
interface Conflict {
  id: string;
  rule: string;
  severity: string;
  status: string;
  window: { start: string; end: string | null };
  closest?: [Pos, Pos];
}

/** The part of MapLibre the page functions use (the console exposes it as window.deconflict.map). */
interface MapLike {
  getLayer(id: string): unknown;
  getStyle(): { layers: { id: string }[] };
  getCanvas(): HTMLCanvasElement;
  isMoving(): boolean;
  project(p: Pos): { x: number; y: number };
  queryRenderedFeatures(
    geometry?: [number, number] | [[number, number], [number, number]] | { layers: string[] },
    options?: { layers: string[] },
  ): { layer: { id: string }; properties: Record<string, unknown> }[];
}
type Win = Window & { deconflict: { map: MapLike } };

/** Conflict labels and the declarations' names: what must never overlap a symbol or each other. */
const LABELS = ['cf-critical-label', 'preview-label', 'cf-label', 'decl-label', 'decl-text'];
/** The declarations' symbols. */
const SYMBOLS = ['decl-icon'];

/** Every position of a GeoJSON geometry. */
function positions(g: Geometry): Pos[] {
  const walk = (c: unknown): Pos[] =>
    typeof (c as unknown[])[0] === 'number' ? [c as Pos] : (c as unknown[]).flatMap(walk);
  return walk(g.coordinates);
}

/**
 * Where two placed symbols of these layers share a pixel, at least one of them a label: the map
 * is cut into quarters wherever two or more symbols meet, down to single pixels, each checked
 * at its centre by queryRenderedFeatures (which answers from the boxes MapLibre placed). Icon
 * over icon is allowed (a declaration is never hidden) and not reported, unless `labels` lists
 * the icons' layer itself (the check that the search finds overlaps at all).
 */
async function overlaps(
  page: Page,
  labels: readonly string[],
  symbols: readonly string[],
): Promise<{ overlaps: string[]; placed: Record<string, number>; queries: number }> {
  return page.evaluate(
    ([labelLayers, symbolLayers]) => {
      // One loop and no named inner function (see test/support/browser.ts on `__name`): each
      // task is a box to search, the whole view to count, or a pixel's centre to check.
      const m = (window as unknown as Win).deconflict.map;
      const layers = [...new Set([...labelLayers, ...symbolLayers])].filter((l) => m.getLayer(l));
      const isLabel = new Set(labelLayers);
      const c = m.getCanvas();
      const placed: Record<string, number> = {};
      const found: string[] = [];
      let queries = 0;
      const tasks: ['all' | 'box' | 'pixel', number, number, number, number][] = [
        ['box', 0, 0, c.clientWidth, c.clientHeight],
        ['all', 0, 0, c.clientWidth, c.clientHeight],
      ];
      while (tasks.length > 0 && queries < 200_000) {
        const [task, x0, y0, x1, y1] = tasks.pop() as [
          'all' | 'box' | 'pixel',
          number,
          number,
          number,
          number,
        ];
        queries++;
        const keys = new Map<string, string>();
        const features = m.queryRenderedFeatures(
          task === 'pixel'
            ? [(x0 + x1) / 2, (y0 + y1) / 2]
            : [
                [x0, y0],
                [x1, y1],
              ],
          { layers },
        );
        for (const f of features) {
          const p = f.properties;
          keys.set(`${f.layer.id}|${String(p.cid ?? p.id ?? '')}|${String(p.text ?? '')}`, f.layer.id);
        }
        if (task === 'all') {
          for (const layer of keys.values()) placed[layer] = (placed[layer] ?? 0) + 1;
          continue;
        }
        const labelled = [...keys.values()].some((l) => isLabel.has(l));
        if (keys.size < 2 || !labelled) continue;
        if (task === 'pixel') {
          found.push(`(${x0}, ${y0}): ${[...keys.keys()].join(' ⟂ ')}`);
          continue;
        }
        if (x1 - x0 <= 1 && y1 - y0 <= 1) {
          tasks.push(['pixel', x0, y0, x1, y1]);
          continue;
        }
        const xm = x1 - x0 > 1 ? Math.floor((x0 + x1) / 2) : x1;
        const ym = y1 - y0 > 1 ? Math.floor((y0 + y1) / 2) : y1;
        for (const [a, b, cc, d] of [
          [x0, y0, xm, ym],
          [xm, y0, x1, ym],
          [x0, ym, xm, y1],
          [xm, ym, x1, y1],
        ] as [number, number, number, number][]) {
          if (cc > a && d > b) tasks.push(['box', a, b, cc, d]);
        }
      }
      return { overlaps: found, placed, queries };
    },
    [labels, symbols] as [readonly string[], readonly string[]],
  );
}

/** The uncovered part of the map, in page pixels: left of the side panel, inside the map. */
async function uncovered(page: Page): Promise<{ left: number; top: number; right: number; bottom: number }> {
  const map = await page.locator('#map').boundingBox();
  const aside = await page.locator('aside').boundingBox();
  assert.ok(map && aside, 'the map and the side panel are displayed');
  return { left: map.x, top: map.y, right: Math.min(map.x + map.width, aside.x), bottom: map.y + map.height };
}

/** The page pixels of positions on the map (outside the view too). */
async function pixels(page: Page, pts: readonly Pos[]): Promise<{ x: number; y: number }[]> {
  const box = await page.locator('#map').boundingBox();
  assert.ok(box);
  const projected = await page.evaluate(
    (ps) =>
      ps.map((p) => {
        const q = (window as unknown as Win).deconflict.map.project(p);
        return { x: q.x, y: q.y };
      }),
    pts as Pos[],
  );
  return projected.map((p) => ({ x: box.x + p.x, y: box.y + p.y }));
}

/** Wait until these positions are all inside the uncovered part of the map, the map at rest. */
async function inView(page: Page, pts: readonly Pos[], what: string): Promise<void> {
  const area = await uncovered(page);
  const box = await page.locator('#map').boundingBox();
  assert.ok(box);
  const ok = await page
    .waitForFunction(
      ([ps, a, origin]) => {
        const m = (window as unknown as Win).deconflict.map;
        if (m.isMoving()) return false;
        return ps.every((p) => {
          const q = m.project(p);
          const [x, y] = [origin[0] + q.x, origin[1] + q.y];
          return x >= a.left && x <= a.right && y >= a.top && y <= a.bottom;
        });
      },
      [pts as Pos[], area, [box.x, box.y]] as [Pos[], typeof area, [number, number]],
      { timeout: APPEAR, polling: 100 },
    )
    .then(() => true)
    .catch(() => false);
  if (!ok) {
    const px = await pixels(page, pts);
    assert.fail(`${what} is not in the uncovered view ${JSON.stringify(area)}: ${JSON.stringify(px)}`);
  }
}

/** WCAG contrast ratio of two CSS colours (rgb()/rgba(), alpha ignored: the legend is opaque). */
function contrast(fg: string, bg: string): number {
  const lum = (css: string) => {
    const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x) as [number, number];
  return (a + 0.05) / (b + 0.05);
}

describe('the console at 3 a.m.', () => {
  let hub: Served;
  let url: string;
  let dir: string;
  let browser: Browser;
  /** Tomorrow 00:00Z, where the demo's story starts. */
  let day: number;
  const people: Person[] = [];
  const tokenOf = demoTokens(() => url, demoPassword);

  /** A browser logged in as `username`, its first view framed. */
  const open = async (username: string): Promise<Person> => {
    const p = await person(browser, url);
    people.push(p);
    await logIn(p, url, username, demoPassword(username));
    await p.page.locator('#map[data-view=theatre]').waitFor({ timeout: LOAD });
    await mapIdle(p.page);
    return p;
  };

  /** A party's open conflicts and its own active declarations, over the API. */
  const pictureOf = async (username: string, party: string) => {
    const token = await tokenOf(username);
    const d = await api(url, token, 'GET', '/api/v1/declarations?status=active&limit=5000');
    assert.equal(d.status, 200, JSON.stringify(d.body));
    const c = await api(url, token, 'GET', '/api/v1/conflicts?status=open&limit=5000');
    assert.equal(c.status, 200, JSON.stringify(c.body));
    return {
      own: (d.body.features as Decl[]).filter((f) => f.properties.party === party),
      conflicts: c.body.conflicts as Conflict[],
    };
  };

  before(async () => {
    ({ dir, hub, url, browser } = await openDemoConsole('night'));
    day = Math.floor(Date.now() / DAY) * DAY + DAY;
  });

  after(() => closeDemoConsole({ dir, hub, browser }));

  let coalition: Person | undefined;

  it('frames the party’s theatre in the part of the map the open side panel leaves uncovered', {
    timeout: 180_000,
  }, async () => {
    const p = await open('coalition.operator');
    coalition = p;
    const page = p.page;
    const area = await uncovered(page);
    const map = await page.locator('#map').boundingBox();
    assert.ok(map);
    // The panel is open and floats over the map: without the padding, the view would run under it.
    assert.ok(await page.locator('aside #panel-watch').isVisible(), 'the Watch panel is open');
    assert.ok(
      area.right < map.x + map.width - 300,
      `the panel covers the map's right: ${JSON.stringify(area)}`,
    );

    const { own, conflicts } = await pictureOf('coalition.operator', 'coalition');
    assert.ok(own.length >= 5 && conflicts.length >= 5, 'the demo gives coalition a theatre');
    const pts = [...own.flatMap((f) => positions(f.geometry)), ...conflicts.flatMap((c) => c.closest ?? [])];
    const px = await pixels(page, pts);
    for (const [i, q] of px.entries()) {
      assert.ok(
        q.x >= area.left && q.x <= area.right && q.y >= area.top && q.y <= area.bottom,
        `${JSON.stringify(pts[i])} at (${q.x.toFixed(0)}, ${q.y.toFixed(0)}) is outside the uncovered view ${JSON.stringify(area)}`,
      );
    }
    // Framed, not merely somewhere in view: the theatre spans most of the uncovered width or height.
    const xs = px.map((q) => q.x);
    const ys = px.map((q) => q.y);
    const spanX = (Math.max(...xs) - Math.min(...xs)) / (area.right - area.left);
    const spanY = (Math.max(...ys) - Math.min(...ys)) / (area.bottom - area.top);
    assert.ok(
      Math.max(spanX, spanY) > 0.75,
      `the theatre fills ${spanX.toFixed(2)} × ${spanY.toFixed(2)} of the view`,
    );
    if (process.env.SCREENSHOTS) await screenshot(page, 'theatre.png');
    await assertClean(p);
  });

  it('labels overlap no symbol and no other label; the critical conflict is drawn on top; severity colours are the conflicts’ alone', {
    timeout: 300_000,
  }, async () => {
    const p = coalition ?? (await open('coalition.operator'));
    const page = p.page;
    const { conflicts } = await pictureOf('coalition.operator', 'coalition');
    const critical = conflicts.find((c) => c.severity === 'critical' && c.rule === 'strike_protected');
    assert.ok(critical?.closest, `a critical conflict with closest points: ${JSON.stringify(conflicts)}`);

    // The first view, then closer in over the town where the symbols crowd.
    for (const view of [null, [21.31, 46.16, 12], [21.305, 46.152, 13.5]] as const) {
      if (view) await jumpTo(page, view[0], view[1], view[2]);
      else await mapIdle(page);
      const r = await overlaps(page, LABELS, SYMBOLS);
      const where = view ? `at ${view.join(', ')}` : 'in the first view';
      assert.deepEqual(r.overlaps, [], `overlaps ${where}`);
      assert.ok(
        (r.placed['cf-critical-label'] ?? 0) >= 1,
        `the critical label is shown ${where}: ${JSON.stringify(r.placed)}`,
      );
      assert.ok((r.placed['decl-icon'] ?? 0) >= 3, `symbols are shown ${where}: ${JSON.stringify(r.placed)}`);
      if (view?.[2] === 12) {
        // The search finds overlaps where there are some: symbols over each other in the town.
        const icons = await overlaps(page, SYMBOLS, SYMBOLS);
        assert.ok(
          icons.overlaps.length > 0,
          `symbols overlapping each other are found: ${JSON.stringify(icons)}`,
        );
      }
      if (!view) {
        assert.ok(
          (r.placed['cf-label'] ?? 0) >= 3,
          `several conflict labels in the first view: ${JSON.stringify(r.placed)}`,
        );
      }
    }

    // The critical conflict is on top: at its closest point, the first thing drawn is its own.
    const at = await mapPixel(page, critical.closest[0][0], critical.closest[0][1]);
    const box = await page.locator('#map').boundingBox();
    assert.ok(box);
    const top = await page.evaluate(
      (pt) => (window as unknown as Win).deconflict.map.queryRenderedFeatures(pt).map((f) => f.layer.id),
      [at.x - box.x, at.y - box.y] as [number, number],
    );
    assert.ok(
      CRITICAL_LAYERS.includes(top[0] as string),
      `topmost at the critical conflict: ${top.join(', ')}`,
    );
    // … and in the style, its link and ends above every declaration and every other conflict.
    const order = await page.evaluate(() =>
      (window as unknown as Win).deconflict.map.getStyle().layers.map((l) => l.id),
    );
    const highest = Math.max(
      ...order.flatMap((id, i) =>
        /^(decl|buffer|cf)-/.test(id) && !CRITICAL_LAYERS.includes(id) ? [i] : [],
      ),
    );
    for (const id of ['cf-critical-link', 'cf-critical-end'])
      assert.ok(order.indexOf(id) > highest, `${id} above every declaration and other conflict: ${order}`);

    // Declarations are drawn in their party's affiliation colour, never a severity's.
    await jumpTo(page, 21.31, 46.14, 10);
    const colors = await page.evaluate(() =>
      (window as unknown as Win).deconflict.map
        .queryRenderedFeatures({
          layers: [
            'decl-fill',
            'decl-line',
            'decl-line-dash',
            'buffer-line',
            'buffer-line-dash',
            'decl-icon',
          ],
        })
        .map(
          (f) =>
            `${String(f.properties.kind)} ${String(f.properties.own)} ${String(f.properties.color)} ${String(f.properties.icon)} ${String(f.properties.hatch)}`,
        ),
    );
    assert.ok(
      colors.length > 10 && colors.some((c) => c.startsWith('restricted_zone')),
      'declarations drawn',
    );
    const severity = Object.values(COLORS.severity);
    for (const c of new Set(colors)) {
      const [, own, color] = c.split(' ');
      assert.equal(color, own === 'true' ? COLORS.own : COLORS.other, c);
      for (const s of severity) assert.ok(!c.includes(s), `a severity colour on a declaration: ${c}`);
    }
    const glows = await page.evaluate(() =>
      (window as unknown as Win).deconflict.map
        .queryRenderedFeatures({ layers: ['cf-glow', 'cf-glow-pt'] })
        .map((f) => String(f.properties.color)),
    );
    assert.ok(
      glows.length > 0 && glows.every((g) => severity.includes(g)),
      `conflicts in severity colours: ${glows}`,
    );
    await assertClean(p);
  });

  it('a legend, collapsed until asked, explains symbols, severities and line styles, readable at night', {
    timeout: 120_000,
  }, async () => {
    const p = coalition ?? (await open('coalition.operator'));
    const page = p.page;
    const legend = page.locator('[data-testid=legend]');
    assert.equal(await legend.evaluate((el) => (el as HTMLDetailsElement).open), false, 'collapsed at first');
    await legend.locator('summary').click();
    await legend.locator('[data-legend=severity-critical]').waitFor();
    for (const key of [
      'own',
      'other',
      'strike',
      'restricted_zone',
      'air_operation',
      'movement',
      'site-medical',
      'preview',
      'dimmed',
    ])
      await legend.locator(`[data-legend=${key}]`).waitFor();
    for (const s of ['critical', 'high', 'medium', 'low']) {
      const text = (await legend.locator(`[data-legend=severity-${s}]`).textContent()) ?? '';
      assert.match(text, new RegExp(s, 'i'));
    }
    // Every sample is drawn (no broken image).
    const broken = await legend
      .locator('img')
      .evaluateAll(
        (imgs) =>
          imgs.filter((i) => !(i as HTMLImageElement).complete || (i as HTMLImageElement).naturalWidth === 0)
            .length,
      );
    assert.equal(broken, 0, 'every legend image is drawn');
    // Readable at night: light text on a dark ground, at least WCAG AAA's 7:1.
    const [fg, bg] = await legend.evaluate((el) => {
      const li = el.querySelector('li') as HTMLElement;
      return [getComputedStyle(li).color, getComputedStyle(el).backgroundColor];
    });
    const ratio = contrast(fg as string, bg as string);
    assert.ok(ratio >= 7, `legend contrast ${ratio.toFixed(1)}:1 (${fg} on ${bg})`);
    if (process.env.SCREENSHOTS) await screenshot(page, 'legend.png');
    // The `l` key closes it; it stays as left after a reload.
    await page.locator('#map canvas.maplibregl-canvas').focus();
    await page.keyboard.press('l');
    await page.waitForFunction(
      () => !(document.querySelector('[data-testid=legend]') as HTMLDetailsElement).open,
    );
    await page.keyboard.press('l');
    // Open, and remembered: the details element's toggle event (which saves the state) is
    // dispatched a task after it opens, so a reload right after the attribute could beat it.
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid=legend]') as HTMLDetailsElement).open &&
        localStorage.getItem('deconflict.legend') === 'open',
    );
    await page.reload();
    await page.locator('[data-testid=legend][open]').waitFor({ timeout: LOAD });
    await page.locator('[data-testid=legend] summary').click();
    await page.locator('#map[data-view=theatre]').waitFor({ timeout: LOAD });
    await assertClean(p);
  });

  it('the time bar shows a typed DTG, refuses a bad one, and steps to each next conflict', {
    timeout: 120_000,
  }, async () => {
    const p = coalition ?? (await open('coalition.operator'));
    const page = p.page;
    const shown = page.locator('[data-testid=time-shown]');
    const typed = page.locator('input[name=dtg]');
    const slider = page.locator('input[name=time]');

    // 10:30Z tomorrow, typed in lower case with spaces as people do: the strikes are on.
    const at = day + 10.5 * HOUR;
    const dtg = formatDtg(at);
    await typed.fill(`${dtg.slice(0, 2)} ${dtg.slice(2, 7).toLowerCase()} ${dtg.slice(7).toLowerCase()}`);
    await typed.press('Enter');
    await shown.filter({ hasText: `Shown: ${dtg}` }).waitFor();
    assert.equal(await typed.inputValue(), dtg, 'the field shows the DTG read');
    const offset = Number(await slider.inputValue());
    assert.ok(Math.abs(offset - (at - Date.now()) / HOUR) <= 0.25, `the slider at ${offset} h`);
    // The map shows that moment: the depot strike (10:00–11:00Z) is live, the tanker (day 2) is not.
    await page.waitForFunction(() => {
      const fs = (window as unknown as Win).deconflict.map.queryRenderedFeatures({ layers: ['decl-icon'] });
      const depot = fs.find((f) => f.properties.id === 'coalition:coa-strike-depot');
      const launcher = fs.find((f) => f.properties.id === 'coalition:coa-strike-launcher');
      return depot?.properties.live === true && launcher?.properties.live === false;
    });

    // A DTG that does not exist: said at the field, the time shown unchanged.
    await typed.fill(`31${dtg.slice(2, 7)}NOV26`);
    await typed.press('Enter');
    await page.locator('.tb-error', { hasText: /no such date/i }).waitFor();
    assert.equal(await typed.getAttribute('aria-invalid'), 'true');
    assert.match((await shown.textContent()) ?? '', new RegExp(`Shown: ${dtg}`));

    // Next conflict, from midnight: the start of each open conflict's window in turn.
    const { conflicts } = await pictureOf('coalition.operator', 'coalition');
    const starts = [...new Set(conflicts.map((c) => Date.parse(c.window.start)))]
      .filter((t) => t > day)
      .sort((a, b) => a - b);
    assert.ok(starts.length >= 3, `several conflicts start after ${formatDtg(day)}`);
    await typed.fill(formatDtg(day));
    await typed.press('Enter');
    await shown.filter({ hasText: `Shown: ${formatDtg(day)}` }).waitFor();
    const next = page.locator('button[data-action=next-conflict]');
    for (const t of starts.slice(0, 3)) {
      await next.click();
      await shown.filter({ hasText: `Shown: ${formatDtg(t)}` }).waitFor();
      const id = (await next.getAttribute('data-conflict-id')) as string;
      const c = conflicts.find((x) => x.id === id);
      assert.equal(c && Date.parse(c.window.start), t, `the conflict jumped to starts at ${formatDtg(t)}`);
      if (c?.closest) await inView(page, c.closest, `conflict ${id}`);
    }
    // Past the last, the button says there is none.
    await typed.fill(formatDtg((starts.at(-1) as number) + 1));
    await typed.press('Enter');
    await page.locator('button[data-action=next-conflict][disabled]').waitFor();
    await page.locator('button[data-action=now]').click();
    await shown.filter({ hasText: 'Now: ' }).waitFor();
    await assertClean(p);
  });

  it('declare: the dry run and the submission bring the drawn geometry into view', {
    timeout: 180_000,
  }, async () => {
    const p = coalition ?? (await open('coalition.operator'));
    const page = p.page;
    await page.locator('button[data-tab=declare]').click();
    await page.locator('select[name=kind]').selectOption('restricted_zone');
    // Draw a polygon well away from the demo's town, then move the map elsewhere.
    await jumpTo(page, 21.9, 46.4, 13);
    const corners: Pos[] = [
      [21.895, 46.397],
      [21.905, 46.397],
      [21.9, 46.404],
    ];
    await page.locator('button[data-action=draw-polygon]').click();
    for (const c of corners) {
      const q = await mapPixel(page, c[0], c[1]);
      await page.mouse.click(q.x, q.y);
    }
    await page.keyboard.press('Enter');
    await page.locator('button[data-action=draw-polygon]:not([disabled])').waitFor();
    await page.locator('input[name=start]').fill(new Date(day + 20 * HOUR).toISOString());
    await page.locator('input[name=end]').fill(new Date(day + 22 * HOUR).toISOString());
    await jumpTo(page, 20.5, 45.5, 11);

    await page.locator('button[data-action=dry-run]').click();
    await page.locator('[data-testid=dry-run-result]:not([hidden])').waitFor();
    await inView(page, corners, 'the drawn polygon after the dry run');

    await jumpTo(page, 20.5, 45.5, 11);
    await page.locator('button[data-action=submit]').click();
    await page.locator('[data-testid=submit-result] a[data-declaration-id]').waitFor();
    await inView(page, corners, 'the declared polygon after the submission');
    await assertClean(p);
  });

  it('an unlabelled declaration is named by kind, grid reference and window in another party’s inbox', {
    timeout: 120_000,
  }, async () => {
    const police = await open('city-police.watch');
    const at: Pos = [21.3032, 46.1534];
    const start = day + 13 * HOUR;
    const strike = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: at },
      properties: {
        id: 'nf-unlabelled-7',
        kind: 'strike',
        buffer_m: 150,
        start: new Date(start).toISOString(),
        end: new Date(start + HOUR).toISOString(),
      },
    };
    const r = await api(
      url,
      await tokenOf('northern-forces.operator'),
      'POST',
      '/api/v1/declarations',
      strike,
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const c = (r.body.conflicts as (Conflict & { a: { id?: string }; b: { id?: string } })[]).find(
      (x) => x.a.id === 'city-police:site-south-hospital' || x.b.id === 'city-police:site-south-hospital',
    );
    assert.ok(c, `a conflict with the hospital: ${JSON.stringify(r.body.conflicts)}`);
    const alerts = await api(url, await tokenOf('city-police.watch'), 'GET', '/api/v1/alerts?limit=1000');
    const alert = (alerts.body.alerts as { id: string; subject: string }[]).find((a) => a.subject === c.id);
    assert.ok(alert, 'city-police is alerted');
    const card = police.page.locator(`.alert[data-alert-id="${alert.id}"]`);
    await card.waitFor();
    const name = `Strike · ${toMgrs(at[0], at[1], 4)} · ${formatDtg(start).slice(0, 7)}–${formatDtg(start + HOUR)}`;
    await card.locator('.line', { hasText: name }).waitFor();
    assert.doesNotMatch((await card.textContent()) ?? '', /nf-unlabelled-7/, 'no raw id in the card');
    await assertClean(police);
    await police.context.close();
  });

  it('made no request outside the hub from any page', () => {
    for (const p of people) assert.deepEqual(p.foreign, []);
  });
});
