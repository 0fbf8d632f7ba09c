/** Placeholder until the map lands. */
import type { MapApi } from './mapapi.ts';

export function createMap(_el: HTMLElement): MapApi {
  return {
    focus: () => undefined,
    draw: async () => null,
    setDraft: () => undefined,
    setPreview: () => undefined,
    resize: () => undefined,
  };
}
