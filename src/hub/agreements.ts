/**
 * Agreements (docs/agreements.md): the terms parties sign, and the breaches the hub catches.
 *
 * Life: a party drafts an agreement (visible to it alone, editable), proposes it (its text is
 * fixed and hashed, and every party it names sees it), another signatory may counter with a new
 * version (the older one is superseded; signatures reset), every signatory signs the current
 * version's hash with a registered key, and once all have signed the hub brings it into force at
 * its start (its scheduler: {@link Agreements.runDue}). A signatory withdraws it with effect from
 * a time not before now; it expires at its end. Every step is a ledger entry whose `audience` is
 * every signatory, so that each may fetch its receipt (a draft's are its drafter's alone).
 *
 * While in force, every new or amended declaration is checked against its terms (the kernel's
 * screening hook, on the main thread once the live index answered): a term broken is an
 * `agreement_breach` conflict that involves every signatory, and an `incursion` the agreement
 * permits is lifted (never recorded, never alerted). When an agreement comes into force, every
 * active declaration is checked against it and the breaches found are recorded at once.
 *
 * The agreements in force are held in memory, parsed once (their prepared zones with them), cut
 * at a withdrawal's effective time: the screening reads them without touching the store.
 */
import { createHash } from 'node:crypto';
import type { AgreementView } from '../api/agreements.ts';
import type {
  AgreementBody,
  AgreementRecord,
  AgreementSignatureRecord,
  AgreementStatus,
  AgreementVersionRecord,
  AgreementWithdrawalRecord,
  ConflictRecord,
} from '../domain/records.ts';
import {
  type Agreement,
  boundUntil,
  breachesOf,
  parseAgreement,
  permits,
  type Term,
  termRef,
} from '../engine/agreements.ts';
import { formatIsoUtc } from '../engine/time.ts';
import type { Conflict, Declaration, EngineOptions } from '../engine/types.ts';
import { canonicalJson } from '../ledger/canonical.ts';
import type { Signed } from '../ledger/statement.ts';
import type { Tx } from '../store/ports.ts';
import { actingParty, fail, type Principal } from './access.ts';
import { RawBody, readJson } from './body.ts';
import { announce, conflictRecord, insertConflicts, sidesOf } from './conflicts.ts';
import type { Kernel, ScreenedConflict, Screening, TermConflict, WriteCtx } from './kernel.ts';
import { newId } from './secrets.ts';
import { requireSigned } from './signatures.ts';

/** Who drafts, edits, proposes and counters: as who declares. */
const DRAFT_ROLES = ['operator', 'party_admin'] as const;
/** Who signs and withdraws for a party. */
const SIGN_ROLES = ['party_admin', 'senior_officer'] as const;

/** Statuses in which an agreement may still change or bind (the scheduler watches them). */
const OPEN: readonly AgreementStatus[] = ['draft', 'proposed', 'signed', 'in_force'];

const NEVER = Number.POSITIVE_INFINITY;

/** Hex SHA-256 of the canonical JSON (RFC 8785) of an agreement's text: what every signatory signs. */
export function contentHash(body: AgreementBody): string {
  return createHash('sha256').update(canonicalJson(body, 'agreement'), 'utf8').digest('hex');
}

/** An agreement in force, as the screening uses it: parsed once, cut at a withdrawal. */
interface Binding {
  readonly id: string;
  readonly version: number;
  /** The agreement as it binds (boundUntil a withdrawal's effective time). */
  readonly agreement: Agreement;
  /** Until when it binds: its end, or a withdrawal's effective time. */
  readonly until: number;
}

/** When something is due for an open agreement: its start (signed), its end, a withdrawal. */
function dueOf(a: AgreementRecord, effective: number | null): number {
  return Math.min(a.end, effective ?? NEVER, a.status === 'signed' ? a.start : NEVER);
}

const iso = formatIsoUtc;

/** The text as the API shows it (the same, mutable). */
/**
 * A draft's text, as version 1 (a draft is edited in place until proposed), and its ledger entry:
 * the drafter's alone (no audience), as the draft is.
 */
async function writeDraft(
  ctx: WriteCtx,
  username: string,
  party: string,
  id: string,
  body: AgreementBody,
  type: 'agreement.drafted' | 'agreement.edited',
): Promise<void> {
  const content_sha256 = contentHash(body);
  await ctx.tx.agreements.putVersion({
    agreement: id,
    version: 1,
    body,
    content_sha256,
    party,
    username,
    at: ctx.now,
    proposed_at: null,
  });
  await ctx.log(username, party, type, id, { version: 1, content_sha256, agreement: body });
}

