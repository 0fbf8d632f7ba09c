/**
 * KMZ export: the KML export (kml.ts) as `doc.kml`, deflated in a zip (yazl), the form Google
 * Earth and ATAK pass around. The KML is piped into the zip as it is written, so the archive
 * streams like the KML; sizes are not known in advance (yazl writes data descriptors).
 */
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { kmlText } from './kml.ts';
import type { Exporter, Picture } from './types.ts';

async function* write(p: Picture): AsyncIterable<Uint8Array> {
  const zip = new ZipFile();
  const doc = Readable.from(kmlText(p), { objectMode: false });
  zip.addReadStream(doc, 'doc.kml', { mtime: new Date(p.generated_at), compress: true });
  zip.end();
  const out = zip.outputStream as Readable;
  doc.once('error', (err) => out.destroy(err));
  for await (const chunk of out) yield chunk as Uint8Array;
}

export const kmzExporter: Exporter = {
  format: 'kmz',
  mediaType: 'application/vnd.google-earth.kmz',
  extension: 'kmz',
  write,
};
