/**
 * Wire schemas of imports (docs/formats/import.md): the query of `POST /api/v1/imports` and its
 * answer, which lists each record of the file with the declaration it became, the conflicts found
 * (as for any submission) and what was ignored or skipped.
 */
import Type, { type Static } from 'typebox';
import { ConflictView } from './declarations.ts';

export const IMPORT_FORMAT_VALUES = ['csv', 'xlsx', 'kml', 'kmz', 'gpx', 'geojson', 'cot', 'takpkg'] as const;

export const ImportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Enum(IMPORT_FORMAT_VALUES, { description: 'the file’s format; default: from its Content-Type' }),
    ),
    dry_run: Type.Optional(
      Type.Enum(['true', 'false'] as const, { description: 'true: check only, store nothing' }),
    ),
    mapping: Type.Optional(
      Type.String({
        maxLength: 4096,
        description:
          'JSON object: declaration target → the file’s column (or `=constant`), e.g. {"label":"Site name","latitude":"Lat","kind":"=protected_site"}',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ImportQuery = Static<typeof ImportQuery>;

export const ImportBody = Type.Unknown({
  description:
    'The file itself, as bytes: CSV, XLSX, KML, KMZ, GPX, GeoJSON, Cursor-on-Target XML or a TAK data package (at most 20 MiB).',
});

export const ImportResult = Type.Object(
  {
    accepted: Type.Literal(true),
    dry_run: Type.Boolean(),
    format: Type.Enum(IMPORT_FORMAT_VALUES),
    declarations: Type.Array(
      Type.Object(
        {
          source: Type.String({ description: 'the record of the file: `row 5`, `placemark 2`, `track 1`…' }),
          id: Type.String(),
          version: Type.Integer({ minimum: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
    conflicts: Type.Array(ConflictView),
    hidden: Type.Optional(Type.Literal('not_checked')),
    ignored: Type.Array(Type.String(), { description: 'columns or properties of the file nothing reads' }),
    skipped: Type.Array(Type.String(), {
      description: 'records that are not declarations (waypoints, conflicts)',
    }),
  },
  { additionalProperties: false, title: 'Import' },
);
export type ImportResult = Static<typeof ImportResult>;
