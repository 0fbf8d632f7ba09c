/**
 * Where the Declare form shows what is wrong: next to the field an error's path names, or in
 * the list at the top for an error with no field (or whose field this kind hides).
 */
import { h, mount } from '../../dom.ts';
import { type Field, fieldOf } from './kinds.ts';

/** The form's error slots. */
export interface FieldErrors {
  /** The list at the top of the panel. */
  readonly top: HTMLElement;
  /** A new slot for a field's error, to place in its row. */
  slot(f: Field): HTMLElement;
  /** Show (or with '' clear) a field's error, marking its row invalid. */
  set(f: Field, text: string): void;
  clear(): void;
  /** Show a list of errors, each by its path (a hub error's code before its message). */
  show(list: { code?: string; path: string; message: string }[]): void;
}

/** Empty error slots. */
export function fieldErrors(): FieldErrors {
  const slots = new Map<Field, HTMLElement>();
  const top = h('div.error.dcl-top-errors', { role: 'alert', 'data-testid': 'declare-errors' });
  const set = (f: Field, text: string) => {
    const e = slots.get(f);
    if (!e) return;
    e.textContent = text;
    e.closest('.dcl-row')?.classList.toggle('invalid', text !== '');
  };
  return {
    top,
    slot: (f) => {
      const e = h('div.error.dcl-field-error', { dataset: { field: f } });
      slots.set(f, e);
      return e;
    },
    set,
    clear: () => {
      for (const f of slots.keys()) set(f, '');
      mount(top);
    },
    show: (list) => {
      const byField = new Map<Field, string[]>();
      const above: string[] = [];
      for (const e of list) {
        const f = fieldOf(e.path);
        const text = e.code ? `${e.code}: ${e.message}` : e.message;
        if (f) byField.set(f, [...(byField.get(f) ?? []), text]);
        else above.push(e.path ? `${text} (${e.path})` : text);
      }
      for (const [f, texts] of byField) {
        const row = slots.get(f)?.closest('.dcl-row') as HTMLElement | null;
        // A field hidden for this kind still needs its error seen.
        if (!row || row.hidden) above.push(...texts);
        else set(f, texts.join('\n'));
      }
      mount(
        top,
        above.map((t) => h('div', null, t)),
      );
    },
  };
}
