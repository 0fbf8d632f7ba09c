/**
 * Wire schemas of exports: the query of `GET /api/v1/export` and the `format` the declaration
 * list takes, and the answer (a file, streamed; its media type is the format's). The formats
 * are the exporters of src/formats/export/registry.ts; a test checks the two lists agree.
 */
import Type from 'typebox';
import { ListQuery } from './declarations.ts';

/** The formats an export is written in. */
export const EXPORT_FORMATS = ['geojson', 'kml', 'kmz', 'csv', 'xlsx', 'cot', 'takpkg'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const Format = Type.Enum(EXPORT_FORMATS, {
  description: `one of ${EXPORT_FORMATS.join(', ')}; absent: chosen from the Accept header (GeoJSON for */*)`,
});

const { limit: _limit, status: _status, ...filters } = ListQuery.properties;

/** The declaration list's filters, the format, and the status (default active). */
export const ExportQuery = Type.Object(
  {
    ...filters,
    status: Type.Optional(
      Type.Enum(['active', 'withdrawn', 'expired'] as const, {
        description: 'declarations of this status (default active: the picture as it stands)',
      }),
    ),
    format: Type.Optional(Format),
  },
  { additionalProperties: false },
);

/** The declaration list's query, and the format it answers in (default: its JSON). */
export const ListFormatQuery = Type.Object(
  {
    ...ListQuery.properties,
    format: Type.Optional(
      Type.Enum(EXPORT_FORMATS, {
        description: `one of ${EXPORT_FORMATS.join(', ')}; absent: chosen from the Accept header (this list's GeoJSON for */*)`,
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The answer of an export, per media type: the file. Its schema says only that it is a file;
 * its format is documented in docs/formats/.
 */
export function fileAnswer(media: readonly { mediaType: string; format: string }[]) {
  return {
    description: 'the file, streamed, with `Content-Disposition: attachment; filename=…`',
    content: Object.fromEntries(
      media.map((m) => [
        m.mediaType.split(';')[0] as string,
        { schema: Type.String({ description: `${m.format} (docs/formats/)` }) },
      ]),
    ),
  };
}
