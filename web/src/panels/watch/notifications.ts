/**
 * The flash alarm: a flash alert (new or escalated) sounds a synthesised alarm and raises a
 * browser notification when the user has allowed them; and the switch that asks for that.
 */
import {
  notificationsGranted,
  notificationsSupported,
  notify,
  playAlarm,
  requestNotifications,
} from '../../alarm.ts';
import { h, mount } from '../../dom.ts';
import { dtg } from '../../format.ts';
import { state } from '../../store.ts';
import { onEvent } from '../../sync.ts';
import type { AlertView } from '../../wire.ts';
import { headline } from './inbox.ts';

/** Whether notifications are on, blocked, or a button to ask for them. */
export function drawNotificationSwitch(slot: HTMLElement): void {
  if (!notificationsSupported()) mount(slot);
  else if (notificationsGranted())
    mount(slot, h('span.dim', { title: 'Flash alerts raise a browser notification' }, 'notifications on'));
  else if (Notification.permission === 'denied') mount(slot, h('span.dim', null, 'notifications blocked'));
  else
    mount(
      slot,
      h(
        'button',
        {
          dataset: { action: 'enable-notifications' },
          title: 'Flash alerts will also raise a browser notification',
          onclick: async () => {
            await requestNotifications();
            drawNotificationSwitch(slot);
          },
        },
        'Enable notifications',
      ),
    );
}

/** Sound the alarm and notify on every open flash alert the stream brings; a click opens it. */
export function alarmOnFlash(open: (a: AlertView) => void): void {
  onEvent((e) => {
    if (e.type !== 'alert.created' && e.type !== 'alert.escalated') return;
    const a = e.data as AlertView;
    if (a.precedence !== 'flash' || state.alerts.get(a.id)?.status !== 'open') return;
    playAlarm();
    const what = e.type === 'alert.escalated' ? `FLASH escalated → ${a.level}` : 'FLASH alert';
    notify(
      `${what} (${state.me?.party ?? ''})`,
      `${headline(a)}\nAcknowledge by ${a.due_at ? dtg(a.due_at) : '—'}`,
      a.id,
      () => open(a),
    );
  });
}
