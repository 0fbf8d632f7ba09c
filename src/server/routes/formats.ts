/**
 * Exports over HTTP: `GET /api/v1/export` (the caller's picture as GeoJSON, KML, KMZ, CSV or
 * XLSX, and what else the registry offers), and the content negotiation the declaration list
 * shares (`?format=`, else the `Accept` header).
 *
 * The file is streamed: the exporter's chunks go to the socket as they are written, while the
 * declarations are read a page at a time (src/hub/exports.ts), so no export is held whole. The
 * caller is checked and the conflicts and alerts read before the first byte: an export that
 * cannot be made is a coded error, not a truncated file.
 *
 * Negotiation: `?format=` wins; else the Accept header's media ranges are tried by quality
 * (RFC 9110 §12.5.1), ties in the order given. `*\/*`, `application/*`, `application/json` and
 * `application/geo+json` are the route's JSON (GeoJSON); `text/*` is CSV; each exporter's media
 * type is that exporter. A request none of whose ranges can be produced is `406 not_acceptable`,
 * naming what can — never a silent JSON answer.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { ExportQuery, fileAnswer } from '../../api/formats.ts';
import { formatDtg, parseTime } from '../../field/dtg.ts';
import { EXPORTERS } from '../../formats/export/registry.ts';
import type { Exporter, Picture } from '../../formats/export/types.ts';
import type { ExportFilter } from '../../hub/exports.ts';
import { pictureFor } from '../../hub/exports.ts';
import { coded } from '../errors.ts';
import { parseBbox } from '../validation.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

/** The JSON a route answers with, or the exporter of a file. */
export type Answer = { readonly json: true } | { readonly json: false; readonly exporter: Exporter };

const JSON_MEDIA = ['application/geo+json', 'application/json', 'application/*', '*/*'];

/** The media type of an exporter, without its parameters. */
const baseType = (e: Exporter): string => (e.mediaType.split(';')[0] as string).trim();

/** Accept ranges at most looked at (the header is bounded by the server's 16 KiB anyway). */
const MAX_RANGES = 64;

/** The media ranges of an Accept header, best first (quality, then the order given). */
export function acceptRanges(accept: string): string[] {
  return accept
    .split(',')
    .slice(0, MAX_RANGES)
    .map((part, i) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((x) => x.startsWith('q='));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { type, quality: Number.isFinite(quality) ? quality : 0, i };
    })
    .filter((r) => r.type !== '' && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.i - b.i)
    .map((r) => r.type);
}

/** What a media range asks for, or null when nothing here is of that type. */
function answerFor(range: string): Answer | null {
  if (JSON_MEDIA.includes(range)) return { json: true };
  if (range === 'text/*') range = 'text/csv';
  for (const e of EXPORTERS.values()) if (baseType(e) === range) return { json: false, exporter: e };
  return null;
}

/**
 * The answer a request asks for: `format` when given (`geojson` is the route's JSON where it has
 * one), else the best Accept range this route can produce (JSON when no Accept).
 */
export function negotiate(format: string | undefined, accept: string | undefined): Answer {
  if (format !== undefined) {
    if (format === 'geojson') return { json: true };
    const exporter = EXPORTERS.get(format);
    // The query schema admits only registered formats; this is the type checker's due.
    if (exporter === undefined) throw coded('invalid_request', `format: no format ${format}`, 'format');
    return { json: false, exporter };
  }
  if (accept === undefined || accept.trim() === '') return { json: true };
  for (const range of acceptRanges(accept)) {
    const answer = answerFor(range);
    if (answer !== null) return answer;
  }
  const media = ['application/geo+json', 'application/json', ...[...EXPORTERS.values()].map(baseType)];
  throw coded(
    'not_acceptable',
    `cannot answer in ${accept.slice(0, 200)}: this route answers ${[...new Set(media)].join(', ')}, or ?format=${[...EXPORTERS.keys()].join('|')}`,
  );
}

/** The file name of an export: `deconflict-<party>-<DTG>.<ext>`. */
export function fileName(p: Picture, e: Exporter): string {
  return `deconflict-${p.party}-${formatDtg(p.generated_at)}.${e.extension}`;
}

async function* bytes(chunks: AsyncIterable<string | Uint8Array>): AsyncIterable<Buffer> {
  for await (const c of chunks) yield typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c);
}

/** Stream an export as the answer, with its media type and file name. */
export function sendExport(reply: FastifyReply, e: Exporter, p: Picture): FastifyReply {
  return reply
    .status(200)
    .header('content-type', e.mediaType)
    .header('content-disposition', `attachment; filename="${fileName(p, e)}"`)
    .header('x-content-type-options', 'nosniff')
    .send(Readable.from(bytes(e.write(p)), { objectMode: false }));
}

/** The list's filters (checked by the query schema) as an export filter. */
export function exportFilter(q: {
  bbox?: string;
  start?: string;
  end?: string;
  kind?: ExportFilter['kind'];
  party?: string;
}): ExportFilter {
  const bbox = q.bbox === undefined ? null : parseBbox(q.bbox);
  return {
    ...(bbox !== null && { bbox }),
    ...(q.start !== undefined && { start: parseTime(q.start) }),
    ...(q.end !== undefined && { end: parseTime(q.end) }),
    ...(q.kind !== undefined && { kind: q.kind }),
    ...(q.party !== undefined && { party: q.party }),
  };
}

export const formatRoutes: Routes = (app, hub) => {
  app.get(
    '/api/v1/export',
    {
      schema: {
        tags: ['declarations'],
        summary:
          "The caller's picture as a file: the declarations it may see, its open conflicts and alerts, as GeoJSON, KML, KMZ, CSV or XLSX",
        description:
          'Always the caller’s own view: what GET /api/v1/declarations shows it, nothing hidden. `?format=` chooses the format, else the Accept header (GeoJSON for */*; 406 not_acceptable when no format it accepts can be written). Filters as the declaration list; by default the active declarations. Streamed, with `Content-Disposition: attachment; filename="deconflict-<party>-<DTG>.<ext>"`. Formats: docs/formats/.',
        security: BEARER,
        querystring: ExportQuery,
        response: { 200: fileAnswer([...EXPORTERS.values()]), ...ERRORS },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const answer = negotiate(q.format, req.headers.accept);
      const exporter = answer.json ? (EXPORTERS.get('geojson') as Exporter) : answer.exporter;
      const picture = await pictureFor(hub, principalOf(req), {
        ...exportFilter(q),
        ...(q.status !== undefined && { status: q.status }),
      });
      return sendExport(reply, exporter, picture);
    },
  );
};
