-- 0007: sealed declarations and blind checks (docs/blind-matching.md). A sealed declaration has
-- no geometry here: its kind, category, coarse window and its tokens (OPRF outputs under its
-- owner's key). A blind check relays one asking declaration's blinded cover to an owner's agent
-- and back; the outputs it yields are kept per (declaration version, owner, slot length) so that
-- a sealed declaration made later is matched against them without asking again.
CREATE TABLE sealed (
  id TEXT PRIMARY KEY, party TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, slot_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX sealed_party ON sealed(party, status, created_at);
CREATE INDEX sealed_status ON sealed(status, created_at);
CREATE TABLE sealed_tokens (
  sealed TEXT PRIMARY KEY REFERENCES sealed(id), tokens BLOB NOT NULL);
CREATE TABLE blind_checks (
  id TEXT PRIMARY KEY, asker TEXT NOT NULL, owner TEXT NOT NULL, declaration TEXT NOT NULL,
  status TEXT NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX blind_checks_asker ON blind_checks(asker, status, created_at);
CREATE INDEX blind_checks_owner ON blind_checks(owner, status, created_at);
CREATE INDEX blind_checks_status ON blind_checks(status, created_at);
CREATE INDEX blind_checks_declaration ON blind_checks(declaration, status);
CREATE TABLE blind_outputs (
  declaration TEXT NOT NULL, version INTEGER NOT NULL, owner TEXT NOT NULL, slot_ms INTEGER NOT NULL,
  slot INTEGER NOT NULL, output TEXT NOT NULL,
  PRIMARY KEY (declaration, version, owner, slot_ms, slot, output));
