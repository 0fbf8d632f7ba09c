/**
 * The flash alarm: a short two-tone signal synthesised with the Web Audio API (no audio file to
 * fetch), and a browser notification when the user has allowed them. Browsers keep an audio
 * context suspended until the page has had a user gesture, so the context is created (or
 * resumed) on the first click or key press; an alarm before any gesture is shown, not heard.
 */
import { state } from './store.ts';

let ctx: AudioContext | null = null;

/** The page's audio context, created once (null where the browser has none). */
function audio(): AudioContext | null {
  if (ctx) return ctx;
  const Ctor =
    window.AudioContext ??
    (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  try {
    ctx = new Ctor();
  } catch {
    return null;
  }
  return ctx;
}

/** Unlock audio on the first user gesture, so that a later alarm is heard. */
export function primeAudio(): void {
  const unlock = () => {
    const c = audio();
    if (c && c.state === 'suspended') void c.resume().catch(() => undefined);
    document.removeEventListener('pointerdown', unlock, true);
    document.removeEventListener('keydown', unlock, true);
  };
  document.addEventListener('pointerdown', unlock, true);
  document.addEventListener('keydown', unlock, true);
}

let lastPlayed = 0;

/** Three short high-low beeps (about 1.2 s). Silent when muted; at most once per 2 s. */
export function playAlarm(): void {
  if (state.settings.mute) return;
  const now = Date.now();
  if (now - lastPlayed < 2000) return;
  lastPlayed = now;
  const c = audio();
  if (!c) return;
  if (c.state === 'suspended') void c.resume().catch(() => undefined);
  const t0 = c.currentTime + 0.02;
  const gain = c.createGain();
  gain.gain.value = 0;
  gain.connect(c.destination);
  const osc = c.createOscillator();
  osc.type = 'square';
  osc.connect(gain);
  for (let i = 0; i < 3; i++) {
    const t = t0 + i * 0.4;
    osc.frequency.setValueAtTime(1040, t);
    osc.frequency.setValueAtTime(760, t + 0.16);
    gain.gain.setValueAtTime(0, t);
    gain.gain.linearRampToValueAtTime(0.18, t + 0.01);
    gain.gain.setValueAtTime(0.18, t + 0.3);
    gain.gain.linearRampToValueAtTime(0, t + 0.32);
  }
  osc.start(t0);
  osc.stop(t0 + 1.25);
  osc.onended = () => gain.disconnect();
}

/** Whether this browser has notifications at all. */
export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

/** Whether the user allowed notifications. */
export function notificationsGranted(): boolean {
  return notificationsSupported() && Notification.permission === 'granted';
}

/** Ask for permission (call from a button's click only, never on load). */
export async function requestNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (!notificationsSupported()) return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** A browser notification, if allowed; clicking it brings the console forward. */
export function notify(title: string, body: string, tag: string, onClick?: () => void): void {
  if (!notificationsGranted()) return;
  try {
    const n = new Notification(title, { body, tag, requireInteraction: true });
    n.onclick = () => {
      window.focus();
      onClick?.();
      n.close();
    };
  } catch {
    // Some browsers only allow notifications from a service worker: the inbox still shows it.
  }
}
