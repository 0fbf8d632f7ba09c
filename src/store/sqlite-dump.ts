/**
 * Whole-hub export and import for the embedded store: a table's rows a page at a time in
 * primary-key order, and rows inserted as dumped (`Store.tables`, `dump`, `load` in ports.ts).
 *
 * The statements are built from the table's own schema (`PRAGMA table_info`), never from the
 * caller's text: a table must be one of {@link HUB_TABLES} and a row's columns must be the
 * table's, so nothing a file says reaches SQL but as a bound value. Paging is by keyset, so a
 * page costs one index seek however far into the table it is; the cursor is the JSON of the last
 * row's key. A rowid table is read in rowid order, which is the order its rows were inserted: loaded
 * in that order they get their rowids in the same order, and what the adapter lists "oldest first"
 * (by rowid: webhooks, tie-breaks of deliveries) lists the same after an import. A WITHOUT ROWID
 * table is read in the order of its declared key.
 */
import type Database from 'better-sqlite3';
import type { DumpRow } from './ports.ts';
import { HUB_TABLES } from './tables.ts';

type Db = Database.Database;

interface TableShape {
  readonly columns: ReadonlySet<string>;
  /** The paging key's columns, in key order (`$rowid` for a rowid table). */
  readonly key: readonly string[];
  readonly page: Database.Statement;
  readonly first: Database.Statement;
}

/** The name the rowid is read under, taken out of each row before it is handed out. */
const ROWID = '$rowid';

const shapes = new WeakMap<Db, Map<string, TableShape>>();

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The table's columns and key, and its paging statements, read once per connection. */
function shapeOf(db: Db, table: string): TableShape {
  if (!(HUB_TABLES as readonly string[]).includes(table)) throw new Error(`no hub table "${table}"`);
  let byTable = shapes.get(db);
  if (!byTable) {
    byTable = new Map();
    shapes.set(db, byTable);
  }
  const known = byTable.get(table);
  if (known) return known;
  const info = db.pragma(`table_info(${quote(table)})`) as { name: string; pk: number }[];
  const declared = info
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  const key = hasRowid(db, table) ? ['rowid'] : declared;
  const cols = key.map(quote).join(', ');
  const params = key.map(() => '?').join(', ');
  const select = key[0] === 'rowid' ? `SELECT rowid AS ${quote(ROWID)}, *` : 'SELECT *';
  const shape: TableShape = {
    columns: new Set(info.map((c) => c.name)),
    key: key[0] === 'rowid' ? [ROWID] : key,
    first: db.prepare(`${select} FROM ${quote(table)} ORDER BY ${cols} LIMIT ?`),
    page: db.prepare(`${select} FROM ${quote(table)} WHERE (${cols}) > (${params}) ORDER BY ${cols} LIMIT ?`),
  };
  byTable.set(table, shape);
  return shape;
}

/** Whether the table has a rowid (every table but a WITHOUT ROWID one). */
function hasRowid(db: Db, table: string): boolean {
  try {
    db.prepare(`SELECT rowid FROM ${quote(table)} LIMIT 0`);
    return true;
  } catch {
    return false;
  }
}

/** A page of `table`'s rows after `cursor` (null: from the first), and the cursor of the next. */
export function dumpTable(
  db: Db,
  table: string,
  cursor: string | null,
  limit: number,
): { rows: DumpRow[]; next: string | null } {
  const shape = shapeOf(db, table);
  const n = Math.max(1, Math.floor(limit));
  let rows: DumpRow[];
  if (cursor === null) rows = shape.first.all(n) as DumpRow[];
  else {
    const after = JSON.parse(cursor) as unknown;
    if (!Array.isArray(after) || after.length !== shape.key.length)
      throw new Error(`not a cursor of ${table}: ${cursor}`);
    rows = shape.page.all(...after, n) as DumpRow[];
  }
  const last = rows.length === n ? rows[rows.length - 1] : undefined;
  const next = last ? JSON.stringify(shape.key.map((k) => last[k])) : null;
  if (shape.key[0] === ROWID) rows = rows.map(({ [ROWID]: _, ...row }) => row);
  return { rows, next };
}

/** Insert rows as dumped; the caller runs it in a write transaction. */
export function loadTable(db: Db, table: string, rows: readonly DumpRow[]): void {
  const shape = shapeOf(db, table);
  const inserts = new Map<string, Database.Statement>();
  for (const row of rows) {
    const names = Object.keys(row);
    for (const c of names) if (!shape.columns.has(c)) throw new Error(`${table} has no column "${c}"`);
    const signature = names.join('\0');
    let insert = inserts.get(signature);
    if (!insert) {
      insert = db.prepare(
        `INSERT INTO ${quote(table)} (${names.map(quote).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
      );
      inserts.set(signature, insert);
    }
    insert.run(...names.map((c) => bindable(row[c] as DumpRow[string])));
  }
}

/** better-sqlite3 binds a Buffer, not a plain Uint8Array: the same bytes, viewed as one. */
function bindable(v: DumpRow[string]): number | string | Buffer | null {
  return v instanceof Uint8Array && !Buffer.isBuffer(v)
    ? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    : v;
}
