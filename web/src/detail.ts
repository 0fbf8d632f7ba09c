/** Placeholder until the detail panel lands. */
import type { MapApi } from './mapapi.ts';

export function mountDetail(el: HTMLElement, _map: MapApi): void {
  el.textContent = 'detail';
}
