/**
 * The web console in a real browser, for the end-to-end tests: Debian's chromium driven by
 * playwright-core (never `playwright install`: nothing is downloaded), one browser context per
 * person at 1366×768, and a guard on every context that lets the page reach the hub and nothing
 * else — any other request is aborted and recorded, so a test can fail on it.
 *
 * Also: logging in through the login screen, waiting for the map, projecting lon/lat to page
 * pixels through the map the console exposes (`window.deconflict.map`), recording every
 * response body and WebSocket frame a page receives, and screenshots (see `SCREENSHOTS`).
 *
 * Functions handed to the page are plain arrow functions with no named functions inside: tsx
 * compiles this file with esbuild, which may wrap named functions in a helper (`__name`) that
 * the page lacks. Not strings either: the console's CSP forbids the eval they would need.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { killAll, type Served, serve } from './serve.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * Where screenshots go: `test-output/screenshots` (git-ignored) by default, so a test run leaves
 * the tree clean; the `SCREENSHOTS` environment variable names another folder, relative to the
 * repository or absolute — `SCREENSHOTS=docs/screenshots` refreshes the README's pictures.
 */
export const SCREENSHOTS = resolve(ROOT, process.env.SCREENSHOTS || join('test-output', 'screenshots'));
export const VIEWPORT = { width: 1366, height: 768 };
/** Elements may take a while to appear: WebGL in SwiftShader is slow. */
export const APPEAR = 15_000;
/**
 * The console's first load (the bundle, the basemap data turned into map layers, the party's
 * picture, the stream) keeps a page busy for several seconds, many more on a loaded machine.
 */
export const LOAD = 45_000;

/** Build the console (web/dist) the way `npm run build:web` does; it takes about a second. */
export function buildConsole(): void {
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-web.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** One person's browser: a fresh context (own sessionStorage) and its page. */
export interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Requests (and WebSockets, and CSP refusals) that tried to leave the hub. */
  readonly foreign: string[];
  /** Errors thrown in the page (uncaught), for the report when a step fails. */
  readonly errors: string[];
}

/** Whether a URL stays on the hub (or in the page itself: data:, blob: of the hub's origin). */
export function onHub(url: string, hub: string): boolean {
  const origin = new URL(hub).origin;
  if (url.startsWith('data:') || url === 'about:blank') return true;
  if (url.startsWith('blob:')) return url.startsWith(`blob:${origin}/`);
  try {
    const u = new URL(url);
    if (u.protocol === 'http:') return u.origin === origin;
    if (u.protocol === 'ws:') return u.host === new URL(hub).host;
    return false;
  } catch {
    return false;
  }
}

/**
 * A new context for one person, guarded: every request outside the hub is aborted and recorded
 * in `foreign` (routed requests, every request the page or its workers make, WebSockets, and
 * Content-Security-Policy refusals reported on the console).
 */
export async function person(browser: Browser, hub: string): Promise<Person> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'en-GB' });
  const foreign: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (onHub(url, hub)) return route.continue();
    foreign.push(`routed: ${url}`);
    return route.abort('blockedbyclient');
  });
  context.on('request', (r) => {
    if (!onHub(r.url(), hub)) foreign.push(`request: ${r.url()}`);
  });
  const page = await context.newPage();
  page.on('websocket', (ws) => {
    if (!onHub(ws.url(), hub)) foreign.push(`websocket: ${ws.url()}`);
  });
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|ERR_BLOCKED_BY_CLIENT/i.test(text)) foreign.push(`console: ${text}`);
  });
  page.on('pageerror', (e) => errors.push(String(e.stack ?? e)));
  page.setDefaultTimeout(APPEAR);
  return { context, page, foreign, errors };
}

