/**
 * `deconflict import FILE --hub URL --token T [--format F] [--mapping FILE] [--dry-run]`: send a
 * file (CSV, XLSX, KML, KMZ, GPX, GeoJSON, CoT, TAK data package) to `POST /api/v1/imports` as it
 * is, and print each record with the declaration it became and the conflicts found — or every
 * problem, one per line, with its row (or placemark, track…) and column. All or none: a refused
 * file stores nothing. The format is `--format`, else the file's extension (`.zip`: a TAK data
 * package; a KMZ or XLSX keeps its own extension).
 *
 * Exit status: 0 imported (or a dry run passed), 2 refused or the command line is wrong.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ImportResult } from '../api/imports.ts';
import { IMPORT_FORMATS } from '../formats/import/read.ts';
import { commandLine } from './args.ts';
import type { Io } from './io.ts';

const BY_EXTENSION: Record<string, string> = {
  '.csv': 'csv',
  '.xlsx': 'xlsx',
  '.kml': 'kml',
  '.kmz': 'kmz',
  '.gpx': 'gpx',
  '.geojson': 'geojson',
  '.json': 'geojson',
  '.cot': 'cot',
  '.xml': 'cot',
  '.zip': 'takpkg',
};

export async function importCommand(args: readonly string[], io: Io): Promise<number> {
  const line = commandLine(args, {
    hub: { type: 'string' },
    token: { type: 'string' },
    format: { type: 'string' },
    mapping: { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  const usage = (why: string): number => {
    io.stderr(
      `deconflict import: ${why}\nusage: deconflict import FILE --hub URL --token T [--format F] [--mapping FILE] [--dry-run]\n`,
    );
    return 2;
  };
  if ('error' in line) return usage(line.error);
  const { values, positionals } = line;
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) return usage('give one FILE');
  if (typeof values.hub !== 'string' || typeof values.token !== 'string')
    return usage('--hub and --token are required');
  const format =
    typeof values.format === 'string' ? values.format : BY_EXTENSION[extname(file).toLowerCase()];
  if (!format || !(IMPORT_FORMATS as readonly string[]).includes(format))
    return usage(`say the format with --format (${IMPORT_FORMATS.join(', ')})`);
  let body: Buffer;
  let mapping: string | undefined;
  try {
    body = await readFile(file);
    if (typeof values.mapping === 'string')
      mapping = JSON.stringify(JSON.parse(await readFile(values.mapping, 'utf8')));
  } catch (err) {
    return usage(
      `cannot read ${(err as { path?: string }).path ?? values.mapping ?? file}: ${(err as Error).message}`,
    );
  }
  const query = new URLSearchParams({
    format,
    ...(values['dry-run'] === true && { dry_run: 'true' }),
    ...(mapping && { mapping }),
  });
  const url = `${values.hub.replace(/\/+$/, '')}/api/v1/imports?${query}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${values.token}`,
        'content-type': 'application/octet-stream',
        accept: 'application/json',
      },
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(300_000),
    });
  } catch (err) {
    io.stderr(
      `deconflict import: POST ${url}: ${(err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message}\n`,
    );
    return 2;
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    io.stderr(`deconflict import: ${res.status} ${text.slice(0, 300)}\n`);
    return 2;
  }
  if (!res.ok) {
    const errors = (json as { errors?: { code: string; message: string }[] }).errors ?? [];
    io.stderr(`${file}: refused, nothing imported (${res.status})\n`);
    for (const e of errors) io.stderr(`  ${e.code}: ${e.message}\n`);
    return 2;
  }
  const r = json as ImportResult;
  io.stdout(`${file}: ${r.dry_run ? 'would import' : 'imported'} ${r.declarations.length} declarations\n`);
  for (const d of r.declarations) io.stdout(`  ${d.source} → ${d.id}\n`);
  for (const c of r.conflicts) {
    const side = (s: { party: string; id?: string }) => s.id ?? `${s.party} (hidden)`;
    io.stdout(`  conflict ${c.rule} (${c.severity}): ${side(c.a)} × ${side(c.b)}\n`);
  }
  if (r.ignored.length > 0) io.stdout(`  ignored columns: ${r.ignored.join(', ')}\n`);
  for (const s of r.skipped) io.stdout(`  skipped ${s}\n`);
  return 0;
}
