/**
 * TAK data packages (the zip ATAK, WinTAK and iTAK import offline: Import → the .zip), written
 * and read.
 *
 * Layout written, the one ATAK makes and imports:
 * - `MANIFEST/manifest.xml`: `<MissionPackageManifest version="2">` with `Configuration` (`uid`,
 *   `name`, `onReceiveDelete=false` so the package stays listed after import) and `Contents`, one
 *   `<Content zipEntry ignore="false">` per event with its CoT `uid` and `name` parameters;
 * - `events/000001.cot` …: one CoT event per file (entry names are numbered, never made from
 *   uids, which hold `:` and any id character).
 * The package uid is `deconflict.package.<party>`: importing a newer package of the same party
 * replaces the older one on the device instead of piling up copies.
 *
 * Streaming: each event is written into the zip (yazl) as it comes and the writer waits whenever
 * the archive's output is not being read, so memory holds the output's buffer and the manifest's
 * list of entries (about 150 bytes per event), never the archive. Event files are stored, not
 * deflated: yazl deflates each entry on its own asynchronously, so deflated entries could not be
 * paced (100,000 events meant 100,000 deflate streams at once), and an event of a kilobyte or two
 * deflates on its own by only about a third. The manifest is deflated.
 *
 * Reading goes through the hub's bounded unzip (src/formats/safe/zip.ts) and decode.ts: every
 * `.cot` entry the manifest lists (all `.cot` entries when it has none), in manifest order.
 */
import type { PassThrough } from 'node:stream';
import { ZipFile } from 'yazl';
import { formatDtg } from '../../field/dtg.ts';
import type { Picture } from '../export/types.ts';
import { fileError, parseXml } from '../safe/xml.ts';
import { readZip } from '../safe/zip.ts';
import { esc } from '../xml-write.ts';
import { cotToFeatures, type InputFeature, MAX_EVENTS } from './decode.ts';

export const MANIFEST = 'MANIFEST/manifest.xml';

interface Entry {
  readonly entry: string;
  readonly uid: string;
  readonly name: string;
}

const param = (name: string, value: string): string =>
  `<Parameter name="${esc(name)}" value="${esc(value)}"/>`;

/** The manifest of a package: its uid and name, and one Content per entry. */
export function manifestXml(uid: string, name: string, entries: readonly Entry[]): string {
  const contents = entries
    .map(
      (e) =>
        `<Content ignore="false" zipEntry="${esc(e.entry)}">${param('uid', e.uid)}${param('name', e.name)}</Content>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<MissionPackageManifest version="2">\n<Configuration>${param('uid', uid)}${param('name', name)}${param('onReceiveDelete', 'false')}</Configuration>\n<Contents>\n${contents}\n</Contents>\n</MissionPackageManifest>\n`;
}

/** Resolves once the output has room again, or is gone (a reader that stopped early). */
function drained(out: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/** The zip of a picture's events (see the header), as a stream of bytes. */
export async function* writePackage(
  p: Picture,
  events: AsyncIterable<{ uid: string; name: string; xml: string }>,
): AsyncIterable<Uint8Array> {
  const zip = new ZipFile();
  const out = zip.outputStream as PassThrough;
  const mtime = new Date(p.generated_at);
  // Events stored, not deflated: see the header.
  const stored = { mtime, compress: false };
  const feed = (async () => {
    const entries: Entry[] = [];
    for await (const e of events) {
      const entry = `events/${String(entries.length + 1).padStart(6, '0')}.cot`;
      zip.addBuffer(Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${e.xml}\n`), entry, stored);
      entries.push({ entry, uid: e.uid, name: e.name });
      if (out.writableNeedDrain) await drained(out);
      if (out.destroyed) return; // the reader went away
    }
    const name = `Deconflict ${p.party} ${formatDtg(p.generated_at)}`;
    zip.addBuffer(Buffer.from(manifestXml(`deconflict.package.${p.party}`, name, entries)), MANIFEST, {
      mtime,
      compress: true,
    });
    zip.end();
  })();
  feed.catch((err: unknown) => out.destroy(err as Error));
  for await (const chunk of out) yield chunk as Uint8Array;
  await feed;
}

/** The `.cot` entries a manifest lists, in its order (null when the manifest is absent). */
function listedEntries(files: ReadonlyMap<string, Uint8Array>, what: string): string[] | null {
  const manifest = files.get(MANIFEST);
  if (!manifest) return null;
  const doc = parseXml(new TextDecoder().decode(manifest), `${what} ${MANIFEST}`);
  const out: string[] = [];
  const contents = doc.getElementsByTagName('Content');
  for (let i = 0; i < contents.length; i++) {
    const e = contents.item(i)?.getAttribute('zipEntry');
    if (e?.endsWith('.cot') && contents.item(i)?.getAttribute('ignore') !== 'true') out.push(e);
  }
  return out;
}

/** Declaration input features of every CoT event of a data package (decode.ts's rules). */
export async function packageToFeatures(bytes: Uint8Array, what = 'data package'): Promise<InputFeature[]> {
  const files = await readZip(bytes, { entries: MAX_EVENTS + 1 }, what);
  const names = listedEntries(files, what) ?? [...files.keys()].filter((n) => n.endsWith('.cot')).sort();
  const text = names
    .map((n) => {
      const bytes = files.get(n);
      if (!bytes)
        throw fileError('invalid_file', what, `the manifest lists ${n}, which the archive does not hold`);
      return new TextDecoder().decode(bytes);
    })
    .join('\n');
  return cotToFeatures(text, what);
}
