/** The time bar: the picture at any moment from a day ago to three days ahead, or now. */
import { h, mount } from './dom.ts';
import { dtg, local } from './format.ts';
import { emit, state } from './store.ts';

const HOUR = 3_600_000;

/** The time slider, the moment shown, and the button back to now. */
export function mountTimebar(el: HTMLElement): void {
  const slider = h('input', {
    type: 'range',
    name: 'time',
    min: '-24',
    max: '72',
    step: '0.25',
    value: '0',
    'aria-label': 'Time shown',
  });
  const label = h('span.shown');
  const draw = () => {
    const t = state.time ?? Date.now();
    label.textContent = `${state.time === null ? 'Now: ' : 'Shown: '}${dtg(t)} · ${local(t)} local`;
  };
  const show = (time: number | null) => {
    state.time = time;
    draw();
    emit('time');
  };
  const now = () => {
    slider.value = '0';
    show(null);
  };
  slider.addEventListener('input', () => {
    const offset = Number(slider.value) * HOUR;
    show(offset === 0 ? null : Math.round((Date.now() + offset) / 60_000) * 60_000);
  });
  setInterval(draw, 1000);
  draw();
  mount(el, slider, label, h('button', { onclick: now }, 'Now'));
}