/** Log in through the login screen; wait for the console's top bar and its live stream. */
export async function logIn(p: Person, hub: string, username: string, password: string): Promise<void> {
  const { page } = p;
  if (!page.url().startsWith(hub)) await page.goto(`${hub}/`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form.login button[type=submit]').click();
  await loaded(page);
}

/** The console is in: its top bar shows who is logged in, and the stream is live. */
export async function loaded(page: Page): Promise<void> {
  await page.locator('[data-testid=who]').waitFor({ state: 'visible', timeout: LOAD });
  await page.locator('.conn.live').waitFor({ timeout: LOAD });
}

/** The part of MapLibre's map the tests use (the console exposes it as `window.deconflict.map`). */
interface MapLike {
  loaded(): boolean;
  isStyleLoaded(): boolean | undefined;
  once(event: 'idle', fn: () => void): unknown;
  triggerRepaint(): void;
  jumpTo(o: { center: [number, number]; zoom: number }): unknown;
  project(lonLat: [number, number]): { x: number; y: number };
  queryRenderedFeatures(options: { layers: string[] }): { properties: Record<string, unknown> }[];
}
type Win = Window & { deconflict?: { map?: MapLike } };
/** Once `mapReady` has passed. */
type Ready = Window & { deconflict: { map: MapLike } };

/** Wait until the console exposes its map and the map has loaded its style. */
export async function mapReady(page: Page): Promise<void> {
  // Functions, not strings: the console's CSP forbids eval, which string predicates need.
  await page.waitForFunction(
    () => {
      const m = (window as Win).deconflict?.map;
      return !!m && m.loaded() && !!m.isStyleLoaded();
    },
    undefined,
    { timeout: LOAD, polling: 100 },
  );
}

/** Wait until the map has drawn everything it has (its `idle` event after a repaint). */
export async function mapIdle(page: Page): Promise<void> {
  await mapReady(page);
  await page.evaluate(
    (ms) =>
      new Promise<void>((resolve) => {
        const m = (window as unknown as Ready).deconflict.map;
        const t = setTimeout(resolve, ms);
        m.once('idle', () => {
          clearTimeout(t);
          resolve();
        });
        m.triggerRepaint();
      }),
    APPEAR,
  );
}

/** Wait until the map draws at least one feature of each of these layers in its current view. */
export async function layersDrawn(page: Page, layers: readonly string[]): Promise<void> {
  await mapReady(page);
  await page.waitForFunction(
    (ids) => {
      const m = (window as unknown as Ready).deconflict.map;
      return ids.every((id) => m.queryRenderedFeatures({ layers: [id] }).length > 0);
    },
    layers,
    { timeout: LOAD, polling: 250 },
  );
}

/** Move the map (instantly) and wait for it to settle. */
export async function jumpTo(page: Page, lon: number, lat: number, zoom: number): Promise<void> {
  await mapReady(page);
  await page.evaluate(
    ([c, z]) => {
      (window as unknown as Ready).deconflict.map.jumpTo({ center: c, zoom: z });
    },
    [[lon, lat], zoom] as [[number, number], number],
  );
  await mapIdle(page);
}

/** The page pixel of a lon/lat on the map (`#map`'s box plus the map's projection). */
export async function mapPixel(page: Page, lon: number, lat: number): Promise<{ x: number; y: number }> {
  const box = await page.locator('#map').boundingBox();
  if (!box) throw new Error('#map is not displayed');
  const p = await page.evaluate(
    (c) => {
      const q = (window as unknown as Ready).deconflict.map.project(c);
      return { x: q.x, y: q.y };
    },
    [lon, lat] as [number, number],
  );
  const at = { x: box.x + p.x, y: box.y + p.y };
  if (at.x < box.x || at.y < box.y || at.x > box.x + box.width || at.y > box.y + box.height) {
    throw new Error(`[${lon}, ${lat}] is outside the map's view (pixel ${at.x}, ${at.y})`);
  }
  return at;
}

/** Everything a page received from the network: HTTP response bodies and WebSocket frames. */
export interface Traffic {
  readonly bodies: { url: string; text: string }[];
  readonly frames: { url: string; text: string }[];
  /** Wait for the body reads still under way. */
  settled(): Promise<void>;
  /** Every body and frame, each as `url: text`, for searching. */
  all(): string[];
}

/** Record every response body and WebSocket frame of a page (attach before it navigates). */
export function record(page: Page): Traffic {
  const bodies: Traffic['bodies'] = [];
  const frames: Traffic['frames'] = [];
  const pending = new Set<Promise<void>>();
  page.on('response', (r) => {
    const read = r
      .body()
      .then((b) => {
        bodies.push({ url: r.url(), text: b.toString('utf8') });
      })
      .catch(() => {
        // Redirects and aborted requests have no body.
      })
      .finally(() => pending.delete(read));
    pending.add(read);
  });
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => {
      frames.push({
        url: ws.url(),
        text: typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8'),
      });
    });
  });
  return {
    bodies,
    frames,
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    all: () => [...bodies, ...frames].map((x) => `${x.url}: ${x.text}`),
  };
}

