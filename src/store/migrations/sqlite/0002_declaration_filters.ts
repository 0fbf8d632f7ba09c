/**
 * The TypeScript step of migration 0002: the visibility, readers and boxes of every declaration
 * version stored before it (see 0002_declaration_filters.sql). It runs in the migration's
 * transaction, right after its SQL.
 *
 * Its statements are its own, written against the tables as 0002 leaves them, not shared with
 * the adapter's insert path: a later migration may change those tables, and this step must still
 * run first on a directory it upgrades from version 1.
 */
import type Database from 'better-sqlite3';
import type { Declaration } from '../../../engine/types.ts';
import { declarationFootprint } from '../../footprint.ts';

/** Versions read per batch: a large store is never held in memory at once. */
const BATCH = 500;

/** Write the visibility column, the readers and the boxes of every stored declaration version. */
export function backfillDeclarationFilters(db: Database.Database): void {
  const page = db.prepare(
    'SELECT id, version, body FROM declarations WHERE (id, version) > (?, ?) ORDER BY id, version LIMIT ?',
  );
  const setShown = db.prepare('UPDATE declarations SET visibility = ? WHERE id = ? AND version = ?');
  const addReader = db.prepare('INSERT INTO declaration_readers (party, id, version) VALUES (?, ?, ?)');
  const addBox = db.prepare(
    'INSERT INTO declaration_boxes (min_lon, max_lon, min_lat, max_lat, decl_id, decl_version, west, south, east, north) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let after: [string, number] = ['', 0];
  for (;;) {
    const rows = page.all(...after, BATCH) as { id: string; version: number; body: string }[];
    for (const { id, version, body } of rows) {
      const f = declarationFootprint(JSON.parse(body) as Declaration);
      setShown.run(f.shown, id, version);
      for (const party of f.readers) addReader.run(party, id, version);
      for (const [w, s, e, n] of f.boxes) addBox.run(w, e, s, n, id, version, w, s, e, n);
    }
    const last = rows[rows.length - 1];
    if (rows.length < BATCH || last === undefined) return;
    after = [last.id, last.version];
  }
}