function textView(b: AgreementBody): AgreementView['agreement'] {
  return {
    ...b,
    parties: [...b.parties],
    terms: { type: 'FeatureCollection', features: [...b.terms.features] },
  };
}
const isoOrNull = (t: number | null): string | null => (t === null ? null : iso(t));

/**
 * The text as the parties sign it: the five members the format has, every time written as the
 * hub writes times (a term's only where the input gave one; docs/agreements.md §2).
 */
function bodyOf(input: Record<string, unknown>, a: Agreement): AgreementBody {
  const given = (input.terms as { features: Record<string, unknown>[] }).features;
  const features = given.map((f, i) => {
    const props = { ...(f.properties as Record<string, unknown>) };
    const t = (a.terms.find((x) => x.id === props.id) ?? a.terms[i]) as Term;
    if (props.start !== undefined) props.start = iso(t.start);
    if (props.end !== undefined) props.end = iso(t.end);
    return { ...f, properties: props };
  });
  return {
    name: a.name,
    parties: [...a.parties],
    start: iso(a.start),
    end: iso(a.end),
    terms: { type: 'FeatureCollection', features },
  };
}

/** The parties named by the versions of an agreement that were proposed. */
function readersOf(versions: readonly AgreementVersionRecord[]): Set<string> {
  return new Set(versions.filter((v) => v.proposed_at !== null).flatMap((v) => v.body.parties));
}

export class Agreements {
  /** The agreements in force, by id. */
  private readonly bindings = new Map<string, Binding>();
  /** The open agreements' next due instant (start, end, a withdrawal's effect), by id. */
  private readonly due = new Map<string, number>();

  constructor(
    private readonly k: Kernel,
    private readonly engine: Partial<EngineOptions> = {},
  ) {
    k.onScreen((s) => this.screen(s));
    k.onReset(() => this.load());
    // Another instance changed agreements (a shared store): read the open ones again (a handful).
    k.onFollow(async (_tx, entries) => {
      if (entries.some((e) => e.type.startsWith('agreement.'))) await this.load();
    });
  }

  /** At start: the agreements in force and the open ones' due times, from the store. */
  async load(): Promise<void> {
    const open = await this.k.read(async (tx) => {
      const out: { a: AgreementRecord; v: AgreementVersionRecord; w: AgreementWithdrawalRecord | null }[] =
        [];
      for (const a of await tx.agreements.withStatus(OPEN)) {
        const v = (await tx.agreements.version(a.id, a.version)) as AgreementVersionRecord;
        out.push({ a, v, w: await tx.agreements.withdrawal(a.id) });
      }
      return out;
    });
    this.bindings.clear();
    this.due.clear();
    for (const { a, v, w } of open) {
      this.due.set(a.id, dueOf(a, w?.effective ?? null));
      if (a.status === 'in_force') this.bindings.set(a.id, this.binding(a, v, w));
    }
  }

  private binding(
    a: AgreementRecord,
    v: AgreementVersionRecord,
    w: AgreementWithdrawalRecord | null,
  ): Binding {
    const parsed = parseAgreement(v.body, { id: a.id });
    const agreement = w === null ? parsed : boundUntil(parsed, w.effective);
    return { id: a.id, version: a.version, agreement, until: Math.min(a.end, w?.effective ?? NEVER) };
  }

  // --- Screening new declarations (the kernel's hook) --------------------------------------------

  /**
   * Lift the incursions an agreement in force permits, and add the breaches of its terms by the
   * new declarations. Agreements no longer binding (past their end or a withdrawal's effect, the
   * scheduler not having closed them yet) count for nothing.
   */
  private async screen(s: Screening): Promise<readonly ScreenedConflict[]> {
    const bound = [...this.bindings.values()].filter((b) => b.until > s.now);
    if (bound.length === 0) return s.found;
    const out: ScreenedConflict[] = [];
    for (const c of s.found) {
      if (c.rule === 'incursion' && !('term' in c) && (await this.lifted(s, c, bound))) continue;
      out.push(c);
    }
    for (const d of s.decls) for (const b of bound) out.push(...this.breaches(d, b));
    return out;
  }

