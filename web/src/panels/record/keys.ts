/**
 * The member's signing key in the Keys & record panel: make one (sealed under a passphrase and
 * registered with the hub), import or export its file, unlock it for the session, lock it, forget
 * it. Revoking is in the list of registered keys (log.ts), so that a key lost with another
 * computer can be revoked from this one. What each state of the key allows is said in words next
 * to it: a member must know whether what they acknowledge is signed.
 */

import { newMemberKey } from '../../../../src/ledger/statement.ts';
import { api, errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { dtg } from '../../format.ts';
import {
  forgetSealed,
  keepSealed,
  keyStatus,
  ledger,
  loadKeys,
  lock,
  logOrigin,
  publicKeyBytes,
  registration,
  unlock,
} from '../../ledger/state.ts';
import { registration as registrationStatement } from '../../ledger/statements.ts';
import { MIN_PASSPHRASE, parseSealedKey, sealKey } from '../../ledger/vault.ts';
import { downloadJson } from '../../ledger/view.ts';
import { checkLog } from '../../ledger/witness.ts';
import { state } from '../../store.ts';
import type { KeyPanel } from './state.ts';

/** Draw the key section for the key's current state. */
export function drawKey(kp: KeyPanel): void {
  const status = keyStatus();
  const k = ledger.sealed;
  mount(
    kp.el,
    h('h3', null, 'Your signing key'),
    k === null ? newKeyForm(kp) : keyLine(status),
    k !== null && status === 'locked' ? unlockForm(kp) : null,
    k !== null && status !== 'locked' ? unlockedActions(kp, status) : null,
    k !== null
      ? h(
          'div.rk-file',
          null,
          fileButton(kp, 'Export key file', exportKey),
          ' ',
          fileButton(kp, 'Forget', forget),
        )
      : null,
    h('div.rk-import', null, importField(kp)),
    kp.message ? h('div.rk-message', { role: 'status' }, kp.message) : null,
    kp.error ? h('div.error', { role: 'alert' }, kp.error) : null,
  );
}

/** Run an action: busy meanwhile, its error or message shown after. */
async function act(kp: KeyPanel, busy: string, fn: () => Promise<string | undefined>): Promise<void> {
  if (kp.busy) return;
  kp.busy = true;
  kp.error = '';
  kp.message = busy;
  drawKey(kp);
  try {
    kp.message = (await fn()) ?? '';
  } catch (err) {
    kp.message = '';
    kp.error = errorText(err);
  } finally {
    kp.busy = false;
    drawKey(kp);
  }
}

/** Which key this browser holds, and what it can do. */
function keyLine(status: ReturnType<typeof keyStatus>): HTMLElement {
  const k = ledger.sealed as NonNullable<typeof ledger.sealed>;
  const r = registration();
  const words: Record<typeof status, string> = {
    none: '',
    locked: 'locked — unlock it to sign',
    unregistered: 'unlocked, not registered with the hub: it cannot sign yet',
    revoked: `revoked ${r?.revoked_at ? dtg(r.revoked_at) : ''}: it signs nothing more — forget it here and generate a new one`,
    signing: `signing as ${state.me?.username ?? ''}: what you acknowledge, read or accept is signed`,
  };
  return h(
    'div.rk-line',
    { dataset: { keyStatus: status, keyId: k.id } },
    h('span.mono', null, k.id),
    ` · ${k.label} · `,
    h('span.rk-status', { class: `rk-${status}` }, words[status]),
    r ? h('div.dim', null, `registered ${dtg(r.created_at)} (ledger entry ${r.entry})`) : null,
  );
}

/** A passphrase field. */
const passField = (name: string, placeholder: string, disabled: boolean): HTMLInputElement =>
  h('input', {
    type: 'password',
    name,
    placeholder,
    autocomplete: 'new-password',
    disabled,
    minlength: String(MIN_PASSPHRASE),
  });

/** No key in this browser: make one, sealed under a passphrase typed twice, and register it. */
function newKeyForm(kp: KeyPanel): HTMLElement {
  const label = h('input', {
    name: 'key-label',
    value: 'watch console',
    maxlength: '100',
    disabled: kp.busy,
  });
  const pass = passField('passphrase', `Passphrase (at least ${MIN_PASSPHRASE} characters)`, kp.busy);
  const again = passField('passphrase-again', 'Passphrase again', kp.busy);
  const submit = (e: Event) => {
    e.preventDefault();
    void act(kp, 'Making and sealing the key…', () => generate(label.value.trim(), pass.value, again.value));
  };
  return h(
    'form.rk-new',
    { onsubmit: submit },
    h(
      'p.dim',
      null,
      'No signing key in this browser: acknowledgements go unsigned (the hub’s word only). ',
      'A key is made here, kept encrypted under your passphrase, and never leaves this browser unencrypted.',
    ),
    h('label', null, 'Label', label),
    pass,
    again,
    h(
      'button.primary',
      { type: 'submit', dataset: { action: 'generate-key' }, disabled: kp.busy },
      'Generate and register',
    ),
  );
}

/** Make a key, seal it, check that it opens, keep it, register it. */
async function generate(label: string, passphrase: string, again: string): Promise<string> {
  const me = state.me;
  if (!me) throw new Error('not logged in');
  if (label === '') throw new Error('Give the key a label (where it is kept).');
  if (passphrase !== again) throw new Error('The two passphrases differ.');
  const fresh = newMemberKey();
  const sealed = await sealKey(fresh.privateKey, passphrase, {
    username: me.username,
    party: me.party,
    label,
  });
  keepSealed(sealed);
  // Open what was kept, rather than trusting the key in hand: the file must be usable.
  await unlock(passphrase);
  return register();
}

/** Register the unlocked key with the hub (a key.register statement signed by the key). */
async function register(): Promise<string> {
  const u = ledger.unlocked;
  const me = state.me;
  if (!u || !me) throw new Error('unlock the key first');
  const origin = await logOrigin();
  if (origin === null) throw new Error('the hub did not say which log it keeps: try again');
  const signer = { origin, username: me.username, party: me.party, seed: u.seed };
  await api('POST', '/keys', {
    label: u.sealed.label,
    signed: registrationStatement(signer, publicKeyBytes(u.sealed), u.id),
  });
  await loadKeys();
  void checkLog();
  return `Key ${u.id} registered: what you acknowledge is now signed.`;
}

/** The key is kept but locked: its passphrase unlocks it for this session. */
function unlockForm(kp: KeyPanel): HTMLElement {
  const pass = h('input', {
    type: 'password',
    name: 'unlock-passphrase',
    placeholder: 'Passphrase',
    autocomplete: 'current-password',
    disabled: kp.busy,
  });
  const submit = (e: Event) => {
    e.preventDefault();
    void act(kp, 'Unlocking…', async () => {
      await unlock(pass.value);
      if (ledger.keys === null) await loadKeys();
      void checkLog();
      return undefined;
    });
  };
  return h(
    'form.rk-unlock',
    { onsubmit: submit },
    pass,
    h('button.primary', { type: 'submit', dataset: { action: 'unlock-key' }, disabled: kp.busy }, 'Unlock'),
  );
}

/** Unlocked: lock it, or register it (revoking is in the list of registered keys). */
function unlockedActions(kp: KeyPanel, status: ReturnType<typeof keyStatus>): HTMLElement {
  const button = (action: string, text: string, fn: () => void, primary = false) =>
    h(
      primary ? 'button.primary' : 'button',
      { type: 'button', dataset: { action }, disabled: kp.busy, onclick: fn },
      text,
    );
  return h(
    'div.rk-actions',
    null,
    status === 'unregistered'
      ? button('register-key', 'Register', () => void act(kp, 'Registering…', register), true)
      : null,
    button('lock-key', 'Lock', () => {
      lock();
      kp.message = 'Locked: what you do now goes unsigned.';
      drawKey(kp);
    }),
  );
}

/** A small button for an action on the kept key's file. */
function fileButton(kp: KeyPanel, text: string, fn: (kp: KeyPanel) => void): HTMLElement {
  const action = text.toLowerCase().replace(/ /g, '-');
  return h('button', { type: 'button', dataset: { action }, disabled: kp.busy, onclick: () => fn(kp) }, text);
}

/** Save the sealed key (encrypted: useless without the passphrase) as a file. */
function exportKey(): void {
  const k = ledger.sealed;
  if (k) downloadJson(`deconflict-key-${k.username}-${k.id}.json`, k);
}

/** Remove the key from this browser, once confirmed. */
function forget(kp: KeyPanel): void {
  if (
    !window.confirm(
      'Remove the key from this browser? Export it first to keep it. It stays registered until revoked.',
    )
  )
    return;
  forgetSealed();
  kp.message = 'The key was removed from this browser.';
  drawKey(kp);
}

/** Bring back an exported key file (it stays locked until its passphrase is given). */
function importField(kp: KeyPanel): HTMLElement {
  const input = h('input', {
    type: 'file',
    name: 'key-file',
    accept: 'application/json,.json',
    disabled: kp.busy,
  });
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (!file) return;
    void act(kp, 'Reading the key file…', async () => {
      const k = parseSealedKey(JSON.parse(await file.text()));
      if (
        ledger.sealed &&
        ledger.sealed.id !== k.id &&
        !window.confirm(`Replace key ${ledger.sealed.id} in this browser with ${k.id}?`)
      )
        return 'Not imported.';
      keepSealed(k);
      return `Key ${k.id} imported: unlock it with its passphrase.`;
    });
  });
  return h(
    'label.rk-import-label',
    null,
    ledger.sealed ? 'Import another key file ' : 'Or import a key file ',
    input,
  );
}
