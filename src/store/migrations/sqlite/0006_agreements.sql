-- 0006: agreements (docs/agreements.md): the terms parties sign, their versions, the signatories'
-- signatures and withdrawals; and the parties a conflict involves besides its two sides (every
-- signatory of an agreement a declaration breaches).
CREATE TABLE agreements (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, drafter TEXT NOT NULL, version INTEGER NOT NULL,
  start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX agreements_status ON agreements(status, created_at);
CREATE INDEX agreements_drafter ON agreements(drafter, created_at);
-- Each version's text (the canonical JSON of `body` is what its content_sha256 hashes).
CREATE TABLE agreement_versions (
  agreement TEXT NOT NULL REFERENCES agreements(id), version INTEGER NOT NULL,
  content_sha256 TEXT NOT NULL, party TEXT NOT NULL, username TEXT NOT NULL, at INTEGER NOT NULL,
  proposed_at INTEGER, body TEXT NOT NULL, PRIMARY KEY (agreement, version));
-- The parties an agreement was shown to: those named by a version that was proposed.
CREATE TABLE agreement_readers (
  party TEXT NOT NULL, agreement TEXT NOT NULL REFERENCES agreements(id),
  PRIMARY KEY (party, agreement));
CREATE TABLE agreement_signatures (
  agreement TEXT NOT NULL REFERENCES agreements(id), version INTEGER NOT NULL, party TEXT NOT NULL,
  username TEXT NOT NULL, key TEXT NOT NULL, signed TEXT NOT NULL, entry INTEGER NOT NULL,
  at INTEGER NOT NULL, PRIMARY KEY (agreement, version, party));
CREATE TABLE agreement_withdrawals (
  agreement TEXT PRIMARY KEY REFERENCES agreements(id), version INTEGER NOT NULL,
  party TEXT NOT NULL, username TEXT NOT NULL, effective INTEGER NOT NULL, reason TEXT NOT NULL,
  key TEXT NOT NULL, signed TEXT NOT NULL, entry INTEGER NOT NULL, at INTEGER NOT NULL);
-- Parties a conflict involves besides a_party and b_party (the conflict body lists them too).
CREATE TABLE conflict_parties (
  party TEXT NOT NULL, conflict TEXT NOT NULL REFERENCES conflicts(id),
  PRIMARY KEY (party, conflict));
