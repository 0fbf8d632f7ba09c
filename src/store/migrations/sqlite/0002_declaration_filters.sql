-- 0002: the declaration list filtered in SQL — what a party may see (DeclarationQuery.visibleTo)
-- and where (DeclarationQuery.bbox) — instead of reading every row into the hub. The rows below
-- for the versions stored before this migration are written by its TypeScript step,
-- 0002_declaration_filters.ts, in the same transaction: SQL cannot compute geodesic boxes.

-- How a version is shown besides to its owner: 'all', 'sealed' (to nobody else) or 'list' (to
-- the parties in declaration_readers). The default only holds until the step writes the real
-- value; it is the one that shows nothing, should a row ever be missed.
ALTER TABLE declarations ADD COLUMN visibility TEXT NOT NULL DEFAULT 'sealed'
  CHECK (visibility IN ('all', 'sealed', 'list'));

-- The parties a 'list' version is shown to. The key leads with the party: a reader's versions
-- are one range of it.
CREATE TABLE declaration_readers (
  party TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (party, id, version),
  FOREIGN KEY (id, version) REFERENCES declarations (id, version)) WITHOUT ROWID;

-- Every version's own boxes (reach 0: conservative, west <= east, split at the antimeridian),
-- one entry per box. The R*Tree keeps its four coordinates as 32-bit floats and rounds each
-- outward (a minimum down, a maximum up), so a search on them finds every box that meets the
-- query and perhaps a few that miss it by a float's rounding (under 2 m); the exact boxes, kept
-- as doubles in the auxiliary columns, decide. The declaration is named by (decl_id,
-- decl_version): declarations has no INTEGER PRIMARY KEY, and its rowids may change on VACUUM.
CREATE VIRTUAL TABLE declaration_boxes USING rtree(
  box, min_lon, max_lon, min_lat, max_lat,
  +decl_id TEXT, +decl_version INTEGER, +west REAL, +south REAL, +east REAL, +north REAL);