  private async lifted(s: Screening, c: Conflict, bound: readonly Binding[]): Promise<boolean> {
    const a = await s.declaration(c.a);
    const b = await s.declaration(c.b);
    if (!a || !b) return false;
    const [area, activity] = a.kind === 'area_of_responsibility' ? [a, b] : [b, a];
    if (area.kind !== 'area_of_responsibility' || activity.kind === 'area_of_responsibility') return false;
    return bound.some((x) => permits(x.agreement, c, activity, area, this.engine));
  }

  /** The breaches of a binding agreement by a declaration, with their term and parties. */
  private breaches(d: Declaration, b: Binding): TermConflict[] {
    const out: TermConflict[] = [];
    for (const c of breachesOf(d, b.agreement, this.engine)) {
      const term = b.agreement.terms.find((t) => termRef(b.id, t.id) === c.b);
      if (!term) continue;
      const signatories = b.agreement.parties;
      // The term's other side: the party whose area it is, else another signatory (every
      // signatory is involved in any case: `parties`).
      const other =
        term.term === 'area_of_responsibility'
          ? (term.parties[0] as string)
          : (signatories.find((x) => x !== d.party) ?? (signatories[0] as string));
      out.push({
        ...c,
        term: {
          agreement: b.id,
          version: b.version,
          term: term.id,
          term_kind: term.term,
          start: term.start,
          end: term.end,
          ...(term.label !== undefined && { label: term.label }),
        },
        b_party: other,
        parties: [...signatories],
      });
    }
    return out;
  }

  // --- Reading ------------------------------------------------------------------------------------

  /** The agreement, when the party may see it: its drafter always, a named party once proposed. */
  private async visible(tx: Tx, party: string, id: string): Promise<AgreementRecord> {
    const a = await tx.agreements.get(id);
    if (a && a.drafter === party) return a;
    if (a && a.status !== 'draft' && readersOf(await tx.agreements.versions(id)).has(party)) return a;
    return fail('not_found', `no agreement ${id}`);
  }

  private async view(tx: Tx, a: AgreementRecord, withBodies: boolean): Promise<AgreementView> {
    const versions = await tx.agreements.versions(a.id);
    const current = versions.find((v) => v.version === a.version) as AgreementVersionRecord;
    const signatures = await tx.agreements.signatures(a.id);
    const w = await tx.agreements.withdrawal(a.id);
    const signedNow = new Set(signatures.filter((x) => x.version === a.version).map((x) => x.party));
    return {
      id: a.id,
      status: a.status,
      drafter: a.drafter,
      version: a.version,
      content_sha256: current.content_sha256,
      agreement: textView(current.body),
      created_at: iso(a.created_at),
      in_force_at: isoOrNull(a.in_force_at),
      closed_at: isoOrNull(a.closed_at),
      awaiting: a.status === 'draft' ? [] : current.body.parties.filter((x) => !signedNow.has(x)),
      signatures: signatures.map((x) => ({
        version: x.version,
        party: x.party,
        username: x.username,
        key: x.key,
        entry: x.entry,
        at: iso(x.at),
      })),
      versions: versions.map((v) => ({
        version: v.version,
        content_sha256: v.content_sha256,
        party: v.party,
        username: v.username,
        at: iso(v.at),
        proposed_at: isoOrNull(v.proposed_at),
        superseded: v.version < a.version,
        ...(withBodies && { agreement: textView(v.body) }),
      })),
      withdrawal: w && {
        party: w.party,
        username: w.username,
        version: w.version,
        effective: iso(w.effective),
        reason: w.reason,
        key: w.key,
        entry: w.entry,
        at: iso(w.at),
      },
    };
  }

  /** The agreements the caller's party drafted or is named in (by a proposed version). */
  async list(p: Principal, f: { status?: AgreementStatus; limit?: number } = {}) {
    const party = actingParty(p);
    return this.k.read(async (tx) => {
      const rows = await tx.agreements.listFor(party, f.status, Math.min(f.limit ?? 200, 1000));
      const agreements: AgreementView[] = [];
      for (const a of rows) {
        // Another party's draft is not shown (listFor names the drafter's own and those it reads).
        if (a.status === 'draft' && a.drafter !== party) continue;
        agreements.push(await this.view(tx, a, false));
      }
      return { agreements };
    });
  }

  async get(p: Principal, id: string): Promise<AgreementView> {
    const party = actingParty(p);
    return this.k.read(async (tx) => this.view(tx, await this.visible(tx, party, id), true));
  }

