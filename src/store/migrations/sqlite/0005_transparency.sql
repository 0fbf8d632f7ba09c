-- 0005: the transparency log (docs/transparency.md). Each ledger entry gets a random salt (its
-- payload's commitment in the tree's leaf is salted, so that a receipt may prove a hidden
-- payload by hash without letting anyone guess it) and its leaf hash, computed when appended so
-- that the tree is rebuilt at start from 32 bytes an entry. Entries written before this version
-- keep the empty salt and a NULL leaf (computed from their payload when the tree is built).
ALTER TABLE ledger ADD COLUMN salt TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger ADD COLUMN leaf TEXT;
-- The hub's checkpoint signing keys, each current from the ledger entry that recorded it (seq).
-- The private key stays in the data directory, as the hub's other secret does (meta.hub_key).
CREATE TABLE log_keys (
  seq INTEGER PRIMARY KEY, name TEXT NOT NULL, public_key TEXT NOT NULL, private_key TEXT NOT NULL,
  created_at INTEGER NOT NULL);
-- Checkpoints the hub signed (one per size: the tree has one root per size), and the
-- cosignatures parties' witnesses added to them.
CREATE TABLE checkpoints (
  size INTEGER PRIMARY KEY, root TEXT NOT NULL, at INTEGER NOT NULL, note TEXT NOT NULL);
CREATE TABLE cosignatures (
  size INTEGER NOT NULL REFERENCES checkpoints(size), key TEXT NOT NULL, party TEXT NOT NULL,
  username TEXT NOT NULL, signature TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (size, key));
CREATE INDEX cosignatures_latest ON cosignatures(size DESC);
-- Members' Ed25519 public keys: they sign statements and cosign checkpoints.
CREATE TABLE member_keys (
  id TEXT PRIMARY KEY, username TEXT NOT NULL, party TEXT NOT NULL, public_key TEXT NOT NULL,
  label TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER, entry INTEGER NOT NULL);
CREATE INDEX member_keys_party ON member_keys(party, created_at);
