/**
 * A whole hub moved between stores (SQLite ↔ PostgreSQL) through an archive (`store/archive.ts`),
 * without its secrets. What is a secret, and what the importer puts in its place:
 *
 * - `tokens` (API and session tokens) and `devices` (known-device tokens): not exported. Every
 *   session and API token of the source is gone; members log in again, API tokens are made anew.
 * - `members.password_hash`: not exported. Members are imported with a password that matches
 *   nothing ({@link NO_PASSWORD}); administrators are made anew (`deconflict admin create`).
 * - `webhooks`' signing secret (in `body`): not exported. Each webhook is imported disabled, with
 *   a new random secret nobody has seen: its receiver could not check a signature made with it. The
 *   party makes a new webhook.
 * - `log_keys.private_key` (the transparency log's checkpoint key): not exported. After the rows
 *   are in, the importer rotates the key: a new key, recorded as a `log.key` entry that names the
 *   previous one (the rotation every verifier and witness follows, docs/transparency.md).
 * - `meta` row `hub_key` (the key conflict ids are derived with): not exported. The imported hub
 *   makes a new one when it first opens; stored conflicts keep their ids, conflicts found after
 *   the import get ids under the new key.
 *
 * An import goes into an empty store only, from an archive whose sums and counts hold, made at
 * this release's schema version; then the counts are read back and the ledger chain verified.
 */
import { randomBytes } from 'node:crypto';
import { ChainVerifier } from '../ledger/chain.ts';
import { type ArchiveHeader, checkArchive, readRows, writeArchive } from '../store/archive.ts';
import { SCHEMA_VERSION } from '../store/migrate.ts';
import type { DumpRow, Store } from '../store/ports.ts';
import type { Clock } from './clock.ts';
import { Hub } from './hub.ts';

/** Tables whose every row is a credential: never exported. */
export const SECRET_TABLES: ReadonlySet<string> = new Set(['tokens', 'devices']);

/** The password hash of an imported member: not a hash, so no password matches it. */
export const NO_PASSWORD = '!imported: no password matches; make administrators with deconflict admin create';

/** The actor of the key rotation that completes an import, as the ledger records it. */
export const IMPORT_ACTOR = 'deconflict-import';

/** Rows read and written at a time. */
const PAGE = 500;

/** A row as the archive carries it (null: the row is left out), its secrets taken out. */
function withoutSecrets(table: string, row: DumpRow): DumpRow | null {
  switch (table) {
    case 'meta':
      return row.key === 'hub_key' ? null : row;
    case 'members': {
      const { password_hash: _, ...rest } = row;
      return rest;
    }
    case 'log_keys': {
      const { private_key: _, ...rest } = row;
      return rest;
    }
    case 'webhooks': {
      const { secret: _, ...body } = JSON.parse(String(row.body)) as Record<string, unknown>;
      return { ...row, body: JSON.stringify(body) };
    }
    default:
      return row;
  }
}

/** An archived row made whole for the store: what stands in for each secret left out. */
function withStandIns(table: string, row: DumpRow, now: number): DumpRow {
  switch (table) {
    case 'members':
      return { ...row, password_hash: NO_PASSWORD };
    case 'log_keys':
      return { ...row, private_key: '' };
    case 'webhooks': {
      const body = JSON.parse(String(row.body)) as Record<string, unknown>;
      const secret = randomBytes(32).toString('base64url');
      return { ...row, body: JSON.stringify({ ...body, secret, disabled_at: body.disabled_at ?? now }) };
    }
    default:
      return row;
  }
}

async function* allRows(store: Store, table: string): AsyncGenerator<DumpRow> {
  let cursor: string | null = null;
  do {
    const page: { rows: DumpRow[]; next: string | null } = await store.dump(table, cursor, PAGE);
    yield* page.rows;
    cursor = page.next;
  } while (cursor !== null);
}

/**
 * Write the whole hub in `store` to an archive at `path`, without its secrets. Run it with no hub
 * writing to the store (the rows are read a page at a time, not in one snapshot).
 */