  // --- Drafting -----------------------------------------------------------------------------------

  /** Parse an agreement's text against the hub's parties; the caller's party must be among them. */
  private async parse(
    tx: Tx,
    party: string,
    id: string,
    input: unknown,
  ): Promise<{ a: Agreement; body: AgreementBody }> {
    const json = input instanceof RawBody ? readJson(input.bytes, false) : input;
    const knownParties = new Set((await tx.parties.list()).map((x) => x.id));
    const a = parseAgreement(json, { id, knownParties });
    if (!a.parties.includes(party))
      fail('not_signatory', `your party (${party}) must be one of the agreement's parties`, 'parties');
    return { a, body: bodyOf(json as Record<string, unknown>, a) };
  }

  /** A draft (docs/agreements.md §2): visible to the caller's party alone until proposed. */
  async create(p: Principal, input: unknown): Promise<AgreementView> {
    const party = actingParty(p, ...DRAFT_ROLES);
    return this.k.write(async (tx, ctx) => {
      const id = newId('ag');
      const { a, body } = await this.parse(tx, party, id, input);
      const record: AgreementRecord = {
        id,
        status: 'draft',
        drafter: party,
        version: 1,
        start: a.start,
        end: a.end,
        created_at: ctx.now,
        created_by: p.username,
        updated_at: ctx.now,
        in_force_at: null,
        closed_at: null,
      };
      await tx.agreements.insert(record);
      await writeDraft(ctx, p.username, party, id, body, 'agreement.drafted');
      return {
        result: await this.view(tx, record, true),
        apply: () => this.due.set(id, dueOf(record, null)),
      };
    });
  }

  /** The drafter's draft, or the coded error. */
  private async ownDraft(tx: Tx, party: string, id: string): Promise<AgreementRecord> {
    const a = await this.visible(tx, party, id);
    if (a.drafter !== party) fail('forbidden', `agreement ${id} is drafted by another party`);
    closedOrNot(a);
    if (a.status !== 'draft')
      fail('agreement_state', `agreement ${id} is ${a.status}: only a draft is edited or proposed`);
    return a;
  }

  /** Edit a draft (the drafting party). */
  async edit(p: Principal, id: string, input: unknown): Promise<AgreementView> {
    const party = actingParty(p, ...DRAFT_ROLES);
    return this.k.write(async (tx, ctx) => {
      // The text is read first: its problems are named whatever the record (as a schema would).
      const { a, body } = await this.parse(tx, party, id, input);
      const cur = await this.ownDraft(tx, party, id);
      const next: AgreementRecord = { ...cur, start: a.start, end: a.end, updated_at: ctx.now };
      await tx.agreements.update(next);
      await writeDraft(ctx, p.username, party, id, body, 'agreement.edited');
      return { result: await this.view(tx, next, true), apply: () => this.due.set(id, dueOf(next, null)) };
    });
  }

  /** Draft → proposed: the text is fixed, and every party it names sees it. */
  async propose(p: Principal, id: string): Promise<AgreementView> {
    const party = actingParty(p, ...DRAFT_ROLES);
    return this.k.write(async (tx, ctx) => {
      const cur = await this.ownDraft(tx, party, id);
      const v = (await tx.agreements.version(id, 1)) as AgreementVersionRecord;
      const next: AgreementRecord = { ...cur, status: 'proposed', updated_at: ctx.now };
      await tx.agreements.update(next);
      await tx.agreements.putVersion({ ...v, party, username: p.username, proposed_at: ctx.now });
      await tx.agreements.addReaders(id, v.body.parties);
      await ctx.log(p.username, party, 'agreement.proposed', id, {
        version: 1,
        content_sha256: v.content_sha256,
        agreement: v.body,
        audience: [...v.body.parties],
      });
      await this.tell(ctx, v.body.parties, next);
      return { result: await this.view(tx, next, true) };
    });
  }

