/** Writing to a channel: the text (Ctrl+Enter sends), its precedence, and a conflict it is about. */
import { api, errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { emit, putMessage, state } from '../../store.ts';
import type { MessageView } from '../../wire.ts';
import { conflictLabel } from './model.ts';
import type { Hotline } from './state.ts';

const PRECEDENCES: readonly MessageView['precedence'][] = ['routine', 'priority', 'immediate', 'flash'];

/** The compose box and the parts the conversation sets: the text, its error line and a note. */
export interface Compose {
  readonly el: HTMLElement;
  readonly text: HTMLTextAreaElement;
  readonly error: HTMLElement;
  /** Why nothing can be sent yet, shown instead of the box. */
  readonly note: HTMLElement;
  /** List the party's open conflicts as references (keeping the one chosen while it is open). */
  drawRefs(): void;
}

/** The compose box of the panel. */
export function composer(hl: Hotline): Compose {
  const text = h('textarea', {
    name: 'text',
    rows: 3,
    maxlength: '4000',
    placeholder: 'Message — Ctrl+Enter sends',
    oninput: () => hl.current && hl.drafts.set(hl.current, text.value),
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void send(hl, parts);
      }
    },
  });
  const precedence = h(
    'select',
    { name: 'precedence', title: 'Precedence (flash and immediate must be acknowledged)' },
    PRECEDENCES.map((p) => h('option', { value: p, selected: p === 'routine' }, p)),
  );
  const ref = h('select', { name: 'ref', title: 'About one of your open conflicts' });
  const button = h(
    'button.primary',
    { dataset: { action: 'send' }, onclick: () => void send(hl, parts) },
    'Send',
  );
  const error = h('div.error', { role: 'alert' });
  const parts = { text, precedence, ref, button, error };
  return {
    el: h('div.compose', null, text, h('div.row', null, precedence, ref, h('span.spacer'), button), error),
    text,
    error,
    note: h('div.dim.compose-note'),
    drawRefs: () => drawRefs(ref),
  };
}

/** The reference choices: none, or one of the party's open conflicts, oldest first. */
function drawRefs(ref: HTMLSelectElement): void {
  const keep = ref.value;
  const open = [...state.conflicts.values()]
    .filter((c) => c.status === 'open')
    .sort((x, y) => x.detected_at.localeCompare(y.detected_at));
  mount(
    ref,
    h('option', { value: '' }, '— no reference —'),
    open.map((c) => h('option', { value: c.id, selected: c.id === keep }, conflictLabel(c))),
  );
  if (keep && !open.some((c) => c.id === keep)) ref.value = '';
}

/** Send the message to the channel shown; the box empties only once the hub has it. */
async function send(
  hl: Hotline,
  p: {
    text: HTMLTextAreaElement;
    precedence: HTMLSelectElement;
    ref: HTMLSelectElement;
    button: HTMLButtonElement;
    error: HTMLElement;
  },
): Promise<void> {
  const id = hl.current;
  if (!id || !state.channels.get(id)) return;
  p.error.textContent = '';
  if (p.text.value.trim() === '') {
    p.error.textContent = 'Type a message.';
    return;
  }
  p.button.disabled = true;
  try {
    const m = await api<MessageView>('POST', `/channels/${id}/messages`, {
      text: p.text.value,
      precedence: p.precedence.value,
      ...(p.ref.value && { ref: { type: 'conflict', id: p.ref.value } }),
    });
    // The stream may already have brought this message with newer receipts: merge.
    putMessage(m);
    p.text.value = '';
    hl.drafts.delete(id);
    p.precedence.value = 'routine';
    p.ref.value = '';
    hl.stick = true;
    emit('messages');
  } catch (err) {
    p.error.textContent = errorText(err);
  } finally {
    p.button.disabled = false;
  }
}
