/**
 * Cursor-on-Target → declaration input features, by the CoT decoder (src/formats/cot/decode.ts:
 * the hub's own events read back exactly, a few unambiguous TAK types mapped, conflicts, alerts
 * and deletes skipped, anything else refused with the event named). A TAK data package is its
 * `.cot` entries in manifest order, inflated within bounds (src/formats/cot/datapackage.ts), then
 * the same decoder. The decoder already yields the declaration format, so a column mapping does
 * not apply. Each feature is named for the engine's errors by its position among the declarations
 * and its id.
 */
import { packageToFeatures } from '../cot/datapackage.ts';
import { cotToFeatures, type InputFeature } from '../cot/decode.ts';
import type { Geometry, Imported, Mapped } from './mapping.ts';

/** A `.cot` file: one event, an `<events>` document or one event per line. */
export function readCot(text: string, what: string): Imported {
  return imported(cotToFeatures(text, what));
}

/** A TAK data package (zip with `MANIFEST/manifest.xml`), as ATAK and the hub's export make it. */
export async function readTakPackage(bytes: Uint8Array, what: string): Promise<Imported> {
  return imported(await packageToFeatures(bytes, what));
}

function imported(features: readonly InputFeature[]): Imported {
  const mapped: Mapped[] = features.map((f, i) => {
    const id = (f.properties as { id?: unknown }).id;
    return {
      feature: {
        type: 'Feature',
        geometry: f.geometry as Geometry,
        properties: { ...(f.properties as Record<string, unknown>) },
      },
      where: `declaration ${i + 1}${typeof id === 'string' ? ` (${JSON.stringify(id)})` : ''}`,
      columns: new Map(),
    };
  });
  return { mapped, ignored: [], skipped: [] };
}
