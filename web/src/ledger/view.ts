/**
 * The record as the console shows it outside its own panel: who signed an acknowledgement (or
 * "unsigned") with the link that downloads its receipt, the record's state in the top bar, and the
 * red banner when the hub showed a different history.
 */

import type { ReceiptView } from '../../../src/api/ledger.ts';
import { api, errorText } from '../api.ts';
import { h, mount, saveFile } from '../dom.ts';
import { dtg } from '../format.ts';
import { openTab } from '../shell.ts';
import { on } from '../store.ts';
import { ledger } from './state.ts';
import { evidenceOf, trustAnew } from './witness.ts';

/** A record the hub says was signed (or not), and the ledger entry that records it. */
export interface Attested {
  readonly signed_by?: { readonly username: string; readonly key: string; readonly entry: number } | null;
  readonly entry?: number | null;
}

/** Save `value` as a JSON file in the browser's downloads. */
export function downloadJson(name: string, value: unknown): void {
  saveFile(name, new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' }));
}

/**
 * "Receipt": reads the entry's receipt (GET /api/v1/receipts/{seq}) and saves it, to be checked
 * offline by anyone with `deconflict verify --receipt FILE`. A failure shows in the link's title.
 */
export function receiptLink(seq: number): HTMLElement {
  const link = h(
    'a.receipt-link',
    {
      href: '#',
      dataset: { entry: String(seq) },
      title: `Download the receipt of ledger entry ${seq} (check it with: deconflict verify --receipt FILE)`,
      onclick: (e: Event) => {
        e.preventDefault();
        e.stopPropagation();
        link.classList.remove('failed');
        api<ReceiptView>('GET', `/receipts/${seq}`).then(
          (r) => downloadJson(`receipt-${seq}.json`, r),
          (err) => {
            link.classList.add('failed');
            link.title = `Receipt not available: ${errorText(err)}`;
          },
        );
      },
    },
    'Receipt',
  );
  return link;
}

/**
 * "signed by <user> key <id>" or "unsigned", then the receipt link when the entry is known; or
 * nothing when the record does not say (`signed_by` absent: a view from before the hub signed, or
 * one that does not tell), for "unsigned" must never be said of what may have been signed.
 */
export function attestation(record: object | null | undefined): HTMLElement | null {
  if (!record || !('signed_by' in record || 'entry' in record)) return null;
  const x = record as Attested;
  const by = x.signed_by ?? null;
  const entry = x.entry ?? by?.entry ?? null;
  return h(
    'span.attest',
    { class: by ? 'signed' : 'unsigned', dataset: { signedBy: by?.username ?? '', key: by?.key ?? '' } },
    by
      ? h(
          'span.attest-by',
          { title: `signed with ${by.username}'s registered key ${by.key}` },
          `signed by ${by.username} key ${by.key}`,
        )
      : h('span.attest-by', { title: "no signature: the hub's word is the only record" }, 'unsigned'),
    entry !== null ? [' · ', receiptLink(entry)] : null,
  );
}

/** "Record verified up to entry N at DTG", or what is known instead. */
export function recordSentence(): string {
  const v = ledger.verdict;
  if (v === null) return 'Record not checked yet';
  if (v.ok === false) return 'The hub showed a different history';
  if (v.ok === null) return `Record not checked: ${v.message}`;
  return `Record verified up to entry ${v.checkpoint.size} at ${dtg(ledger.checkedAt)}`;
}

/** The record's state in the top bar: short, the full sentence in its title; opens the panel. */
export function recordBadge(): HTMLElement {
  const el = h('button.record-state', {
    type: 'button',
    'data-testid': 'record-state',
    onclick: () => openTab('record'),
  });
  const draw = () => {
    const v = ledger.verdict;
    const caught = ledger.origin !== null && evidenceOf(ledger.origin) !== null;
    const stateName = caught || v?.ok === false ? 'failed' : v?.ok ? 'verified' : 'unknown';
    el.className = `record-state ${stateName}`;
    el.textContent =
      stateName === 'failed' ? '✗ record' : v?.ok ? `✓ record ${v.checkpoint.size}` : '◌ record';
    el.title = caught ? 'The hub showed a different history' : recordSentence();
  };
  on('ledger', draw);
  draw();
  return el;
}

/** The red banner over the map while evidence of another history is kept. */
export function historyAlarm(): HTMLElement {
  const el = h('div.history-alarm', { role: 'alert', 'data-testid': 'history-alarm', hidden: true });
  const draw = () => {
    const e = ledger.origin === null ? null : evidenceOf(ledger.origin);
    el.hidden = e === null;
    if (e === null) return mount(el);
    const sizes =
      e.kept === null
        ? `shown ${e.shown.size} entries`
        : `kept ${e.kept.size} entries, shown ${e.shown.size} entries`;
    mount(
      el,
      h('b', null, 'The hub showed a different history'),
      ` (${sizes}): ${e.message}. Caught ${dtg(e.caught_at)}. Do not rely on this hub's record; report it with the evidence.`,
      h(
        'span.ha-actions',
        null,
        h(
          'button',
          {
            type: 'button',
            dataset: { action: 'save-evidence' },
            onclick: () => downloadJson(`split-view-${e.shown.size}.json`, e),
          },
          'Save evidence',
        ),
        h(
          'button',
          {
            type: 'button',
            dataset: { action: 'trust-anew' },
            title: 'Forget the evidence and check the hub from its record as it is now',
            onclick: () => {
              const ask =
                'Forget the evidence kept in this browser and take the hub’s record as it is now as the starting point?\n\n' +
                'Save the evidence first. Do this only once the hub’s operator has explained the different history.';
              if (window.confirm(ask)) trustAnew(e.origin);
            },
          },
          'Trust anew…',
        ),
      ),
    );
  };
  on('ledger', draw);
  draw();
  return el;
}
