/**
 * A conflict withheld from the party that submitted it (docs/design.md §8): that party had used
 * its whole probing budget against our hidden declarations for the day, so the hub answered it
 * without this conflict. Its owner sees "withheld from X (budget exhausted)" and a watch officer
 * can release it: the hub then tells the other party, and answers the conflict as we see it.
 *
 * Shared by the Watch inbox and the Detail panel (and the Probing view): one line, one Release.
 */
import { api, errorText } from './api.ts';
import { h } from './dom.ts';
import { canRelease } from './roles.ts';
import { emit, state } from './store.ts';
import type { ConflictView } from './wire.ts';

/** Releases under way, and the last failure of each, by conflict id (kept across redraws). */
const busy = new Set<string>();
const failed = new Map<string, string>();

/** The parties a conflict is withheld from now (the copy held, else the one given). */
export function withheldFrom(c: ConflictView): string[] {
  return (state.conflicts.get(c.id) ?? c).withheld_from ?? [];
}

/** "withheld from X (budget exhausted)" and Release, or nothing when it is withheld from no one. */
export function withheldLine(c: ConflictView): HTMLElement | null {
  const from = withheldFrom(c);
  const err = failed.get(c.id);
  if (from.length === 0 && !err) return null;
  return h(
    'div.withheld',
    { dataset: { withheld: from.join(' '), conflictId: c.id } },
    from.length > 0
      ? [
          h('span.withheld-text', null, `withheld from ${from.join(', ')} (budget exhausted)`),
          releaseButton(c.id, from),
        ]
      : null,
    err ? h('div.error', { role: 'alert' }, `Not released: ${err}`) : null,
  );
}

/** The Release button of a conflict withheld from `from` (disabled for those who may not). */
export function releaseButton(id: string, from: readonly string[]): HTMLElement {
  return h(
    'button.release',
    {
      type: 'button',
      dataset: { action: 'release', conflictId: id },
      disabled: busy.has(id) || !canRelease(),
      title: canRelease()
        ? `Tell ${from.join(', ')} about this conflict now`
        : 'Only the watch officer, senior officer or party admin releases a withheld conflict',
      onclick: () => void release(id),
    },
    busy.has(id) ? 'Releasing…' : 'Release',
  );
}

/** Why the last release of a conflict failed, if it did. */
export function releaseError(id: string): string | undefined {
  return failed.get(id);
}

/** Release a withheld conflict; the hub's answer replaces the copy held. */
async function release(id: string): Promise<void> {
  if (busy.has(id)) return;
  busy.add(id);
  failed.delete(id);
  emit('conflicts');
  try {
    const c = await api<ConflictView>('POST', `/conflicts/${encodeURIComponent(id)}/release`, {});
    state.conflicts.set(c.id, c);
  } catch (err) {
    failed.set(id, errorText(err));
  } finally {
    busy.delete(id);
    emit('conflicts');
  }
}
