/**
 * The Agreements panel (docs/agreements.md): the agreements this party drafted or is named in,
 * by status, each with its signatories' signatures (list.ts, card.ts); and the agreement being
 * written — a new draft, a draft edited, or a counter-proposal — with its terms drawn on the map
 * or uploaded as GeoJSON (editor.ts, terms.ts). Signing and withdrawing are signed with the
 * member's key (actions.ts). The draft's terms are drawn on the map as they change; the
 * agreements in force (and, dimmer, those proposed) are drawn by the map itself from the store.
 *
 * Read when the console starts (sync.ts), when the stream says an agreement changed, when the
 * tab is shown and each half-minute (an agreement comes into force on the hub's clock). The tab's
 * badge counts the proposals waiting for this party's signature. A breach's term in the Detail
 * panel opens its agreement here (the `deconflict:agreement` window event carries its id).
 */

import { agreementsChanged, loadAgreements } from '../../agreements.ts';
import { ApiError, errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import type { MapApi } from '../../map/api.ts';
import { canDeclare } from '../../roles.ts';
import { openTab, registerPanel, setBadge } from '../../shell.ts';
import { on, state } from '../../store.ts';
import type { AgreementView } from '../../wire.ts';
import { propose, saveText, sign, withdraw } from './actions.ts';
import {
  bodyOf,
  draftOf,
  drawableTerms,
  emptyDraft,
  isoOf,
  kindForDrawn,
  newTerm,
  readUpload,
} from './draft.ts';
import { drawEditor } from './editor.ts';
import { awaitingUs, drawList } from './list.ts';
import type { Ag, CardAction } from './state.ts';

registerPanel({ id: 'agreements', label: 'Agreements', key: '7', mount: mountAgreements });

/** Draw the panel into `el` and keep it current. */
function mountAgreements(el: HTMLElement, map: MapApi): void {
  const me = state.me;
  if (!me) return;
  const ag: Ag = {
    el,
    map,
    party: me.party,
    list: h('div.ag-list', { 'data-testid': 'agreements-list' }),
    editor: h('section.ag-editor', { 'data-testid': 'agreement-editor', hidden: true }),
    draft: null,
    purpose: { mode: 'new' },
    drawing: false,
    busy: null,
    problems: [],
    formMessage: '',
    cardErrors: new Map(),
    cardMessages: new Map(),
    withdrawing: null,
    focused: null,
    startNew: () => open(ag, emptyDraft(ag.party), { mode: 'new' }),
    addTerm: (kind, mode) => void addTerm(ag, kind, mode),
    upload: (file) => void upload(ag, file),
    changed: () => showDraft(ag),
    redrawForm: () => {
      drawEditor(ag);
      showDraft(ag);
    },
    save: () => void save(ag),
    cancel: () => close(ag),
    act: (a, action, input) => void act(ag, a, action, input),
    toggleWithdraw: (id) => {
      ag.withdrawing = id;
      drawList(ag);
    },
  };
  const newButton = canDeclare()
    ? h(
        'button.primary',
        { type: 'button', dataset: { action: 'new-agreement' }, onclick: () => ag.startNew() },
        'New agreement',
      )
    : h('span.dim', null, 'Drafting needs the operator or party_admin role.');
  mount(
    el,
    h(
      'div.agreements',
      { 'data-testid': 'agreements' },
      h('div.ag-top', null, h('h2', null, 'Agreements'), h('span.spacer'), newButton),
      h(
        'p.dim.ag-about',
        null,
        'Terms your party signs with others: corridors, pauses, pull-backs, areas of responsibility, permissions. ',
        'In force once every signatory has signed the same text (its hash) and its start has come; a declaration that breaks a term is a breach, alerting every signatory.',
      ),
      ag.editor,
      ag.list,
    ),
  );
  follow(ag);
  draw(ag);
}

/** Redraw on changes; read again when shown, and every half-minute. */
function follow(ag: Ag): void {
  on('agreements', () => draw(ag));
  on('settings', () => draw(ag));
  new MutationObserver(() => {
    if (!ag.el.hidden) agreementsChanged(0);
  }).observe(ag.el, { attributes: true, attributeFilter: ['hidden'] });
  // The stream says when one changes; this catches what a reconnection may have missed.
  setInterval(() => {
    if (state.me) agreementsChanged(0);
  }, 30_000);
  window.addEventListener('deconflict:agreement', (e) => {
    const id = (e as CustomEvent<string>).detail;
    if (typeof id === 'string') focus(ag, id);
  });
}

/** The list and the badge (the form is redrawn only when it changes shape). */
function draw(ag: Ag): void {
  drawList(ag);
  const n = awaitingUs(ag.party);
  setBadge('agreements', n > 0 ? String(n) : '', n > 0);
}

/** Show one agreement: its card highlighted and in view, its terms on the map. */
function focus(ag: Ag, id: string): void {
  ag.focused = id;
  openTab('agreements');
  drawList(ag);
  ag.list.querySelector(`[data-agreement-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
  const a = state.agreements.get(id);
  if (a) ag.map.showTerms(a.agreement.terms.features);
}

/** Open the form with this draft. */
function open(ag: Ag, draft: ReturnType<typeof emptyDraft>, purpose: Ag['purpose']): void {
  ag.draft = draft;
  ag.purpose = purpose;
  ag.problems = [];
  ag.formMessage = '';
  ag.redrawForm();
  ag.editor.scrollIntoView({ block: 'start' });
}

/** Close the form; the map forgets the draft. */
function close(ag: Ag): void {
  ag.draft = null;
  ag.problems = [];
  ag.map.setAgreementDraft(null);
  drawEditor(ag);
}

/** The map draws the draft's terms as they are typed. */
function showDraft(ag: Ag): void {
  const d = ag.draft;
  if (!d) {
    ag.map.setAgreementDraft(null);
    return;
  }
  const now = new Date().toISOString();
  ag.map.setAgreementDraft({
    terms: drawableTerms(d),
    start: isoOf(d.start).iso ?? now,
    end: isoOf(d.end).iso ?? now,
  });
}

/** Draw a term on the map (its kind guessed from its shape), or add a permission. */
async function addTerm(
  ag: Ag,
  kind: 'drawn' | ReturnType<typeof kindForDrawn> | 'permission',
  mode?: 'LineString' | 'Polygon' | 'Point',
): Promise<void> {
  const d = ag.draft;
  if (!d || ag.drawing) return;
  if (kind !== 'drawn') {
    d.terms.push(newTerm(d, kind, null));
    return ag.redrawForm();
  }
  ag.drawing = true;
  drawEditor(ag);
  let g = null;
  try {
    g = await ag.map.draw(mode ?? 'Polygon');
  } catch (err) {
    ag.formMessage = `Drawing failed: ${errorText(err)}`;
  }
  ag.drawing = false;
  if (g && ag.draft === d) d.terms.push(newTerm(d, kindForDrawn(g), g));
  ag.redrawForm();
}

/** Terms (or a whole agreement) from a GeoJSON file. */
async function upload(ag: Ag, file: File): Promise<void> {
  const d = ag.draft;
  if (!d) return;
  let r: ReturnType<typeof readUpload>;
  try {
    r = readUpload(d, JSON.parse(await file.text()));
  } catch (err) {
    r = { error: `not JSON: ${errorText(err)}` };
  }
  ag.formMessage =
    'error' in r
      ? `${file.name} not read: ${r.error}`
      : `${file.name}: ${r.added} term${r.added === 1 ? '' : 's'} added${r.whole ? ', with the agreement’s name, parties and window' : ''}.`;
  ag.redrawForm();
  if (!('error' in r)) ag.map.showTerms(drawableTerms(d));
}

/** Save the text (a new draft, the draft edited, a counter-proposal). */
async function save(ag: Ag): Promise<void> {
  const d = ag.draft;
  if (!d || ag.busy) return;
  const built = bodyOf(d);
  ag.formMessage = '';
  if ('problems' in built) {
    ag.problems = built.problems;
    return drawEditor(ag);
  }
  ag.busy = 'save';
  ag.problems = [];
  drawEditor(ag);
  try {
    const a = await saveText(ag.purpose, built.body);
    const verb =
      ag.purpose.mode === 'counter'
        ? `Counter-proposal sent: v${a.version}`
        : `Draft saved: ${a.agreement.name}`;
    ag.busy = null;
    close(ag);
    ag.cardMessages.set(a.id, `${verb}.`);
    ag.focused = a.id;
    draw(ag);
  } catch (err) {
    ag.problems =
      err instanceof ApiError && err.errors.length > 0
        ? err.errors.map((e) => ({ path: e.path, message: `${e.code}: ${e.message}` }))
        : [{ path: '', message: errorText(err) }];
    ag.busy = null;
    drawEditor(ag);
  }
}

/** An action on a card: its result or error shown on the card. */
async function act(
  ag: Ag,
  a: AgreementView,
  action: CardAction,
  input?: { effective: string; reason: string },
): Promise<void> {
  if (action === 'show') return focus(ag, a.id);
  if (action === 'edit' || action === 'counter') {
    const purpose = { mode: action, id: a.id, version: a.version } as const;
    return open(ag, draftOf(a), purpose);
  }
  if (ag.busy) return;
  ag.busy = `${action}:${a.id}`;
  ag.cardErrors.delete(a.id);
  ag.cardMessages.delete(a.id);
  drawList(ag);
  try {
    const said =
      action === 'propose'
        ? await propose(a)
        : action === 'sign'
          ? await sign(a)
          : await withdraw(a, input?.effective ?? '', input?.reason ?? '');
    if (said !== null) ag.cardMessages.set(a.id, said);
    if (action === 'withdraw' && said !== null) ag.withdrawing = null;
  } catch (err) {
    ag.cardErrors.set(a.id, errorText(err));
    // Someone else may have moved it on (countered, withdrawn): read it again.
    void loadAgreements().catch(() => undefined);
  } finally {
    ag.busy = null;
    draw(ag);
  }
}
