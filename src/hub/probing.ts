/**
 * Probing of hidden declarations (docs/visibility.md). A conflict answered to a party about a
 * declaration hidden from it locates that declaration to within the reach of the declaration
 * that found it: a truthful answer cannot avoid that, so it must not be free. Each such conflict
 * found by a real submission is a *probe* of the pair (submitting party, owner): recorded in the
 * ledger, shown to the owner (who, how often, when — never where), and counted against a budget
 * per UTC day that the owner sets for each other party. Past the budget the conflict is still
 * recorded and the owner alerted (a conflict is never lost), but it is withheld from the
 * submitting party until the owner's watch releases it (or calls it on the hotline).
 *
 * Dry runs are not probes: they never check what the caller cannot see (declarations.ts), since a
 * free check whose answer varies with the request's geometry is an oracle under repetition.
 */
import type { ConflictRecord, DeclarationRecord, ProbeRecord } from '../domain/records.ts';
import { actingParty, fail, type Principal } from './access.ts';
import type { Kernel, WriteCtx } from './kernel.ts';
import { newId } from './secrets.ts';
import { canSee } from './views.ts';
import { raiseAlert } from './watch.ts';

/** Hidden conflicts answered per (caller, owner) and UTC day unless the owner sets another. */
export const DEFAULT_PROBE_BUDGET = 20;
const DAY = 86_400_000;
/** How far back the owner's view lists probes. */
const RECENT_MS = 7 * DAY;
const RECENT_MAX = 200;

const dayStart = (t: number): number => Math.floor(t / DAY) * DAY;
const iso = (t: number): string => new Date(t).toISOString();

/**
 * The owner of the side of `r` hidden from `caller`, or null when the caller sees both. A sealed
 * side (found blind, docs/blind-matching.md) is hidden from everyone but its owner.
 */
function hiddenOwner(
  r: ConflictRecord,
  caller: string,
  byKey: ReadonlyMap<string, DeclarationRecord>,
): string | null {
  if (r.sealed) return r.a_party === caller && r.b_party !== caller ? r.b_party : null;
  const other =
    r.a_party === caller ? byKey.get(`${r.b}\n${r.b_version}`) : byKey.get(`${r.a}\n${r.a_version}`);
  if (other === undefined || other.party === caller || canSee(caller, other.decl)) return null;
  return other.party;
}

/**
 * Count the probes among conflicts a submission of `caller` found (inside its write, before the
 * conflicts are stored) and mark those past the budget as withheld from it. `known` holds the
 * declaration versions on both sides. Returns the conflicts as they are to be stored.
 */
export async function accountProbes(
  k: Kernel,
  ctx: WriteCtx,
  caller: string,
  records: readonly ConflictRecord[],
  known: readonly DeclarationRecord[],
  defaultBudget: number,
): Promise<ConflictRecord[]> {
  const byKey = new Map(known.map((r) => [`${r.id}\n${r.version}`, r]));
  const out: ConflictRecord[] = [];
  for (const r of records) {
    const owner = hiddenOwner(r, caller, byKey);
    if (owner === null) {
      out.push(r);
      continue;
    }
    const since = dayStart(ctx.now);
    // The count reads this write's own probes too (they are in its transaction).
    const before = await ctx.tx.probes.count(owner, caller, since);
    const budget = (await ctx.tx.probes.budget(owner, caller))?.per_day ?? defaultBudget;
    const probe: ProbeRecord = {
      id: newId('pr'),
      caller,
      owner,
      at: ctx.now,
      conflict: r.id,
      rule: r.rule,
      severity: r.severity,
      withheld: before >= budget,
    };
    await ctx.tx.probes.insert(probe);
    await ctx.log(null, owner, 'probe.recorded', probe.id, {
      caller,
      owner,
      conflict: r.id,
      used_today: before + 1,
      per_day: budget,
      withheld: probe.withheld,
    });
    // The probe that uses the last unit (the first one, when the budget is 0) tells the owner.
    const last = Math.max(budget, 1);
    if (before < last && before + 1 >= last) {
      await raiseAlert(ctx, k.deadlines, {
        id: newId('al'),
        party: owner,
        subject_type: 'probing',
        subject: probe.id,
        precedence: 'immediate',
        summary: {
          probing: { party: caller, per_day: budget, used_today: before + 1, day: iso(since).slice(0, 10) },
        },
      });
    }
    out.push(probe.withheld ? { ...r, withheld_from: [...(r.withheld_from ?? []), caller] } : r);
  }
  return out;
}

/** What an owner sees of probing and sets: budgets per other party, recent probes. */
export class Probing {
  constructor(
    private readonly k: Kernel,
    readonly defaultBudget = DEFAULT_PROBE_BUDGET,
  ) {}

  /** Who probed the caller's party's hidden declarations, how often and when; budgets left. */
  async view(p: Principal) {
    const owner = actingParty(p);
    const now = this.k.clock.now();
    const today = dayStart(now);
    return this.k.read(async (tx) => {
      const parties = (await tx.parties.list()).map((x) => x.id).filter((x) => x !== owner);
      const set = new Map((await tx.probes.budgets(owner)).map((b) => [b.caller, b.per_day]));
      const recent = await tx.probes.listForOwner(owner, now - RECENT_MS, 10_000);
      const entries = parties.map((party) => {
        const per_day = set.get(party) ?? this.defaultBudget;
        const mine = recent.filter((x) => x.caller === party);
        // Oldest first (the store lists newest first, in the order they were recorded).
        const todays = mine.filter((x) => x.at >= today).reverse();
        const exhausting = todays[Math.max(per_day, 1) - 1];
        return {
          party,
          per_day,
          used_today: todays.length,
          remaining: Math.max(0, per_day - todays.length),
          last_at: mine[0] ? iso(mine[0].at) : null,
          exhausted_at: exhausting ? iso(exhausting.at) : null,
        };
      });
      return {
        day: iso(today).slice(0, 10),
        default_per_day: this.defaultBudget,
        parties: entries,
        recent: recent.slice(0, RECENT_MAX).map((x) => ({
          id: x.id,
          party: x.caller,
          at: iso(x.at),
          conflict: x.conflict,
          rule: x.rule,
          severity: x.severity,
          withheld: x.withheld,
        })),
      };
    });
  }

  /** The owner's party admin sets how many hidden conflicts a party is answered per day. */
  async setBudget(p: Principal, party: string, perDay: number) {
    const owner = actingParty(p, 'party_admin');
    await this.k.write(async (tx, ctx) => {
      if (party === owner || !(await tx.parties.get(party))) fail('not_found', `no other party ${party}`);
      await tx.probes.setBudget({
        owner,
        caller: party,
        per_day: perDay,
        set_at: ctx.now,
        set_by: p.username,
      });
      await ctx.log(p.username, owner, 'probe_budget.set', party, { per_day: perDay });
      return { result: undefined };
    });
    const view = await this.view(p);
    return view.parties.find((x) => x.party === party) as (typeof view.parties)[number];
  }
}
