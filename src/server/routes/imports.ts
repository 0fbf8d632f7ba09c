/**
 * Imports (docs/formats/import.md): `POST /api/v1/imports` takes a file as it is (CSV, XLSX, KML,
 * KMZ, GPX, GeoJSON, CoT, TAK data package) — its format from `?format=` or its Content-Type —
 * maps it to declarations and submits them all or none (hub/imports.ts); `?dry_run=true` stores
 * nothing.
 * The notification-desk template is served as CSV and XLSX.
 *
 * The file's media types are parsed here only, inside this module's own encapsulated context: the
 * rest of the API still takes JSON alone. Bodies up to {@link IMPORT_BODY_LIMIT}; a compressed file
 * (KMZ, XLSX, TAK data package) is further bounded while inflating (src/formats/safe/zip.ts).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ImportBody, ImportQuery, ImportResult } from '../../api/imports.ts';
import { parseMapping } from '../../formats/import/mapping.ts';
import { IMPORT_FORMATS, IMPORT_MEDIA_TYPES, type ImportFormat } from '../../formats/import/read.ts';
import { templateCsv, templateXlsx } from '../../formats/import/template.ts';
import { importFile } from '../../hub/imports.ts';
import { coded } from '../errors.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

/** 20 MiB: a notification sheet of 100,000 rows is about 15 MiB of CSV. */
export const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const importRoutes: Routes = (app, hub) => {
  void app.register(async (plugin) => {
    const child = plugin.withTypeProvider<TypeBoxTypeProvider>();
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    child.post(
      '/api/v1/imports',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        schema: {
          tags: ['imports'],
          summary:
            'Import a file of declarations (CSV, XLSX, KML, KMZ, GPX, GeoJSON, CoT, TAK data package): all or none',
          description:
            'The body is the file itself (at most 20 MiB), its format from `?format=` or the Content-Type. Each record (row, placemark, track, event) is mapped to a declaration — `?mapping=` names the columns — and all are submitted as one submission: the engine parses each strictly and finds the conflicts; any problem is a coded error naming the record and column, and nothing is stored. `?dry_run=true` checks and stores nothing. Hostile files are refused with unsafe_file: XML with a DOCTYPE or ENTITY, archives past their bounds (docs/formats/import.md).',
          security: BEARER,
          querystring: ImportQuery,
          consumes: [...Object.keys(IMPORT_MEDIA_TYPES)],
          body: ImportBody,
          response: { 201: ImportResult, 200: ImportResult, ...ERRORS },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const media =
          String(req.headers['content-type'] ?? '')
            .split(';')[0]
            ?.trim()
            .toLowerCase() ?? '';
        const format: ImportFormat | null | undefined = req.query.format ?? IMPORT_MEDIA_TYPES[media];
        if (!format)
          throw coded(
            'unsupported_media_type',
            `say the file's format with ?format= (${IMPORT_FORMATS.join(', ')}) or send it as ${Object.entries(
              IMPORT_MEDIA_TYPES,
            )
              .filter(([, f]) => f !== null)
              .map(([m]) => m)
              .join(', ')}`,
          );
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (bytes.length === 0) throw coded('invalid_file', 'the request body is empty: send the file');
        const mapping = req.query.mapping === undefined ? undefined : parseMapping(req.query.mapping);
        const dryRun = req.query.dry_run === 'true';
        const result = await importFile(hub.declarations, p, {
          format,
          bytes,
          dryRun,
          ...(mapping !== undefined && { mapping }),
        });
        return reply.status(dryRun ? 200 : 201).send(result);
      },
    );
  });
  app.get(
    '/api/v1/imports/:template',
    {
      schema: {
        tags: ['imports'],
        summary:
          'The notification-desk template, template.csv or template.xlsx (name, category, position, dates, notified parties, contact; the XLSX with a help sheet)',
        security: BEARER,
        params: Type.Object(
          { template: Type.Enum(['template.csv', 'template.xlsx'] as const) },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'The template',
            content: {
              'text/csv': { schema: Type.Unsafe<Buffer | string>(Type.String()) },
              [XLSX]: { schema: Type.Unsafe<Buffer | string>(Type.String()) },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (req, reply) => {
      principalOf(req);
      const csv = req.params.template === 'template.csv';
      return reply
        .type(csv ? 'text/csv; charset=utf-8' : XLSX)
        .header('content-disposition', `attachment; filename="deconflict-${req.params.template}"`)
        .send(csv ? templateCsv() : Buffer.from(await templateXlsx()));
    },
  );
};
