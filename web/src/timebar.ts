/**
 * The time bar: the picture at any moment — dragged on the slider from a day ago to three days
 * ahead, typed as a Zulu date-time group (`061430ZDEC26`) or ISO time at any moment, or the start
 * of the next conflict after the moment shown — or now.
 *
 * Typed times are read by the hub's own parser (src/field/dtg.ts, through format.ts), so the time
 * bar accepts exactly what the Declare form and the command line accept. "Next conflict" steps
 * through the open conflicts of the party by the start of their windows, and flies the map to
 * each: at night a watch officer asks "what happens next?", not "what is at 04:15?".
 */
import { h, mount } from './dom.ts';
import { dtg, local, parseTime } from './format.ts';
import { words } from './labels.ts';
import type { MapApi } from './map/api.ts';
import { emit, on, shownTime, state } from './store.ts';
import type { ConflictView } from './wire.ts';

const HOUR = 3_600_000;
/** The slider's range, in hours from now. */
const BACK_H = 24;
const AHEAD_H = 72;

/** The open conflict whose window starts first after `t`, if any. */
export function nextConflict(conflicts: Iterable<ConflictView>, t: number): ConflictView | null {
  let next: ConflictView | null = null;
  for (const c of conflicts) {
    if (c.status !== 'open') continue;
    const start = Date.parse(c.window.start);
    if (start <= t) continue;
    if (!next || start < Date.parse(next.window.start)) next = c;
  }
  return next;
}

/** The time bar's elements. */
interface Bar {
  readonly slider: HTMLInputElement;
  readonly label: HTMLElement;
  readonly typed: HTMLInputElement;
  readonly error: HTMLElement;
  readonly next: HTMLButtonElement;
  /** What the last jump went to, said beside the time shown (cleared by any other move). */
  about: string;
}

/** The time slider, the moment shown, the typed DTG, "next conflict", and back to now. */
export function mountTimebar(el: HTMLElement, map: MapApi): void {
  const bar: Bar = {
    slider: h('input', {
      type: 'range',
      name: 'time',
      min: String(-BACK_H),
      max: String(AHEAD_H),
      step: '0.25',
      value: '0',
      'aria-label': 'Time shown',
    }),
    label: h('span.shown', { 'data-testid': 'time-shown' }),
    typed: h('input.mono', {
      name: 'dtg',
      placeholder: 'DDHHMMZMONYY',
      autocomplete: 'off',
      spellcheck: false,
      size: 14,
      'aria-label': 'Show the picture at a date-time group (Enter)',
      title: 'Type a Zulu date-time group (061430ZDEC26) or an ISO time, then Enter',
    }),
    error: h('span.tb-error', { role: 'alert' }),
    next: h('button', { dataset: { action: 'next-conflict' } }, 'Next conflict ▸'),
    about: '',
  };
  bar.slider.addEventListener('input', () => {
    const offset = Number(bar.slider.value) * HOUR;
    show(bar, offset === 0 ? null : Math.round((Date.now() + offset) / 60_000) * 60_000);
  });
  bar.typed.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    goTyped(bar);
  });
  bar.typed.addEventListener('input', () => setError(bar, ''));
  bar.next.addEventListener('click', () => goNext(bar, map));
  on('conflicts', () => drawNext(bar));
  setInterval(() => draw(bar), 1000);
  draw(bar);
  const now = h('button', { dataset: { action: 'now' }, onclick: () => show(bar, null) }, 'Now');
  mount(el, bar.slider, bar.label, bar.typed, bar.error, bar.next, now);
}

/** Show the picture at `time` (null: now, following the clock), the slider where it falls. */
function show(bar: Bar, time: number | null, about = ''): void {
  state.time = time;
  bar.about = about;
  const hours = time === null ? 0 : (time - Date.now()) / HOUR;
  bar.slider.value = String(Math.max(-BACK_H, Math.min(AHEAD_H, Math.round(hours * 4) / 4)));
  draw(bar);
  emit('time');
}

/** The moment shown, and the next-conflict button's state. */
function draw(bar: Bar): void {
  const t = shownTime();
  const what = `${state.time === null ? 'Now: ' : 'Shown: '}${dtg(t)} · ${local(t)} local`;
  bar.label.textContent = bar.about ? `${what} · ${bar.about}` : what;
  drawNext(bar);
}

/** Whether there is a next conflict, and which (in the button's title). */
function drawNext(bar: Bar): void {
  const c = nextConflict(state.conflicts.values(), shownTime());
  bar.next.disabled = c === null;
  bar.next.title = c
    ? `Show ${dtg(c.window.start)}, when the next conflict starts: ${c.severity} ${words(c.rule)}`
    : 'No open conflict starts after the time shown';
}

/** Show the moment typed, or say why it cannot be read. */
function goTyped(bar: Bar): void {
  const text = bar.typed.value.trim();
  if (text === '') return;
  let t: number;
  try {
    t = parseTime(text);
  } catch (e) {
    const detail = (e as { details?: { message: string }[] }).details?.[0]?.message;
    setError(bar, detail ?? 'not a date-time group (061430ZDEC26) or ISO time');
    return;
  }
  setError(bar, '');
  bar.typed.value = dtg(t);
  show(bar, t);
}

/** Show the start of the next conflict after the moment shown, and fly the map to it. */
function goNext(bar: Bar, map: MapApi): void {
  const c = nextConflict(state.conflicts.values(), shownTime());
  if (!c) return;
  show(bar, Date.parse(c.window.start), `${c.severity} ${words(c.rule)} starts`);
  bar.next.dataset.conflictId = c.id;
  map.focus({ type: 'conflict', id: c.id });
}

/** The typed time's problem ('' for none), beside the field and on it. */
function setError(bar: Bar, message: string): void {
  bar.error.textContent = message;
  bar.error.title = message;
  bar.typed.classList.toggle('invalid', message !== '');
  bar.typed.setAttribute('aria-invalid', message === '' ? 'false' : 'true');
}
