/**
 * Serves the web console (web/dist, built by scripts/build-web.ts) at `/`. A fixed, flat set of
 * files: `/` is index.html and `/assets/<name>` a file of web/dist/assets — no sub-paths, no dot
 * files, so no request can reach outside that directory.
 *
 * Every answer carries a Content-Security-Policy that lets the page load and connect to the hub
 * only (`'self'`): even a bug in the console could not make it reach another host, which is what
 * an air-gapped operations centre needs (and what the browser tests check from the outside).
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type from 'typebox';
import { Errors } from '../api/common.ts';
import type { App } from './routes/support.ts';

export const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // MapLibre and the panels set element styles from script.
  "style-src 'self' 'unsafe-inline'",
  // Symbols are drawn to canvases and handed to the map as data/blob URLs.
  "img-src 'self' data: blob:",
  // MapLibre runs its workers from a blob.
  "worker-src 'self' blob:",
  "child-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/** Register the console's routes; returns whether the console is built (else `/` says how). */
export function consoleRoutes(app: App, dir = CONSOLE_DIR): boolean {
  const built = existsSync(join(dir, 'index.html'));
  const cache = new Map<string, Buffer>();
  const file = (path: string): Buffer | null => {
    let b = cache.get(path);
    if (b === undefined) {
      if (!existsSync(path)) return null;
      b = readFileSync(path);
      cache.set(path, b);
    }
    return b;
  };
  const file200 = (description: string, type: string) => ({
    description,
    // A file's bytes, sent as they are (no serializer runs on a Buffer).
    content: { [type]: { schema: Type.Unsafe<Buffer | string>(Type.String()) } },
  });
  app.get(
    '/',
    {
      config: { public: true },
      schema: {
        tags: ['console'],
        summary: 'The web console (no token needed; it logs in itself)',
        response: { 200: file200('The console page', 'text/html'), '4xx': Errors },
      },
    },
    async (_req, reply) => {
      if (!built) {
        return reply
          .type('text/plain; charset=utf-8')
          .send('The console is not built: run `npm run build:web` (npm install does it), then restart.');
      }
      return reply
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8')
        .send(file(join(dir, 'index.html')) as Buffer);
    },
  );
  app.get(
    '/assets/:name',
    {
      config: { public: true },
      schema: {
        tags: ['console'],
        summary: "The console's files (script, styles, offline basemap data)",
        params: Type.Object({ name: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: file200('The file', 'application/octet-stream'), '4xx': Errors },
      },
    },
    async (req, reply) => {
      const name = req.params.name;
      const type = TYPES[extname(name)];
      const body = NAME.test(name) && type ? file(join(dir, 'assets', name)) : null;
      if (!body || !type) {
        return reply.status(404).send({
          errors: [{ code: 'not_found', feature: null, path: '', message: `no asset ${name}` }],
        });
      }
      return reply
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .type(type)
        .send(body);
    },
  );
  return built;
}
