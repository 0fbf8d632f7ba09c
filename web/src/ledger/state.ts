/**
 * What the console knows of the record (docs/transparency.md): the member's signing key kept in
 * this browser (sealed, see vault.ts) and whether it is unlocked for this session, the keys the
 * hub has registered for the member, and the witness's last verdict on the hub's log.
 *
 * The unlocked private key lives in this module's memory only — never in storage, never sent —
 * so reloading the page or logging out locks it again. The sealed key is kept in localStorage per
 * member (the browser keeps one store per hub address).
 */

import type { LogView, MemberKeyView } from '../../../src/api/ledger.ts';
import { fromBase64 } from '../../../src/ledger/note.ts';
import { ApiError, api } from '../api.ts';
import { emit, state } from '../store.ts';
import type { Verdict } from './checkpoints.ts';
import { openKey, parseSealedKey, type SealedKey } from './vault.ts';

/** A key unlocked for this session. */
export interface Unlocked {
  readonly id: string;
  /** The 32-byte private seed: wiped when locked. */
  readonly seed: Uint8Array;
  readonly sealed: SealedKey;
}

export const ledger = {
  /** The log's origin (names the hub in every statement), once read. */
  origin: null as string | null,
  /** The last log view read. */
  log: null as LogView | null,
  /** The member's key kept in this browser, sealed. */
  sealed: null as SealedKey | null,
  unlocked: null as Unlocked | null,
  /** The keys the hub shows this member (its own; a party admin's, the party's), null until read. */
  keys: null as MemberKeyView[] | null,
  /** The witness's last verdict, and when it was reached (epoch ms). */
  verdict: null as Verdict | null,
  checkedAt: null as number | null,
  /** The last cosignature this console gave (by which key, of which size), or why it was not. */
  cosigned: null as { key: string; size: number } | null,
  cosignError: null as string | null,
  /** The last time the hub refused a signature (the action then went unsigned), and why. */
  refused: null as string | null,
  /** The log's origin changed since this browser last saw the hub: its history starts anew here. */
  originChanged: null as { from: string; to: string } | null,
};

/** Tell the record's views (top bar, banner, panel) that something changed. */
export function changed(): void {
  emit('ledger');
}

const keyStore = (username: string): string => `deconflict.member-key:${username}`;

/** Read the member's sealed key from this browser (at login); a damaged entry reads as none. */
export function loadSealed(): void {
  lock();
  ledger.sealed = null;
  ledger.keys = null;
  const me = state.me;
  if (!me) return;
  const raw = localStorage.getItem(keyStore(me.username));
  if (raw === null) return;
  try {
    ledger.sealed = parseSealedKey(JSON.parse(raw));
  } catch (err) {
    console.error('the signing key kept in this browser is unreadable', err);
  }
}

/** Keep a sealed key in this browser as the member's key (replacing any). */
export function keepSealed(k: SealedKey): void {
  const me = state.me;
  if (!me) return;
  if (k.username !== me.username) throw new Error(`this key belongs to ${k.username}, not to ${me.username}`);
  lock();
  localStorage.setItem(keyStore(me.username), JSON.stringify(k));
  ledger.sealed = k;
  changed();
}

/** Remove the member's key from this browser (it stays registered until revoked). */
export function forgetSealed(): void {
  const me = state.me;
  if (!me) return;
  lock();
  localStorage.removeItem(keyStore(me.username));
  ledger.sealed = null;
  changed();
}

/** Unlock the kept key for this session; throws VaultError on a wrong passphrase. */
export async function unlock(passphrase: string): Promise<void> {
  const k = ledger.sealed;
  if (!k) throw new Error('no key kept in this browser');
  const seed = await openKey(k, passphrase);
  lock();
  ledger.unlocked = { id: k.id, seed, sealed: k };
  changed();
}

/** Forget the unlocked key (its seed wiped). */
export function lock(): void {
  ledger.unlocked?.seed.fill(0);
  if (ledger.unlocked) {
    ledger.unlocked = null;
    changed();
  }
}

/** The hub's record of the kept key, if it registered it. */
export function registration(): MemberKeyView | null {
  const id = ledger.sealed?.id;
  return ledger.keys?.find((k) => k.id === id && k.username === state.me?.username) ?? null;
}

/** Where the kept key stands, for the panel and for signing. */
export function keyStatus(): 'none' | 'locked' | 'unregistered' | 'revoked' | 'signing' {
  if (!ledger.sealed) return 'none';
  if (!ledger.unlocked) return 'locked';
  const r = registration();
  if (r === null) return 'unregistered';
  return r.revoked_at === null ? 'signing' : 'revoked';
}

/** The unlocked key, when it may sign: registered to the member and not revoked. */
export function signingKey(): Unlocked | null {
  return keyStatus() === 'signing' ? ledger.unlocked : null;
}

/** Read the member's registered keys. */
export async function loadKeys(): Promise<void> {
  ledger.keys = (await api<{ keys: MemberKeyView[] }>('GET', '/keys')).keys;
  changed();
}

/** Revoke a registered key (the member's own; a party admin, any of the party's): it signs nothing more. */
export async function revokeKey(id: string): Promise<void> {
  await api('POST', `/keys/${encodeURIComponent(id)}/revoke`);
  await loadKeys();
}

/** The log's origin: read once (the witness reads it on load); null when the hub does not answer. */
export async function logOrigin(): Promise<string | null> {
  if (ledger.origin !== null) return ledger.origin;
  try {
    const v = await api<LogView>('GET', '/ledger/checkpoint');
    ledger.origin = v.origin;
    return v.origin;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
    return null;
  }
}

/** The public key of the kept key, as bytes. */
export function publicKeyBytes(k: SealedKey): Uint8Array {
  return fromBase64(k.public_key) as Uint8Array;
}
