/**
 * Sealed declarations and blind checks (docs/blind-matching.md) as the console shows them.
 *
 * A party's agent seals a declaration: the hub receives its kind, category, a coarse window and
 * tokens, never where it is. Another party's declaration that could meet it makes a blind check
 * between the two parties' agents; a match is a conflict with a sealed side, which has matched
 * slots instead of a distance and closest points. A check unanswered past its deadline, or
 * refused, has an unknown result: both parties are alerted (`subject_type: 'blind_check'`), and
 * it counts as a conflict until it is answered.
 *
 * Here: the party's own sealed declarations and its checks as last read from the hub (the
 * stream's `sealed.changed`, `blind.task`, blind-check alerts and conflicts read them again), and
 * the words for a blind conflict's slots and a check's result — shared by the Watch inbox, the
 * Detail panel and the Probing panel.
 */
import { api } from './api.ts';
import { dtg, dtgWindow } from './format.ts';
import { isSealedSide } from './labels.ts';
import { emit, state } from './store.ts';
import type { BlindCheckView, ConflictView, SealedView } from './wire.ts';

// --- The party's sealed declarations and checks -------------------------------------------------

/** Read the party's sealed declarations and its blind checks, replacing those held. */
export async function loadBlind(): Promise<void> {
  const [s, c] = await Promise.all([
    api<{ sealed: SealedView[] }>('GET', '/sealed'),
    api<{ checks: BlindCheckView[] }>('GET', '/blind/checks'),
  ]);
  state.sealed = new Map(s.sealed.map((x) => [x.id, x]));
  state.blindChecks = new Map(c.checks.map((x) => [x.id, x]));
  emit('blind');
}

/** Forget what is held (a new login: another party's may have been held). */
export function forgetBlind(): void {
  state.sealed = new Map();
  state.blindChecks = new Map();
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** Something blind changed (a step, a sealed declaration, an alert, a match): read again, once per burst. */
export function blindChanged(after = 250): void {
  clearTimeout(timer);
  timer = setTimeout(() => void loadBlind().catch(() => undefined), after);
}

/** A `sealed.changed` event: hold the sealed declaration as it is now. */
export function putSealed(s: SealedView): void {
  state.sealed.set(s.id, s);
  emit('blind');
}

/** Withdraw one of the party's sealed declarations; the hub's answer replaces the one held. */
export async function withdrawSealed(id: string): Promise<SealedView> {
  const s = await api<SealedView>('DELETE', `/sealed/${encodeURIComponent(id)}`);
  putSealed(s);
  blindChanged();
  return s;
}

/** The party's sealed declarations: active first, then the newest. */
export function sealedList(): SealedView[] {
  const rank = (s: SealedView) => (s.status === 'active' ? 0 : 1);
  return [...state.sealed.values()].sort(
    (x, y) => rank(x) - rank(y) || y.created_at.localeCompare(x.created_at),
  );
}

/** The party's blind checks, newest first. */
export function checkList(): BlindCheckView[] {
  return [...state.blindChecks.values()].sort((x, y) => y.created_at.localeCompare(x.created_at));
}

// --- Words --------------------------------------------------------------------------------------

/** Whether a conflict was found blind: a side is sealed (no distance, no closest points). */
export function isBlindConflict(c: Pick<ConflictView, 'a' | 'b' | 'matched_slots'>): boolean {
  return c.matched_slots !== undefined || isSealedSide(c.a) || isSealedSide(c.b);
}

/** A blind conflict's matched slots as DTG windows ("231000Z–231100ZNOV26, …"), or null. */
export function slotsText(slots: readonly { start: string; end: string }[] | undefined): string | null {
  if (!slots || slots.length === 0) return null;
  return slots.map((s) => dtgWindow(s.start, s.end)).join(', ');
}

/** The other party of a check, as its viewer sees it. */
export function otherParty(v: BlindCheckView): string {
  return v.role === 'asker' ? v.owner : v.asker;
}

/** Whose agent has the next step of an open check (null when it is finished). */
function turnOf(v: BlindCheckView): string | null {
  if (v.status === 'awaiting_blind' || v.status === 'awaiting_outputs') return v.asker;
  if (v.status === 'awaiting_evaluation') return v.owner;
  return null;
}

/** "your agent" or "relief-agency’s agent". */
function agentOf(party: string): string {
  return party === state.me?.party ? 'your agent' : `${party}’s agent`;
}

/** A check's state in a few words: answered, refused, cancelled, or whose agent it waits for. */
export function checkStatus(v: BlindCheckView): string {
  if (v.status === 'done') return 'answered';
  if (v.status === 'refused') return 'refused';
  if (v.status === 'cancelled') return 'cancelled';
  const turn = turnOf(v);
  return turn ? `waiting for ${agentOf(turn)}` : v.status.replace(/_/g, ' ');
}

/** How many of a check's sealed declarations matched, in words. */
export function matchedText(v: BlindCheckView): string {
  const n = v.matched.length;
  if (v.status !== 'done') return n > 0 ? `${n} matched so far` : '';
  if (n === 0) return 'no match';
  return v.role === 'owner' ? `${n} of your sealed declarations matched` : 'matched';
}

/**
 * What a blind check's alert says: the result, and what to do about it. For the asking party
 * ("Blind check with coalition: result unknown — their agent has not answered since 221000ZNOV26.
 * Treat as a conflict until it is answered."), for the owner ("Your agent has not answered
 * relief-agency’s blind check since 221000ZNOV26."); or how the check ended since.
 */
export function checkSentences(v: BlindCheckView): { head: string; advice: string } {
  const since = dtg(v.created_at);
  const turn = turnOf(v);
  if (v.role === 'asker') {
    const lead = `Blind check with ${v.owner}`;
    if (v.unknown) {
      const why =
        v.status === 'refused'
          ? `refused: ${v.refused_reason ?? 'no reason given'}`
          : turn === v.owner
            ? `their agent has not answered since ${since}`
            : `your agent has not answered since ${since}`;
      return {
        head: `${lead}: result unknown — ${why}.`,
        advice: 'Treat as a conflict until it is answered.',
      };
    }
    return { head: `${lead}: ${ended(v)}.`, advice: '' };
  }
  const asker = `${v.asker}’s blind check`;
  if (v.unknown) {
    const head =
      v.status === 'refused'
        ? `Your agent refused ${asker}: ${v.refused_reason ?? 'no reason given'}.`
        : turn === v.owner
          ? `Your agent has not answered ${asker} since ${since}.`
          : `${v.asker}’s agent has not answered its blind check of your sealed declarations since ${since}.`;
    return { head, advice: 'Its result is unknown: a risk for both parties until it is answered.' };
  }
  return { head: `Blind check by ${v.asker}: ${ended(v)}.`, advice: '' };
}

/** A check that is not (or no longer) unknown: answered, cancelled, or still within its deadline. */
function ended(v: BlindCheckView): string {
  if (v.status === 'done') {
    const m = matchedText(v);
    return `answered${v.answered_at ? ` ${dtg(v.answered_at)}` : ''}${m ? ` — ${m}` : ''}`;
  }
  if (v.status === 'cancelled')
    return 'cancelled (a declaration it concerned was amended, withdrawn or ended)';
  return `${checkStatus(v)}, due ${dtg(v.due_at)}`;
}

/** A check as held now, else as an alert froze it. */
export function currentCheck(id: string, frozen?: BlindCheckView): BlindCheckView | undefined {
  return state.blindChecks.get(id) ?? frozen;
}
