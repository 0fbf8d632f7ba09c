/** Logging in: the login screen, and the dialog that asks again when the session has ended. */
import { ApiError, login } from './api.ts';
import { h, mount } from './dom.ts';
import { state } from './store.ts';

/** The login screen; `entered` runs once the session exists. */
export function loginScreen(root: HTMLElement, entered: () => Promise<void>, message = ''): void {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('div.error', { role: 'alert' }, message);
  const submit = async (e: Event) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await login(user.value, pass.value);
      await entered();
    } catch (err) {
      error.textContent =
        err instanceof ApiError && err.status === 401
          ? 'Unknown username or wrong password.'
          : String((err as Error).message);
    }
  };
  const form = h(
    'form.login',
    { onsubmit: submit },
    h('h1', null, 'deconflict'),
    h('label', null, 'Username', user),
    h('label', null, 'Password', pass),
    h('button', { type: 'submit' }, 'Log in'),
    error,
  );
  mount(root, h('div.login-screen', null, form));
  user.focus();
}

/** The session ended under the user: ask for the password again, in place, keeping the page. */
export function reloginDialog(root: HTMLElement): Promise<void> {
  return new Promise((resolve) => {
    const me = state.me;
    if (!me) return;
    const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
    const error = h('div.error', { role: 'alert' });
    const submit = async (e: Event) => {
      e.preventDefault();
      try {
        state.me = await login(me.username, pass.value);
        dialog.remove();
        resolve();
      } catch {
        error.textContent = 'Wrong password.';
      }
    };
    const dialog = h(
      'div.modal',
      { role: 'dialog', 'aria-label': 'Session expired' },
      h(
        'form',
        { onsubmit: submit },
        h('h2', null, 'Session expired'),
        h('p', null, `Log in again as ${me.username}; nothing you typed is lost.`),
        pass,
        h('button', { type: 'submit' }, 'Continue'),
        error,
      ),
    );
    root.appendChild(dialog);
    pass.focus();
  });
}
