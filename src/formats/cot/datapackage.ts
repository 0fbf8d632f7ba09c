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
 * Streaming: each event is written into the zip (fflate's streaming Zip) as it comes, and the
 * bytes written so far are handed on before the next event is read, so the reader paces the
 * writer; memory holds one event and the entries' list (the manifest's and the zip's central
 * directory, about 1.5 KB per event), never the archive. Event files are stored, not deflated:
 * a deflate state per entry costs more than a one-kilobyte event saves (100,000 events: 9.9 s
 * deflated, 1.2 s stored, in fflate alone), and a zip can only deflate entry by entry. The
 * manifest is deflated. (yazl, used first, looked for its next entry from the start of its list
 * each time: 57 s for 100,000 events.)
 *
 * Reading goes through the hub's bounded unzip (src/formats/safe/zip.ts) and decode.ts: every
 * `.cot` entry the manifest lists (all `.cot` entries when it has none), in manifest order.
 */
import { strToU8, Zip, ZipDeflate, ZipPassThrough } from 'fflate';
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

/** The zip of a picture's events (see the header), as a stream of bytes. */
export async function* writePackage(
  p: Picture,
  events: AsyncIterable<{ uid: string; name: string; xml: string }>,
): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else chunks.push(chunk);
  });
  const mtime = new Date(p.generated_at);
  const add = (entry: string, text: string, deflate: boolean) => {
    const file = deflate ? new ZipDeflate(entry, { level: 6 }) : new ZipPassThrough(entry);
    file.mtime = mtime;
    zip.add(file);
    file.push(strToU8(text), true);
  };
  // Everything written so far; the generator waits for its reader between events.
  const flush = function* () {
    if (failure) throw failure;
    yield* chunks.splice(0);
  };
  const entries: Entry[] = [];
  for await (const e of events) {
    const entry = `events/${String(entries.length + 1).padStart(6, '0')}.cot`;
    add(entry, `<?xml version="1.0" encoding="UTF-8"?>\n${e.xml}\n`, false);
    entries.push({ entry, uid: e.uid, name: e.name });
    yield* flush();
  }
  const name = `Deconflict ${p.party} ${formatDtg(p.generated_at)}`;
  add(MANIFEST, manifestXml(`deconflict.package.${p.party}`, name, entries), true);
  zip.end();
  yield* flush();
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
