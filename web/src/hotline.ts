/** Placeholder until the hotline panel lands. */
import type { MapApi } from './mapapi.ts';

export function mountHotline(el: HTMLElement, _map: MapApi): void {
  el.textContent = 'hotline';
}
