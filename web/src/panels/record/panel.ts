/**
 * The Keys & record panel (docs/transparency.md): the member's signing key in this browser
 * (keys.ts) and the record as this console witnesses it (log.ts). Mounted at each login: the key
 * kept for the member who logged in is read then, locked until its passphrase is given.
 */
import { errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { loadKeys, loadSealed } from '../../ledger/state.ts';
import { registerPanel } from '../../shell.ts';
import { on } from '../../store.ts';
import { drawKey } from './keys.ts';
import { drawKeys, drawLog } from './log.ts';
import type { KeyPanel } from './state.ts';

registerPanel({ id: 'record', label: 'Record', key: '6', mount: mountRecord });

function mountRecord(el: HTMLElement): void {
  const kp: KeyPanel = {
    el: h('section.rk-key', { 'data-testid': 'record-key' }),
    busy: false,
    message: '',
    error: '',
  };
  const log = h('section.rk-log', { 'data-testid': 'record-log' });
  const keys = h('section.rk-registered', { 'data-testid': 'record-keys' });
  mount(
    el,
    h(
      'div.record',
      null,
      h(
        'p.dim',
        null,
        'What you acknowledge, read or accept is signed with your key when it is unlocked; this console checks the hub’s record and cosigns it.',
      ),
      kp.el,
      log,
      keys,
    ),
  );
  loadSealed();
  on('ledger', () => {
    // Not under the member's typing (a passphrase half typed), nor during an action of its own.
    const typing = kp.el.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT';
    if (!typing && !kp.busy) drawKey(kp);
    drawLog(log);
    drawKeys(keys);
  });
  drawKey(kp);
  drawLog(log);
  drawKeys(keys);
  loadKeys().catch((err) => {
    kp.error = `Could not read the registered keys: ${errorText(err)}`;
    drawKey(kp);
  });
}
