/** Placeholder until the watch panel lands. */
import type { MapApi } from './mapapi.ts';

export function mountWatch(el: HTMLElement, _map: MapApi): void {
  el.textContent = 'watch';
}