  /**
   * A counter-proposal: another signatory proposes a changed text as a new version, which
   * supersedes `version` (the current one); signatures of older versions no longer count.
   */
  async counter(p: Principal, id: string, input: unknown): Promise<AgreementView> {
    const party = actingParty(p, ...DRAFT_ROLES);
    const { version, text } = counterInput(input);
    return this.k.write(async (tx, ctx) => {
      // The text is read first: its problems are named whatever the record (as a schema would).
      const { a, body } = await this.parse(tx, party, id, text);
      const cur = await this.visible(tx, party, id);
      const v = await this.currentVersion(tx, cur, party, version, 'countered');
      if (cur.status === 'in_force')
        fail('agreement_state', `agreement ${id} is in force: a new text is a new agreement`);
      if (v.party === party)
        fail(
          'agreement_state',
          `version ${version} is your party's own proposal: another signatory counters it`,
        );
      const next: AgreementRecord = {
        ...cur,
        status: 'proposed',
        version: version + 1,
        start: a.start,
        end: a.end,
        updated_at: ctx.now,
      };
      const content_sha256 = contentHash(body);
      await tx.agreements.update(next);
      await tx.agreements.putVersion({
        agreement: id,
        version: next.version,
        body,
        content_sha256,
        party,
        username: p.username,
        at: ctx.now,
        proposed_at: ctx.now,
      });
      await tx.agreements.addReaders(id, body.parties);
      const audience = [...new Set([...v.body.parties, ...body.parties])];
      await ctx.log(p.username, party, 'agreement.countered', id, {
        version: next.version,
        supersedes: version,
        content_sha256,
        agreement: body,
        audience,
      });
      await this.tell(ctx, audience, next);
      return { result: await this.view(tx, next, true), apply: () => this.due.set(id, dueOf(next, null)) };
    });
  }

  /**
   * The current version of a proposed agreement that `party` signs, counters or withdraws from,
   * or the coded error: closed, still a draft, not a signatory, an older version, no such version.
   */
  private async currentVersion(
    tx: Tx,
    a: AgreementRecord,
    party: string,
    version: number,
    what: string,
  ): Promise<AgreementVersionRecord> {
    closedOrNot(a);
    if ((await tx.agreements.withdrawal(a.id)) !== null)
      fail('agreement_closed', `agreement ${a.id} is withdrawn (with effect from a time recorded)`);
    if (a.status === 'draft') fail('agreement_state', `agreement ${a.id} is a draft: it cannot be ${what}`);
    if (version < a.version)
      fail(
        'agreement_superseded',
        `version ${version} of agreement ${a.id} is superseded by version ${a.version}`,
        'version',
      );
    if (version > a.version) fail('not_found', `agreement ${a.id} has no version ${version}`, 'version');
    const v = (await tx.agreements.version(a.id, version)) as AgreementVersionRecord;
    if (!v.body.parties.includes(party))
      fail('not_signatory', `your party (${party}) is not a signatory of agreement ${a.id}`);
    return v;
  }

  // --- Signing and withdrawing --------------------------------------------------------------------

  /**
   * A signatory signs the current version: `{act: "agreement.sign", subject, version,
   * content_sha256}` signed with a registered key. Once every signatory has signed, it comes into
   * force at its start (now, when that has come).
   */
  async sign(
    p: Principal,
    id: string,
    b: { version: number; content_sha256: string; signed: Signed | undefined },
  ): Promise<AgreementView> {
    const party = actingParty(p, ...SIGN_ROLES);
    return this.k.write(async (tx, ctx) => {
      const cur = await this.visible(tx, party, id);
      const v = await this.currentVersion(tx, cur, party, b.version, 'signed');
      if (b.content_sha256 !== v.content_sha256)
        fail(
          'content_mismatch',
          `version ${v.version} of agreement ${id} hashes to ${v.content_sha256}, not ${b.content_sha256}`,
          'content_sha256',
        );
      const before = await tx.agreements.signatures(id, v.version);
      if (before.some((x) => x.party === party))
        fail('already_signed', `your party has already signed version ${v.version} of agreement ${id}`);
      const { signed, key } = await requireSigned(
        tx,
        p,
        b.signed,
        { act: 'agreement.sign', subject: id, version: v.version, content_sha256: v.content_sha256 },
        ctx.now,
        'an agreement',
      );
      const all = v.body.parties.every((x) => x === party || before.some((s) => s.party === x));
      const entry = await ctx.log(p.username, party, 'agreement.signed', id, {
        version: v.version,
        content_sha256: v.content_sha256,
        key,
        signed,
        all_signed: all,
        audience: [...v.body.parties],
      });
      const signature: AgreementSignatureRecord = {
        agreement: id,
        version: v.version,
        party,
        username: p.username,
        key,
        signed,
        entry: entry.seq,
        at: ctx.now,
      };
      await tx.agreements.addSignature(signature);
      let next: AgreementRecord = { ...cur, updated_at: ctx.now, ...(all && { status: 'signed' as const }) };
      await tx.agreements.update(next);
      await this.tell(ctx, v.body.parties, next);
      let binding: Binding | null = null;
      if (all && next.start <= ctx.now && ctx.now < next.end) {
        ({ record: next, binding } = await this.bringIntoForce(ctx, next, v));
      }
      const done = next;
      return {
        result: await this.view(tx, done, true),
        apply: () => {
          this.due.set(id, dueOf(done, null));
          if (binding) this.bindings.set(id, binding);
        },
      };
    });
  }

