/** Placeholder until the declare panel lands. */
import type { MapApi } from './mapapi.ts';

export function mountDeclare(el: HTMLElement, _map: MapApi): void {
  el.textContent = 'declare';
}
