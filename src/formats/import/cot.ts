/**
 * Cursor-on-Target → declaration input features, by the CoT decoder (src/formats/cot/decode.ts:
 * the hub's own events read back exactly, a few unambiguous TAK types mapped, conflicts, alerts
 * and deletes skipped, anything else refused with the event named). The decoder already yields the
 * declaration format, so a column mapping does not apply. Each feature is named for the engine's
 * errors by its position among the declarations and its id.
 */
import { cotToFeatures } from '../cot/decode.ts';
import type { Geometry, Imported, Mapped } from './mapping.ts';

export function readCot(text: string, what: string): Imported {
  const mapped: Mapped[] = cotToFeatures(text, what).map((f, i) => {
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