  /**
   * A signatory withdraws: `{act: "agreement.withdraw", subject, version, effective}` signed. The
   * agreement binds until `effective` (not before now) and no longer; withdrawing twice, or a
   * withdrawn or expired agreement, is `agreement_closed`.
   */
  async withdraw(
    p: Principal,
    id: string,
    b: { effective: number; reason: string; signed: Signed | undefined },
  ): Promise<AgreementView> {
    const party = actingParty(p, ...SIGN_ROLES);
    return this.k.write(async (tx, ctx) => {
      const cur = await this.visible(tx, party, id);
      const v = await this.currentVersion(tx, cur, party, cur.version, 'withdrawn');
      if (b.effective < ctx.now)
        fail(
          'effective_in_past',
          `effective ${iso(b.effective)} is before now (${iso(ctx.now)}): a withdrawal is never retroactive`,
          'effective',
        );
      const { signed, key } = await requireSigned(
        tx,
        p,
        b.signed,
        { act: 'agreement.withdraw', subject: id, version: v.version, effective: b.effective },
        ctx.now,
        'a withdrawal',
      );
      const entry = await ctx.log(p.username, party, 'agreement.withdrawn', id, {
        version: v.version,
        effective: iso(b.effective),
        reason: b.reason,
        key,
        signed,
        audience: [...v.body.parties],
      });
      const w: AgreementWithdrawalRecord = {
        agreement: id,
        version: v.version,
        party,
        username: p.username,
        effective: b.effective,
        reason: b.reason,
        key,
        signed,
        entry: entry.seq,
        at: ctx.now,
      };
      await tx.agreements.setWithdrawal(w);
      let next: AgreementRecord = { ...cur, updated_at: ctx.now };
      await tx.agreements.update(next);
      // Effective now: it stops binding in this very write.
      if (b.effective <= ctx.now) next = await this.close(ctx, next, v, w);
      else await this.tell(ctx, v.body.parties, next);
      const done = next;
      const binding = done.status === 'in_force' ? this.binding(done, v, w) : null;
      return {
        result: await this.view(tx, done, true),
        apply: () => {
          if (OPEN.includes(done.status)) this.due.set(id, dueOf(done, w.effective));
          else this.due.delete(id);
          if (binding) this.bindings.set(id, binding);
          else this.bindings.delete(id);
        },
      };
    });
  }

  // --- In force, withdrawn, expired (the scheduler) -------------------------------------------------

  /**
   * Bring a fully signed agreement into force: recorded, then every active declaration is
   * checked against it and the breaches found are recorded and announced at once.
   */
  private async bringIntoForce(
    ctx: WriteCtx,
    a: AgreementRecord,
    v: AgreementVersionRecord,
  ): Promise<{ record: AgreementRecord; binding: Binding }> {
    const tx = ctx.tx;
    const record: AgreementRecord = { ...a, status: 'in_force', in_force_at: ctx.now, updated_at: ctx.now };
    const w = await tx.agreements.withdrawal(a.id);
    const binding = this.binding(record, v, w);
    await tx.agreements.update(record);
    const breaches: ConflictRecord[] = [];
    for (const d of await tx.declarations.active()) {
      for (const c of this.breaches(d, binding)) {
        const r = await conflictRecord(this.k, tx, c, new Map(), ctx.now);
        if (!(await tx.conflicts.get(r.id))) breaches.push(r);
      }
    }
    await ctx.log(null, null, 'agreement.in_force', a.id, {
      version: a.version,
      content_sha256: v.content_sha256,
      start: iso(a.start),
      end: iso(a.end),
      breaches: breaches.length,
      audience: [...v.body.parties],
    });
    await insertConflicts(this.k, ctx, null, breaches);
    await announce(this.k, ctx, breaches, await sidesOf(tx, breaches, []));
    await this.tell(ctx, v.body.parties, record);
    return { record, binding };
  }

