/**
 * The one way the hub opens an archive (KMZ, XLSX, a TAK data package): bounded while inflating.
 *
 * A zip's central directory states each entry's sizes, but a hostile archive lies, and a zip bomb
 * (200 MiB of zeros deflate to about 200 KiB) tells the truth and still exhausts memory. So the
 * sizes in the headers are never trusted as a bound: every entry is inflated through a counter
 * that stops the inflation the moment a limit is crossed, and the archive is refused as a whole
 * with `unsafe_file`:
 * - more than {@link ZIP_LIMITS}.entries entries (directories included);
 * - an entry inflating past `entryBytes`, or all entries together past `totalBytes`;
 * - an entry whose inflated bytes pass `ratioFloorBytes` at more than `ratio` times its compressed
 *   size (real KML and spreadsheets deflate 5 to 20 times; 100 is a bomb's signature).
 * A damaged archive, an encrypted entry, an unknown compression method, an entry name outside
 * the archive (absolute, `..`) or twice the same name is `invalid_file`. Names are only keys: the
 * hub never writes an entry to disk.
 *
 * yauzl reads from the buffer (no temporary file) and checks each entry's inflated length against
 * its header as well; the counter here is what bounds memory.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { fileError } from './xml.ts';

export interface ZipLimits {
  readonly entries: number;
  readonly entryBytes: number;
  readonly totalBytes: number;
  readonly ratio: number;
  readonly ratioFloorBytes: number;
}

export const ZIP_LIMITS: ZipLimits = {
  entries: 1000,
  entryBytes: 50 * 1024 * 1024,
  totalBytes: 100 * 1024 * 1024,
  ratio: 100,
  ratioFloorBytes: 1024 * 1024,
};

const MiB = 1024 * 1024;

/** Every file entry of the archive, by name, inflated within the limits; or a coded refusal. */
export async function readZip(
  bytes: Uint8Array,
  limits: Partial<ZipLimits> = {},
  what = 'archive',
): Promise<Map<string, Uint8Array>> {
  const lim: ZipLimits = { ...ZIP_LIMITS, ...limits };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: yauzl.ZipFile;
  try {
    zip = await open(buffer);
  } catch (err) {
    throw fileError('invalid_file', what, `not a readable zip archive (${reason(err)})`);
  }
  if (zip.entryCount > lim.entries) {
    zip.close();
    throw fileError('unsafe_file', what, `${zip.entryCount} entries; at most ${lim.entries} are read`);
  }
  const out = new Map<string, Uint8Array>();
  const total = { bytes: 0 };
  try {
    for (let entry = await next(zip); entry; entry = await next(zip)) {
      if (entry.fileName.endsWith('/')) continue;
      if (out.has(entry.fileName))
        throw fileError('invalid_file', what, `two entries named ${quote(entry.fileName)}`);
      if (entry.isEncrypted()) throw fileError('invalid_file', what, `${quote(entry.fileName)} is encrypted`);
      out.set(entry.fileName, await inflate(zip, entry, lim, total, what));
    }
  } catch (err) {
    zip.close();
    if (err && (err as { name?: string }).name === 'DeconflictError') throw err;
    throw fileError('invalid_file', what, `damaged zip archive (${reason(err)})`);
  }
  return out;
}

function open(buffer: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      buffer,
      { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    );
  });
}

/** The next entry, or null at the end of the central directory. */
function next(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.removeListener('entry', onEntry);
      zip.removeListener('end', onEnd);
      zip.removeListener('error', onError);
    };
    const onEntry = (e: yauzl.Entry): void => {
      cleanup();
      resolve(e);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** One entry's bytes, counted chunk by chunk; the stream is destroyed at the first excess. */
function inflate(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  lim: ZipLimits,
  total: { bytes: number },
  what: string,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream: Readable) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      let size = 0;
      const compressed = Math.max(1, entry.compressedSize);
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        total.bytes += chunk.length;
        const refusal =
          size > lim.entryBytes
            ? `${quote(entry.fileName)} inflates past ${lim.entryBytes / MiB} MiB`
            : total.bytes > lim.totalBytes
              ? `the entries inflate past ${lim.totalBytes / MiB} MiB in all`
              : size > lim.ratioFloorBytes && size / compressed > lim.ratio
                ? `${quote(entry.fileName)} inflates more than ${lim.ratio} times its compressed size (a zip bomb)`
                : null;
        if (refusal) {
          stream.destroy();
          reject(fileError('unsafe_file', what, refusal));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks, size))));
    });
  });
}

function quote(name: string): string {
  const n = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return JSON.stringify(n.length > 100 ? `${n.slice(0, 100)}…` : n);
}

function reason(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/\s+/g, ' ').slice(0, 200);
}