export async function exportHub(store: Store, path: string, now: number): Promise<ArchiveHeader> {
  const tables = store.tables().filter((t) => !SECRET_TABLES.has(t));
  async function* rows(): AsyncGenerator<readonly [string, DumpRow]> {
    for (const t of tables)
      for await (const row of allRows(store, t)) {
        const kept = withoutSecrets(t, row);
        if (kept !== null) yield [t, kept];
      }
  }
  return writeArchive(
    path,
    { schema: SCHEMA_VERSION, dialect: store.dialect, created_at: new Date(now).toISOString() },
    tables,
    rows(),
  );
}

/** What an import found and did. */
export interface ImportReport {
  readonly header: ArchiveHeader;
  readonly rows: number;
  /** The source's last ledger entry (0 for an empty ledger), and the entries the import appended. */
  readonly ledgerSeq: number;
  readonly appended: number;
}

/** Why an import was refused before anything was written (the one line the command prints). */
export class ImportRefused extends Error {
  override readonly name = 'ImportRefused';
}

/**
 * Load the archive at `path` into `store`, which must be empty: checked whole first (sums,
 * counts, schema version), then loaded table by table, then counted back and the ledger chain
 * verified; last the hub is opened once on it to make its new hub key and rotate the log key.
 *
 * @throws ArchiveInvalid for a damaged, cut or foreign file; ImportRefused for a store that is
 *   not empty, another schema version, or a table this store does not have. Nothing is written.
 */
export async function importHub(store: Store, path: string, clock: Clock): Promise<ImportReport> {
  const header = await checkArchive(path);
  if (header.schema !== SCHEMA_VERSION)
    throw new ImportRefused(
      header.schema > SCHEMA_VERSION
        ? `${path} was made at schema version ${header.schema}, newer than this deconflict's ${SCHEMA_VERSION}: import it with the release that made it, or a newer one`
        : `${path} was made at schema version ${header.schema}, this deconflict is at ${SCHEMA_VERSION}: import it with the release that made it, then upgrade that store (deconflict migrate) and export it again`,
    );
  const known = new Set(store.tables());
  for (const t of header.tables)
    if (!known.has(t.name) || SECRET_TABLES.has(t.name))
      throw new ImportRefused(`${path} carries a table "${t.name}" this deconflict does not import`);
  for (const t of store.tables())
    if ((await store.dump(t, null, 1)).rows.length > 0)
      throw new ImportRefused(`the store is not empty (table ${t} has rows): import into a new, empty store`);

  const now = clock.now();
  let batch: DumpRow[] = [];
  let batchTable = '';
  const flush = async () => {
    if (batch.length > 0) await store.load(batchTable, batch);
    batch = [];
  };
  for await (const [t, row] of readRows(path, () => undefined)) {
    if (t !== batchTable || batch.length >= PAGE) {
      await flush();
      batchTable = t;
    }
    batch.push(withStandIns(t, row, now));
  }
  await flush();

  let rows = 0;
  for (const t of header.tables) {
    let n = 0;
    for await (const _ of allRows(store, t.name)) n += 1;
    if (n !== t.rows)
      throw new Error(`import: ${t.name} holds ${n} rows after loading, the archive ${t.rows}`);
    rows += n;
  }
  const ledgerSeq = await verifyLedger(store);
  const hub = await Hub.open(store, clock);
  try {
    await hub.transparency.rotate({ username: IMPORT_ACTOR, party: null, roles: ['hub_admin'], tokenId: '' });
  } finally {
    await hub.close();
  }
  const head = await store.read((tx) => tx.ledger.head());
  return { header, rows, ledgerSeq, appended: (head?.seq ?? 0) - ledgerSeq };
}

/**
 * Verify the stored ledger's chain from its first entry, `pageSize` entries at a time (the entries
 * are not held: a ledger of millions costs one page); resolves to its last seq (0: empty).
 */
export async function verifyLedger(store: Store, pageSize = PAGE): Promise<number> {
  const chain = new ChainVerifier();
  for (let from = 1; ; ) {
    const page = await store.read((tx) => tx.ledger.range(from, pageSize));
    if (!chain.add(page) || page.length < pageSize) break;
    from = (page[page.length - 1] as { seq: number }).seq + 1;
  }
  const check = chain.result();
  if (!check.ok)
    throw new Error(`the ledger does not verify at entry ${check.broken?.seq}: ${check.broken?.reason}`);
  return check.entries;
}