  /** It no longer binds: withdrawn (a withdrawal took effect) or expired (its end came). */
  private async close(
    ctx: WriteCtx,
    a: AgreementRecord,
    v: AgreementVersionRecord,
    w: AgreementWithdrawalRecord | null,
  ): Promise<AgreementRecord> {
    const withdrawn = w !== null && w.effective <= Math.min(a.end, ctx.now);
    const status = withdrawn ? 'withdrawn' : 'expired';
    const record: AgreementRecord = { ...a, status, closed_at: ctx.now, updated_at: ctx.now };
    await ctx.tx.agreements.update(record);
    const draft = a.status === 'draft';
    // A withdrawal taking effect is its own entry: the signed `agreement.withdrawn` said when; this
    // says that it did (the hub's scheduler, at that instant).
    const type = withdrawn ? 'agreement.withdrawal_effective' : 'agreement.expired';
    await ctx.log(null, draft ? a.drafter : null, type, a.id, {
      version: a.version,
      status,
      ...(withdrawn && { effective: iso(w.effective), withdrawal: w.entry }),
      ...(!draft && { audience: [...v.body.parties] }),
    });
    await this.tell(ctx, draft ? [a.drafter] : v.body.parties, record);
    return record;
  }

  /** The earliest instant something is due for an agreement (start, end, a withdrawal), or null. */
  nextDue(): number | null {
    let next = NEVER;
    for (const t of this.due.values()) next = Math.min(next, t);
    return next === NEVER ? null : next;
  }

  /**
   * Do what is due at the clock's now: bring fully signed agreements whose start has come into
   * force, close those whose end or withdrawal came. Idempotent; each agreement in a write of
   * its own, looked at again under the lock.
   */
  async runDue(): Promise<number> {
    const now = this.k.clock.now();
    const ids = [...this.due].filter(([, t]) => t <= now).map(([id]) => id);
    let changed = 0;
    for (const id of ids) {
      const moved = await this.k.write(async (tx, ctx) => {
        let a = await tx.agreements.get(id);
        if (!a || !OPEN.includes(a.status)) return { result: false, apply: () => this.due.delete(id) };
        const v = (await tx.agreements.version(id, a.version)) as AgreementVersionRecord;
        const w = await tx.agreements.withdrawal(id);
        const until = Math.min(a.end, w?.effective ?? NEVER);
        let binding: Binding | null = null;
        // Fully signed and started (even if the hub was down until after it stopped binding:
        // then it binds for no time, but its record says it came into force).
        if (a.status === 'signed' && a.start <= ctx.now && a.start < until)
          ({ record: a, binding } = await this.bringIntoForce(ctx, a, v));
        if (until <= ctx.now) {
          a = await this.close(ctx, a, v, w);
          binding = null;
        }
        const done = a;
        return {
          result: true,
          apply: () => {
            if (OPEN.includes(done.status)) this.due.set(id, dueOf(done, w?.effective ?? null));
            else this.due.delete(id);
            if (binding) this.bindings.set(id, binding);
            else if (done.status !== 'in_force') this.bindings.delete(id);
          },
        };
      });
      if (moved) changed++;
    }
    return changed;
  }

  /** Each party's consoles hear that an agreement changed (they read it again). */
  private async tell(ctx: WriteCtx, parties: readonly string[], a: AgreementRecord): Promise<void> {
    for (const party of new Set(parties))
      await ctx.emit(party, 'agreement.changed', { id: a.id, status: a.status, version: a.version });
  }
}

/** A counter-proposal's body: the version it counters, and the new text (the rest). */
function counterInput(input: unknown): { version: number; text: unknown } {
  const json = input instanceof RawBody ? readJson(input.bytes, false) : input;
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    fail(
      'invalid_property',
      'a counter-proposal is the agreement’s text with `version`, the version countered',
    );
  const { version, ...text } = json as Record<string, unknown>;
  if (version === undefined)
    fail('missing_property', 'version: the version countered is required', 'version');
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    fail('invalid_property', 'version: a whole number ≥ 1, the version countered', 'version');
  return { version: version as number, text };
}

/** A withdrawn or expired agreement changes no more. */
function closedOrNot(a: AgreementRecord): void {
  if (a.status === 'withdrawn' || a.status === 'expired')
    fail('agreement_closed', `agreement ${a.id} is ${a.status}`);
}
