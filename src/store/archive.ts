/**
 * The whole-hub archive: one file that carries every table of a hub from one store to another
 * (SQLite ↔ PostgreSQL, either way). Gzip'd JSON lines:
 *
 *   {"format":"deconflict-hub-archive","version":1,"schema":9,"dialect":"sqlite",
 *    "created_at":"2026-11-22T06:00:00.000Z","tables":[{"name":"meta","rows":2},...]}
 *   {"t":"meta","r":{"key":"log_origin","value":"deconflict/…"}}
 *   ...
 *   {"end":true,"rows":1234,"sha256":"<hex>","header_sha256":"<hex>"}
 *
 * Rows come table by table in the order they load (`HUB_TABLES`), each value a JSON number,
 * string or null, bytes as `{"$bytes":"<base64>"}`. The trailer's `sha256` is over the row lines
 * (each with its newline), `header_sha256` over the header line: a file cut short has no trailer,
 * a changed byte breaks a sum, and a reader checks the whole file before anything is loaded.
 *
 * The file is written as three gzip members (header, rows, trailer) one after the other, which
 * is one gzip stream to every reader (RFC 1952 §2.2, `zcat`): the rows are streamed to a
 * temporary file while they are counted, and the header that states the counts goes first.
 * What a table's rows hold (and what a hub must not put in an archive) is for the caller.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gzipSync } from 'node:zlib';
import type { DumpRow } from './ports.ts';

export const ARCHIVE_FORMAT = 'deconflict-hub-archive';
export const ARCHIVE_VERSION = 1;

/** The longest line read (a declaration with a very long route is a few MB). */
const MAX_LINE = 64 * 1024 * 1024;

export interface ArchiveHeader {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: number;
  /** The schema version (migrations applied) of the store the rows were dumped from. */
  readonly schema: number;
  readonly dialect: 'sqlite' | 'postgres';
  readonly created_at: string;
  /** Every table the archive carries, in load order, with its number of rows. */
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
}

interface ArchiveTrailer {
  readonly end: true;
  readonly rows: number;
  readonly sha256: string;
  readonly header_sha256: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Why an archive cannot be read: the one line the command prints. */
export class ArchiveInvalid extends Error {
  override readonly name = 'ArchiveInvalid';
}

function encodeValue(v: DumpRow[string]): unknown {
  return v instanceof Uint8Array
    ? { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
    : v;
}

function decodeRow(r: unknown, where: string): DumpRow {
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    throw new ArchiveInvalid(`${where}: "r" is not an object`);
  const out: Record<string, number | string | Uint8Array | null> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === null || typeof v === 'number' || typeof v === 'string') out[k] = v;
    else if (typeof v === 'object' && typeof (v as { $bytes?: unknown }).$bytes === 'string')
      out[k] = new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, 'base64'));
    else throw new ArchiveInvalid(`${where}: column "${k}" is not a number, text, bytes or null`);
  }
  return out;
}

/**
 * Write an archive to `path`: `rows` yields each table's rows in order, as `[table, row]`; the
 * tables listed in the header are `tables` (a table with no rows is listed with 0).
 */
export async function writeArchive(
  path: string,
  head: Omit<ArchiveHeader, 'format' | 'version' | 'tables'>,
  tables: readonly string[],
  rows: AsyncIterable<readonly [string, DumpRow]>,
): Promise<ArchiveHeader> {
  const body = `${path}.rows.part`;
  const counts = new Map(tables.map((t) => [t, 0]));
  const sum = createHash('sha256');
  const gzip = createGzip();
  const sink = createWriteStream(body, { mode: 0o600 });
  const piped = pipeline(gzip, sink);
  try {
    for await (const [t, r] of rows) {
      const n = counts.get(t);
      if (n === undefined) throw new Error(`a row of table ${t}, which the archive does not list`);
      counts.set(t, n + 1);
      const line = `${JSON.stringify({ t, r: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, encodeValue(v)])) })}\n`;
      sum.update(line);
      if (!gzip.write(line)) await once(gzip, 'drain');
    }
    gzip.end();
    await piped;
    const header: ArchiveHeader = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      ...head,
      tables: tables.map((name) => ({ name, rows: counts.get(name) ?? 0 })),
    };
    const headLine = `${JSON.stringify(header)}\n`;
    const trailer: ArchiveTrailer = {
      end: true,
      rows: [...counts.values()].reduce((a, b) => a + b, 0),
      sha256: sum.digest('hex'),
      header_sha256: sha256(headLine),
    };
    const out = createWriteStream(path, { mode: 0o600 });
    out.write(gzipSync(headLine));
    await pipeline(createReadStream(body), out, { end: false });
    out.end(gzipSync(`${JSON.stringify(trailer)}\n`));
    await once(out, 'finish');
    return header;
  } finally {
    gzip.destroy();
    rmSync(body, { force: true });
  }
}