/** A screenshot of the page's viewport into `SCREENSHOTS`/<name> (overwritten each run). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), animations: 'disabled', caret: 'hide' });
}

/** The session the page keeps in sessionStorage (`deconflict.session`). */
export async function sessionToken(page: Page): Promise<string> {
  const raw = await page.evaluate(() => sessionStorage.getItem('deconflict.session'));
  if (raw === null) throw new Error('no session in sessionStorage');
  return (JSON.parse(raw) as { token: string }).token;
}

/** The body is no wider than the viewport (no horizontal scrollbar at 1366×768). */
export async function pageWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/**
 * Nothing left the hub, nothing was thrown in the page, and the page fits 1366 px (the page of a
 * person who logged out and closed it is not measured).
 */
export async function assertClean(...ps: Person[]): Promise<void> {
  for (const p of ps) {
    assert.deepEqual(p.foreign, [], `requests outside the hub from ${p.page.url()}`);
    assert.deepEqual(p.errors, [], `errors thrown in ${p.page.url()}`);
    if (!p.page.isClosed()) {
      const w = await pageWidth(p.page);
      assert.ok(w <= VIEWPORT.width, `the page is ${w} px wide at ${VIEWPORT.width}`);
    }
  }
}

/** The text of the first element a selector finds, white space squeezed and trimmed. */
export async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * A member key generated under `passphrase` in the Keys & record panel: sealed in the browser and
 * registered with the hub once the panel says it may sign. Resolves to its id.
 */
export async function generateKeyInConsole(page: Page, label: string, passphrase: string): Promise<string> {
  await page.locator('button[data-tab=record]').click();
  const form = page.locator('form.rk-new');
  await form.locator('input[name=key-label]').fill(label);
  await form.locator('input[name=passphrase]').fill(passphrase);
  await form.locator('input[name=passphrase-again]').fill(passphrase);
  await form.locator('button[data-action=generate-key]').click();
  const status = page.locator('[data-key-status=signing]');
  await status.waitFor();
  const id = (await status.getAttribute('data-key-id')) as string;
  assert.match(id, /^[0-9a-f]{16}$/);
  return id;
}

/** What a console test holds: a temporary directory, the demo hub in its own process, Chromium. */
export interface DemoConsole {
  readonly dir: string;
  readonly hub: Served;
  readonly url: string;
  readonly browser: Browser;
}

/**
 * The usual fixture of a console test: Chromium there, the console built, the demo hub
 * (`deconflict serve --demo` on `<dir>/data`, plus `args`) serving it from its own process, and a
 * browser. `name` names the temporary directory.
 */
export async function openDemoConsole(name: string, args: readonly string[] = []): Promise<DemoConsole> {
  assert.ok(
    chromiumAvailable(),
    `the browser tests need Debian's chromium at ${CHROMIUM} (scripts/test.sh installs it)`,
  );
  buildConsole();
  const dir = mkdtempSync(join(tmpdir(), `deconflict-${name}-`));
  const hub = await serve(['--demo', '--data', join(dir, 'data'), ...args]);
  return { dir, hub, url: hub.url, browser: await launch() };
}

/** Undo {@link openDemoConsole} (what of it was done): the browser, the hub and any stray process, the directory. */
export async function closeDemoConsole(c: Partial<DemoConsole>): Promise<void> {
  await c.browser?.close();
  await c.hub?.stop();
  await killAll();
  if (c.dir) rmSync(c.dir, { recursive: true, force: true });
}
