/**
 * `deconflict export URL --token T [--format F] [--out FILE] [filters]`: the caller's picture from
 * a live hub (GET /api/v1/export), written to a file as it arrives — the same bytes the API
 * streams, so always the token's party's own view. Without --out the file is named as the hub
 * names it (`deconflict-<party>-<DTG>.<ext>`) in the current directory. Exit 0 written; 2 for
 * arguments, an unreachable hub or a refused request (its coded error printed).
 */
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EXPORT_FORMATS } from '../api/formats.ts';
import { commandLine } from './args.ts';
import type { Io } from './io.ts';

const FILTERS = ['bbox', 'start', 'end', 'kind', 'party', 'status'] as const;

/** The file name of a Content-Disposition, reduced to a plain name (never a path). */
function dispositionName(header: string | null): string | null {
  const m = header === null ? null : /filename="([^"]+)"/.exec(header);
  const name = m ? basename(m[1] as string) : null;
  return name !== null && /^[\w.-]+$/.test(name) ? name : null;
}

export async function exportCommand(args: readonly string[], io: Io): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`deconflict export: ${message}\n`);
    return 2;
  };
  const parsed = commandLine(args, {
    token: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    ...Object.fromEntries(FILTERS.map((f) => [f, { type: 'string' as const }])),
  });
  if ('error' in parsed) return fail(parsed.error);
  const values = parsed.values as Record<string, string | undefined>;
  const [url, ...extra] = parsed.positionals;
  if (url === undefined || extra.length > 0 || !/^https?:\/\//.test(url))
    return fail('give the hub URL (http:// or https://) once');
  if (values.token === undefined) return fail('--token is required');
  const format = values.format ?? 'geojson';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format))
    return fail(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
  const query = new URLSearchParams({ format });
  for (const f of FILTERS) if (values[f] !== undefined) query.set(f, values[f] as string);
  const target = `${url.replace(/\/+$/, '')}/api/v1/export?${query}`;
  let res: Response;
  try {
    res = await fetch(target, { headers: { authorization: `Bearer ${values.token}` } });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return fail(`GET ${target}: ${cause ?? (err as Error).message}`);
  }
  if (!res.ok || res.body === null)
    return fail(`GET ${target}: ${res.status} ${(await res.text()).slice(0, 500)}`.trim());
  const out = values.out ?? dispositionName(res.headers.get('content-disposition')) ?? `deconflict.${format}`;
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  let bytes = 0;
  body.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  try {
    await pipeline(body, createWriteStream(out));
  } catch (err) {
    return fail(`writing ${out}: ${(err as Error).message}`);
  }
  io.stdout(`wrote ${out} (${bytes.toLocaleString('en')} bytes, ${res.headers.get('content-type')})\n`);
  return 0;
}