/** The lines of a gzip'd file, each bounded; a damaged gzip stream is an {@link ArchiveInvalid}. */
async function* linesOf(path: string): AsyncGenerator<string> {
  const gunzip = createGunzip();
  const source = createReadStream(path).pipe(gunzip);
  const failed = new Promise<never>((_, reject) => {
    const fail = (err: Error) =>
      reject(new ArchiveInvalid(`${path} is not a readable gzip file (${err.message})`));
    gunzip.once('error', fail);
    source.once('error', fail);
  });
  failed.catch(() => undefined);
  const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY })[
    Symbol.asyncIterator
  ]();
  for (;;) {
    const next = await Promise.race([lines.next(), failed]);
    if (next.done) return;
    if (next.value.length > MAX_LINE)
      throw new ArchiveInvalid(`${path}: a line longer than ${MAX_LINE} bytes`);
    yield next.value;
  }
}

function parseLine(line: string, where: string): Record<string, unknown> {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new ArchiveInvalid(`${where} is not a JSON object`);
}

function parseHeader(line: string | undefined, path: string): ArchiveHeader {
  if (line === undefined) throw new ArchiveInvalid(`${path} is empty`);
  const h = parseLine(line, `${path}: line 1`);
  if (h.format !== ARCHIVE_FORMAT) throw new ArchiveInvalid(`${path} is not a deconflict hub archive`);
  if (h.version !== ARCHIVE_VERSION)
    throw new ArchiveInvalid(
      `${path} is archive format version ${String(h.version)}; this deconflict reads version ${ARCHIVE_VERSION}`,
    );
  const tables = h.tables;
  if (
    !Number.isSafeInteger(h.schema) ||
    (h.dialect !== 'sqlite' && h.dialect !== 'postgres') ||
    typeof h.created_at !== 'string' ||
    !Array.isArray(tables) ||
    !tables.every(
      (t) => typeof t?.name === 'string' && Number.isSafeInteger(t?.rows) && (t.rows as number) >= 0,
    )
  )
    throw new ArchiveInvalid(`${path}: the header is damaged`);
  return h as unknown as ArchiveHeader;
}

/**
 * Read an archive through once and check it: header, every row's table (in the header's order),
 * the counts, both sums. Resolves to the header; nothing is loaded.
 */
export async function checkArchive(path: string): Promise<ArchiveHeader> {
  let header: ArchiveHeader | undefined;
  for await (const _ of readRows(path, (h) => {
    header = h;
  })) {
    // Reading is checking.
  }
  return header as ArchiveHeader;
}

/**
 * The rows of an archive, in order, as `[table, row]`; `onHeader` is told the header first. The
 * file is checked as it is read: a bad row, a row of a table out of order, counts that differ
 * from the header's, a missing trailer or a sum that does not match throw {@link ArchiveInvalid}
 * — after the rows before it were handed out, so check the whole file first ({@link checkArchive}).
 */
export async function* readRows(
  path: string,
  onHeader: (h: ArchiveHeader) => void,
): AsyncGenerator<readonly [string, DumpRow]> {
  const lines = linesOf(path);
  const first = await lines.next();
  const headLine = first.done ? undefined : first.value;
  const header = parseHeader(headLine, path);
  onHeader(header);
  const order = header.tables.map((t) => t.name);
  const counts = new Map(order.map((t) => [t, 0]));
  const sum = createHash('sha256');
  let at = 0;
  let n = 1;
  for await (const line of lines) {
    n += 1;
    const where = `${path}: line ${n}`;
    const v = parseLine(line, where);
    if (v.end === true) {
      if (v.sha256 !== sum.digest('hex') || v.header_sha256 !== sha256(`${headLine}\n`))
        throw new ArchiveInvalid(`${path}: the checksum does not match: the file is damaged`);
      for (const t of header.tables)
        if (counts.get(t.name) !== t.rows)
          throw new ArchiveInvalid(
            `${path}: ${t.name} has ${counts.get(t.name)} rows, the header says ${t.rows}`,
          );
      if ((await lines.next()).done !== true) throw new ArchiveInvalid(`${path}: lines after the trailer`);
      return;
    }
    sum.update(`${line}\n`);
    const t = v.t;
    if (typeof t !== 'string' || !counts.has(t))
      throw new ArchiveInvalid(`${where}: no table "${String(t)}" in the header`);
    while (order[at] !== t) {
      at += 1;
      if (at >= order.length)
        throw new ArchiveInvalid(`${where}: a row of ${t} after the rows of later tables`);
    }
    counts.set(t, (counts.get(t) as number) + 1);
    yield [t, decodeRow(v.r, where)];
  }
  throw new ArchiveInvalid(`${path} ends before its trailer: the file is cut short`);
}
